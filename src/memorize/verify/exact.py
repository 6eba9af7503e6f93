"""Exact evaluation of a :class:`~memorize.network.Network` on a batch of points.

How it stays exact and fast (docs/verifier.md has the measurements):

* **Integerized layers.** Float inputs are exact dyadic rationals, so
  ``X = X_int / 2^F`` with integer ``X_int``. Each layer's rational weights are
  scaled by the lcm ``D`` of their denominators. ReLU and identity commute with
  positive scaling, so activations are carried as integers ``a_int`` with one
  positive scale ``S`` per layer (``a = a_int / S``), and the step unit only
  needs the sign. Only integer arithmetic is ever done.
* **Neuron-major rows.** The values of one neuron over the batch form a row of
  one of four kinds: a numpy ``int64`` vector (used only when an exact bound
  proves no partial sum can overflow), a *limb* row (an ``(L, n)`` int64 array
  of 32-bit limbs, :mod:`memorize.verify.limbs`, for per-point values of up to
  ``32 L`` bits, ``L`` decided by the same exact bounds), a numpy object vector
  of Python/gmpy2 integers (per-point values too big for limbs), or a *coded*
  row: ``codes`` (an index per point) into a short array of distinct big values. Big neurons of the
  memorization constructions depend only on which block a point falls in, so
  coding them turns ``N`` big-integer operations per layer into about
  ``sqrt(N)``. Rows built from the same coded parent share their ``codes``
  object, which makes aligning them free.
* **Structure only as speed.** Pass-through neurons are aliased; a wide layer
  of fan-in-1 ReLUs of one input followed by an affine layer is a 1-D
  piecewise-linear function of that input and is evaluated by sorting and
  prefix sums; wide layers are evaluated in point chunks. None of this depends
  on which construction built the network, and none of it changes a value.
"""

from __future__ import annotations


import functools
import math
import operator
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from memorize import dyadic
from memorize.network import Layer, Network
from memorize.verify.exact_input import prepare
from memorize.verify.fast_paths import _fusable, _int64_rows, _limb_step_layer, _piecewise_linear
from memorize.verify.rows import Aligner, _activate, _combine, _demote, _integerize, _Margin, _Row

_CHUNK_BUDGET = 1 << 22  # neuron values materialized per chunk


@dataclass
class Evaluation:
    """Exact outputs: ``outputs[k][i] / scales[k]`` is output ``k`` on point ``i``.

    ``min_step_margin`` is the smallest ``|pre-activation|`` of any step unit
    over the batch (``None`` when the network has no step unit).
    """

    outputs: list[np.ndarray]
    scales: list[int]
    min_step_margin: Fraction | None

    @property
    def scale(self) -> int:
        """The scale of the first output (the one memorization is checked on)."""
        return self.scales[0]

    def output(self, k: int = 0) -> list[Fraction]:
        return [Fraction(int(v), self.scales[k]) for v in self.outputs[k]]


def _input_rows(X: np.ndarray, F: int) -> list[_Row]:
    """Columns of ``X * 2^F`` as exact integer rows."""
    return [_Row(c) if c.dtype != object else _demote(_Row(c)) for c in dyadic.column_integers(X, F)]


def _eval_layer(layer: Layer, rows: list[_Row], scales: list[int], n: int, margin: _Margin,
                aligner: Aligner):
    weights, bias, new_scales = _integerize(layer, scales)
    if (layer.activation == "step" and layer.out_dim > 1 and weights
            and any(rows[c].codes is None and (rows[c].vals.dtype == object or rows[c].is_limbs)
                    for c in set(layer.cols.tolist()))
            and all(rows[c].codes is None for c in set(layer.cols.tolist()))):
        # a step unit only needs the sign: bring all rows to one scale for the margin
        common = math.lcm(*new_scales)
        ptr = layer.indptr.tolist()
        for r in range(layer.out_dim):
            f = common // new_scales[r]
            if f != 1:
                weights[ptr[r]:ptr[r + 1]] = [w * f for w in weights[ptr[r]:ptr[r + 1]]]
                bias[r] *= f
        new_scales = [common] * layer.out_dim
        if max(abs(w) for w in weights) * int(max(np.diff(layer.indptr).max(), 1)) < (1 << 36):
            return _limb_step_layer(layer, rows, weights, bias, n, common, margin), [1] * layer.out_dim
    cols = layer.cols.tolist()
    vectorized = _int64_rows(layer, cols, rows, weights, bias, new_scales, n, margin)
    if vectorized is not None:
        return vectorized
    ptr = layer.indptr.tolist()
    out = []
    sums: dict = {}  # the layer's rows are alive while it is evaluated, so their ids are keys
    for r in range(layer.out_dim):
        lo, hi = ptr[r], ptr[r + 1]
        terms = [(rows[cols[k]], weights[k]) for k in range(lo, hi)]
        b = bias[r]
        if (
            len(terms) == 1 and terms[0][1] == 1 and b == 0
            and (layer.activation == "identity"
                 or (layer.activation == "relu" and terms[0][0].bounds()[0] >= 0))
        ):
            out.append(terms[0][0])  # pass-through neuron: alias, keep its codes
            continue
        z = _activate(_combine(terms, b, n, aligner, sums), layer.activation, new_scales[r], margin)
        if layer.activation != "step" and new_scales[r] > min((scales[c] for c in cols[lo:hi]), default=1):
            z, new_scales[r] = _reduce(z, new_scales[r])  # a fine input raised the scale
        out.append(z)
    return out, ([1] * layer.out_dim if layer.activation == "step" else new_scales)


