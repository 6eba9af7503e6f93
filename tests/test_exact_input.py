"""Exact input of every kind (issue 13): no point is ever rounded before the verdict,
types that denote no number are refused, and API misuse is a MemorizeError."""

from decimal import Decimal
from fractions import Fraction

import gmpy2
import numpy as np
import pytest

from memorize import (ArgumentError, ConstructionError, DataError, Layer, MemorizeError, Network,
                      NetworkError, build, data, dyadic, formats)
from memorize.rationals import exact_array
from memorize.verify import evaluate, verify
from reference import reference_outputs


def step_at(t) -> Network:
    """Output 1 iff x >= t (one step unit): decides a point that rounding would move."""
    return Network(1, (Layer.from_entries(1, 1, [(0, 0, 1)], [-t], "step"),
                       Layer.from_entries(1, 1, [(0, 0, 1)], [0], "identity")))


# -- wrong verdicts that were exit 0 -------------------------------------------------

@pytest.mark.parametrize("X, t", [
    (np.array([[2**53 + 1]], dtype=np.int64), 2**53 + 1),
    (np.array([[2**64 - 1]], dtype=np.uint64), 2**64 - 1),
    (np.array([[np.longdouble(1) + np.longdouble(2) ** -60]]), Fraction(2**60 + 1, 2**60)),
    (np.array([[Fraction(1, 3)]], dtype=object), Fraction(1, 3)),
    ([[2**200 + 1]], 2**200 + 1),
    ([[2**2000 + 1]], 2**2000 + 1),  # beyond float64: the float comparison sees inf, no crash
    (np.array([[gmpy2.mpq(1, 3)]], dtype=object), Fraction(1, 3)),
    (np.array([[Decimal("0.1")]], dtype=object), Fraction(1, 10)),
])
def test_points_rounding_would_move_get_the_exact_verdict(X, t):
    # x = t exactly, so the step fires: label 1 is memorized and label 0 is not;
    # rounding x down (as float64 conversion did) would flip both verdicts.
    assert verify(step_at(t), X, [1]).ok
    report = verify(step_at(t), X, [0])
    assert not report.ok and report.failures[0]["got"] == "1"


def test_exact_array_keeps_values_and_dtypes():
    assert exact_array(np.array([3, -4], dtype=np.int8)).dtype == np.float64
    assert exact_array(np.array([1.5], dtype=np.float16)).tolist() == [1.5]
    assert exact_array(np.array([0.1], dtype=np.float32))[0] == Fraction(np.float32(0.1).item())
    big = exact_array(np.array([2**63 - 1], dtype=np.int64))
    assert big.dtype == object and big[0] == 2**63 - 1
    assert exact_array(np.array([-0.0]))[0] == 0.0 and not np.signbit(exact_array(np.array([-0.0]))[0])
    mixed = exact_array(np.array([Fraction(1, 3), 0.5, 7], dtype=object))
    assert mixed.tolist() == [Fraction(1, 3), Fraction(1, 2), 7]
    # a list mixing big ints and floats: numpy alone would make it float64 and round
    assert exact_array([[2**53 + 1, 0.5]])[0, 0] == 2**53 + 1
    assert exact_array([[0.5, 1.0]]).dtype == np.float64


@pytest.mark.parametrize("X, dtype", [
    (np.array([["9007199254740993"]]), "<U16"),
    (np.array([[1 + 1j]]), "complex128"),
    (np.array([["2020-01-01"]], dtype="datetime64[D]"), "datetime64"),
    (np.array([[b"1"]]), "|S1"),
    (np.array([[object()]], dtype=object), "object"),
    (np.array([["1"]], dtype=object), "str"),
])
def test_types_that_denote_no_number_are_refused_by_name(X, dtype):
    with pytest.raises(DataError, match="does not denote") as info:
        data.validate(X, [0])
    assert dtype in str(info.value)


def test_nan_and_infinity_anywhere_are_refused():
    for X in ([[np.nan]], np.array([[np.inf]], dtype=np.longdouble), np.array([[float("nan")]], dtype=object)):
        with pytest.raises(DataError, match="not finite"):
            data.validate(X, [0])
    with pytest.raises(DataError, match="not finite"):
        evaluate(step_at(0), [[np.nan]])


