"""The bounds: formulas against values worked out by hand, and built networks between their
theorem's upper bound and the lower bounds."""

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import memorize
from memorize import available, build, verify
from memorize.bounds import (
    COUNTS,
    MIN_DEPTH_AT_WIDTH,
    R_VARDI,
    REGISTRY,
    RELU_BUBECK,
    RELU_SUBLINEAR,
    RELU_SUBLINEAR_DEPTH,
    RELU_THREE_LAYER,
    RELU_TWO_LAYER,
    THRESHOLD_ONE_HIDDEN,
    VC_RELU,
    VC_THRESHOLD,
    YANG,
    bounds_for,
    compare,
    evaluate,
    first_layer_threshold,
    min_bits,
    min_depth_at_width,
    min_neurons_threshold,
    min_params_relu,
)
from memorize.errors import ConstructionError, MemorizeError
from memorize.testing import datasets

VARDI_EXAMPLE = dict(N=10**4, d=10, r=1, delta=0.1, C=10)


def test_zhang_statement_and_layered_count():
    # 2N + d at N = 100, d = 3: 203. Layered: 3N + d + 2 = 305.
    assert evaluate(RELU_TWO_LAYER.statement["params"], N=100, d=3) == 203
    assert evaluate(RELU_TWO_LAYER.layered["params"], N=100, d=3) == 305


def test_baum_and_bubeck_counts():
    # N = 10, d = 3: ceil(10/3) = 4 groups.
    # Baum: 4 hidden units; layered params (3+1)*4 + 4 + 1 = 21.
    assert evaluate(THRESHOLD_ONE_HIDDEN.statement["neurons"], N=10, d=3) == 4
    assert evaluate(THRESHOLD_ONE_HIDDEN.layered["params"], N=10, d=3) == 21
    # Bubeck et al.: 16 hidden ReLUs; layered params 16 * (3 + 2) + 1 = 81.
    assert evaluate(RELU_BUBECK.statement["neurons"], N=10, d=3) == 16
    assert evaluate(RELU_BUBECK.layered["params"], N=10, d=3) == 81


def test_three_layer_count():
    # N = 50: m = ceil(sqrt(100)) = 10, a = 5 blocks, 2a - 1 = 9 first-layer units.
    # d = 2: params = 3*9 + 10*10 + 11 = 138; neurons 9 + 10 + 1 = 20.
    assert evaluate(RELU_THREE_LAYER.layered["params"], N=50, d=2) == 138
    assert evaluate(RELU_THREE_LAYER.layered["neurons"], N=50, d=2) == 20


def test_vardi_theorem_3_1_at_the_worked_example():
    # N = 1e4, d = 10, r = 1, delta = 0.1, C = 10:
    # R = 10 * 1e8 * sqrt(10 pi) / 0.1 = 1e10 * 5.60499 = 5.6050e10, log2 R = 35.706.
    # sqrt(N log2 N) = sqrt(132877) = 364.52; sqrt(N / log2 N) = sqrt(752.57) = 27.433.
    # depth = 364.52 + 27.433 * 35.706 = 364.52 + 979.52 = 1344.0 (c_O = 1).
    # bits = log2 10 + 979.52 = 3.32 + 979.52 = 982.8.
    assert evaluate(R_VARDI, **VARDI_EXAMPLE) == pytest.approx(5.6050e10, rel=1e-4)
    assert evaluate(RELU_SUBLINEAR.statement["depth"], **VARDI_EXAMPLE) == pytest.approx(1344.0, abs=0.5)
    assert evaluate(RELU_SUBLINEAR.statement["max_bits"], **VARDI_EXAMPLE) == pytest.approx(982.8, abs=0.5)
    # The hidden constant scales the O(.) bounds: c_O = 2 doubles the depth.
    assert evaluate(RELU_SUBLINEAR.statement["depth"], c_O=2, **VARDI_EXAMPLE) == pytest.approx(2688.1, abs=1)
    assert evaluate(RELU_SUBLINEAR.statement["width"]) == 12


def test_vardi_depth_L_is_N_over_L():
    # params = d + (N / L) * max(log2 R, log2 C): at L = 100, 10 + 100 * 35.706 = 3580.6.
    assert evaluate(RELU_SUBLINEAR_DEPTH.statement["params"], L=100, **VARDI_EXAMPLE) == pytest.approx(3580.6, abs=0.5)
    # Below L = lambda = 35.706 the bound is the two-layer regime's d + N.
    assert evaluate(RELU_SUBLINEAR_DEPTH.statement["params"], L=8, **VARDI_EXAMPLE) == pytest.approx(
        10 + VARDI_EXAMPLE["N"])


