"""Soundness (issue 13): on minimally tampered networks of every construction, the exact
verifier agrees point by point with the naive Fraction reference (tests/reference.py)."""

import dataclasses
from fractions import Fraction

import numpy as np
import pytest

from memorize import Layer, Network, available, build, data
from memorize.verify import evaluate, verify
from reference import reference_outputs


def tampered(net: Network, rng: np.random.Generator) -> Network:
    """``net`` with one weight or bias nudged by a tiny or unit amount, or zeroed."""
    k = int(rng.integers(len(net.layers)))
    layer = net.layers[k]
    entries = list(zip(layer.rows.tolist(), layer.cols.tolist(), layer.values))
    bias = list(layer.bias)
    nudge = [Fraction(1), Fraction(-1), Fraction(1, 1 << 40), Fraction(-1, 3)][int(rng.integers(4))]
    if entries and rng.random() < 0.6:
        i = int(rng.integers(len(entries)))
        r, c, v = entries[i]
        entries[i] = (r, c, 0 if rng.random() < 0.2 else v + nudge)
    else:
        i = int(rng.integers(len(bias)))
        bias[i] = bias[i] + nudge
    new = Layer.from_entries(layer.in_dim, layer.out_dim, entries, bias, layer.activation)
    return Network(net.input_dim, net.layers[:k] + (new,) + net.layers[k + 1:], net.meta)


@pytest.mark.parametrize("name", available())
def test_verifier_agrees_with_reference_on_tampered_networks(name):
    X, y = data.random_separated(10, 2, 0.2, num_classes=3, seed=5)
    net = build(name, X, y, seed=1)
    rng = np.random.default_rng(sum(map(ord, name)))
    # the same points moved by 1/3: non-dyadic inputs take the verifier's common-denominator path
    thirds = np.array([[Fraction(v) + Fraction(1, 3) for v in row] for row in X.tolist()], dtype=object)
    for _ in range(6):
        bad = tampered(net, rng)
        ref, margin = reference_outputs(bad, X)
        expected_fail = [i for i, o in enumerate(ref) if o[0] != y[i]]
        report = verify(bad, X, y, max_failures=len(X))
        assert report.failed == expected_fail
        assert report.min_margin == margin
        ev = evaluate(bad, X)
        assert [Fraction(int(v), ev.scale) for v in ev.outputs[0]] == [o[0] for o in ref]
        ref3, margin3 = reference_outputs(bad, thirds)
        ev3 = evaluate(bad, thirds)
        assert [Fraction(int(v), ev3.scale) for v in ev3.outputs[0]] == [o[0] for o in ref3]
        assert ev3.min_step_margin == margin3
    assert verify(net, X, y).ok


def test_tampering_can_break_memorization():
    # the tampering is strong enough to matter: a unit nudge of the output bias fails every point
    X, y = data.random_separated(10, 2, 0.2, num_classes=3, seed=5)
    net = build("relu_two_layer", X, y)
    last = net.layers[-1]
    moved = dataclasses.replace(last, bias=tuple(b + 1 for b in last.bias))
    report = verify(Network(net.input_dim, net.layers[:-1] + (moved,)), X, y)
    assert report.n_failed == len(X)
