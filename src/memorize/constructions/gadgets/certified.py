"""A rigorous error bound for float64 dot products, so that float signs can be trusted.

The constructions that draw real hyperplanes (Baum's slabs, Rajput et al.'s Gaussian
first layer) evaluate ``w . x + b`` in float64 for speed and decide exactly only
where the float value is too close to call.
"""

from __future__ import annotations

import numpy as np


def dot_error(abs_terms: np.ndarray, d: int) -> np.ndarray:
    """An upper bound on ``|fl(w . x + b) - (w . x + b)|`` for a float64 evaluation of
    length ``d`` in any summation order, from ``abs_terms = |w| . |x| + |b|``.

    ``(d + 3) 2^-51 abs_terms`` bounds the relative error (``gamma_{d+1}`` with room
    for the rounding of the bound itself); ``(d + 3) 2^-1074`` the absolute error of
    subnormal results (each rounding errs by at most ``2^-1075`` there).

    >>> float(dot_error(np.array([1.0]), 1)[0]) == 4 * 2.0 ** -51 + 4 * 2.0 ** -1074
    True
    """
    return abs_terms * ((d + 3) * 2.0 ** -51) + (d + 3) * 2.0 ** -1074