def test_distinct_big_integers_stay_distinct():
    X = np.array([[2**53], [2**53 + 1]], dtype=np.int64)
    Xv, _ = data.validate(X, [0, 1])  # no longer "equal points with different labels"
    assert Xv[0, 0] != Xv[1, 0]
    # constructions compute in float64 and say so instead of merging the points
    with pytest.raises(DataError, match="not exactly a float64"):
        build("relu_two_layer", X, [0, 1])
    with pytest.raises(DataError, match="not exactly a float64"):
        build("relu_bubeck", np.array([[Fraction(1, 3)], [1]], dtype=object), [0, 1])


def test_long_double_weights_are_exact():
    w = np.longdouble(1) + np.longdouble(2) ** -60
    assert Layer.from_dense([[w]], [0]).values[0] == Fraction(2**60 + 1, 2**60)


def test_to_integers_is_exact_and_refuses_non_dyadic():
    X_int, F = dyadic.to_integers(np.array([[0.75, 2.0]]))
    assert X_int.tolist() == [[3, 8]] and F == 2
    X_int, F = dyadic.to_integers(np.array([[Fraction(1, 8), 2**70]], dtype=object))
    assert X_int.tolist() == [[1, 2**73]] and F == 3
    X_int, F = dyadic.to_integers(np.array([[np.longdouble(1) + np.longdouble(2) ** -60]]))
    assert X_int.tolist() == [[2**60 + 1]] and F == 60
    with pytest.raises(DataError, match="dyadic"):
        dyadic.to_integers(np.array([[Fraction(1, 3)]], dtype=object))


def test_non_dyadic_points_match_the_reference():
    X = np.array([[Fraction(1, 3), Fraction(-2, 7)], [Fraction(5, 6), 1], [0.25, Fraction(1, 9)]],
                 dtype=object)
    net = Network(2, (Layer.from_dense([[3, Fraction(1, 5)], [-1, 7]], [Fraction(-1, 3), 0], "relu"),
                      Layer.from_dense([[1, -2]], [Fraction(1, 2)], "step")))
    ev = evaluate(net, X)
    ref, margin = reference_outputs(net, X)
    assert [Fraction(int(v), ev.scale) for v in ev.outputs[0]] == [o[0] for o in ref]
    assert ev.min_step_margin == margin


# -- labels checked in their own dtype -----------------------------------------------

@pytest.mark.parametrize("y, shown", [
    (np.array([2**64 - 1], dtype=np.uint64), "18446744073709551615"),
    (np.array([1e19]), "1e+19"),
    ([2**70], str(2**70)),
])
def test_huge_labels_are_too_large_not_negative(y, shown):
    with pytest.raises(DataError, match="too large") as info:
        data.validate([[0.0]], y)
    assert shown in str(info.value) and "negative" not in str(info.value)


# -- API misuse is a MemorizeError ---------------------------------------------------

def test_verify_and_evaluate_check_their_arguments():
    net = step_at(0)
    with pytest.raises(NetworkError, match="NoneType"):
        verify(None, [[0.0]], [0])
    with pytest.raises(ArgumentError, match="progress"):
        verify(net, [[0.0]], [0], progress=5)
    with pytest.raises(ArgumentError, match="max_failures"):
        verify(net, [[0.0]], [0], max_failures=-1)
    with pytest.raises(ArgumentError, match="chunk_size"):
        evaluate(net, [[0.0]], chunk_size=-1)
    with pytest.raises(DataError, match="takes 1 inputs"):
        evaluate(net, [[0.0, 1.0]])
    with pytest.raises(DataError, match="missing"):
        verify(net, None, [0])


