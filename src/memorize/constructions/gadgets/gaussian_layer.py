"""A first layer of random threshold units whose signs on the data are decided exactly.

Rajput et al.'s deep threshold network (:func:`draw_hyperplanes`,
:func:`certified_signs`) and Dirksen, Finke, Genzel's instance-specific one
(:class:`Hyperplanes`) both start with Gaussian hyperplanes; their weights are rounded to a dyadic grid
(exact), and the float64 sign of each unit on each point is trusted only where the
rigorous error bound of :func:`~memorize.constructions.gadgets.certified.dot_error`
allows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from memorize import dyadic
from memorize.constructions.gadgets.certified import dot_error
from memorize.constructions.gadgets.projection import project
from memorize.errors import ConstructionError

WEIGHT_BITS = 24  # layer-1 Gaussians are rounded to multiples of 2^-WEIGHT_BITS
_CHUNK = 1 << 22  # float values per layer-1 evaluation chunk
_CERTIFY_BITS = 1000  # certify the sign only (relative threshold 2^-1000, below any error bound)
_BLOCK = 64  # first-layer units evaluated and packed together
_MAX_REDRAWS = 1000


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


# -- Dirksen et al.'s first layer: Gaussian rows, uniform biases, grown by blocks -----------------------------

@dataclass
class FirstLayer:
    """``m`` units ``H(W[t] . x + b_mant[t] 2^b_exp)`` (weights scaled by ``2^24``) and the
    packed patterns ``packed`` (one row per point, bit ``t`` = unit ``t`` fires)."""

    W: np.ndarray  # int64 (m, d)
    b_mant: np.ndarray  # int64 (m,)
    b_exp: int
    packed: np.ndarray  # uint8 (n, ceil(m / 8)), zero padded
    redrawn: int

    @property
    def units(self) -> int:
        return len(self.W)


class Hyperplanes:
    """A seeded stream of first-layer units: ``grow(m)`` keeps the first units and draws
    more, so the layer of ``m`` units is the prefix of the layer of ``2m``."""

    def __init__(self, X: np.ndarray, lam: float, seeds):
        self.X = X
        self.w_rng = np.random.default_rng(seeds[0])
        self.b_rng = np.random.default_rng(seeds[1])
        _, e = math.frexp(lam) if lam > 0 else (0.0, 0)
        self.lam, self.b_exp = lam, e  # lam <= 2^e
        self.W = np.zeros((0, X.shape[1]), dtype=np.int64)
        self.b = np.zeros(0, dtype=np.int64)
        self.blocks: list[tuple[np.ndarray, int]] = []  # (packed patterns, units) per block
        self.redrawn = 0
        self._X_int = None

    def _draw(self, count: int):
        W, _ = draw_hyperplanes(self.w_rng, count, self.X.shape[1], ball=False)
        u = self.b_rng.random(count) * 2 - 1  # uniform in [-1, 1)
        # b = lam u on the grid 2^(e - 24): b_mant 2^(e - 24) with |b_mant| <= 2^24.
        b = np.rint(u * math.ldexp(self.lam, 24 - self.b_exp)).astype(np.int64)
        return W, b

    def _signs(self, W, b):
        """Exact patterns of the units ``(W, b)``; ``None`` rows where a point lies on the
        hyperplane (those units are re-drawn)."""
        signs, ok = certified_signs(self.X, W, b, self.b_exp, _CERTIFY_BITS)
        bad = []
        for t in np.flatnonzero(~ok).tolist():
            z = self._exact(W[t], int(b[t]))
            if any(v == 0 for v in z):
                bad.append(t)
            else:
                signs[:, t] = np.array([v > 0 for v in z], dtype=bool)
        return signs, bad

    def _exact(self, w, b_mant: int) -> list[int]:
        """``2^F (w . x + b_mant 2^b_exp)`` (times a power of two if needed) for every point."""
        if self._X_int is None:
            self._X_int = dyadic.to_integers(self.X)
        X_int, F = self._X_int
        t = project(X_int, [int(v) for v in w])
        s = self.b_exp + F
        if s >= 0:
            return [int(v) + (b_mant << s) for v in t]
        return [(int(v) << -s) + b_mant for v in t]

    def grow(self, m: int) -> None:
        while len(self.W) < m:
            count = min(_BLOCK, m - len(self.W))
            W, b = self._draw(count)
            signs, bad = self._signs(W, b)
            while bad:
                self.redrawn += len(bad)
                if self.redrawn > _MAX_REDRAWS:
                    raise ConstructionError(
                        f"{self.redrawn} first-layer hyperplanes met a data point exactly; "
                        "the data seem to lie on a lattice the random grid hits: rescale them")
                W2, b2 = self._draw(len(bad))
                W[bad], b[bad] = W2, b2
                s2, bad2 = self._signs(W2, b2)
                signs[:, bad] = s2
                bad = [bad[k] for k in bad2]
            if self.blocks and self.blocks[-1][1] % 8:  # a last block of odd bits: repack it
                old, bits = self.blocks.pop()
                signs = np.concatenate([np.unpackbits(old, axis=1, count=bits).astype(bool), signs],
                                       axis=1)
            self.blocks.append((np.packbits(signs, axis=1), signs.shape[1]))
            self.W = np.concatenate([self.W, W])
            self.b = np.concatenate([self.b, b])

    def layer(self, m: int) -> FirstLayer:
        self.grow(m)
        packed = np.concatenate([b for b, _ in self.blocks], axis=1)
        keep = -(-m // 8)
        packed = packed[:, :keep].copy()
        if m % 8:
            packed[:, -1] &= np.uint8((0xFF << (8 - m % 8)) & 0xFF)
        return FirstLayer(self.W[:m], self.b[:m], self.b_exp, packed, self.redrawn)
