"""Stages (a) and (b) of the sqrt(N) memorizer as data: the integer line and the packed blocks.

(a) :func:`integer_line` projects the points onto a random line, scaled by a
power of two so that consecutive projections are >= 2 apart, shifted to start
at 0 -- all in exact integer arithmetic on the dyadic inputs.

(b) :func:`pack_blocks` cuts the sorted points into blocks of ``n`` and packs
each block's position offsets (``rho`` bits each) and labels (``c`` bits each)
into two big integers, MSB first, fixed width.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from memorize import dyadic
from memorize.constructions.projection import distinct_integer_projection
from memorize.errors import ConstructionError


@dataclass(frozen=True)
class IntegerLine:
    """``t(x) = <weights, x> + bias``; on the data ``t`` takes values ``>= 0`` that are
    pairwise ``>= 2`` apart, the smallest in ``[0, 1)``.

    ``order`` sorts the points by ``t``; ``floors[i]`` is ``floor(t)`` of the
    ``i``-th point in that order (strictly increasing int64).
    """

    weights: list
    bias: Fraction
    order: np.ndarray
    floors: np.ndarray

    @property
    def top(self) -> int:
        """``floor(max t)``: the data's range ``R`` on the line."""
        return int(self.floors[-1])


def integer_line(X: np.ndarray, rng: np.random.Generator, directions: int = 1) -> IntegerLine:
    """Stage (a): a random direction with distinct projections, scaled to gaps >= 2.

    Of ``directions`` random draws the one with the smallest range ``top``
    (in units of the smallest gap) is kept: fewer bits per stored position.

    With ``p_i = <w, X_int_i>`` (``X = X_int / 2^F``, ``w`` a random integer
    direction re-drawn until the ``p_i`` are distinct) and ``g`` the smallest
    gap of the sorted ``p``, put ``h = bitlen(g) - 2`` and
    ``t = p / 2^h - floor(p_min / 2^h)``. Then every gap is ``>= g / 2^h >= 2``; the
    power of two keeps the weights dyadic and the floors exact shifts. The
    shift is the integer ``floor(p_min / 2^h)``, so the smallest ``t`` is in ``[0, 1)``.
    """
    X_int, F = dyadic.to_integers(X)
    lines = [_scaled_line(X_int, F, rng) for _ in range(max(1, directions))]
    return min(lines, key=lambda line: line.top)


def _scaled_line(X_int, F: int, rng: np.random.Generator) -> IntegerLine:
    proj = distinct_integer_projection(X_int, F, rng)
    h = proj.min_gap.bit_length() - 2
    p_sorted = proj.t_int[proj.order]
    # t = p / 2^h - floor(p_min / 2^h): an integer bias keeps the first layer's
    # weights integers (when h <= F) and its bits few; t_min lies in [0, 1).
    scaled = p_sorted >> h if h >= 0 else p_sorted << -h
    base = int(scaled[0])
    floors_obj = scaled - base
    top = int(floors_obj[-1])
    if top >= 1 << 62:
        raise ConstructionError(
            f"the projected range needs {top.bit_length()} bits (more than 62); "
            "the points are too close together relative to their spread for this construction"
        )
    floors = np.array([int(v) for v in floors_obj], dtype=np.int64)
    # The guarantee, checked exactly: every gap of p is >= g >= 2^(h+1), so gaps of t are >= 2.
    if proj.min_gap < 1 << (h + 1):
        raise ConstructionError("internal error: projected gaps below 2")  # pragma: no cover
    two_h = Fraction(2) ** h
    weights = [Fraction(wj << proj.F) / two_h for wj in proj.w]
    bias = Fraction(-base)
    return IntegerLine(weights, bias, proj.order, floors)


@dataclass(frozen=True)
class Blocks:
    """The sorted points cut into ``K`` blocks of ``n`` (the last one padded).

    ``lo[j]`` is the floor of the first point of block ``j``; point ``k`` of
    block ``j`` is stored as its offset ``floor(t) - lo[j]`` (``rho`` bits) in
    ``positions[j]`` and its label (``c`` bits) in ``labels[j]``, segment ``k``
    being bits ``k*rho .. k*rho + rho - 1`` counted from the most significant
    end of the fixed ``n*rho``-bit word. Padding segments are ``(0, 0)``.
    """

    n: int
    rho: int
    c: int
    lo: list[int]
    positions: list[int]
    labels: list[int]

    @property
    def count(self) -> int:
        return len(self.lo)


def block_offset_bits(floors: np.ndarray, n: int) -> int:
    """``rho = max(1, bitlen(max offset))`` for blocks of ``n``: bits per stored position."""
    last = np.minimum(np.arange(n - 1, len(floors) + n - 1, n), len(floors) - 1)
    spread = int((floors[last] - floors[::n]).max())
    return max(1, spread.bit_length())


def pack_words(values: np.ndarray, bits: int) -> list[int]:
    """Each row of the ``(K, n)`` int64 array ``values`` as one ``n*bits``-bit integer, MSB first.

    Built from the bytes of the bit matrix (``int.from_bytes``), never by
    repeated shifting of a growing integer.
    """
    k, n = values.shape
    shifts = np.arange(bits - 1, -1, -1, dtype=np.int64)
    bitmat = ((values[:, :, None] >> shifts) & 1).astype(np.uint8).reshape(k, n * bits)
    pad = (-(n * bits)) % 8
    if pad:
        bitmat = np.concatenate([np.zeros((k, pad), dtype=np.uint8), bitmat], axis=1)
    packed = np.packbits(bitmat, axis=1)
    return [int.from_bytes(row.tobytes(), "big") for row in packed]


def pack_blocks(floors: np.ndarray, labels: np.ndarray, n: int, c: int) -> Blocks:
    """Stage (b) data: blocks of ``n`` consecutive sorted points, packed into words."""
    N = len(floors)
    K = -(-N // n)
    lo = floors[::n]
    offsets = np.zeros(K * n, dtype=np.int64)
    offsets[:N] = floors - np.repeat(lo, n)[:N]
    padded = np.zeros(K * n, dtype=np.int64)
    padded[:N] = labels
    rho = max(1, int(offsets.max()).bit_length())
    return Blocks(n, rho, c, [int(v) for v in lo], pack_words(offsets.reshape(K, n), rho),
                  pack_words(padded.reshape(K, n), c))
