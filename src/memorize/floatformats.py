"""Binary floating-point formats, and exact rationals rounded into them.

A finite float of a format with ``p`` significand bits is ``m * 2^e`` with an
integer ``|m| < 2^p`` and ``e`` in the format's exponent range. An exact
rational is representable iff it is dyadic (its denominator a power of two),
its odd part needs at most ``p`` bits and its exponent is in range. These
facts decide whether a network's weights survive export to float64/float32
unchanged (:mod:`memorize.export`) and why float evaluation fails
(:mod:`memorize.verify.float_safety`).

Rounding here is round-to-nearest, ties to even, done in exact integer
arithmetic (never float(float(x)), which would round twice). Subnormals are
handled; a magnitude beyond the largest finite value rounds to ``None``
(overflow: the float would be ``+-inf``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from memorize.errors import MemorizeError


@dataclass(frozen=True)
class FloatFormat:
    """An IEEE-style binary format: ``p`` significand bits (the hidden bit included)."""

    name: str
    significand_bits: int
    min_exponent: int  # exponent of the smallest normal number, 2^min_exponent
    max_exponent: int  # the largest finite number is (2 - 2^(1-p)) * 2^max_exponent

    @property
    def unit_roundoff(self) -> Fraction:
        """Half the gap between 1 and the next float: the relative error of one rounding."""
        return Fraction(1, 1 << self.significand_bits)


FORMATS = {
    "float64": FloatFormat("float64", 53, -1022, 1023),
    "float32": FloatFormat("float32", 24, -126, 127),
    "float16": FloatFormat("float16", 11, -14, 15),
    "bfloat16": FloatFormat("bfloat16", 8, -126, 127),
}


def get_format(dtype) -> FloatFormat:
    """The :class:`FloatFormat` of ``dtype``: a name, a numpy dtype or a torch dtype."""
    if isinstance(dtype, FloatFormat):
        return dtype
    name = str(dtype).removeprefix("torch.")
    if name not in FORMATS:
        try:
            name = np.dtype(dtype).name
        except TypeError:
            pass
    if name not in FORMATS:
        raise MemorizeError(f"unsupported float type {dtype!r}; use one of {', '.join(FORMATS)}")
    return FORMATS[name]


def _dyadic(value) -> tuple[int, int] | None:
    """``(m, e)`` with ``value = m * 2^e`` and ``m`` odd (``(0, 0)`` for zero); ``None`` if not dyadic."""
    v = Fraction(value)
    if v == 0:
        return 0, 0
    q = v.denominator
    if q & (q - 1):
        return None
    m, e = v.numerator, -(q.bit_length() - 1)
    tz = (m & -m).bit_length() - 1
    return m >> tz, e + tz


def significand_bits(value) -> int | None:
    """Significand bits a float needs to hold ``value`` exactly; ``None`` if it is not dyadic."""
    d = _dyadic(value)
    if d is None:
        return None
    return abs(d[0]).bit_length()


def round_to(value, fmt) -> int | Fraction | None:
    """``value`` rounded to the nearest number of format ``fmt`` (ties to even), exactly.

    Returns the rounded value exactly (an ``int`` or ``Fraction``), or ``None`` on overflow.
    """
    fmt = get_format(fmt)
    if isinstance(value, int) and abs(value).bit_length() <= fmt.significand_bits:
        return value  # the common case of small integer weights, decided without Fractions
    v = Fraction(value)
    d = _dyadic(v)
    if d is not None:
        m, e = d
        nb = abs(m).bit_length()
        if m == 0 or (nb <= fmt.significand_bits
                      and e >= fmt.min_exponent - fmt.significand_bits + 1
                      and e + nb - 1 <= fmt.max_exponent):
            return v
    sign = -1 if v < 0 else 1
    a = abs(v)
    # exponent k with 2^k <= a < 2^(k+1)
    k = a.numerator.bit_length() - a.denominator.bit_length()
    if Fraction(2) ** k > a:
        k -= 1
    # quantum: the spacing of floats near a (fixed for subnormals)
    quantum_exp = max(k, fmt.min_exponent) - (fmt.significand_bits - 1)
    scaled = a / Fraction(2) ** quantum_exp
    r = round(scaled)  # Fraction.__round__ rounds half to even
    out = r * Fraction(2) ** quantum_exp
    top = (Fraction(2) - Fraction(2) ** (1 - fmt.significand_bits)) * Fraction(2) ** fmt.max_exponent
    if out > top:
        return None
    return sign * out


def is_representable(value, fmt) -> bool:
    """``True`` iff ``value`` is exactly a finite number of format ``fmt``."""
    r = round_to(value, fmt)
    return r is not None and r == value
