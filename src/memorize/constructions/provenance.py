"""What a built network records about its origin (saved in the file's ``meta``)."""

from __future__ import annotations

import numpy as np

from memorize.constructions.record import get
from memorize.data import summarize

#: Above this many points the separation (a nearest-neighbour search in R^d, minutes at 10^6
#: points) is not measured for the record: ``meta["data"]["delta"]`` is None, and
#: :func:`memorize.bounds.compare` asks for it.
SEPARATION_MAX = 200_000


def provenance(name: str, seed, options: dict, X: np.ndarray, y: np.ndarray,
               *, distinct=None, **extra) -> dict:
    """The ``meta`` dict of a network built by construction ``name`` from ``(X, y)``
    (``distinct``: their deduplicated ``(X_unique, y_unique)``, if the builder has them).

    ``theorem`` is the record's reference; ``data`` summarizes the points (``N``
    counts every row, ``distinct`` the distinct points the counts are stated for).
    """
    s = summarize(X, y, measure_separation=len(X) <= SEPARATION_MAX, distinct=distinct)
    meta = {
        "construction": name,
        "theorem": get(name).reference,
        "seed": seed,
        "options": dict(options),
        "data": {"N": s.n, "distinct": s.distinct, "d": s.d, "C": s.num_classes,
                 "r": s.radius, "delta": s.separation},
    }
    meta.update(extra)
    return meta