@pytest.mark.parametrize("sep", [1.0, 0.5, 2.0, 1.9, 0.1, 0.01, 2 * math.sin(math.pi / 7),
                                 2 * math.sin(math.pi / 12), 2 * math.sin(math.pi / 1000)])
def test_great_circle_count_agrees_everywhere(sep):
    # One exact count: data (the instance), bounds (the lower bound), the threshold
    # construction's bound; at spacings where pi / asin(sep / 2) is within 1e-12 of an integer
    # the floats would be off by one. The sympy formula agrees where it evaluates exactly.
    from memorize.data import circle_points, great_circle

    m = circle_points(sep)
    assert first_layer_threshold(10**6, 3, sep, 1.0) == m // 2
    assert first_layer_threshold(10**6, 2, sep, 1.0) == m // 2
    if sep <= 1.9:
        assert len(great_circle(sep, d=2, seed=0)[0]) == m - m % 2
    exact = int(sp.floor(sp.pi / sp.asin(sp.Rational(sep) / 2)))
    assert m == exact


def test_yang_width_depth_by_hand():
    # Upper: c_O sqrt(N log2(r / delta)) / W; at N = 10^4, r / delta = 2^10, W = 20:
    # sqrt(10^4 * 10) / 20 = 316.23 / 20 = 15.811. Lower: sqrt(10^4 / 10) / 20 = 1.5811.
    point = dict(N=10**4, r=1, delta=2.0**-10, width=20)
    assert evaluate(YANG.statement["depth"], **point) == pytest.approx(15.811, abs=1e-3)
    assert evaluate(MIN_DEPTH_AT_WIDTH, **point) == pytest.approx(1.5811, abs=1e-4)
    assert min_depth_at_width(10**4, 20, 2.0**-10, 1.0) == 2
    # log(1/delta) is at least 1: well-separated data do not make the bound vanish.
    assert evaluate(MIN_DEPTH_AT_WIDTH, N=100, r=1, delta=1, width=1) == pytest.approx(10.0)
    assert bounds_for("relu_sublinear", {"width": 8}).layered["depth"] == YANG.layered["depth"]
    assert bounds_for("relu_sublinear", {"width": 8, "depth": 50}) is RELU_SUBLINEAR_DEPTH


def test_vc_bounds_by_hand():
    # VC_RELU at W = 10, L = 2, U = 3: LU = 6;
    # 2 + 2*10*log2(8e*6 * log2(4e*6)) = 2 + 20*log2(130.478 * 6.02768) = 2 + 20*log2(786.48)
    # = 2 + 20 * 9.61926 = 194.385.
    assert evaluate(VC_RELU, W=10, L=2, U=3) == pytest.approx(194.385, abs=1e-2)
    # VC_THRESHOLD at W = 100, U = 10: 200 * log2(20 / ln 2) = 200 * log2(28.8539) = 970.14.
    assert evaluate(VC_THRESHOLD, W=100, U=10) == pytest.approx(970.14, abs=1e-2)


def test_min_params_relu_any_depth_by_hand():
    # W = 8: 8 + 64 * log2(8e*64 * log2(4e*64)) = 8 + 64 * log2(1391.8 * 9.443) = 8 + 64 * 13.68
    # = 883.6 < 1000; W = 9: 9 + 81 * log2(1761.5 * 9.782) = 9 + 81 * 14.07 = 1148.9 >= 1000.
    assert min_params_relu(1000) == 9


def test_min_bits_by_hand():
    # N = 1000, C = 2, W = 100: need B + log2(1 + B^2/8) >= 1000/100 - log2 6 = 7.415.
    # B = 5: 5 + log2(4.125) = 7.04 (too few); B = 6: 6 + log2(5.5) = 8.46.
    assert min_bits(1000, 2, 100) == 6
    # Enough parameters for one bit each: every parameter may be a single bit.
    assert min_bits(10, 2, 100) == 1


def test_threshold_lower_bounds_at_the_notes_example():
    # threshold.md: N = 1e4, d = 10, delta = 0.1: floor(pi / asin(0.05)) = floor(62.806) = 62
    # circle points, so 31 first-layer units; and >= 31 units from the VC bound.
    assert first_layer_threshold(10**4, 10, 0.1, 1.0) == 31
    assert min_neurons_threshold(10**4, 10) == 31
    # The regular hexagon of side 1 in the unit circle: 6 points, 3 units (exactly, not 5.999).
    assert first_layer_threshold(100, 2, 1.0, 1.0) == 3
    # Fewer points than the circle holds: N = 11 gives floor(11/2) = 5; no circle in d = 1.
    assert first_layer_threshold(11, 3, 0.1, 1.0) == 5
    assert first_layer_threshold(100, 1, 0.1, 1.0) == 0


