"""Hypothesis strategies for separated labeled data sets and small exact networks, for your
own property tests.

Every argument takes either a plain value or a strategy, in the manner of
``hypothesis.extra.numpy``; plain values are checked when the strategy is made, drawn
values when they are drawn (through ``flatmap``), with the same message::

    from hypothesis import given, strategies as st
    from memorize.testing import datasets
    from memorize import build, verify

    @given(datasets(n=st.integers(1, 40), d=st.integers(1, 4), num_classes=3))
    def test_two_layer_memorizes(data):
        X, y = data
        assert verify.is_memorizing(build("relu_two_layer", X, y), X, y)

The points come from :mod:`memorize.data`'s seeded generators, with the seed
drawn by hypothesis, so every failing example is reproducible and shrinks
towards small ``n``, ``d`` and seeds. :func:`networks` draws small random exact
networks, for testing an evaluator of your own against :func:`memorize.verify.verify`.

Requires the ``test`` extra (``pip install memorize[test]``) for hypothesis.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra import numpy as hnp

from memorize import data
from memorize.network import ACTIVATIONS, Layer, Network

__all__ = ["datasets", "labels", "networks", "KINDS"]

#: How the points are placed: uniform in the ball, on the sphere, or in close pairs
#: at distance exactly ``delta`` (up to rounding), the adversarial case of the theorems.
KINDS = ("ball", "sphere", "pairs")


def _strategy(value, name: str, check) -> st.SearchStrategy:
    """``value`` as a strategy whose every value passes ``check``: a plain value is checked
    now, a strategy's values when drawn (re-entering through ``flatmap``, so a drawn
    ``n = 0`` is an :class:`InvalidArgument`, not a silently rejected example)."""
    if isinstance(value, st.SearchStrategy):
        def checked(v):
            check(v, name)
            return st.just(v)

        return value.flatmap(checked)
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


def _nonnegative_int(v, name):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
        raise InvalidArgument(f"{name}={v!r} must be a non-negative integer or a strategy")


def labels(n, num_classes=2) -> st.SearchStrategy:
    """Strategy for an int64 label array of length ``n`` with values in ``{0..num_classes-1}``.

    >>> labels(0)
    Traceback (most recent call last):
    ...
    hypothesis.errors.InvalidArgument: n=0 must be a positive integer or a strategy
    """
    n_st = _strategy(n, "n", _positive_int)
    c_st = _strategy(num_classes, "num_classes", _positive_int)
    return st.tuples(n_st, c_st).flatmap(
        lambda nc: hnp.arrays(np.int64, nc[0], elements=st.integers(0, nc[1] - 1)))


def datasets(*, n=st.integers(1, 30), d=st.integers(1, 4), num_classes=st.integers(1, 4),
             delta=st.sampled_from([0.05, 0.1, 0.2]), radius=st.sampled_from([0.5, 1.0, 10.0]),
             kind=st.sampled_from(KINDS), labels=None) -> st.SearchStrategy:
    """Strategy for ``(X, y)``: ``n`` points in ``R^d`` with pairwise distance ``>= delta``
    (``== delta`` for the close pairs of ``kind="pairs"``), norms ``<= radius``
    (``== radius`` for ``kind="sphere"``) and labels in ``{0..num_classes-1}``.

    ``labels``: a function ``(n, num_classes) -> strategy of a label array`` (say
    :func:`labels`, or one that draws few classes or one label), replacing the
    generator's random labels; it is checked to give ``n`` labels in range.

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

    if labels is not None and not callable(labels):
        raise InvalidArgument(f"labels={labels!r} must be a function (n, num_classes) -> strategy")
    label_strategy = labels

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
        if label_strategy is not None:
            y = np.asarray(draw(label_strategy(size, c)))
            if y.shape != (size,) or y.dtype.kind not in "iu" or (size and (y.min() < 0 or y.max() >= c)):
                raise InvalidArgument(f"labels(n={size}, num_classes={c}) must draw {size} integer "
                                      f"labels in 0..{c - 1}, got {y!r:.80}")
        return X, y

    return draw_dataset()


def _activation(v, name):
    if v not in ACTIVATIONS:
        raise InvalidArgument(f"{name}={v!r} must be one of {ACTIVATIONS} or a strategy")


def networks(*, input_dim=st.integers(1, 4), depth=st.integers(1, 4), width=st.integers(1, 5),
             activation=st.sampled_from(("relu", "step")), output_dim=1,
             weights=st.integers(-4, 4)) -> st.SearchStrategy:
    """Strategy for a small :class:`~memorize.Network` with exact weights: ``depth`` layers,
    hidden layers of ``width`` units with the given ``activation`` and a linear
    (identity) output layer of ``output_dim`` units. Weights and biases are drawn from
    ``weights`` (a strategy of ints or Fractions; zeros leave a connection out).

    >>> from hypothesis import given
    >>> @given(networks(depth=2))
    ... def check(net):
    ...     assert net.depth == 2 and net.output_dim == 1
    >>> check()
    """
    strategies = (_strategy(input_dim, "input_dim", _positive_int),
                  _strategy(depth, "depth", _positive_int),
                  _strategy(width, "width", _positive_int),
                  _strategy(activation, "activation", _activation),
                  _strategy(output_dim, "output_dim", _positive_int))
    if not isinstance(weights, st.SearchStrategy):
        raise InvalidArgument(f"weights={weights!r} must be a strategy of ints or Fractions")

    @st.composite
    def draw_network(draw):
        d, L, w, act, out = (draw(s) for s in strategies)
        sizes = [d] + [w] * (L - 1) + [out]
        layers = []
        for k, (i, o) in enumerate(zip(sizes, sizes[1:])):
            values = draw(st.lists(weights, min_size=i * o + o, max_size=i * o + o))
            for v in values:
                if not isinstance(v, (int, Fraction)) or isinstance(v, bool):
                    raise InvalidArgument(f"weights must draw ints or Fractions, got {v!r}")
            W = np.array(values[:i * o], dtype=object).reshape(o, i)
            layers.append(Layer.from_dense(W, values[i * o:], "identity" if k == L - 1 else act))
        return Network(d, layers)

    return draw_network()
