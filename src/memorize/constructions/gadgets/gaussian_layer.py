"""A first layer of random threshold units whose signs on the data are decided exactly.

Rajput et al.'s deep threshold network and Dirksen, Finke, Genzel's instance-specific
one both start with Gaussian hyperplanes; their weights are rounded to a dyadic grid
(exact), and the float64 sign of each unit on each point is trusted only where the
rigorous error bound of :func:`~memorize.constructions.gadgets.certified.dot_error`
allows.
"""

from __future__ import annotations

import numpy as np

from memorize.constructions.gadgets.certified import dot_error

WEIGHT_BITS = 24  # layer-1 Gaussians are rounded to multiples of 2^-WEIGHT_BITS
_CHUNK = 1 << 22  # float values per layer-1 evaluation chunk


def draw_hyperplanes(rng, count: int, d: int, ball: bool):
    """``count`` Gaussian rows ``W`` (and, with ``ball``, Gaussian biases ``b``; else 0) as
    integers: the draws times ``2^WEIGHT_BITS``, rounded, never 0."""
    scale = float(1 << WEIGHT_BITS)
    W = np.rint(rng.standard_normal((count, d)) * scale).astype(np.int64)
    W[W == 0] = 1  # keeps every weight nonzero (the count formula relies on it)
    if ball:
        b = np.rint(rng.standard_normal(count) * scale).astype(np.int64)
        b[b == 0] = 1
    else:
        b = np.zeros(count, dtype=np.int64)
    return W, b


def certified_signs(X, W, b_mant, b_exp, margin_bits):
    """Signs of ``W x + b`` on every point, and which hyperplanes meet the margin (certified).

    The float64 value ``z`` of ``sum_j w_j x_j + b`` is within
    :func:`~memorize.constructions.gadgets.certified.dot_error` of the exact
    value, whatever the summation order. A hyperplane passes when ``|z| - err`` exceeds the margin threshold
    on every point; then every sign is exact.
    """
    n, d = X.shape
    Wf = W.astype(np.float64)  # exact: |W| < 2^53
    bf = np.ldexp(b_mant.astype(np.float64), b_exp)
    absX = np.abs(X)
    A = float(absX.max()) if X.size else 0.0
    thr = np.ldexp(1.0, -margin_bits) * (np.abs(W).sum(axis=1).astype(np.float64) * A + np.abs(bf))
    thr *= 1 + 2.0 ** -40
    ok = np.ones(len(W), dtype=bool)
    signs = np.empty((n, len(W)), dtype=bool)
    step = max(1, _CHUNK // max(n, 1))
    for lo in range(0, len(W), step):
        hi = min(len(W), lo + step)
        z = X @ Wf[lo:hi].T + bf[lo:hi]
        err = dot_error(absX @ np.abs(Wf[lo:hi]).T + np.abs(bf[lo:hi]), d)
        ok[lo:hi] = ((np.abs(z) - err) >= thr[lo:hi]).all(axis=0)
        signs[:, lo:hi] = z >= 0
    return signs, ok