def test_evaluate_names_missing_symbols():
    with pytest.raises(MemorizeError, match="delta"):
        evaluate(RELU_SUBLINEAR.statement["depth"], N=100, d=2, r=1, C=2)


def test_registry_names_every_construction():
    assert set(REGISTRY) == {"relu_two_layer", "threshold_one_hidden", "relu_sublinear",
                             "threshold_sublinear", "relu_bubeck", "relu_three_layer",
                             "threshold_instance", "relu_park"}
    assert bounds_for("relu_sublinear", {"depth": 20}) is RELU_SUBLINEAR_DEPTH
    with pytest.raises(ConstructionError, match="no bounds"):
        bounds_for("nonexistent")


BUILT = [c for c in ("relu_two_layer", "relu_bubeck", "relu_three_layer", "threshold_one_hidden")
         if c in available()]


@pytest.mark.parametrize("name", BUILT)
@settings(max_examples=8, deadline=None)
@given(data=datasets(n=st.integers(8, 40), d=st.integers(2, 4), num_classes=2,
                     kind=st.sampled_from(["ball", "sphere"])))
def test_built_networks_lie_between_the_bounds(name, data):
    X, y = data
    two_classes = len(set(y.tolist())) == 2
    net = build(name, X, y)
    assert verify.is_memorizing(net, X, y)
    result = compare(net)
    for quantity, ratio in result.ratio_to_upper.items():
        assert ratio <= 1 or "c_O = 1" in result.flags[quantity], (quantity, result.summary())
    if two_classes:  # the lower bounds are for every labeling; a constant one is easier
        for quantity, ratio in result.ratio_to_lower.items():
            if quantity in ("first_layer_width", "depth"):
                continue  # worst-case bounds (great circle; Yang-Yang at the worst delta)
            assert ratio >= 1, (quantity, result.summary())


def test_compare_reports_exact_formulas_as_ratio_one():
    from memorize.data import random_separated

    X, y = random_separated(60, 3, 0.05, num_classes=3, seed=2)
    for name in ("relu_two_layer", "relu_bubeck", "relu_three_layer"):
        result = compare(build(name, X, y))
        assert result.ratio_to_upper["params"] == 1
        assert result.ratio_to_upper["neurons"] == 1
        assert "network" in result.summary() and result.to_dict()["ratio_to_upper"]["params"] == 1


@pytest.mark.parametrize("name,options", [
    ("relu_sublinear", {}), ("relu_sublinear", {"depth": 60}), ("relu_sublinear", {"width": 16}),
    ("relu_bubeck", {}), ("relu_bubeck", {"per_class": True}), ("relu_two_layer", {}),
    ("relu_three_layer", {}), ("threshold_one_hidden", {}), ("threshold_sublinear", {})])
def test_compare_sets_like_beside_like_and_says_why(name, options):
    from memorize.data import random_separated

    X, y = random_separated(200, 4, 0.05, num_classes=2, seed=4)
    result = compare(build(name, X, y, **options))
    assert set(result.upper) <= set(COUNTS) and result.upper
    assert {k.split("_any")[0] for k in result.lower} <= set(COUNTS)
    for quantity, ratio in result.ratio_to_upper.items():
        # within the theorem's bound, or the flag says why (an O(.) constant taken as 1)
        assert ratio <= 1 or "c_O = 1" in result.flags[quantity], result.summary()
    if options.get("depth"):
        assert "depth" in result.theorem and result.upper["depth"] == options["depth"]
    if options.get("width"):
        assert "Yang" in result.theorem and "connections" not in result.upper
    if options.get("per_class"):
        assert "per-class" in result.theorem


def test_compare_takes_the_summary_from_keywords_or_data():
    from memorize.data import random_separated

    X, y = random_separated(30, 2, 0.05, seed=3)
    net = build("relu_two_layer", X, y)
    assert compare(net, N=30, d=2, C=2, r=1.0, delta=0.05).data["N"] == 30
    assert compare(net, X, y).data["delta"] == pytest.approx(net.meta["data"]["delta"])
    net.meta.pop("data")
    with pytest.raises(MemorizeError, match="summary"):
        compare(net)


@pytest.mark.parametrize("name", memorize.available())
def test_compare_on_a_single_point(name):
    # One point has no separation (delta = inf): the bounds that need it are left out, the
    # others are reported, and nothing raises.
    X, y = np.array([[0.5, 0.1]]), np.array([1])
    result = memorize.bounds.compare(memorize.build(name, X, y))
    assert result.lower["connections"] == 1 and result.summary()
