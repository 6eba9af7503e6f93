"""Exact rounding of rationals into binary float formats."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memorize.errors import MemorizeError
from memorize.floatformats import get_format, is_representable, round_to, significand_bits

rationals = st.builds(
    lambda p, q, e: Fraction(p, q) * Fraction(2) ** e,
    st.integers(-(10**30), 10**30), st.integers(1, 10**30), st.integers(-1200, 1200),
)


@settings(max_examples=150, deadline=None)
@given(rationals)
def test_float64_rounding_matches_python_float(x):
    try:
        expected = Fraction(float(x))  # Python rounds Fraction -> float correctly
    except OverflowError:
        expected = None
    assert round_to(x, "float64") == expected


@settings(max_examples=150, deadline=None)
@given(st.builds(lambda p, q, e: Fraction(p, q) * Fraction(2) ** e,
                 st.integers(-(10**20), 10**20), st.integers(1, 10**20), st.integers(-140, 120)))
def test_float32_rounding_is_to_a_nearest_float32(x):
    r = round_to(x, "float32")
    if r is None:  # overflow: at or beyond the midpoint between the largest float32 and 2^128
        assert abs(x) >= (2 - Fraction(1, 2**24)) * 2**127
        return
    f = np.float32(float(r))
    assert Fraction(float(f)) == r  # a float32 number
    for toward in (np.float32(np.inf), np.float32(-np.inf)):
        neighbour = np.nextafter(f, toward)
        if np.isfinite(neighbour):
            assert abs(x - r) <= abs(x - Fraction(float(neighbour)))


def test_representability_and_bits():
    assert is_representable(2**53, "float64") and not is_representable(2**53 + 1, "float64")
    assert round_to(2**53 + 1, "float64") == 2**53  # ties to even
    assert round_to(Fraction(2**-1074) / 2, "float64") == 0  # half the least subnormal ties to 0
    assert is_representable(Fraction(1, 2**149), "float32") and not is_representable(Fraction(1, 2**150), "float32")
    assert round_to(2**128, "float32") is None and round_to(65520, "float16") is None
    assert significand_bits(Fraction(3, 8)) == 2 and significand_bits(Fraction(1, 3)) is None
    assert significand_bits(0) == 0


def test_formats_by_any_name():
    torch = pytest.importorskip("torch", reason="torch dtypes need memorize[torch]")
    assert get_format(torch.float32) is get_format(np.float32) is get_format("float32")
    assert get_format(np.dtype("float64")).significand_bits == 53
    with pytest.raises(MemorizeError, match="unsupported float type"):
        get_format("int32")
