"""relu_sublinear with a depth budget (Vardi et al. 2022, O~(N/L) at depth L): exact
memorization, depth within the budget, documented counts, the member choice, bad budgets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import memorize
from memorize import data, verify
from memorize.cli import main
from memorize.constructions.gadgets.block_readout import _count_readout, readout_nonzeros
from memorize.constructions.relu_sublinear_budget import block_layers, budget_connections, budget_counts
from memorize.constructions.gadgets.line_blocks import Layout, block_offset_bits, integer_line
from memorize.data import deduplicate, label_bits, num_classes
from memorize.network import Network
from memorize.errors import ConstructionError
from memorize.testing import datasets


def _layout(meta) -> Layout:
    return Layout.record(meta["chosen_block_size"], meta["rho"], meta["label_bits"],
                         meta["layers_per_point"])


def _check_counts(net, n_points, d):
    m = net.meta
    if "construction" in m:  # built by the registry, not assembled by the test
        assert verify.count_mismatches(net) == {}
    if m["member"] == "relu_two_layer":
        assert net.num_params == 3 * n_points + d + 2
        expected = net.counts()
    elif m["member"] in ("streams", "relu_bubeck"):
        expected = net.counts()
    else:
        layout = _layout(m)
        expected = budget_counts(m["blocks"], d, layout)
        assert m["blocks"] >= -(-n_points // layout.n)
        if m["blocks"] >= 2:
            connections = budget_connections(m["blocks"], layout, m["first_layer_nonzeros"])
            # Only stored word differences that happen to be 0 are missing.
            assert connections - layout.words * m["blocks"] <= net.nonzero_params <= connections
        ns = layout.n * layout.s
        # One block: the words are constants, and the lean registers' biases divide them.
        one_block = (ns + layout.rho + layout.c + 1) if m["blocks"] == 1 else 0
        assert net.max_bits <= max(ns + 3 + one_block, layout.rho + layout.c + 4,
                                             m["top"].bit_length() + 2, m["first_layer_bits"])
    for key in ("params", "neurons", "depth", "width"):
        assert getattr(net, key if key != "params" else "num_params") == expected[key], key


@settings(max_examples=60, deadline=None)
@given(datasets(n=st.integers(1, 120), d=st.integers(1, 5), num_classes=st.integers(1, 9)),
       st.integers(2, 160), st.integers(0, 2))
def test_memorizes_within_budget_with_documented_counts(ds, budget, seed):
    X, y = ds
    net = memorize.build("relu_sublinear", X, y, seed=seed, depth=budget)
    report = verify.verify(net, X, y, float64=False)
    assert report.ok, report.summary()
    assert net.depth <= budget
    n_points, d = np.unique(X + 0.0, axis=0).shape
    _check_counts(net, n_points, d)
    if budget >= 3:  # never worse than the two-layer network the budget also allows
        assert net.connections <= 3 * n_points + d + 2


@pytest.mark.parametrize("budget,member", [(24, "relu_two_layer"), (48, "streams"), (100, "streams")])
def test_shallow_budgets_beat_two_layer(budget, member):
    X, y = data.random_separated(1500, 6, 0.05, num_classes=10, seed=5)
    net = memorize.build("relu_sublinear", X, y, depth=budget)
    assert net.meta["member"] == member
    assert verify.is_memorizing(net, X, y)
    assert net.depth <= budget
    _check_counts(net, 1500, 6)
    if member == "streams":
        assert net.connections < 3 * 1500  # depth bought fewer connections than 3N


def test_more_depth_buys_fewer_connections():
    X, y = data.random_separated(3000, 8, 0.05, num_classes=10, seed=1)
    counts = [memorize.build("relu_sublinear", X, y, depth=L).connections
              for L in (3, 32, 64, 100, 400)]
    assert counts == sorted(counts, reverse=True) and counts[-1] < 0.4 * counts[0]
    # Past the default's depth, a budget buys nothing more: the default (the leanest
    # member, whose dense parameters stay within 3x its connections) is built.
    default = memorize.build("relu_sublinear", X, y)
    assert memorize.build("relu_sublinear", X, y, depth=10**6) == default
    assert default.connections < 0.5 * counts[0]


@settings(max_examples=20, deadline=None)
@given(datasets(n=st.integers(2, 150), d=st.integers(1, 5), num_classes=st.integers(2, 6)),
       st.integers(3, 200))
def test_a_larger_budget_never_costs_more_than_depth_two(ds, budget):
    # Every member of depth <= L is allowed at budget L, the depth-2 network among them.
    X, y = ds
    two = memorize.build("relu_sublinear", X, y, depth=2)
    more = memorize.build("relu_sublinear", X, y, depth=budget)
    assert more.depth <= budget and more.connections <= two.connections


def test_depth_two_is_the_per_class_bubeck_network():
    X, y = data.random_separated(80, 4, 0.05, num_classes=3, seed=2)
    net = memorize.build("relu_sublinear", X, y, depth=2)
    assert net.meta["member"] == "relu_bubeck" and net.depth == 2
    assert verify.is_memorizing(net, X, y)
    _check_counts(net, 80, 4)


@settings(max_examples=60, deadline=None)
@given(datasets(n=st.integers(1, 80), d=st.integers(1, 4), num_classes=st.integers(1, 40)),
       st.integers(1, 12), st.integers(1, 40), st.integers(0, 2))
def test_any_block_layout_memorizes(ds, n, s, seed):
    # The budget picks one layout; every layout (block size n, s layers per point) is exact.
    X, y = ds
    Xu, yu, _ = deduplicate(X, y)
    line = integer_line(Xu, np.random.default_rng(seed))
    c = label_bits(num_classes(yu))
    n = min(n, len(Xu))
    layout = Layout.record(n, block_offset_bits(line.floors, n), c, s)
    layers, meta = block_layers(line, yu[line.order], c, layout, Xu.shape[1])
    net = Network(Xu.shape[1], layers, {"member": "blocks", **meta})
    report = verify.verify(net, X, y, float64=False)
    assert report.ok, report.summary()
    assert net.depth == (1 if meta["blocks"] == 1 else 4) + n * layout.s + 2
    _check_counts(net, len(Xu), Xu.shape[1])


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 40), st.integers(1, 30), st.integers(1, 8), st.integers(1, 40))
def test_readout_count_extrapolation_is_exact(n, rho, c, s):
    layout = Layout.record(n, rho, c, s)
    assert readout_nonzeros(layout) == _count_readout(layout)


def test_bad_budgets():
    X, y = data.random_separated(60, 3, 0.1, num_classes=3, seed=2)
    for bad in (0, -5, 1):
        with pytest.raises(ConstructionError, match="option depth of relu_sublinear must be at least 2"):
            memorize.build("relu_sublinear", X, y, depth=bad)
    for bad in (2.5, "3", True):
        with pytest.raises(ConstructionError, match="integer"):
            memorize.build("relu_sublinear", X, y, depth=bad)


@pytest.mark.parametrize("value", ["2.5", "two", "1"])
def test_cli_rejects_bad_budgets(tmp_path, capsys, value):
    X, y = data.random_separated(30, 2, 0.1, num_classes=2, seed=0)
    path = tmp_path / "d.npz"
    np.savez(path, X=X, y=y)
    argv = ["build", "relu_sublinear", "--data", str(path), "--out", str(tmp_path / "n.json"),
            "--set", f"depth={value}", "--quiet"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "depth" in err[0]
