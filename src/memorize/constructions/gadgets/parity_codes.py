"""Parity compression and the lift of Rajput et al. (2021), stages 2 and 3 of
``threshold_sublinear``: sparse GF(2) parities that keep distinct codes distinct in
``O(log n)`` bits, and random blocks of code bits that make the codes of each group of
points linearly independent (``docs/theorems/threshold_sublinear.md``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from memorize.errors import ConstructionError


# -- stage 2: parity compression -------------------------------------------------

def compress(codes: np.ndarray, r: int, k0: int, rng) -> list[np.ndarray]:
    """Supports of ``k >= k0`` parity rows whose parities are injective on the codes.

    ``k0`` rows are uniformly random ``r``-subsets of the layer-1 bits. While
    two codes ``z_i = z_j`` still collide, a *targeted* row is added: a random
    ``r``-subset with one element swapped so that it meets ``D = z_i xor z_j``
    in an odd number of bits, so it splits that pair (and whatever else it
    happens to split). When no ``r``-subset meets ``D`` oddly (``D`` is all of
    the layer or ``r = m``) the row is a single bit of ``D``. Each targeted
    row makes strictly more classes, so at most ``n - 1`` are added.
    """
    n, m = codes.shape
    supports: list[np.ndarray] = []
    cls = np.zeros(n, dtype=np.int64)
    while True:
        if len(supports) < k0:
            s = np.sort(rng.choice(m, size=r, replace=False))
        else:
            counts = np.bincount(cls)
            if counts.max() == 1:
                return supports
            i, j = np.flatnonzero(cls == int(np.argmax(counts)))[:2]
            s = _odd_row(np.flatnonzero(codes[i] != codes[j]), m, r, rng)
        bit = np.logical_xor.reduce(codes[:, s], axis=1)
        cls = np.unique(cls * 2 + bit, return_inverse=True)[1].reshape(-1)
        supports.append(s)


def _odd_row(D: np.ndarray, m: int, r: int, rng) -> np.ndarray:
    """A random ``r``-subset of ``range(m)`` meeting ``D`` in an odd number of elements."""
    s = rng.choice(m, size=r, replace=False)
    inside = np.isin(s, D)
    if inside.sum() % 2 == 0:
        free = np.setdiff1d(np.arange(m), s)
        free_in, free_out = free[np.isin(free, D)], free[~np.isin(free, D)]
        if len(free_in) and (~inside).any():  # swap an outside member for a D element
            s[rng.choice(np.flatnonzero(~inside))] = rng.choice(free_in)
        elif len(free_out) and inside.any():  # swap a D member for an outside element
            s[rng.choice(np.flatnonzero(inside))] = rng.choice(free_out)
        else:
            s = np.array([rng.choice(D)])
    return np.sort(s)


def parity_bits(codes: np.ndarray, supports: list[np.ndarray]) -> np.ndarray:
    return np.stack([np.logical_xor.reduce(codes[:, s], axis=1) for s in supports], axis=1)


# -- stage 3: lift ----------------------------------------------------------------

def _row_ids(bits: np.ndarray) -> np.ndarray:
    """Equal rows get equal ids (0..#distinct-1)."""
    if bits.shape[1] == 0:
        return np.zeros(bits.shape[0], dtype=np.int64)
    packed = np.ascontiguousarray(np.packbits(bits, axis=1))
    _, ids = np.unique(packed.view(np.dtype((np.void, packed.shape[1]))).ravel(),
                       return_inverse=True)
    return ids.reshape(-1)


@dataclass
class Lift:
    group: np.ndarray  # group id per point
    blocks: list[np.ndarray]  # code-bit columns of each block
    feature: np.ndarray  # feature id per point (-1: none)
    feature_keys: list[tuple[int, int]]  # (block, representative point) per feature


def lift(c: np.ndarray, y: np.ndarray, needs: np.ndarray, b_g: int, b_f: int, max_blocks: int,
         rng) -> Lift:
    """Groups from the first ``b_g`` code bits; a label-private feature for every needy point."""
    n, k = c.shape
    group = _row_ids(c[:, :b_g])
    rest = np.arange(b_g, k)
    feature = np.full(n, -1, dtype=np.int64)
    keys: dict[tuple[int, int], int] = {}
    reps: list[tuple[int, int]] = []
    blocks: list[np.ndarray] = []
    todo = needs.copy()
    while todo.any():
        if len(blocks) < max_blocks and len(rest) > b_f:
            cols = np.sort(rng.choice(rest, size=b_f, replace=False))
        else:
            cols = rest  # the completion block: codes are distinct, so this always isolates
        t = len(blocks)
        blocks.append(cols)
        pattern = _row_ids(c[:, cols])
        cell = np.unique(np.stack([group, pattern], axis=1), axis=0, return_inverse=True)[1].reshape(-1)
        cell_label = np.unique(np.stack([cell, y], axis=1), axis=0)
        labels_per_cell = np.bincount(cell_label[:, 0], minlength=cell.max() + 1)
        take = np.flatnonzero(todo & (labels_per_cell[cell] == 1))
        for i in take.tolist():
            key = (t, int(pattern[i]))
            if key not in keys:
                keys[key] = len(reps)
                reps.append((t, i))
            feature[i] = keys[key]
        todo[take] = False
        if len(cols) == len(rest) and todo.any():
            raise ConstructionError("internal: the completion block did not isolate every point")
    return Lift(group, blocks, feature, reps)
