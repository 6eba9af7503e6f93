"""Tests of the deep threshold memorizer (RSPK 2021) and its gadgets."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memorize.bounds import first_layer_threshold
from memorize import build, data, dyadic, verify
from memorize.constructions.gadgets.parity_codes import _odd_row, compress, parity_bits
from memorize.constructions.threshold_sublinear import (
    MAX_LABEL_BITS,
    first_layer_width,
    threshold_sublinear_counts,
)
from memorize.constructions.gadgets.threshold import (
    conjunction_row,
    group_neuron_row,
    parity_network,
)
from memorize.errors import ConstructionError, DataError
from memorize.network import Layer, Network
from memorize.testing import datasets

NAME = "threshold_sublinear"


# -- exact inspection helpers ---------------------------------------------------

def layer1_exact(net: Network, X: np.ndarray):
    """Layer 1 in exact integers: ``Z = D 2^F (W x + b)`` per point and hyperplane, and the
    margin threshold ``D 2^F (||w||_1 max|x| + |b|)`` (without its factor ``2^-margin_bits``);
    ``D`` clears the bias denominators."""
    layer = net.layers[0]
    X_int, F = dyadic.to_integers(X)
    W = layer.dense()
    assert all(isinstance(v, int) for v in layer.values)
    D = math.lcm(*(Fraction(b).denominator for b in layer.bias))
    bias = np.array([int(Fraction(b) * D) << F for b in layer.bias], dtype=object)
    Z = (X_int @ W.T) * D + bias
    A = max(abs(int(v)) for v in X_int.ravel())
    thr = np.array([sum(abs(int(w)) for w in W[t]) * A * D for t in range(layer.out_dim)],
                   dtype=object) + np.abs(bias)
    return Z, thr


def integer_preactivations(net: Network, codes: np.ndarray):
    """Pre-activations of layers 2.. (all integer weights) from the exact layer-1 outputs."""
    a = codes.astype(np.int64)
    out = []
    for layer in net.layers[1:]:
        assert all(isinstance(v, int) and abs(v) < 2**20 for v in layer.values + layer.bias)
        W = layer.dense().astype(np.int64)
        z = a @ W.T + np.array(layer.bias, dtype=np.int64)
        out.append((layer.activation, z))
        a = (z >= 0).astype(np.int64) if layer.activation == "step" else z
    return out



def first_layer_lower_bound(delta):
    """The great-circle first-layer bound (memorize.bounds.first_layer_threshold) for as
    many points as the circle holds."""
    return first_layer_threshold(10**9, 2, delta, 1.0)


def check_network(X, y, net):
    """The properties every built network must have (exactness, counts, margins, odd offsets)."""
    Xu, yu, _ = data.deduplicate(X, y)
    assert verify.is_memorizing(net, X, y)
    s = net.meta["threshold"]
    # counts are the documented formula
    c = threshold_sublinear_counts(net.meta)
    assert verify.count_mismatches(net) == {}
    assert net.depth == c["depth"] == 6
    assert net.neurons == c["neurons"]
    assert net.nonzero_params == c["nonzero_params"]
    assert net.width == c["width"]
    R = s["radius_used"]
    # R: the data radius rounded up to a power of two (1 for the sphere variant)
    assert math.log2(R) == int(math.log2(R))
    assert R == 1 if s["variant"] == "sphere" else (0.5 < data.radius(Xu / R) <= 1
                                                     or not Xu.any())
    assert s["m"] == first_layer_width(len(Xu), data.separation(Xu / R), variant=s["variant"],
                                       failure_prob=0.01)
    assert s["k"] >= s["k0"] == max(1, math.ceil(math.log2(max(1, len(Xu) * (len(Xu) - 1) // 2)
                                                           / 0.01)))
    # layer 1: exact dyadic weights, every |w.x + b| above the documented margin threshold
    Z, thr = layer1_exact(net, Xu)
    mu = s["margin_bits"]
    assert all(t > 0 for t in thr)
    assert np.all((np.abs(Z) << mu) >= thr[None, :])
    codes = (Z >= 0).astype(np.int64)
    assert len({tuple(r) for r in codes.tolist()}) == len(Xu)  # distinct layer-1 codes
    # later layers: integer weights, every step pre-activation an odd integer
    for act, pre in integer_preactivations(net, codes):
        if act == "step":
            assert np.all(pre % 2 == 1)
    if s["variant"] == "sphere":
        assert all(b == 0 for b in net.layers[0].bias)


# -- the construction on generated data ------------------------------------------

@settings(max_examples=80, deadline=None)
@given(datasets(n=st.integers(1, 24), d=st.integers(1, 4), num_classes=st.integers(1, 5),
                kind=st.sampled_from(["ball", "pairs"])),
       st.integers(0, 3))
def test_ball_variant_memorizes_exactly(dataset, seed):
    X, y = dataset
    check_network(X, y, build(NAME, X, y, seed=seed))


@settings(max_examples=40, deadline=None)
@given(datasets(n=st.integers(1, 24), d=st.integers(2, 4), num_classes=st.integers(1, 4),
                radius=1.0, kind="sphere"))
def test_sphere_variant_memorizes_exactly(dataset):
    X, y = dataset
    check_network(X, y, build(NAME, X, y, variant="sphere"))


@settings(max_examples=10, deadline=None)
@given(datasets(n=st.integers(150, 300), d=st.integers(3, 6), num_classes=st.sampled_from([2, 7]),
                delta=0.1, radius=1.0, kind=st.sampled_from(["ball", "pairs"])))
def test_larger_sets_verify_and_match_counts(dataset):
    X, y = dataset
    net = build(NAME, X, y)
    assert verify.is_memorizing(net, X, y)
    s = net.meta["threshold"]
    assert net.neurons == threshold_sublinear_counts(net.meta)["neurons"]
    assert net.nonzero_params == threshold_sublinear_counts(net.meta)["nonzero_params"]
    # the group structure: at most 2^b_g gates, at most T 2^b_f features, J <= B G
    assert s["G"] <= 2 ** s["b_g"]
    assert s["F"] <= s["blocks"] * 2 ** max(s["b_f"], s["k"] - s["b_g"])
    assert s["J"] <= s["label_bits"] * s["G"]


@settings(max_examples=30, deadline=None)
@given(datasets(n=st.integers(2, 40), d=st.integers(1, 3), num_classes=st.integers(2, 6),
                kind=st.sampled_from(["ball", "pairs"])),
       st.integers(0, 6), st.integers(1, 6), st.integers(0, 3), st.integers(1, 3))
def test_options_keep_exactness(dataset, group_bits, block_bits, max_blocks, row_weight):
    # max_blocks = 0 forces the completion block; group_bits = 0 makes one group
    X, y = dataset
    net = build(NAME, X, y, group_bits=group_bits, block_bits=block_bits,
                max_blocks=max_blocks, row_weight=row_weight)
    check_network(X, y, net)
    s = net.meta["threshold"]
    assert s["r"] == row_weight and s["b_g"] == min(group_bits, s["k"])
    assert s["blocks"] <= max_blocks + 1


def test_repeated_points_and_constant_labels():
    X, y = data.random_separated(30, 3, 0.1, seed=4)
    Xr, yr = np.vstack([X, X[:5]]), np.concatenate([y, y[:5]])
    net = build(NAME, Xr, yr)
    assert verify.is_memorizing(net, Xr, yr)
    for label in (0, 1, 6):
        yc = np.full(len(X), label)
        net = build(NAME, X, yc)
        check_network(X, yc, net)
        assert net.meta["threshold"]["J"] == 0


@pytest.mark.parametrize("scale", [2.0 ** -600, 2.0 ** -10, 2.0 ** 600])
def test_ball_variant_is_scale_invariant(scale):
    X, y = data.adversarial_pairs(30, 3, 0.1, num_classes=3, seed=7)
    net = build(NAME, X * scale, y)
    check_network(X * scale, y, net)
    assert net.meta["threshold"]["m"] == build(NAME, X, y).meta["threshold"]["m"]


def test_seed_is_deterministic():
    X, y = data.random_separated(40, 3, 0.1, seed=2)
    assert build(NAME, X, y, seed=5) == build(NAME, X, y, seed=5)


# -- the lower bound and its instance ---------------------------------------------

@pytest.mark.parametrize("delta", [1.9, 1.0, 0.5, 0.3, 0.12])
def test_great_circle_instance(delta):
    X, y = data.great_circle(delta, d=3, seed=1)
    N = data.circle_points(delta)
    assert len(X) == N - N % 2 and len(X) % 2 == 0
    assert np.allclose(np.linalg.norm(X, axis=1), 1) and np.all(X[:, 2] == 0)
    chords = np.linalg.norm(np.diff(X, axis=0), axis=1)
    assert np.allclose(chords, delta)
    assert data.separation(X) >= delta * (1 - 1e-12)
    assert np.all(y[:-1] != y[1:]) and y[0] != y[-1]
    L = first_layer_lower_bound(delta)
    assert L == len(X) // 2
    Q = math.log(max(1, len(X) * (len(X) - 1) // 2) / 0.01)
    for variant in ("sphere", "ball"):
        net = build(NAME, X, y, variant=variant)
        assert verify.is_memorizing(net, X, y)
        m = net.meta["threshold"]["m"]
        # documented factor: 1 (sphere), 2R (ball; R = 1, or 2 if rounding puts a norm above 1)
        c = 1 if variant == "sphere" else 2 * net.meta["threshold"]["radius_used"]
        # the lower bound holds (any memorizer needs it) and we are within the documented factor
        assert L <= m <= c * Q * (L + 1) + 1


def test_lower_bound_values():
    # N = floor(pi / arcsin(delta/2)): 62 points at delta = 0.1 (the notes' figure), 31 units
    assert first_layer_lower_bound(0.1) == 31
    assert first_layer_lower_bound(2.0) == 1
    for delta in np.linspace(0.01, 1.9, 40):
        a = math.asin(delta / 2)
        assert first_layer_lower_bound(delta) >= math.pi / (2 * a) - 1
    with pytest.raises(DataError):
        data.circle_points(0.0)
    with pytest.raises(DataError):
        data.great_circle(2.5)
    with pytest.raises(DataError):
        data.great_circle(0.1, d=1)


def test_lower_bound_is_tight_for_the_hexagon():
    # delta = 1: six points on a circle (pi / asin(1/2) = 6 exactly), alternating labels; no
    # single line splits all six neighbour pairs (exhaustive over line arrangements).
    X, y = data.great_circle(1.0, seed=0)
    assert len(X) == 6 and first_layer_lower_bound(1.0) == 3
    angles = np.linspace(0, 2 * np.pi, 181)
    for a in angles:
        w = np.array([np.cos(a), np.sin(a)])
        proj = np.sort(X @ w)
        for b in (proj[:-1] + proj[1:]) / 2:
            side = X @ w > b
            assert not np.all(side != np.roll(side, 1))


# -- gadgets ---------------------------------------------------------------------

@pytest.mark.parametrize("r", range(1, 8))
def test_parity_gadget_exact_on_all_inputs(r):
    net = parity_network(r)
    inputs = np.array(list(itertools.product([0, 1], repeat=r)), dtype=float)
    ev = verify.evaluate(net, inputs)
    assert [int(v) for v in ev.outputs[0]] == [int(x.sum()) % 2 for x in inputs]
    assert ev.min_step_margin == 1  # odd pre-activations: margin exactly 1
    assert net.neurons == r + 1 and sum(len(L.values) for L in net.layers) == r * r + r


@pytest.mark.parametrize("width", [1, 2, 3, 4])
def test_conjunction_gadget_exact(width):
    inputs = np.array(list(itertools.product([0, 1], repeat=width)), dtype=float)
    for pattern in itertools.product([0, 1], repeat=width):
        net = Network(width, [Layer.from_rows(width, [conjunction_row(range(width), pattern)],
                                              "step")])
        ev = verify.evaluate(net, inputs)
        assert [int(v) for v in ev.outputs[0]] == [int(tuple(x) == pattern) for x in inputs]
        assert ev.min_step_margin == 1


def test_group_neuron_gadget():
    # inputs: gate, then features from 3 blocks (2 patterns each; one fires per block)
    feats, gate, M = [1, 3, 5], 0, 3
    net = Network(7, [Layer.from_rows(7, [group_neuron_row(feats, gate, M)], "step")])
    rows, want = [], []
    for g in (0, 1):
        for choice in itertools.product([0, 1], repeat=3):
            x = [g] + [v for c in choice for v in (1 - c, c)]
            if g == 1 and sum(x[f] for f in feats) > 1:
                continue  # inside the group at most one private feature fires
            rows.append(x)
            want.append(int(g == 1 and sum(x[f] for f in feats) == 1))
    ev = verify.evaluate(net, np.array(rows, dtype=float))
    assert [int(v) for v in ev.outputs[0]] == want
    assert ev.min_step_margin == 1


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 30), st.data())
def test_odd_row_meets_difference_oddly(m, draw):
    r = draw.draw(st.integers(1, m))
    D = np.array(sorted(draw.draw(st.sets(st.integers(0, m - 1), min_size=1))))
    s = _odd_row(D, m, r, np.random.default_rng(draw.draw(st.integers(0, 99))))
    assert len(set(s.tolist())) == len(s) and s.min() >= 0 and s.max() < m
    assert len(s) in (r, 1) and np.isin(s, D).sum() % 2 == 1
    if len(s) != r:  # only when no r-subset meets D oddly
        assert len(D) == m or r == m


@settings(max_examples=20, deadline=None)
@given(st.integers(2, 40), st.integers(8, 60), st.integers(0, 2**16))
def test_compression_is_injective_on_close_codes(n, m, seed):
    # codes differing in one or two bits: random sparse parities rarely split them
    rng = np.random.default_rng(seed)
    codes = np.zeros((n, m), dtype=bool)
    for i in range(1, n):
        codes[i] = codes[i - 1]
        codes[i, rng.integers(m, size=rng.integers(1, 3))] ^= True
    codes = np.unique(codes, axis=0)
    supports = compress(codes, 3, 4, rng)
    c = parity_bits(codes, supports)
    assert len(np.unique(c, axis=0)) == len(codes) and len(supports) >= 4


# -- bad input -------------------------------------------------------------------

def test_bad_inputs():
    X, y = data.random_separated(20, 3, 0.1, seed=0)
    with pytest.raises(DataError, match="unit-norm"):
        build(NAME, X, y, variant="sphere")
    with pytest.raises(ConstructionError, match="variant"):
        build(NAME, X, y, variant="cube")
    with pytest.raises(ConstructionError, match="failure_prob"):
        build(NAME, X, y, failure_prob=1.5)
    with pytest.raises(ConstructionError, match="row_weight"):
        build(NAME, X, y, row_weight=0)
    with pytest.raises(DataError, match="too large"):
        build(NAME, X, np.full(20, 1 << MAX_LABEL_BITS))
    with pytest.raises(DataError):
        build(NAME, X, -np.ones(20, dtype=int))
    close = np.array([[1.0, 0.0], [1.0 + 1e-9, 0.0]])  # delta / radius = 1e-9
    with pytest.raises(ConstructionError, match="max_first_layer"):
        build(NAME, close, [0, 1])
    with pytest.raises(ConstructionError, match="max_first_layer"):
        build(NAME, X, y, max_first_layer=10)
    line = np.arange(50_000, dtype=float)[:, None] / 50_000  # n m > 2^31 code bits
    with pytest.raises(ConstructionError, match="code matrix"):
        build(NAME, line, np.arange(50_000) % 2, max_first_layer=10**9)
    with pytest.raises(ConstructionError, match="max_blocks"):
        build(NAME, X, y, max_blocks=-1)
    with pytest.raises(DataError):
        build(NAME, np.zeros((2, 2)), [0, 1])


def test_save_load_round_trip(tmp_path):
    from memorize import formats

    X, y = data.random_separated(40, 3, 0.1, num_classes=3, seed=3)
    net = build(NAME, X, y, variant="ball")
    formats.save(net, tmp_path / "thr.json")
    back = formats.load(tmp_path / "thr.json")
    assert back == net and verify.is_memorizing(back, X, y)
    assert back.meta["threshold"]["m"] == net.meta["threshold"]["m"]
