"""Classifiers verified by argmax (``verify(..., output="argmax")``): exact gaps, ties fail,
outputs on different scales compared as rationals, a trained torch MLP, clear errors."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memorize import Layer, Network, data, formats
from memorize.cli import main
from memorize.errors import DataError, MemorizeError
from memorize.verify import evaluate, is_memorizing, verify
from memorize.verify.classify import argmax_check
from reference import reference_outputs

THIRD = Fraction(1, 3)


def _three_outputs():
    """Outputs x, 1 - x and 1/3 (a denominator of 3: its scale differs from the others')."""
    return Network(1, (Layer.from_dense([[1], [-1], [0]], [0, 1, THIRD], "identity"),))


# gaps: 1 - 1/3, 3/4 - 1/3, a tie of x and 1 - x at 1/2, 7/8 - 1/3, 1 - 1/3
X3 = np.array([[0.0], [0.25], [0.5], [0.875], [1.0]])
Y3 = np.array([1, 1, 0, 0, 0])


def test_a_tie_fails_exactly_that_point():
    report = verify(_three_outputs(), X3, Y3, output="argmax")
    assert not report.ok and report.failed == [2] and report.n_failed == 1
    assert report.failures == [{"index": 2, "expected": 0, "got": 1, "gap": "0"}]
    assert report.min_argmax_gap == 0
    assert report.float64_agrees is False and report.float64_failed == 1
    # the other label of the tie fails too; the third output lies 1/6 below
    y = Y3.copy()
    y[2] = 1
    assert verify(_three_outputs(), X3, y, output="argmax").failed == [2]
    y[2] = 2
    report = verify(_three_outputs(), X3, y, output="argmax")
    assert report.failed == [2] and report.min_argmax_gap == Fraction(-1, 6)
    assert "argmax" in report.summary() and "gap -1/6" in report.summary()


def test_without_the_tie_every_gap_is_exact():
    X, y = np.delete(X3, 2, axis=0), np.delete(Y3, 2)
    check = argmax_check(evaluate(_three_outputs(), X), y)
    assert [check.gap(i) for i in range(len(y))] == [1 - THIRD, Fraction(3, 4) - THIRD,
                                                      Fraction(7, 8) - THIRD, 1 - THIRD]
    report = verify(_three_outputs(), X, y, output="argmax")
    assert report.ok and report.min_argmax_gap == Fraction(5, 12)
    assert report.to_dict()["min_argmax_gap_exact"] == "5/12"
    assert is_memorizing(_three_outputs(), X, y, output="argmax")


def test_outputs_on_different_scales_are_compared_as_rationals():
    # x/3 against x/5 at x = 1: numerators over the scales 3 and 5 are equal, the values are not
    net = Network(1, (Layer.from_dense([[THIRD], [Fraction(1, 5)]], [0, 0], "identity"),))
    ev = evaluate(net, [[1.0]])
    assert ev.outputs[0][0] == ev.outputs[1][0] and ev.scales[0] != ev.scales[1]
    report = verify(net, [[1.0]], [0], output="argmax")
    assert report.ok and report.min_argmax_gap == Fraction(2, 15)
    assert verify(net, [[1.0]], [1], output="argmax").failed == [0]


weights = st.one_of(st.integers(-2, 2), st.integers(-(2**70), 2**70),
                    st.fractions(-4, 4, max_denominator=7))


@st.composite
def classifiers(draw):
    """Small ReLU networks with 2 to 4 outputs; small weights make ties likely."""
    d, hidden, k = draw(st.integers(1, 2)), draw(st.integers(1, 4)), draw(st.integers(2, 4))
    first = Layer.from_entries(d, hidden, [(r, c, draw(weights)) for r in range(hidden) for c in range(d)],
                               [draw(weights) for _ in range(hidden)], "relu")
    last = Layer.from_entries(hidden, k, [(r, c, draw(weights)) for r in range(k) for c in range(hidden)],
                              [draw(weights) for _ in range(k)], "identity")
    return Network(d, (first, last))


@settings(max_examples=60, deadline=None)
@given(classifiers(), st.data())
def test_argmax_agrees_with_a_naive_fraction_reference(net, draw):
    n = draw.draw(st.integers(1, 8))
    X = np.array([[draw.draw(st.sampled_from([0.0, 0.5, -1.0, 2.0, 0.375])) for _ in range(net.input_dim)]
                  for _ in range(n)])
    X = np.unique(X, axis=0)
    y = np.array([draw.draw(st.integers(0, net.output_dim - 1)) for _ in range(len(X))])
    outs, _ = reference_outputs(net, X)
    gaps = [o[label] - max(v for k, v in enumerate(o) if k != label) for o, label in zip(outs, y)]
    report = verify(net, X, y, output="argmax", float64=False)
    assert report.failed == [i for i, g in enumerate(gaps) if g <= 0]
    assert report.min_argmax_gap == min(gaps)


def test_a_multi_output_network_in_label_mode_names_argmax():
    with pytest.raises(DataError, match=r"3 outputs.*output=\"argmax\""):
        verify(_three_outputs(), X3, Y3)


def test_argmax_errors():
    with pytest.raises(DataError, match=r"label 3 of point 1 has no output.*labels in 0\.\.2"):
        verify(_three_outputs(), X3[:2], [0, 3], output="argmax")
    scalar = Network(1, (Layer.from_dense([[1]], [0], "identity"),))
    with pytest.raises(DataError, match="at least 2 outputs"):
        verify(scalar, [[0.0]], [0], output="argmax")
    with pytest.raises(MemorizeError, match="'label' or 'argmax', got 'max'"):
        verify(scalar, [[0.0]], [0], output="max")


def test_cli_verify_output_argmax(tmp_path, capsys):
    net_path, data_path = tmp_path / "net.json", tmp_path / "d.npz"
    formats.save(_three_outputs(), net_path)
    np.savez(data_path, X=X3, y=Y3)
    base = ["verify", str(net_path), "--data", str(data_path)]
    assert main(base + ["--output", "argmax", "--json"]) == 1  # the tie at point 2
    report = json.loads(capsys.readouterr().out)
    assert report["output"] == "argmax" and report["failed"] == [2]
    assert report["min_argmax_gap_exact"] == "0"
    assert main(base) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "--output argmax" in err
    np.savez(data_path, X=np.delete(X3, 2, axis=0), y=np.delete(Y3, 2))
    assert main(base + ["--output", "argmax"]) == 0
    assert "min argmax gap" in capsys.readouterr().out


# -- a trained torch classifier ---------------------------------------------------

@pytest.fixture(scope="module")
def trained():
    """A 2 -> 16 -> 3 ReLU MLP trained with Adam until it classifies 24 points right (float32)."""
    torch = pytest.importorskip("torch", reason="the trained classifier needs memorize[torch]")
    from memorize.export import from_torch

    X, y = data.random_separated(24, 2, delta=0.05, num_classes=3, seed=3)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model: one thread is deterministic and not slower
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
    for _ in range(1000):  # about 100 steps suffice with this seed
        opt.zero_grad()
        logits = model(xt)
        if bool((logits.argmax(1) == yt).all()):
            break
        torch.nn.functional.cross_entropy(logits, yt).backward()
        opt.step()
    torch.set_num_threads(threads)
    assert bool((model(xt).argmax(1) == yt).all()), "the MLP did not fit its 24 points"
    # float32 inputs: the exact network is checked on the inputs the module saw
    return from_torch(model), xt.double().numpy(), y


def test_a_trained_torch_classifier_verifies_by_argmax(trained):
    net, X, y = trained
    assert net.output_dim == 3
    report = verify(net, X, y, output="argmax")
    assert report.ok and report.min_argmax_gap > 0 and report.float64_agrees


def test_lowering_one_bias_flips_exactly_one_point(trained):
    net, X, y = trained
    gaps = argmax_check(evaluate(net, X), y)
    # the class whose two smallest gaps differ most; lowering its output by a delta between
    # them flips its smallest-gap point and no other (other classes' gaps can only grow)
    def spread(k):
        g = sorted(gaps.gap(i) for i in np.flatnonzero(y == k))
        return g[1] - g[0] if len(g) > 1 else Fraction(0)
    k = max(range(3), key=spread)
    members = np.flatnonzero(y == k)
    first, second = sorted(members, key=gaps.gap)[:2]
    delta = (gaps.gap(first) + gaps.gap(second)) / 2
    hidden, last = net.layers
    bias = list(last.bias)
    bias[k] -= delta
    entries = zip(last.rows.tolist(), last.cols.tolist(), last.values)
    changed = Network(net.input_dim, (hidden, Layer.from_entries(last.in_dim, last.out_dim, entries, bias,
                                                                  "identity")))
    report = verify(changed, X, y, output="argmax", float64=False)
    assert report.failed == [int(first)]
    assert report.min_argmax_gap == gaps.gap(first) - delta
