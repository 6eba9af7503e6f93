"""Floats as the exact dyadic rationals they denote.

Every finite float is ``m * 2^e`` with an integer ``m``; an array ``X`` is
``X_int / 2^F`` for one common ``F`` and an integer array ``X_int``. This is
how inputs enter exact arithmetic, in the verifier and in constructions that
check their own guarantees on the data.
"""

from __future__ import annotations

import numpy as np


def parts(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``X = m * 2^-f`` elementwise with odd (or zero) int64 ``m``; returns ``(m, f)``.

    ``f`` is meaningless where ``m == 0``.
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


def scale_bits(X: np.ndarray) -> int:
    """The smallest ``F >= 0`` such that ``X * 2^F`` is an integer array."""
    _, frac = parts(X)
    return int(max(frac.max(), 0)) if frac.size else 0


def column_integers(X: np.ndarray, F: int) -> list[np.ndarray]:
    """The columns of ``X * 2^F`` as exact integers: int64 where they fit, else object arrays."""
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


def to_integers(X: np.ndarray) -> tuple[np.ndarray, int]:
    """``(X_int, F)`` with ``X = X_int / 2^F`` exactly; ``X_int`` is an object array of ints."""
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    F = scale_bits(X)
    cols = column_integers(X, F)
    out = np.empty(X.shape, dtype=object)
    for j, c in enumerate(cols):
        out[:, j] = c.astype(object) if c.dtype != object else c
    return out, F
