"""Stage (b) of the lean sqrt(N) memorizer as data: blocks and their tent-coded words.

The sorted points of the integer line (floors ``>= 4`` apart) are cut into
``K`` blocks of at most ``n = S n_s`` points. Block ``j`` starts at the even
integer ``lo_j`` (the floor of its first point, rounded down to even) and
stores each point as a *record*: its label field ``2 y`` (``c + 1`` bits,
even) above its offset field ``floor(t) - lo_j`` (``rho`` bits). The records
are dealt to ``S`` streams, ``n_s`` each (padding records are ``(0, 0)``), and
each stream is one word, read MSB first by tent folds
(:func:`~memorize.constructions.gadgets.relu.tent_layer`). Stream 0's word
starts with the field ``lo_j`` (``lo_bits`` bits).

A word of ``B`` bits ``W`` enters the network as the midpoint
``z = (2 W + 1) / 2^(B + 1)`` of its cell, so that the reflection ``1 - z``
that follows an odd field is the bitwise complement of the bits below it.
The encoder therefore stores each record's bits complemented when an odd
number of odd offsets precede it in its stream; after the folds every record
is read as written. Label and ``lo`` fields are even, so they never reflect,
and a field of even value ``v`` is recovered exactly as ``2^f z_before - z_after``.
"""

from __future__ import annotations

import numpy as np

from memorize.constructions.gadgets.line_blocks import pack_words
from memorize.errors import ConstructionError


def even_starts(floors: np.ndarray) -> np.ndarray:
    """``floors`` rounded down to even: the block start each point would have."""
    return floors & ~np.int64(1)


def offset_bits(floors: np.ndarray, n: int) -> int:
    """``rho``: bits of the largest offset in fixed blocks of ``n`` sorted points."""
    last = np.minimum(np.arange(n - 1, len(floors) + n - 1, n), len(floors) - 1)
    spread = int((floors[last] - even_starts(floors[::n])).max())
    return max(1, spread.bit_length())


def greedy_starts(floors: np.ndarray, n: int, rho: int) -> np.ndarray:
    """Greedy cut of the sorted points: each block takes up to ``n`` consecutive points
    whose offsets from its even start fit in ``rho`` bits. With ``rho >=``
    :func:`offset_bits` ``(floors, n)`` these are the fixed blocks of ``n``; a
    smaller ``rho`` buys shorter records with a few more blocks."""
    N = len(floors)
    if rho >= offset_bits(floors, n):
        return np.arange(0, N, n, dtype=np.int64)
    # Where each point's block would end, then the chain of block starts from point 0.
    following = np.minimum(np.arange(N) + n,
                           np.searchsorted(floors, even_starts(floors) + (1 << rho), side="left"))
    starts, i = [], 0
    while i < N:
        starts.append(i)
        i = int(following[i])
    return np.array(starts, dtype=np.int64)


def stream_words(floors: np.ndarray, labels: np.ndarray, starts: np.ndarray, *, n_s: int,
                 streams: int, rho: int, c: int, lo_bits: int) -> list[list[int]]:
    """``U[s][j] = 2 W + 1`` for stream ``s`` of block ``j`` (see the module docstring).

    ``floors`` sorted (``>= 4`` apart), ``labels`` in their order, ``starts``
    the first point of each block; every offset must fit in ``rho`` bits and
    every label in ``c``. Stream 0 carries the ``lo_bits``-bit field ``lo_j``
    on top when there is more than one block.
    """
    N, K = len(floors), len(starts)
    width = rho + c + 1  # bits per record
    if width > 62:
        raise ConstructionError(
            f"a record needs {width} bits (offsets {rho}, labels {c}); more than 62 are not "
            "supported: the points are too close together relative to their spread")
    block = np.repeat(np.arange(K), np.diff(np.append(starts, N)))
    slot = np.arange(N) - starts[block]
    if slot.max() >= n_s * streams:
        raise ConstructionError("internal error: a block holds more points than its streams")  # pragma: no cover
    lo = even_starts(floors[starts])
    offsets = np.zeros((K, n_s * streams), dtype=np.int64)
    offsets[block, slot] = floors - lo[block]
    fields = np.zeros((K, n_s * streams), dtype=np.int64)
    fields[block, slot] = labels.astype(np.int64) << (rho + 1)  # the label field 2y, above rho bits
    if offsets.max() >= 1 << rho or int(labels.max()) >= 1 << c:
        raise ConstructionError("internal error: a record does not fit its fields")  # pragma: no cover
    fields |= offsets
    words = []
    for s in range(streams):
        rec = fields[:, s * n_s:(s + 1) * n_s]
        odd = offsets[:, s * n_s:(s + 1) * n_s] & 1
        # Record r is read reflected (complemented) after an odd number of odd offsets.
        flips = (np.cumsum(odd, axis=1) - odd) & 1
        stored = rec ^ (flips * ((1 << width) - 1))
        packed = pack_words(stored, width)
        if s == 0 and K > 1:
            shift = n_s * width
            packed = [(int(l) << shift) | w for l, w in zip(lo, packed)]
            if int(lo[-1]).bit_length() > lo_bits:
                raise ConstructionError("internal error: lo does not fit its field")  # pragma: no cover
        words.append([2 * w + 1 for w in packed])
    return words
