"""Input arrays as the exact rationals they denote, whatever their dtype.

A coordinate is taken at its exact value: an integer of any width (int8 ..
uint64, or a Python int of any size), a float of any width (float16 ..
long double) as the dyadic rational it denotes, a :class:`fractions.Fraction`
(or any :class:`numbers.Rational`, such as gmpy2's ``mpq``) or a
:class:`decimal.Decimal`. Nothing is rounded. Types that denote no real
number (complex, strings, bytes, datetimes, other objects) are a
:class:`~memorize.errors.DataError` naming the type, as are NaN and infinities.

:func:`exact_array` returns a float64 array when every value is exactly a
float64 (the common case, and the fast path everywhere), and otherwise an
object array of Python ``int`` and ``Fraction``.
"""

from __future__ import annotations

import math
import numbers
from decimal import Decimal
from fractions import Fraction

import numpy as np

from memorize.errors import DataError

_EXACT_INT = 1 << 53  # integers of magnitude <= 2^53 are exactly float64 values


def _not_a_number(dtype, name: str) -> DataError:
    return DataError(
        f"{name} has dtype {dtype}, which does not denote real numbers; "
        "give integers, floats or fractions.Fraction values"
    )


def exact_value(v) -> int | Fraction | None:
    """``v`` as an exact ``int`` or reduced ``Fraction``; ``None`` if its type denotes no
    real number. Raises ValueError for NaN and infinities.

    >>> exact_value(0.5), exact_value(np.int64(3)), exact_value(Decimal("0.1")), exact_value("1")
    (Fraction(1, 2), 3, Fraction(1, 10), None)
    """
    if isinstance(v, (bool, np.bool_, numbers.Integral)):
        return int(v)
    if isinstance(v, (float, np.floating, Decimal)):
        if not (v.is_finite() if isinstance(v, Decimal) else np.isfinite(v)):
            raise ValueError(f"{v} is not finite")
        # as_integer_ratio is exact for every float width (float(v) would round a long double)
        return _normal(Fraction(*v.as_integer_ratio()))
    if isinstance(v, numbers.Rational):
        return _normal(Fraction(int(v.numerator), int(v.denominator)))
    return None


def _element(v, name: str, index) -> int | Fraction:
    """One object-array element as an exact int or Fraction."""
    try:
        value = exact_value(v)
    except ValueError:
        raise DataError(f"{name}[{index}] = {v} is not finite; remove or impute such points") from None
    if value is None:
        raise DataError(
            f"{name}[{index}] is a {type(v).__name__}, which does not denote a real number; "
            "give integers, floats or fractions.Fraction values"
        )
    return value


def _normal(q: Fraction) -> int | Fraction:
    return q.numerator if q.denominator == 1 else q


def _first_bad(mask: np.ndarray) -> tuple:
    return tuple(int(i) for i in np.argwhere(mask)[0])


def exact_array(X, name: str = "X") -> np.ndarray:
    """``X`` as an array of exact values: float64 if every value is one, else object ints/Fractions.

    Parameters
    ----------
    X : array_like
        Any shape; numbers of any integer, float or rational type.
    name : str
        How error messages call the array.

    Returns
    -------
    numpy.ndarray
        float64 (with ``-0.0`` made ``0.0``) when no value changes, otherwise an
        object array of ``int`` and reduced ``Fraction``.

    Raises
    ------
    DataError
        for non-numeric dtypes and for NaN or infinite values.

    Examples
    --------
    >>> exact_array(np.array([2**53 + 1], dtype=np.int64))[0]
    9007199254740993
    >>> exact_array([0.5, -0.0]).dtype
    dtype('float64')
    >>> exact_array([Fraction(1, 3)])[0]
    Fraction(1, 3)
    >>> exact_array([2**53 + 1, 0.5])[0]
    9007199254740993
    """
    if not isinstance(X, np.ndarray):
        try:
            A = np.asarray(X)
            if A.dtype.kind == "f" and A.dtype.itemsize <= 8:
                # numpy rounds Python ints beside floats (2^53 + 1 and 0.5 give float64):
                # read the elements themselves
                A = np.array(X, dtype=object)
        except (TypeError, ValueError, OverflowError) as exc:
            raise DataError(f"{name} must be an array of numbers: {exc}") from None
        X = A
    kind = X.dtype.kind
    if kind == "b":
        return X.astype(np.float64)
    if kind in "iu":
        return _integers(X)
    if kind == "f":
        return _floats(X, name)
    if kind == "O":
        return _objects(X, name)
    raise _not_a_number(X.dtype, name)


def _integers(X: np.ndarray) -> np.ndarray:
    # Compare in the array's own dtype: |v| <= 2^53 converts exactly to float64.
    small = (X <= _EXACT_INT) if X.dtype.kind == "u" else ((X <= _EXACT_INT) & (X >= -_EXACT_INT))
    if small.all():
        return X.astype(np.float64)
    out = np.empty(X.shape, dtype=object)
    out[...] = X.tolist() if X.ndim else int(X)
    return out


def _floats(X: np.ndarray, name: str) -> np.ndarray:
    bad = ~np.isfinite(X)
    if bad.any():
        k = _first_bad(bad)
        raise DataError(f"{name}[{', '.join(map(str, k))}] = {X[k]} is not finite; remove or impute such points")
    if X.dtype.itemsize <= 8:  # float16, float32, float64: exact in float64
        return X.astype(np.float64) + 0.0
    with np.errstate(over="ignore"):
        X64 = X.astype(np.float64)
    if (X64.astype(X.dtype) == X).all():
        return X64 + 0.0
    out = np.empty(X.shape, dtype=object)
    for k in np.ndindex(X.shape):
        out[k] = _normal(Fraction(*X[k].as_integer_ratio()))
    return out


def _objects(X: np.ndarray, name: str) -> np.ndarray:
    out = np.empty(X.shape, dtype=object)
    fits = True
    for k in np.ndindex(X.shape):
        v = _element(X[k], name, ", ".join(map(str, k)))
        out[k] = v
        if fits:
            fits = is_float64(v)
    return out.astype(np.float64) + 0.0 if fits else out


def is_float64(v: int | Fraction) -> bool:
    """Whether the exact value ``v`` is exactly a float64 value."""
    try:
        f = float(v)
    except OverflowError:
        return False
    return math.isfinite(f) and Fraction(f) == v


def to_float(X: np.ndarray) -> np.ndarray:
    """Round an exact array to float64 (beyond the float range: ``+-inf``); for non-exact uses only.

    Examples
    --------
    >>> to_float(np.array([1 << 2000, Fraction(-1, 3)], dtype=object)).tolist()
    [inf, -0.3333333333333333]
    """
    if X.dtype != object:
        return np.asarray(X, dtype=np.float64)
    out = np.empty(X.shape, dtype=np.float64)
    for k in np.ndindex(X.shape):
        try:
            out[k] = float(X[k])
        except OverflowError:
            out[k] = -math.inf if X[k] < 0 else math.inf
    return out
