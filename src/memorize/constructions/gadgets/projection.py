"""Exact projection of the data onto a random line, the first stage of several constructions.

A direction with small integer entries is drawn from a seeded Gaussian and
re-drawn until the projections of all (distinct) points are pairwise
distinct, which is checked exactly on the integerized inputs, never in floats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from memorize import dyadic
from memorize.errors import ConstructionError


@dataclass(frozen=True)
class Projection:
    """``t_i = <w, x_i>`` exactly, stored as integers ``t_int = t * 2^F``.

    ``order`` sorts the points by ``t``; ``min_gap`` is the smallest difference
    of consecutive sorted projections, in the same integer units.
    """

    w: list[int]
    F: int
    t_int: np.ndarray  # object array of Python ints
    order: np.ndarray
    min_gap: int


def random_direction(d: int, rng: np.random.Generator, bits: int = 24) -> list[int]:
    """A Gaussian direction rounded to integers of about ``bits`` bits (never all zero)."""
    while True:
        w = [int(v) for v in np.rint(rng.standard_normal(d) * (1 << bits)).astype(np.int64)]
        if any(w):
            return w


def project(X_int: np.ndarray, w: list[int]) -> np.ndarray:
    """Exact ``X_int @ w`` as an object array of Python ints."""
    t = np.zeros(X_int.shape[0], dtype=object)
    for j, wj in enumerate(w):
        if wj:
            t = t + X_int[:, j] * wj
    return t


def exact_projection(X_int: np.ndarray, F: int, w: list[int]) -> Projection | None:
    """The exact projection of ``X = X_int / 2^F`` onto ``w``; ``None`` if two points share
    an image."""
    t = project(X_int, w)
    order = np.argsort(t, kind="stable").astype(np.int64)
    ts = t[order]
    gaps = ts[1:] - ts[:-1]
    min_gap = int(gaps.min()) if len(gaps) else 1
    return Projection(w, F, t, order, min_gap) if min_gap > 0 else None


def distinct_projection(X: np.ndarray, rng: np.random.Generator, *, bits: int = 24,
                        max_tries: int = 64) -> Projection:
    """Project distinct points ``X`` onto a random integer direction with distinct images."""
    X_int, F = dyadic.to_integers(X)
    return distinct_integer_projection(X_int, F, rng, bits=bits, max_tries=max_tries)


def distinct_integer_projection(X_int: np.ndarray, F: int, rng: np.random.Generator, *,
                                bits: int = 24, max_tries: int = 64) -> Projection:
    """:func:`distinct_projection` on inputs already integerized as ``X = X_int / 2^F``
    (so that several draws convert the inputs only once)."""
    for _ in range(max_tries):
        proj = exact_projection(X_int, F, random_direction(X_int.shape[1], rng, bits))
        if proj is not None:
            return proj
    raise ConstructionError(
        f"no random direction out of {max_tries} separated the projections of the points; "
        "are the points distinct?"
    )
