"""Float-safety analysis and minimal precision, on networks whose float behaviour is known by hand."""

from __future__ import annotations

import dataclasses
import math
import sys
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memorize import build, data, verify
from memorize.errors import DataError, MemorizeError
from memorize.extras import MissingExtraError
from memorize.network import Layer, Network
from memorize.testing import datasets
from memorize.verify.float_safety import float_safety
from memorize.verify.precision import minimal_precision, quantize

TORCH_BACKEND = "auto"  # also check the to_torch module when torch is installed


def _wide_weight_network():
    """relu((2^60 + 1) x) - relu(2^60 x) = x for x >= 0; float64 rounds 2^60 + 1 to 2^60."""
    big = 1 << 60
    return Network(1, (Layer.from_dense([[big + 1], [big]], [0, 0], "relu"),
                       Layer.from_dense([[1, -1]], [0], "identity")))


# w x + b with w = -(1 - 2^-53), x = 1 - 2^-53, b = 1 - 2^-52: all three are float64 numbers,
# the exact value is -2^-106, and float64 rounds the product to -(1 - 2^-52), giving 0.
_W, _X, _B = -(1 - Fraction(1, 2**53)), 1 - 2.0**-53, 1 - Fraction(1, 2**52)


def test_weights_beyond_53_bits_fail_float64_for_representation():
    X = np.arange(6, dtype=float).reshape(-1, 1)
    y = np.arange(6)
    report = float_safety(_wide_weight_network(), X, y, torch=TORCH_BACKEND)
    assert report.n_memorized == 6 and report.significand_bits == 61
    for r in report.results:
        expect_exact = 1 if r.dtype == "float64" else None  # only x = 0 survives 2^60 + 1 -> 2^60
        if expect_exact is not None:
            assert r.n_exact == expect_exact
        assert r.failed_representation == r.n_points - r.n_exact
        assert r.params_inexact == 1
        assert r.failed_step_flip == r.failed_rounding == 0
    assert "float64" in report.summary()


def test_a_step_unit_flipping_in_float_is_a_step_failure():
    # H(w x + b) is exactly 0 (pre-activation -2^-106) but 1 in float64 (pre-activation 0).
    net = Network(1, (Layer.from_dense([[_W]], [_B], "step"), Layer.from_dense([[1]], [0], "identity")))
    X, y = np.array([[_X], [2.0]]), np.array([0, 0])
    report = float_safety(net, X, y, dtypes=("float64",), torch=False)
    r = report.result("float64", "numpy")
    assert report.n_memorized == 2
    assert r.params_inexact == r.inputs_inexact == 0
    assert (r.n_exact, r.failed_step_flip, r.failed_representation, r.failed_rounding) == (1, 1, 0, 0)
    assert r.min_step_margin == Fraction(1, 2**106)


def test_cancellation_without_steps_is_a_rounding_failure():
    # 2^106 (w x + b) + 1 is exactly 0 but 1 in float64.
    net = Network(1, (Layer.from_dense([[_W]], [_B], "identity"),
                      Layer.from_dense([[2**106]], [1], "identity")))
    X, y = np.array([[_X]]), np.array([0])
    r = float_safety(net, X, y, dtypes=("float64",), torch=False).result("float64")
    assert (r.n_exact, r.failed_rounding, r.failed_representation, r.failed_step_flip) == (0, 1, 0, 0)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 1000), d=st.integers(1, 3))
def test_small_integer_data_are_float64_safe(seed, d):
    rng = np.random.default_rng(seed)
    X = np.unique(rng.integers(-6, 7, size=(12, d)).astype(float), axis=0)
    y = rng.integers(0, 3, size=len(X))
    report = float_safety(build("relu_two_layer", X, y, seed=seed), X, y, dtypes=("float64",),
                          torch=TORCH_BACKEND)
    for r in report.results:
        assert r.n_exact == r.n_points == len(X)
        assert r.params_inexact == 0


