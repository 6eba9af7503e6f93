"""Limb rows (int64 limbs of 32 bits) against Python integers, on values near every limb
boundary (2^31, 2^32, 2^62, 2^63, 2^64, 2^124, ... plus or minus one, both signs), and the
evaluator's limb path against the naive Fraction evaluator."""

import numpy as np
from hypothesis import given, settings, strategies as st

from memorize import Layer, Network
from memorize.verify import limbs
from memorize.verify.exact import evaluate
from reference import reference_outputs

EDGES = [31, 32, 33, 62, 63, 64, 93, 96, 124, 125, 128, 200, 250]
near_edge = st.builds(lambda e, d, s: s * ((1 << e) + d), st.sampled_from(EDGES),
                      st.integers(-2, 2), st.sampled_from([1, -1]))
values = st.one_of(near_edge, st.integers(-(2**70), 2**70), st.integers(-3, 3))


def _limb_row(v):
    return limbs.from_ints(v, limbs.count_for(max(abs(x) for x in v)))


@settings(max_examples=300)
@given(st.lists(st.tuples(st.lists(values, min_size=6, max_size=6),
                          st.sampled_from([1, -1, 3, -7, 2**20, -(2**27)])), min_size=1, max_size=4),
       values)
def test_combine_relu_bounds_margin(terms, bias):
    rows = [(_limb_row(v), w) for v, w in terms]
    exact = [bias + sum(w * v[i] for v, w in terms) for i in range(6)]
    bound = abs(bias) + sum(abs(w) * max(abs(x) for x in v) for v, w in terms)
    z = limbs.combine(rows, bias, limbs.count_for(bound), 6)
    assert limbs.to_object(z).tolist() == exact
    lo, hi = limbs.bounds(z)
    assert lo <= min(exact) and max(exact) <= hi
    assert hi - lo <= max(exact) - min(exact) + 2 * (1 << 32 * (z.shape[0] - 2))
    assert limbs.to_object(limbs.relu(z)).tolist() == [max(e, 0) for e in exact]
    assert limbs.nonnegative(z).tolist() == [int(e >= 0) for e in exact]
    assert limbs.min_abs(z) == min(abs(e) for e in exact)
    s = limbs.shrink(z, lo, hi)
    assert limbs.to_object(s).tolist() == exact
    if all(abs(e) < 2**62 for e in exact):
        assert limbs.to_int64(z).tolist() == exact


@given(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=8))
def test_int64_rows_as_limbs(v):
    z = limbs.from_int64(np.array(v, dtype=np.int64))
    assert limbs.to_object(z).tolist() == v
    assert limbs.bounds(z) == (min(v), max(v))


@settings(max_examples=60)
@given(st.data())
def test_evaluator_near_limb_boundaries(data):
    # per-point values t = a x + b with b near a limb boundary, then sums, ramps and steps
    n = data.draw(st.integers(1, 40))
    xs = data.draw(st.lists(st.integers(-40, 40), min_size=n, max_size=n, unique=True))
    X = np.array([[float(x), 1.0] for x in xs])
    m = data.draw(st.integers(2, 6))
    first = Layer.from_entries(2, m, [(j, 0, data.draw(st.integers(-5, 5))) for j in range(m)],
                               [data.draw(near_edge) for _ in range(m)], "identity")
    mid = Layer.from_entries(m, m, [(r, c, data.draw(st.sampled_from([1, -1, 2, -3, 2**25])))
                                    for r in range(m) for c in range(m) if data.draw(st.booleans())],
                             [data.draw(values) for _ in range(m)], data.draw(st.sampled_from(["relu", "identity"])))
    act = data.draw(st.sampled_from(["relu", "step", "identity"]))
    last = Layer.from_entries(m, 2, [(r, c, data.draw(st.sampled_from([1, -1, 5]))) for r in range(2)
                                     for c in range(m)], [data.draw(values), 0], act)
    out = Layer.from_entries(2, 1, [(0, 0, 1), (0, 1, -1)], [0], "identity")
    net = Network(2, [first, mid, last, out])
    ev = evaluate(net, X)
    ref, margin = reference_outputs(net, X)
    assert ev.output(0) == [row[0] for row in ref]
    assert ev.min_step_margin == margin
