"""Classifiers verified by argmax: the label's output strictly above every other, exactly.

A network with ``K`` outputs classifies ``x`` as the index of its largest output.
:func:`memorize.verify.verify` with ``output="argmax"`` requires, for every point,
that output ``y[i]`` is strictly larger than each of the other ``K - 1`` outputs
on ``X[i]`` (a tie fails), decided in exact arithmetic.

The exact evaluation gives output ``k`` as integers over its own positive scale
``scales[k]`` (:class:`memorize.verify.Evaluation`), and the scales of different
outputs differ in general: numerators of different outputs are not comparable.
So every output is first brought to the lcm of the scales; the *gap* of a point
is then its label's output minus the largest other output, an exact rational.

    >>> import numpy as np
    >>> from memorize.network import Layer, Network
    >>> from memorize.verify import evaluate
    >>> net = Network(1, (Layer.from_dense([[1], [-1], [0]], [0, 0, 0], "identity"),))
    >>> check = argmax_check(evaluate(net, [[2.0], [-0.5], [0.0]]), np.array([0, 1, 2]))
    >>> check.wrong.tolist(), check.min_gap  # x = 0 ties all three outputs
    ([2], Fraction(0, 1))
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from memorize.errors import DataError
from memorize.verify.exact import Evaluation

_LIMIT = 1 << 62  # int64 arithmetic is used only below this magnitude


@dataclass
class ArgmaxCheck:
    """Per point, the label's output against the largest other output, exactly.

    ``gaps[i] / scale`` is output ``y[i]`` minus the largest other output on point
    ``i``; ``rivals[i]`` is the index of that largest other output (the smallest
    such index on a tie). A point passes iff its gap is ``> 0``.
    """

    gaps: np.ndarray
    rivals: np.ndarray
    scale: int

    @property
    def wrong(self) -> np.ndarray:
        """Indices of the points whose label's output is not strictly the largest."""
        return np.flatnonzero(self.gaps <= 0)

    @property
    def min_gap(self) -> Fraction | None:
        """The smallest gap over the points, exactly (``<= 0`` iff some point fails)."""
        return Fraction(int(self.gaps.min()), self.scale) if len(self.gaps) else None

    def gap(self, i: int) -> Fraction:
        return Fraction(int(self.gaps[i]), self.scale)


def check_labels(num_outputs: int, y: np.ndarray) -> None:
    """Raise :class:`DataError` unless every label indexes an output of a multi-output network."""
    if num_outputs < 2:
        raise DataError(
            f"output='argmax' needs a network with at least 2 outputs; this one has {num_outputs}: "
            "use output='label' to check that the output equals the label"
        )
    if len(y) and int(y.max()) >= num_outputs:
        i = int(np.argmax(y >= num_outputs))
        raise DataError(
            f"label {int(y[i])} of point {i} has no output: the network has {num_outputs} outputs, "
            f"so output='argmax' needs labels in 0..{num_outputs - 1}"
        )


def argmax_check(ev: Evaluation, y: np.ndarray) -> ArgmaxCheck:
    """Compare the label's exact output with the largest other one, point by point.

    Parameters
    ----------
    ev : the exact evaluation of a network with at least 2 outputs
    y : array (N,) of labels, each an index of an output

    Returns
    -------
    ArgmaxCheck
        exact gaps on a common scale, the rival outputs, and the failing points.

    Examples
    --------
    >>> import numpy as np
    >>> from memorize.network import Layer, Network
    >>> from memorize.verify import evaluate
    >>> from fractions import Fraction
    >>> third = Fraction(1, 3)  # outputs x/3 and 1/2 - x: their scales are 3 and 1
    >>> net = Network(1, (Layer.from_dense([[third], [-1]], [0, Fraction(1, 2)], "identity"),))
    >>> check = argmax_check(evaluate(net, [[0.75], [0.25]]), np.array([0, 1]))
    >>> check.wrong.tolist(), check.gap(0), check.gap(1)
    ([], Fraction(1, 2), Fraction(1, 6))
    """
    y = np.asarray(y)
    check_labels(len(ev.outputs), y)
    n = len(y)
    common = math.lcm(*ev.scales)
    factors = [common // s for s in ev.scales]
    bound = max((max(abs(int(o.min())), abs(int(o.max()))) * f if len(o) else 0)
                for o, f in zip(ev.outputs, factors))
    small = bound < _LIMIT // 4 and all(o.dtype != object for o in ev.outputs)
    dtype = np.int64 if small else object
    # outputs[k] * factors[k] is output k over the common scale: one matrix (K, N) of numerators
    values = np.stack([o.astype(dtype) * (np.int64(f) if small else f)
                       for o, f in zip(ev.outputs, factors)])
    points = np.arange(n)
    own = values[y, points]
    # hide the label's own output below every output of its point, then take the largest
    others = values.copy()
    others[y, points] = values.min(axis=0) - 1
    rivals = np.argmax(others, axis=0)
    return ArgmaxCheck(own - others[rivals, points], rivals, common)


def float_argmax_failures(outputs: np.ndarray, y: np.ndarray) -> int:
    """Points whose float outputs (``N x K``) do not put the label strictly first (nan fails)."""
    points = np.arange(len(y))
    own = outputs[points, y]
    others = outputs.copy()
    others[points, y] = -np.inf
    return int(np.count_nonzero(~(own > others.max(axis=1))))