def test_float32_inputs_that_do_not_fit_are_counted():
    net = Network(1, (Layer.from_dense([[1 << 30]], [-(1 << 30)], "identity"),))
    X, y = np.array([[1 + 2.0**-30], [1.0]]), np.array([1, 0])
    r = float_safety(net, X, y, dtypes=("float32",), torch=False).result("float32")
    assert r.inputs_inexact == 1
    assert (r.n_exact, r.failed_representation) == (1, 1)


def test_torch_true_without_torch_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    X, y = np.array([[1.0]]), np.array([1])
    net = Network(1, (Layer.from_dense([[1]], [0], "identity"),))
    with pytest.raises(MissingExtraError, match=r"memorize\[torch\]"):
        float_safety(net, X, y, torch=True)
    assert [r.backend for r in float_safety(net, X, y, torch="auto").results] == ["numpy", "numpy"]


def test_float_safety_rejects_mismatched_data():
    net = Network(2, (Layer.from_dense([[1, 1]], [0], "identity"),))
    with pytest.raises(DataError, match="takes 2 inputs"):
        float_safety(net, np.zeros((3, 1)), [0, 0, 0])


@settings(max_examples=12, deadline=None)
@given(data=datasets(n=st.integers(2, 12), d=st.integers(1, 3), num_classes=3))
def test_minimal_precision_works_and_one_bit_less_fails(data):
    X, y = data
    net = build("relu_two_layer", X, y, seed=0)
    result = minimal_precision(net, X, y)
    assert verify.is_memorizing(result.network, X, y)
    assert result.network == quantize(net, result.bits)
    if result.bits > 0:
        assert not verify.is_memorizing(quantize(net, result.bits - 1), X, y)
        assert (result.bits - 1, False) in result.probes
    assert result.original_bits is not None and result.bits <= result.original_bits
    assert quantize(net, result.original_bits) == net


def test_minimal_precision_of_a_non_dyadic_network():
    # H(x/3 - 1/3) separates 0 from 2; b = 0 rounds 1/3 to 0 (H(0) = 1 on x = 0), b = 1 to 1/2.
    net = Network(1, (Layer.from_dense([[Fraction(1, 3)]], [Fraction(-1, 3)], "step"),))
    X, y = np.array([[0.0], [2.0]]), np.array([0, 1])
    result = minimal_precision(net, X, y)
    assert (result.bits, result.original_bits) == (1, None)
    assert result.network.layers[0].values == (Fraction(1, 2),)
    assert "b = 1" in result.summary()


def test_minimal_precision_errors():
    X, y = np.array([[3.0], [6.0]]), np.array([1, 2])
    third = Network(1, (Layer.from_dense([[Fraction(1, 3)]], [0], "identity"),))
    with pytest.raises(DataError, match="no rounding to <= 16 fractional bits"):
        minimal_precision(third, X, y, max_fractional_bits=16)
    with pytest.raises(DataError, match="does not memorize"):
        minimal_precision(third, X, np.array([0, 0]))
    with pytest.raises(MemorizeError, match="integer >= 0"):
        quantize(third, -1)


def test_bfloat16_needs_torch_and_float16_does_not():
    X, y = np.arange(3, dtype=float).reshape(-1, 1), np.arange(3)
    net = _wide_weight_network()
    with pytest.raises(MemorizeError, match="bfloat16 is evaluated with torch only"):
        float_safety(net, X, y, dtypes=("bfloat16",), torch=False)
    # 2^60 overflows float16 (max 65504): inf * 0 is nan, so even x = 0 fails
    f16 = float_safety(net, X, y, dtypes=("float16",), torch=False).result("float16", "numpy")
    assert (f16.n_exact, f16.failed_representation, f16.params_overflow) == (0, 3, 2)
    pytest.importorskip("torch", reason="bfloat16 is evaluated with memorize[torch]")
    report = float_safety(net, X, y, dtypes=("float16", "bfloat16"), torch=True)
    assert [(r.backend, r.dtype) for r in report.results] == [
        ("numpy", "float16"), ("torch", "float16"), ("torch", "bfloat16")]
    assert report.result("float16", "torch") == dataclasses.replace(f16, backend="torch")
    # bfloat16 has float32's range and rounds 2^60 + 1 to 2^60: only x = 0 survives
    bf16 = report.result("bfloat16", "torch")
    assert (bf16.n_exact, bf16.failed_representation, bf16.params_overflow) == (1, 2, 0)