@pytest.mark.parametrize("options, match", [
    ({"seed": "abc"}, "seed"), ({"seed": 1.5}, "seed"), ({"seed": -1}, "seed"),
    ({"failure_prob": "0.1"}, "failure_prob"), ({"margin_bits": 2.5}, "margin_bits"),
    ({"row_weight": 2.7}, "row_weight"), ({"max_blocks": 10**9}, "max_blocks"),
    ({"block_bits": 1000}, "block_bits"),
])
def test_builder_options_have_types_and_ranges(options, match):
    X, y = data.random_separated(12, 2, 0.1, seed=0)
    with pytest.raises(ConstructionError, match=match):
        build("threshold_sublinear", X, y, **options)


def test_bool_option_is_a_bool():
    X, y = data.random_separated(12, 2, 0.1, seed=0)
    with pytest.raises(ConstructionError, match="per_class"):
        build("relu_bubeck", X, y, per_class="no")


def test_margin_bits_advice_points_the_right_way():
    # A relative margin of 1/2 is out of reach: the message says to raise margin_bits.
    X, y = data.random_separated(30, 3, 0.1, seed=1)
    with pytest.raises(ConstructionError, match="raise margin_bits") as info:
        build("threshold_sublinear", X, y, margin_bits=1)
    assert "lower" not in str(info.value)


def test_generators_check_seeds():
    with pytest.raises(DataError, match="seed"):
        data.random_separated(10, 2, 0.1, seed=-1)


# -- extreme magnitudes --------------------------------------------------------------

@pytest.mark.parametrize("name", ["relu_two_layer", "relu_bubeck", "relu_three_layer"])
@pytest.mark.parametrize("scale", [2.0 ** 1000, 2.0 ** -1060])
def test_relu_networks_on_extreme_data_verify_with_the_float_comparison(name, scale):
    X, y = data.random_separated(20, 2, 0.2, num_classes=3, seed=4)
    X = X / np.abs(X).max() * scale
    report = verify(build(name, X, y), X, y)  # float64 comparison on: overflows to inf, no crash
    assert report.ok


@pytest.mark.parametrize("name", ["threshold_one_hidden", "threshold_sublinear"])
def test_threshold_builders_refuse_data_near_the_float_limit(name):
    X, y = data.random_separated(20, 2, 0.2, seed=4)
    with pytest.raises(DataError, match="too large for"):
        build(name, X / np.abs(X).max() * 1.5e308, y)


def test_huge_weights_and_margins_do_not_break_the_float_comparison():
    huge = 1 << 20000  # beyond float64 and beyond Python's 4300-digit str() cap
    net = Network(1, (Layer.from_entries(1, 1, [(0, 0, huge)], [huge], "step"),
                      Layer.from_entries(1, 1, [(0, 0, 1)], [0], "identity")))
    report = verify(net, [[1.0]], [1])
    assert report.ok and report.min_margin == 2 * huge
    d = report.to_dict()
    assert d["min_margin"] == float("inf") and d["min_margin_exact"] == hex(2 * huge)


def test_failure_with_a_huge_output_is_reported_exactly():
    net = Network(1, (Layer.from_entries(1, 1, [(0, 0, 1 << 20000)], [0], "identity"),))
    report = verify(net, [[1.0]], [0])
    assert not report.ok and report.failures[0]["got"] == hex(1 << 20000)
    assert "FAILED" in report.summary()


def test_the_float_comparison_never_decides():
    # x = 2^60 just below the threshold 2^60 + 1: exactly 0, in float64 (both round to 2^60) 1.
    report = verify(step_at(2**60 + 1), np.array([[2**60]], dtype=np.int64), [0])
    assert report.ok and report.float64_agrees is False


def test_memorize_errors_share_one_base():
    for cls in (DataError, NetworkError, ArgumentError, ConstructionError):
        assert issubclass(cls, MemorizeError)
    with pytest.raises(MemorizeError):
        formats.load(None)


def test_equal_exact_points_with_different_labels_conflict():
    X = np.array([[Fraction(1, 3)], [2**60 + 1], [Fraction(2, 6)]], dtype=object)
    with pytest.raises(DataError, match="points 0 and 2 are equal"):
        data.validate(X, [0, 1, 2])
    assert data.validate(X, [0, 1, 0])[0][2, 0] == Fraction(1, 3)