def _reduce(row: _Row, scale: int) -> tuple[_Row, int]:
    """A per-point row of big integers and its scale, divided by their common power of two.

    A small value computed through fine-scaled neurons (a position compared with
    a stream of many bits) arrives multiplied by the fine scale; dividing it out
    lets the rows that read it run in int64 again.
    """
    if row.codes is not None or row.vals.dtype != object or scale & 1:
        return row, scale
    common = functools.reduce(operator.or_, row.vals.tolist(), scale)
    k = (common & -common).bit_length() - 1
    return (_demote(_Row(row.vals >> k)), scale >> k) if k > 0 else (row, scale)


def _eval_chunk(net: Network, X: np.ndarray, F: int, margin: _Margin):
    aligner = Aligner()  # joint codes are valid for this chunk's rows only
    n = X.shape[0]
    rows, scales = _input_rows(X, F), [1 << F] * X.shape[1]
    layers = net.layers
    i = 0
    while i < len(layers):
        layer = layers[i]
        nxt = layers[i + 1] if i + 1 < len(layers) else None
        if _fusable(layer, nxt):
            c = int(layer.cols[0])
            rows, scales = _piecewise_linear(layer, nxt, rows[c], scales[c], n)
            if nxt.activation != "identity":
                rows = [_activate(r, nxt.activation, sc, margin) for r, sc in zip(rows, scales)]
                if nxt.activation == "step":
                    scales = [1] * len(rows)
            i += 2
            continue
        rows, scales = _eval_layer(layer, rows, scales, n, margin, aligner)
        i += 1
    return [r.per_point() for r in rows], scales


def points_per_chunk(net: Network, n: int) -> int:
    """Points evaluated at once: about ``2^22`` neuron values of the widest layer in memory."""
    widths = []
    layers = net.layers
    skip = False
    for i, layer in enumerate(layers):
        if skip:
            skip = False
            continue
        if _fusable(layer, layers[i + 1] if i + 1 < len(layers) else None):
            skip = True  # never materialized
            widths.append(layers[i + 1].out_dim)
            continue
        widths.append(layer.out_dim)
    return max(1, min(n, _CHUNK_BUDGET // max(widths + [net.input_dim])))


def evaluate(net: Network, X, *, chunk_size: int | None = None, progress=None) -> Evaluation:
    """Evaluate ``net`` exactly on every row of ``X`` (``N x input_dim`` exact numbers of any type).

    ``progress``, if given, is called as ``progress(done, total)`` after each chunk.
    Returns an :class:`Evaluation` holding integer outputs and their common scale.
    """
    net, X = prepare(net, X, chunk_size=chunk_size, progress=progress)
    n = X.shape[0]
    size = chunk_size or points_per_chunk(net, n)
    F = dyadic.scale_bits(X)
    margin = _Margin()
    parts: list[tuple[list[np.ndarray], list[int]]] = []
    for start in range(0, n, size):
        parts.append(_eval_chunk(net, X[start:start + size], F, margin))
        if progress is not None:
            progress(min(start + size, n), n)
    outputs, scales = [], []
    for k in range(net.output_dim):
        # _reduce may leave a chunk's output at a smaller scale: bring all to the largest.
        scale = math.lcm(*(sc[k] for _, sc in parts))
        pieces = [outs[k] if sc[k] == scale else outs[k].astype(object) * (scale // sc[k])
                  for outs, sc in parts]
        if any(p.dtype == object for p in pieces):
            pieces = [p.astype(object) for p in pieces]
        outputs.append(np.concatenate(pieces))
        scales.append(scale)
    return Evaluation(outputs, scales, margin.value)
