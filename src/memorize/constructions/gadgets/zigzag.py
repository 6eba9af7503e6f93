"""The zigzag interpolant of Zhang et al. (2017) through points on a line.

``f(t) = sum_j a_j relu(t - z_j)`` through ``(t_i, y_i)`` (``t`` increasing)
whose slope alternates ``+P, -P``: hinge ``z_0 = t_0 - y_0/P`` and, between
``t_{i-1}`` and ``t_i``, ``z_i = t_{i-1} + (g_i + s (y_i - y_{i-1}) / P) / 2``
(``g_i`` the gap, ``s`` the current slope's sign), so every ``|a_j|`` is ``P``
or ``2P`` and every hinge is dyadic when the data and ``P`` are. Shared by
``relu_two_layer`` (one zigzag through all points) and ``relu_three_layer`` (one
per block).
"""

from __future__ import annotations

from fractions import Fraction


def slope_above(ratio) -> int:
    """The smallest power of two ``P >= 1`` with ``P > ratio``: a zigzag slope steeper than
    every label slope ``|y_i - y_{i-1}| / (t_i - t_{i-1})``, and an integer.

    >>> slope_above(Fraction(3)), slope_above(Fraction(1, 3)), slope_above(4)
    (4, 1, 8)
    """
    P = 1
    while P <= ratio:
        P *= 2
    return P


def zigzag(ts, ys, P) -> tuple[list, list]:
    """Hinges ``z_j`` and slopes ``a_j`` of the interpolant through ``(ts, ys)``, with
    ``a_0 = P`` and ``a_j = (-1)^j 2P``: ``f(t) = sum_j a_j relu(t - z_j)``.

    >>> hinges, slopes = zigzag([0, 1, 2], [0, 1, 0], Fraction(2))
    >>> f = lambda t: sum(a * max(t - z, 0) for a, z in zip(slopes, hinges))
    >>> [f(t) for t in (0, 1, 2)]
    [Fraction(0, 1), Fraction(1, 1), Fraction(0, 1)]
    """
    hinges, slopes = [ts[0] - Fraction(ys[0]) / P], [Fraction(P)]
    sign = 1
    for i in range(1, len(ts)):
        hinges.append(ts[i - 1] + (ts[i] - ts[i - 1] + sign * Fraction(ys[i] - ys[i - 1]) / P) / 2)
        slopes.append(-2 * sign * Fraction(P))
        sign = -sign
    return hinges, slopes
