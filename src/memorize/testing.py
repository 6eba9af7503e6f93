"""Hypothesis strategies for separated labeled data sets, for your own property tests.

Every argument takes either a plain value or a strategy, in the manner of
``hypothesis.extra.numpy``::

    from hypothesis import given, strategies as st
    from memorize.testing import datasets
    from memorize import build, verify

    @given(datasets(n=st.integers(1, 40), d=st.integers(1, 4), num_classes=3))
    def test_two_layer_memorizes(data):
        X, y = data
        assert verify.is_memorizing(build("relu_two_layer", X, y), X, y)

The points come from :mod:`memorize.data`'s seeded generators, with the seed
drawn by hypothesis, so every failing example is reproducible and shrinks
towards small ``n``, ``d`` and seeds.

Requires the ``test`` extra (``pip install memorize[test]``) for hypothesis.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from memorize import data

__all__ = ["datasets", "labels", "KINDS"]

#: How the points are placed: uniform in the ball, on the sphere, or in close pairs
#: at distance exactly ``delta`` (up to rounding), the adversarial case of the theorems.
KINDS = ("ball", "sphere", "pairs")


def _strategy(value, name: str, check) -> st.SearchStrategy:
    if isinstance(value, st.SearchStrategy):
        return value
    check(value, name)
    return st.just(value)


def _positive_int(v, name):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
        raise InvalidArgument(f"{name}={v!r} must be a positive integer or a strategy")


def _positive_float(v, name):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0 or not np.isfinite(v):
        raise InvalidArgument(f"{name}={v!r} must be a positive finite number or a strategy")


def _kind(v, name):
    if v not in KINDS:
        raise InvalidArgument(f"{name}={v!r} must be one of {KINDS} or a strategy")


def labels(n, num_classes=2) -> st.SearchStrategy:
    """Strategy for an int64 label array of length ``n`` with values in ``{0..num_classes-1}``."""
    n_st = _strategy(n, "n", _positive_int)
    c_st = _strategy(num_classes, "num_classes", _positive_int)

    @st.composite
    def draw_labels(draw):
        size, c = draw(n_st), draw(c_st)
        return np.array(draw(st.lists(st.integers(0, c - 1), min_size=size, max_size=size)),
                        dtype=np.int64)

    return draw_labels()


def datasets(*, n=st.integers(1, 30), d=st.integers(1, 4), num_classes=st.integers(1, 4),
             delta=st.sampled_from([0.05, 0.1, 0.2]), radius=st.sampled_from([0.5, 1.0, 10.0]),
             kind=st.sampled_from(KINDS)) -> st.SearchStrategy:
    """Strategy for ``(X, y)``: ``n`` points in ``R^d`` with pairwise distance ``>= delta``
    (``== delta`` for the close pairs of ``kind="pairs"``), norms ``<= radius``
    (``== radius`` for ``kind="sphere"``) and labels in ``{0..num_classes-1}``.

    Draws whose parameters cannot hold ``n`` separated points (say ``n = 30``
    on the circle of radius 0.5 at ``delta = 0.2``) are rejected with
    ``hypothesis.assume``, so keep the ranges feasible.
    """
    strategies = (
        _strategy(n, "n", _positive_int),
        _strategy(d, "d", _positive_int),
        _strategy(num_classes, "num_classes", _positive_int),
        _strategy(delta, "delta", _positive_float),
        _strategy(radius, "radius", _positive_float),
        _strategy(kind, "kind", _kind),
    )

    @st.composite
    def draw_dataset(draw):
        from hypothesis import assume

        size, dim, c, sep, rad, how = (draw(s) for s in strategies)
        seed = draw(st.integers(0, 2**32 - 1))
        try:
            if how == "pairs":
                X, y = data.adversarial_pairs(size, dim, sep, num_classes=c, radius=rad, seed=seed)
            else:
                X, y = data.random_separated(size, dim, sep, num_classes=c, radius=rad,
                                             sphere=how == "sphere", seed=seed)
        except data.DataError:
            assume(False)
        return X, y

    return draw_dataset()