def _huge_weight_network():
    """relu(2^200 x) / 2^200 = x for x >= 0: exact in float64, while float32, float16 and
    bfloat16 round 2^200 to inf (overflow) and 2^-200 to 0."""
    return Network(1, (Layer.from_dense([[1 << 200]], [0], "relu"),
                       Layer.from_dense([[Fraction(1, 1 << 200)]], [0], "identity")))


@pytest.mark.parametrize("backend, dtype", [("numpy", "float32"), ("numpy", "float16"),
                                            ("torch", "float32"), ("torch", "bfloat16")])
def test_weights_of_2_to_200_overflow_to_inf_without_raising(backend, dtype):
    if backend == "torch":
        pytest.importorskip("torch", reason="the torch backend needs memorize[torch]")
    X, y = np.arange(4, dtype=float).reshape(-1, 1), np.arange(4)
    report = float_safety(_huge_weight_network(), X, y, dtypes=("float64", dtype),
                          torch=backend == "torch")
    assert report.result("float64", backend).n_exact == 4
    r = report.result(dtype, backend)
    # inf * 0 and 0 * inf are nan, so no point survives; each failure is one of representation
    assert (r.n_exact, r.failed_representation, r.params_overflow, r.params_inexact) == (0, 4, 1, 2)
    assert r.failed_step_flip == r.failed_rounding == 0
    assert "1 overflow to inf" in report.summary()


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_an_overflowing_step_unit_has_no_margin(dtype):
    # H(2^200 x - 2^199) on x in {0, 1}: margin 2^199 exactly; in dtype the weight and bias are
    # +-inf, so both pre-activations are nan and H gives 0, right on x = 0 and wrong on x = 1.
    net = Network(1, (Layer.from_dense([[1 << 200]], [-(1 << 199)], "step"),
                      Layer.from_dense([[1]], [0], "identity")))
    X, y = np.array([[0.0], [1.0]]), np.array([0, 1])
    report = float_safety(net, X, y, dtypes=("float64", dtype), torch=False)
    assert report.result("float64").min_step_margin == 1 << 199
    r = report.result(dtype)
    assert (r.n_exact, r.failed_representation, r.params_overflow) == (1, 1, 2)
    assert r.min_step_margin is None


def test_float_safety_of_relu_bubeck_in_float32_returns_a_report():
    # the reproducer of issue 16: relu_bubeck's weights exceed 2^128, float32's range
    X, y = data.random_separated(100, 5, delta=0.05, num_classes=4, seed=0)
    net = build("relu_bubeck", X, y)
    report = float_safety(net, X, y, dtypes=("float32",), torch=TORCH_BACKEND)
    assert report.n_memorized == 100
    for r in report.results:
        assert r.dtype == "float32" and r.params_overflow > 0 and r.min_step_margin is None
        assert r.failed_representation == r.n_points - r.n_exact


def test_to_float_rounds_once_and_overflows_to_inf():
    from memorize.verify.floats import to_float

    # float32(float(x)) would round twice: to the float64 tie 1 + 2^-24, then to even, 1
    x = 1 + Fraction(1, 2**24) + Fraction(1, 2**60)
    assert float(to_float(x, np.float32)) == 1 + 2**-23
    assert float(to_float(1 << 200, np.float32)) == math.inf
    assert float(to_float(-(1 << 2000), np.float64)) == -math.inf
    assert float(to_float(-65520, np.float16)) == -math.inf  # beyond float16's 65504


def test_optional_packages_are_imported_only_when_used():
    import subprocess

    code = ("import sys, memorize.export, memorize.datasets, memorize.verify.float_safety; "
            "print(sorted(m for m in ('torch', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
