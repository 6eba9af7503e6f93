"""What a built network records about its origin (saved in the file's ``meta``)."""

from __future__ import annotations

import numpy as np

from memorize.data import summarize

#: Above this many points the separation (a nearest-neighbour search in R^d, minutes at 10^6
#: points) is not measured for the record: ``meta["data"]["delta"]`` is None, and
#: :func:`memorize.bounds.compare` asks for it.
SEPARATION_MAX = 200_000


def provenance(name: str, theorem: str, seed, options: dict, X: np.ndarray, y: np.ndarray,
               *, distinct=None, **extra) -> dict:
    """The ``meta`` dict of a network built by construction ``name`` from ``(X, y)``
    (``distinct``: their deduplicated ``(X_unique, y_unique)``, if the builder has them)."""
    s = summarize(X, y, measure_separation=len(X) <= SEPARATION_MAX, distinct=distinct)
    meta = {
        "construction": name,
        "theorem": theorem,
        "seed": seed,
        "options": dict(options),
        "data": {"N": s.n, "d": s.d, "C": s.num_classes, "r": s.radius, "delta": s.separation},
    }
    meta.update(extra)
    return meta
