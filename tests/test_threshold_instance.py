"""Tests of the instance-specific threshold memorizer (Dirksen, Finke, Genzel 2024)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memorize import build, data, verify
from memorize.bounds import THRESHOLD_INSTANCE, bounds_for, compare
from memorize.constructions.gadgets.gaussian_layer import Hyperplanes
from memorize.constructions.threshold_instance import (
    MAX_UNITS,
    greedy_cover,
    threshold_instance_counts,
)
from memorize.errors import ConstructionError
from memorize.network import Network
from memorize.testing import datasets
from memorize.verify import evaluate

NAME = "threshold_instance"
COUNT_KEYS = ("connections", "params", "neurons", "depth", "width")


# -- data the hypothesis tests draw -------------------------------------------------------

def moons(n: int, noise: float, seed: int):
    """Two interleaved half circles with Gaussian noise (labels 0 and 1)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    angle = rng.uniform(0, np.pi, n)
    X = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    X[y == 1] = np.stack([1 - np.cos(angle[y == 1]), 0.5 - np.sin(angle[y == 1])], axis=1)
    return X + noise * rng.standard_normal((n, 2)), y


def clusters(n: int, d: int, k: int, seed: int):
    """``k`` tight Gaussian clusters in ``R^d``, one label per cluster (labels may repeat);
    clusters of different labels are centred at least 0.5 apart (well-separated classes,
    the instance-specific setting: overlapping clusters of two labels in d = 1 put points of
    both labels within 10^-5 of each other, which no first layer of 2^16 units separates)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-1, 1, (k, d))
    labels = rng.integers(0, 3, k)
    # Clusters closer than 0.5 (directly or through a chain) share the first one's label.
    near = np.linalg.norm(centres[:, None] - centres[None], axis=2) < 0.5
    for i in range(k):
        group = np.flatnonzero(near[i])
        while True:
            grown = np.flatnonzero(near[group].any(axis=0))
            if len(grown) == len(group):
                break
            group = grown
        labels[i] = labels[group.min()]
    which = rng.integers(0, k, n)
    return centres[which] + 0.05 * rng.standard_normal((n, d)), labels[which]


@st.composite
def instance_data(draw):
    kind = draw(st.sampled_from(["ball", "pairs", "moons", "clusters"]))
    seed = draw(st.integers(0, 2**16))
    if kind == "moons":
        return moons(draw(st.integers(2, 60)), draw(st.sampled_from([0.0, 0.05, 0.1])), seed)
    if kind == "clusters":
        return clusters(draw(st.integers(2, 60)), draw(st.integers(1, 4)), draw(st.integers(1, 5)),
                        seed)
    return draw(datasets(n=st.integers(1, 30), d=st.integers(1, 3), num_classes=st.integers(1, 4),
                         kind=kind))


# -- exact inspection ---------------------------------------------------------------------

def layer_outputs(net: Network, X, k: int) -> np.ndarray:
    """Exact outputs of layer ``k`` (0-based) on every point, as Fractions ``(n, width)``."""
    ev = evaluate(Network(net.input_dim, net.layers[:k + 1]), X)
    return np.array([[Fraction(int(v), s) for v in out] for out, s in zip(ev.outputs, ev.scales)],
                    dtype=object).T


def check_cover_invariant(net: Network, X, y) -> None:
    """Every layer-2 unit fires on >= 1 point of its class and on no point of another; every
    pre-activation after layer 1 is an integer of absolute value >= 1."""
    meta = net.meta["instance"]
    if meta["units"] == 0:
        return
    codes = layer_outputs(net, X, 0)
    assert set(codes.ravel().tolist()) <= {0, 1}
    fires = layer_outputs(net, X, 1)
    owners = [c for c, g in zip(meta["classes"], meta["layer2"]) for _ in range(g)]
    assert fires.shape[1] == len(owners) == sum(meta["layer2"])
    y = np.asarray(y)
    for u, c in enumerate(owners):
        on = fires[:, u] == 1
        assert on[y == c].any(), f"unit {u} of class {c} fires on no point of its class"
        assert not on[y != c].any(), f"unit {u} of class {c} fires on a point of another class"
    # later layers: integer weights, so on the 0/1 codes every pre-activation is an integer
    # (int64 arithmetic: the weights are small), and a step unit's is at least 1 away from 0
    a = codes.astype(np.int64)
    for layer in net.layers[1:]:
        assert all(isinstance(v, int) for v in layer.values + layer.bias)
        z = a @ layer.dense().astype(np.int64).T + np.array(layer.bias, dtype=np.int64)
        if layer.activation == "step":
            assert np.abs(z).min() >= 1
            a = (z >= 0).astype(np.int64)
        else:
            a = z


# -- properties ---------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(instance_data())
def test_exact_counts_cover_and_seeds(XY):
    X, y = XY
    net = build(NAME, X, y, seed=3)
    assert verify.is_memorizing(net, X, y)
    counts = net.counts()
    expected = threshold_instance_counts(net.meta)
    assert verify.count_mismatches(net) == {}
    assert {k: counts[k] for k in COUNT_KEYS} == {k: expected[k] for k in COUNT_KEYS}
    check_cover_invariant(net, X, y)
    assert build(NAME, X, y, seed=3) == net
    # the worst case of the algorithm given its first layer is an exact upper bound
    assert bounds_for(NAME) is THRESHOLD_INSTANCE
    result = compare(net)
    assert set(result.upper) == {"depth", "neurons", "params", "connections"}
    assert all(ratio <= 1 for ratio in result.ratio_to_upper.values()), result.summary()


def test_explicit_width_is_the_searched_network():
    X, y = moons(300, 0.05, 1)
    net = build(NAME, X, y, seed=5)
    m = net.meta["instance"]["units"]
    assert net.meta["instance"]["searched"][-1] == m
    assert build(NAME, X, y, seed=5, units=m) == net
    assert build(NAME, X, y, seed=6, units=m) != net


def test_layer2_units_stay_flat_on_moons():
    # The instance-specific claim on the paper's own example: more points, not more units.
    small, large = (build(NAME, *moons(n, 0.05, 0), seed=0, units=512) for n in (200, 2000))
    g_small, g_large = (sum(net.meta["instance"]["layer2"]) for net in (small, large))
    assert g_large <= 3 * g_small + 4


def test_counts_formula_at_hand_computed_points():
    one = threshold_instance_counts(
        {"instance": dict(d=5, units=0, layer2=[], layer2_weights=0, step_output=False)})
    assert one == {"connections": 1, "params": 6, "neurons": 1, "depth": 1, "width": 1}
    c = threshold_instance_counts(
        {"instance": dict(d=2, units=4, layer2=[2, 1], layer2_weights=7, step_output=False)})
    # 4 * 3 + (7 + 3) + (3 + 2) + (2 + 1)
    assert c["connections"] == 12 + 10 + 5 + 3
    assert c["params"] == 3 * 4 + 5 * 3 + 4 * 2 + 3
    assert (c["depth"], c["width"], c["neurons"]) == (4, 4, 4 + 3 + 2 + 1)


# -- layer 1: exact signs -------------------------------------------------------------------

def test_uncertifiable_signs_are_decided_exactly_and_points_on_a_plane_redrawn():
    # the unit 3 x_0 - 3: point (1, 0) lies on it, point (1 + 2^-52, 0) is 3 * 2^-52 above it,
    # closer than the float filter's error bound, so only the exact evaluation decides it
    X = np.array([[1.0 + 2.0**-52, 0.0], [1.0, 0.0], [-1.0, 0.5]])
    W, b = np.array([[3, 0], [1, 1]], dtype=np.int64), np.array([-3, 5], dtype=np.int64)
    planes = Hyperplanes(X, 1.0, np.random.SeedSequence(0).spawn(2))
    planes.b_exp = 0
    assert planes._signs(W, b)[1] == [0]  # redrawn: a point on the plane
    planes = Hyperplanes(X[[0, 2]], 1.0, np.random.SeedSequence(0).spawn(2))
    planes.b_exp = 0
    signs, bad = planes._signs(W, b)
    assert bad == [] and signs.tolist() == [[True, True], [False, True]]


def test_greedy_cover_reports_a_blocked_point():
    # point 0 (label 1) fires on units {0}; point 1 (label 0) on no unit: a subset.
    packed = np.packbits(np.array([[1, 0], [0, 0], [0, 1]], dtype=bool), axis=1)
    y = np.array([1, 0, 1])
    _, blocked = greedy_cover(packed, y, 1, np.random.default_rng(0))
    assert blocked is not None and blocked.other == 1 and blocked.point in (0, 2)


# -- bad input ------------------------------------------------------------------------------

def test_too_small_first_layer_is_a_clear_error():
    X, y = data.random_separated(200, 2, 0.02, num_classes=2, seed=0)
    with pytest.raises(ConstructionError, match=r"first layer of 2 units is too small.*try units=4"):
        build(NAME, X, y, units=2)


def test_one_class_is_a_constant_network():
    X, _ = data.random_separated(20, 3, 0.1, seed=1)
    y = np.full(20, 7)
    net = build(NAME, X, y)
    assert net.depth == 1 and net.meta["instance"]["units"] == 0
    assert verify.is_memorizing(net, X, y)
    assert net.counts()["connections"] == threshold_instance_counts(net.meta)["connections"] == 1


@pytest.mark.parametrize("options,match", [
    ({"units": 0}, "units of threshold_instance must be at least 1"),
    ({"units": MAX_UNITS + 1}, "units of threshold_instance must be at most"),
    ({"lam": -0.5}, "lam"), ({"units": 2.5}, "units .* must be an integer"),
    ({"lam": float("nan")}, "lam .* finite"),
])
def test_options_out_of_range(options, match):
    X, y = data.random_separated(10, 2, 0.1, seed=0)
    with pytest.raises(ConstructionError, match=match):
        build(NAME, X, y, **options)


def test_zero_bias_range_and_labels_zero_one_give_a_depth_3_threshold_net():
    # homogeneous hyperplanes separate directions only: points on the sphere
    X, y = data.random_separated(60, 3, 0.1, num_classes=2, sphere=True, seed=3)
    net = build(NAME, X, y, lam=0.0)
    assert net.depth == 3 and all(layer.activation == "step" for layer in net.layers)
    assert all(b == 0 for b in net.layers[0].bias)
    assert verify.is_memorizing(net, X, y)
    check_cover_invariant(net, X, y)
