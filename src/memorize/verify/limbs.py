"""Per-point integers of a few hundred bits as fixed-width int64 limb vectors.

A *limb row* holds ``n`` integers as an int64 array ``z`` of shape ``(L, n)``:
value ``i`` is ``sum_k z[k, i] * 2^(32 k)``. A row is *normalized* when limbs
``0 .. L-2`` lie in ``[0, 2^32)`` and the top limb is signed; then the sign of a
value is the sign of its top limb and the order of values is the lexicographic
order of their limbs from the top. Every operation here is exact: the callers
prove with exact bounds (:func:`count_for`) that no int64 partial sum overflows.

Why limbs and not numpy object arrays: a per-point value of 60-300 bits (the
integer line ``t`` of a memorization construction, its differences to block
starts) is touched once per layer, and one object-array operation costs a
Python big-integer operation per point; ``L`` int64 passes are 10-50x cheaper.

    >>> import numpy as np
    >>> z = from_ints([2**100 + 5, -7, 0], count_for(2**100 + 5))
    >>> to_object(z).tolist() == [2**100 + 5, -7, 0]
    True
    >>> lo, hi = bounds(z)
    >>> lo <= -7 and 2**100 + 5 <= hi < 2**100 + 2**69
    True
"""

from __future__ import annotations

import numpy as np

BITS = 32
MASK = (1 << BITS) - 1
WEIGHT_LIMIT = 1 << 28  # sum |w| * 2^32 + carries stays below 2^62
MAX_LIMBS = 10  # above ~300 bits per point, object arrays (GMP) win


def count_for(bound: int) -> int:
    """Limbs for normalized values with ``|value| <= bound``: the top limb lies in ``[-2^31, 2^31)``."""
    return max(2, -(-(int(bound).bit_length() + 1) // BITS))


def from_int64(v: np.ndarray) -> np.ndarray:
    """An int64 vector as two normalized limbs."""
    z = np.empty((2, len(v)), dtype=np.int64)
    z[0] = v & MASK
    z[1] = v >> BITS  # arithmetic shift: the signed top part
    return z


def from_ints(values, count: int) -> np.ndarray:
    """Python (or gmpy2) integers ``|v| < 2^(32 count - 1)`` as ``count`` normalized limbs.

    Through each value's little-endian two's-complement bytes: read as 32-bit words,
    the low words are the low limbs and the top word, read signed, the top limb.
    """
    size = 4 * count
    buf = b"".join([int(v).to_bytes(size, "little", signed=True) for v in values])
    words = np.frombuffer(buf, dtype=np.uint32).reshape(-1, count)
    z = words.T.astype(np.int64)
    z[-1] = words[:, -1].view(np.int32)
    return z


def to_object(z: np.ndarray) -> np.ndarray:
    """The values of limb row ``z`` as an object array of Python integers."""
    acc = z[-1].astype(object)
    for k in range(z.shape[0] - 2, -1, -1):
        acc = (acc << BITS) + z[k].astype(object)
    return acc


def to_int64(z: np.ndarray) -> np.ndarray:
    """The values of ``z`` as int64; exact when every value fits int64 (arithmetic is mod 2^64)."""
    acc = z[0].copy()
    for k in range(1, min(z.shape[0], 64 // BITS)):
        acc += z[k] << (BITS * k)
    return acc


def normalize(z: np.ndarray) -> np.ndarray:
    """Carry ``z`` (limbs of any sign, ``|limb| < 2^62``) into normalized form, in place."""
    for k in range(z.shape[0] - 1):
        carry = z[k] >> BITS
        z[k] &= MASK
        z[k + 1] += carry
    return z


def combine(terms, bias: int, count: int, n: int) -> np.ndarray:
    """The normalized limb row ``bias + sum(w * row)`` with ``count`` limbs.

    ``terms``: ``(row, w)`` pairs, ``row`` an int64 vector or a limb row with at most
    ``count`` limbs, ``sum |w| <= WEIGHT_LIMIT``; ``count`` from :func:`count_for` of an
    exact bound on the result (raised to the widest input's).
    """
    count = max([count] + [row.shape[0] for row, _ in terms if row.ndim == 2])
    z = np.zeros((count, n), dtype=np.int64)
    for row, w in terms:
        if row.ndim == 1:
            row = from_int64(row)
        k = row.shape[0]
        if w == 1:
            z[:k] += row
        elif w == -1:
            z[:k] -= row
        else:
            z[:k] += row * np.int64(w)
    if bias:
        b = abs(bias)
        for k in range(count):
            digit = (b >> (BITS * k)) & MASK if k < count - 1 else b >> (BITS * k)
            if digit:
                z[k] += digit if bias > 0 else -digit
    return normalize(z)


def bounds(z: np.ndarray) -> tuple[int, int]:
    """Bounds ``(lo, hi)`` on the values of a normalized limb row; exact when it has 2 limbs.

    Read off the top two limbs alone (one int64 each, ``|top| < 2^31``), so they are
    within ``2^(32 (L - 2))`` of the exact extremes: relative error below ``2^-31``.
    """
    head = (z[-1] << BITS) + z[-2]
    lo, hi = int(head.min()), int(head.max())
    shift = BITS * (z.shape[0] - 2)
    return lo << shift, ((hi + 1) << shift) - 1 if shift else hi


def relu(z: np.ndarray) -> np.ndarray:
    """``max(z, 0)`` of a normalized limb row (a new array)."""
    return z * (z[-1] >= 0)


def nonnegative(z: np.ndarray) -> np.ndarray:
    """``z >= 0`` per point, as int64 0/1."""
    return (z[-1] >= 0).astype(np.int64)


def min_abs(z: np.ndarray) -> int:
    """Exact ``min |value|`` of a normalized limb row (the smallest value in lexicographic order)."""
    a = normalize(np.where(z[-1] < 0, -z, z))  # -z represents -value, unnormalized
    cand = np.arange(a.shape[1])
    value = 0
    for k in range(a.shape[0] - 1, -1, -1):
        sub = a[k, cand]
        m = sub.min()
        cand = cand[sub == m]
        value = (value << BITS) + int(m)
    return value


def shrink(z: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """``z`` (values in ``[lo, hi]``, normalized) cut to the limbs those values need."""
    need = count_for(max(-lo, hi))
    if need >= z.shape[0]:
        return z
    out = z[:need].copy()
    # the limbs cut off are the sign extension: 0, or all ones and -1 on top
    out[need - 1] -= (z[-1] < 0).astype(np.int64) << BITS
    return out
