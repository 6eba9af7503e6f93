"""The fast exact evaluator against the naive Fraction reference, on random networks
built to hit every path: int64 rows, big per-point rows, coded (deduplicated) rows,
the fused 1-D piecewise-linear path, the int64-limb step path and point chunking."""

from fractions import Fraction

import numpy as np
from hypothesis import given, settings, strategies as st

from memorize import Layer, Network
from memorize.verify import evaluate
from reference import reference_outputs

weights = st.one_of(
    st.integers(-3, 3),
    st.integers(-(2**70), 2**70),
    st.sampled_from([2**40, -(2**63), 2**64 + 1]),
    st.fractions(-100, 100, max_denominator=8),
    st.floats(-4, 4, allow_nan=False, width=64),
)


@st.composite
def networks(draw):
    d = draw(st.integers(1, 3))
    widths = draw(st.lists(st.integers(1, 20), min_size=1, max_size=4)) + [1]
    layers, prev = [], d
    for i, m in enumerate(widths):
        act = draw(st.sampled_from(["relu", "step", "identity"]))
        density = draw(st.floats(0.2, 1.0))
        entries = [(r, c, draw(weights)) for r in range(m) for c in range(prev)
                   if draw(st.floats(0, 1)) < density]
        bias = [draw(weights) for _ in range(m)]
        layers.append(Layer.from_entries(prev, m, entries, bias, act))
        prev = m
    return Network(d, layers)


points = st.integers(1, 12).flatmap(lambda n: st.integers(1, 3).map(lambda d: (n, d)))


def _inputs(draw, n, d):
    vals = st.one_of(st.floats(-10, 10, allow_nan=False), st.sampled_from([0.0, -0.0, 1e-30, 2.5e-8, 3.0]))
    return np.array([[draw(vals) for _ in range(d)] for _ in range(n)])


def _check(net, X, **kw):
    ev = evaluate(net, X, **kw)
    ref, margin = reference_outputs(net, X)
    for k in range(net.output_dim):
        assert ev.output(k) == [row[k] for row in ref]
    assert ev.min_step_margin == margin


@settings(max_examples=150)
@given(networks(), st.data())
def test_random_networks_match_reference(net, data):
    n = data.draw(st.integers(1, 12))
    X = _inputs(data.draw, n, net.input_dim)
    _check(net, X)
    _check(net, X, chunk_size=data.draw(st.integers(1, 5)))


@settings(max_examples=40)
@given(st.data())
def test_coded_rows_big_weights_on_indicators(data):
    # x -> indicator steps (few distinct values) -> big-weight sums (coded rows) -> relu chain
    n = data.draw(st.integers(2, 30))
    X = np.array([[data.draw(st.floats(-3, 3, allow_nan=False))] for _ in range(n)])
    k = data.draw(st.integers(1, 4))
    thr = [data.draw(st.fractions(-3, 3, max_denominator=4)) for _ in range(k)]
    steps = Layer.from_entries(1, k + 1, [(i, 0, 1) for i in range(k)] + [(k, 0, 1)],
                               [-t for t in thr] + [0], "step")
    big = [data.draw(st.integers(2**80, 2**200)) for _ in range(k)]
    acc = Layer.from_entries(k + 1, 3, [(0, i, big[i]) for i in range(k)]
                             + [(1, i, -big[i]) for i in range(k)] + [(2, k, 1)],
                             [0, 2**90, 0], "relu")
    shrink = Layer.from_entries(3, 2, [(0, 0, 1), (0, 1, 1), (1, 2, 7)],
                                [-(2**90) // 3, 1], "relu")
    out = Layer.from_entries(2, 1, [(0, 0, 1), (0, 1, -(2**100))], [5], "identity")
    _check(Network(1, [steps, acc, shrink, out]), X)


@settings(max_examples=40)
@given(st.data())
def test_fused_piecewise_linear_path(data):
    # a wide fan-in-1 ReLU layer of one input followed by an affine layer
    n = data.draw(st.integers(1, 40))
    X = np.array([[data.draw(st.floats(-5, 5, allow_nan=False)), 1.0] for _ in range(n)])
    m = data.draw(st.integers(16, 40))
    proj = Layer.from_entries(2, 1, [(0, 0, data.draw(st.integers(1, 2**40))), (0, 1, 3)], [0], "identity")
    coeffs = [data.draw(st.sampled_from([1, -1, 2, Fraction(1, 3), -(2**70), 0])) for _ in range(m)]
    hidden = Layer.from_entries(1, m, [(k, 0, c) for k, c in enumerate(coeffs)],
                                [data.draw(st.integers(-(2**42), 2**42)) for _ in range(m)], "relu")
    act = data.draw(st.sampled_from(["identity", "relu", "step"]))
    out = Layer.from_entries(m, 2, [(j, k, data.draw(weights)) for j in range(2) for k in range(m)],
                             [0, data.draw(weights)], act)
    final = Layer.from_entries(2, 1, [(0, 0, 1), (0, 1, -1)], [0], "identity")
    _check(Network(2, [proj, hidden, out, final]), X)


@settings(max_examples=30)
@given(st.data())
def test_limb_step_path(data):
    # a step layer with several units on inputs too big for int64
    n = data.draw(st.integers(1, 25))
    d = data.draw(st.integers(1, 4))
    X = np.array([[data.draw(st.floats(-1, 1, allow_nan=False)) * 10.0 ** data.draw(st.integers(-12, 0))
                   for _ in range(d)] for _ in range(n)])
    m = data.draw(st.integers(2, 8))
    w = [(r, c, data.draw(st.integers(-(2**30), 2**30))) for r in range(m) for c in range(d)]
    b = [data.draw(st.fractions(-2, 2, max_denominator=2**20)) for _ in range(m)]
    hidden = Layer.from_entries(d, m, w, b, "step")
    out = Layer.from_entries(m, 1, [(0, r, r + 1) for r in range(m)], [0], "identity")
    _check(Network(d, [hidden, out]), X)
