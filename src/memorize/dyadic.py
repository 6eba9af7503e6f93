"""Exact inputs as integers over a power of two.

Every finite float is ``m * 2^e`` with an integer ``m``; an array ``X`` of
dyadic rationals (floats of any width, integers, Fractions whose denominator
is a power of two) is ``X_int / 2^F`` for one common ``F`` and an integer
array ``X_int``. This is how inputs enter exact arithmetic, in the verifier
and in constructions that check their own guarantees on the data.

Other rationals (``Fraction(1, 3)``) have no such form: :func:`to_integers`
raises :class:`~memorize.errors.DataError` for them. The verifier takes them
anyway, by moving their odd common denominator into the network's first layer
(see :mod:`memorize.verify.exact_input`).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from memorize.errors import DataError
from memorize.rationals import exact_array


def parts(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``X = m * 2^-f`` elementwise with odd (or zero) int64 ``m``; returns ``(m, f)``.

    ``X`` is a float64 array; ``f`` is meaningless where ``m == 0``.

    Examples
    --------
    >>> m, f = parts(np.array([0.75, 4.0]))
    >>> m.tolist(), f.tolist()
    ([3, 1], [2, -2])
    """
    X = np.asarray(X, dtype=np.float64)
    mant, expo = np.frexp(X)
    m = (mant * float(1 << 53)).astype(np.int64)
    nz = m != 0
    tz = np.zeros_like(m)
    if nz.any():
        low = m[nz] & -m[nz]
        tz[nz] = np.log2(low.astype(np.float64)).astype(np.int64)
    return m >> tz, np.where(nz, 53 - expo - tz, np.iinfo(np.int64).min)


def _object_bits(X: np.ndarray) -> int:
    """The largest ``f`` with a denominator ``2^f`` in an object array of ints and Fractions."""
    F = 0
    for k in np.ndindex(X.shape):
        v = X[k]
        if isinstance(v, Fraction):
            q = v.denominator
            if q & (q - 1):
                raise DataError(
                    f"X[{', '.join(map(str, k))}] = {v} is not a dyadic rational (its denominator is "
                    "not a power of two), so it cannot be scaled to an integer by a power of two; "
                    "memorize.verify takes any rational, constructions take float64 values"
                )
            F = max(F, q.bit_length() - 1)
    return F


def _exact(X) -> np.ndarray:
    if isinstance(X, np.ndarray) and X.dtype in (np.float64, object):
        return X
    return exact_array(X)


def scale_bits(X: np.ndarray) -> int:
    """The smallest ``F >= 0`` such that ``X * 2^F`` is an integer array.

    Examples
    --------
    >>> scale_bits(np.array([0.5, 3.25])), scale_bits(np.array([2**60], dtype=np.uint64))
    (2, 0)
    """
    X = _exact(X)
    if X.dtype == object:
        return _object_bits(X)
    _, frac = parts(X)
    return int(max(frac.max(), 0)) if frac.size else 0


def column_integers(X: np.ndarray, F: int) -> list[np.ndarray]:
    """The columns of ``X * 2^F`` as exact integers: int64 where they fit, else object arrays.

    ``F`` must be at least :func:`scale_bits` of ``X``.

    Examples
    --------
    >>> [c.tolist() for c in column_integers(np.array([[0.5, 3.0]]), 1)]
    [[1], [6]]
    """
    X = _exact(X)
    if X.dtype == object:
        cols = []
        for j in range(X.shape[1]):
            col = np.empty(X.shape[0], dtype=object)
            for i, v in enumerate(X[:, j].tolist()):
                if isinstance(v, Fraction):
                    col[i] = v.numerator << (F - v.denominator.bit_length() + 1)
                else:
                    col[i] = int(v) << F
            cols.append(col)
        return cols
    m, frac = parts(X)
    shift = np.where(m != 0, F - frac, 0)
    cols = []
    for j in range(m.shape[1]):
        mj, sj = m[:, j], shift[:, j]
        if int(sj.max(initial=0)) + 54 < 63:
            cols.append(mj << sj)
        else:
            cols.append(np.array([int(a) << int(s) for a, s in zip(mj.tolist(), sj.tolist())],
                                 dtype=object))
    return cols


def to_integers(X) -> tuple[np.ndarray, int]:
    """``(X_int, F)`` with ``X = X_int / 2^F`` exactly; ``X_int`` is an object array of ints.

    ``X`` may hold floats of any width, integers of any size and Fractions with
    power-of-two denominators; 1-D input is taken as one point.

    Raises
    ------
    DataError
        for values that are not dyadic rationals (``Fraction(1, 3)``), not finite or not numbers.

    Examples
    --------
    >>> X_int, F = to_integers(np.array([[0.25, -3.0]]))
    >>> X_int.tolist(), F
    ([[1, -12]], 2)
    >>> to_integers(np.array([[2**63 + 1]], dtype=np.uint64))[0].tolist()
    [[9223372036854775809]]
    """
    X = np.atleast_2d(_exact(X))
    F = scale_bits(X)
    cols = column_integers(X, F)
    out = np.empty(X.shape, dtype=object)
    for j, c in enumerate(cols):
        out[:, j] = c.astype(object) if c.dtype != object else c
    return out, F
