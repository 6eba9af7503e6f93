"""Stages (a) and (b) of the block memorizers as data: the integer line and packed blocks.

(a) :func:`integer_line` projects the points onto a random line, scaled by a
power of two so that consecutive projections are >= 2 (or 4) apart, shifted to
start at 0 -- all in exact integer arithmetic on the dyadic inputs. Both
``relu_sublinear``'s stream members and its depth-budget block network use it.

(b) :func:`pack_blocks` cuts the sorted points into blocks of ``n`` and packs
each block's records (offset in ``rho`` bits, label in ``c``) into big
integers, MSB first, fixed width, several words holding slices of every
record (:class:`Layout`): the depth-budget network's storage.
:func:`pack_words` is shared with :mod:`~memorize.constructions.gadgets.fold_words`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from memorize import dyadic
from memorize.constructions.gadgets.projection import (
    Projection, distinct_integer_projection, exact_projection, random_direction,
)
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


def integer_line(X: np.ndarray, rng: np.random.Generator, directions: int = 1,
                 gap_bits: int = 1) -> IntegerLine:
    """Stage (a): a random direction with distinct projections, scaled to gaps ``>= 2^gap_bits``.

    Of ``directions`` random draws the one with the smallest range ``top``
    (in units of the smallest gap) is kept: fewer bits per stored position.
    The draws are ranked by their range in float64 (a ranking only) and the
    exact projection is computed for the best one whose images are distinct.

    With ``p_i = <w, X_int_i>`` (``X = X_int / 2^F``, ``w`` a random integer
    direction re-drawn until the ``p_i`` are distinct) and ``g`` the smallest
    gap of the sorted ``p``, put ``h = bitlen(g) - 1 - gap_bits`` and
    ``t = p / 2^h - floor(p_min / 2^h)``. Then every gap is ``>= g / 2^h >= 2^gap_bits``; the
    power of two keeps the weights dyadic and the floors exact shifts. The
    shift is the integer ``floor(p_min / 2^h)``, so the smallest ``t`` is in ``[0, 1)``.
    """
    X_int, F = dyadic.to_integers(X)
    draws = [random_direction(X_int.shape[1], rng) for _ in range(max(1, directions))]
    Xf = np.asarray(X, dtype=np.float64)
    for w in sorted(draws, key=lambda w: _float_range(Xf, w)):
        proj = exact_projection(X_int, F, w)
        if proj is not None:
            return _scaled_line(proj, gap_bits)
    return _scaled_line(distinct_integer_projection(X_int, F, rng), gap_bits)


def _float_range(Xf: np.ndarray, w: list[int]) -> float:
    """The range of the projections over their smallest gap, in float64 (``inf`` when a gap
    vanishes in floats): the ranking of the draws."""
    p = np.sort(Xf @ np.asarray(w, dtype=np.float64))
    gap = np.diff(p).min() if len(p) > 1 else 1.0
    return float((p[-1] - p[0]) / gap) if gap > 0 else float("inf")


def _scaled_line(proj: Projection, gap_bits: int) -> IntegerLine:
    h = proj.min_gap.bit_length() - 1 - gap_bits
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
    two_h = Fraction(2) ** h
    weights = [Fraction(wj << proj.F) / two_h for wj in proj.w]
    bias = Fraction(-base)
    return IntegerLine(weights, bias, proj.order, floors)


@dataclass(frozen=True)
class Slice:
    """One stored word's share of every point: ``width`` bits of its record
    ``offset * 2^c + label`` from bit ``shift`` up.

    Read MSB first, its first ``off_bits`` bits are offset bits worth
    ``2^off_shift`` times their value and the rest label bits worth ``2^lab_shift``.
    """

    width: int
    shift: int
    off_bits: int
    off_shift: int
    lab_shift: int

    def values(self, offsets: np.ndarray, labels: np.ndarray, c: int) -> np.ndarray:
        return (((offsets << c) | labels) >> self.shift) & ((1 << self.width) - 1)


@dataclass(frozen=True)
class Layout:
    """How a block's points are stored: ``n`` points per block, each spread over the
    words ``slices`` (one :class:`Slice` each), all read in parallel, one bit per
    layer, so a point takes ``s = max width`` layers.

    :meth:`record`: ``w`` words share the record ``offset * 2^c + label``
    (``rho + c`` bits) -- the depth-budget network's layout.
    """

    n: int
    rho: int
    c: int
    slices: tuple

    @staticmethod
    def record(n: int, rho: int, c: int, s: int) -> "Layout":
        """The fewest words (``ceil((rho + c) / s)``) reading a point in ``s`` layers."""
        w = -(-(rho + c) // s)
        slices = []
        for i in range(w):
            low = s * (w - 1 - i)  # the slice's lowest record bit
            label_bits = min(s, max(0, c - low))
            slices.append(Slice(s, low, s - label_bits, max(0, low + label_bits - c), low))
        return Layout(n, rho, c, tuple(slices))

    @property
    def s(self) -> int:
        return max(sl.width for sl in self.slices)

    @property
    def words(self) -> int:
        return len(self.slices)


@dataclass(frozen=True)
class Blocks:
    """The sorted points cut into ``K`` blocks of at most ``n`` (:func:`block_starts`),
    each padded to ``n``.

    ``lo[j]`` is the floor of the first point of block ``j``; point ``k`` of
    block ``j`` is stored as its offset ``floor(t) - lo[j]`` and its label.
    ``words[i][j]`` is word ``i`` of block ``j``: the slice ``layout.slices[i]``
    (``width`` bits) of every point of the block, segment ``k`` being bits
    ``k*width .. k*width + width - 1`` counted from the most significant end of
    the fixed ``n*width``-bit word. Padding segments are ``(0, 0)``.
    """

    layout: Layout
    lo: list[int]
    words: list[list[int]]

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


def block_starts(floors: np.ndarray, n: int, rho: int) -> np.ndarray:
    """Greedy cut of the sorted points: each block takes up to ``n`` consecutive points
    whose offsets from its first point fit in ``rho`` bits. With ``rho`` at least
    :func:`block_offset_bits` ``(floors, n)`` these are the fixed blocks of ``n``;
    a smaller ``rho`` buys shorter records with a few more blocks."""
    N = len(floors)
    # Where the span limit ends a block starting at each point; then follow the chain from 0.
    by_span = np.searchsorted(floors, floors + (1 << rho), side="left")
    following = np.minimum(np.arange(N) + n, by_span)
    starts, i = [], 0
    while i < N:
        starts.append(i)
        i = int(following[i])
    return np.array(starts, dtype=np.int64)


def pack_blocks(floors: np.ndarray, labels: np.ndarray, layout: Layout) -> Blocks:
    """Stage (b) data: the blocks of :func:`block_starts` (``layout.n`` points at most,
    offsets in ``layout.rho`` bits), each padded to ``n`` and packed into words.

    Raises ConstructionError if a label needs more than ``layout.c`` bits.
    """
    N, n = len(floors), layout.n
    starts = block_starts(floors, n, layout.rho)
    K = len(starts)
    block = np.repeat(np.arange(K), np.diff(np.append(starts, N)))
    slot = np.arange(N) - starts[block]
    offsets = np.zeros((K, n), dtype=np.int64)
    offsets[block, slot] = floors - floors[starts][block]
    padded = np.zeros((K, n), dtype=np.int64)
    padded[block, slot] = labels
    if int(padded.max()).bit_length() > layout.c:
        raise ConstructionError(f"internal error: labels do not fit {layout}")  # pragma: no cover
    words = [pack_words(sl.values(offsets, padded, layout.c), sl.width) for sl in layout.slices]
    return Blocks(layout, [int(v) for v in floors[starts]], words)
