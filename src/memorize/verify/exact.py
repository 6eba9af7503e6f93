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
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from fractions import Fraction

import gmpy2
import numpy as np
from scipy import sparse

from memorize import dyadic
from memorize.network import Layer, Network
from memorize.verify import int64_layer, limbs
from memorize.verify.exact_input import prepare

_LIMIT = 1 << 62  # |int64 partial sums| stay below this
_BIG = 1 << 4096  # above this gmpy2 beats Python ints on multiplication
_CHUNK_BUDGET = 1 << 22  # neuron values materialized per chunk
_FUSE_MIN_WIDTH = 16


class _Row:
    """The values of one neuron over a batch (see the module docstring for the kinds)."""

    __slots__ = ("vals", "codes", "_bounds", "_coded", "_other")

    def __init__(self, vals: np.ndarray, codes: np.ndarray | None = None):
        self.vals = vals
        self.codes = codes
        self._bounds = None
        self._coded = None
        self._other = None  # the same values as objects (of a limb row) or limbs (of an object row)

    def bounds(self) -> tuple[int, int]:
        """(min, max) of the values that occur (every coded value occurs).

        Exact, except for limb rows of more than two limbs: bounds within ``2^-31``
        relative (:func:`memorize.verify.limbs.bounds`), which is all their uses need.
        """
        if self._bounds is None:
            v = self.vals
            if v.ndim == 2:
                self._bounds = limbs.bounds(v) if v.shape[1] else (0, 0)
            else:
                self._bounds = (int(v.min()), int(v.max())) if len(v) else (0, 0)
        return self._bounds

    def maxabs(self) -> int:
        lo, hi = self.bounds()
        return max(-lo, hi)

    @property
    def is_limbs(self) -> bool:
        return self.vals.ndim == 2

    def per_point(self) -> np.ndarray:
        """One value per point: int64, or object for limb and big rows."""
        if self.is_limbs:
            return limbs.to_object(self.vals)
        return self.vals if self.codes is None else self.vals[self.codes]

    def coded(self) -> "_Row | None":
        """This per-point row as a coded row, if it has few distinct values (else None)."""
        if self.codes is not None:
            return self
        if self._coded is None:
            v, n = self.vals, self.vals.shape[-1]
            lo, hi = self.bounds()
            if v.dtype != object and v.ndim == 1 and hi - lo <= 4 * n + 64:
                offset = v - lo
                present = np.zeros(hi - lo + 1, dtype=bool)
                present[offset] = True
                remap = np.cumsum(present) - 1
                uniq = np.flatnonzero(present) + lo
                self._coded = _Row(np.array([int(u) for u in uniq], dtype=object),
                                   remap[offset].astype(np.intp))
            else:
                self._coded = self._coded_by_sample(n)
        return self._coded

    def _coded_by_sample(self, n: int) -> "_Row | None":
        # a sample suggests few distinct values: one equality pass per value,
        # and a dictionary for whatever the sample missed
        v = self.vals
        step = max(1, n // 64)
        sample = set((limbs.to_object(v[:, ::step]) if v.ndim == 2 else v[::step]).tolist())
        if len(sample) > 32:
            return None
        seen = list(sample)
        codes = np.full(n, -1, dtype=np.intp)
        digits = limbs.from_ints(seen, v.shape[0]) if v.ndim == 2 else None
        for k, u in enumerate(seen):
            if digits is None:
                codes[v == u] = k
            else:
                codes[(v == digits[:, k:k + 1]).all(axis=0)] = k
        rest = np.flatnonzero(codes < 0)
        if len(rest):
            index = {u: k for k, u in enumerate(seen)}
            missed = limbs.to_object(v[:, rest]) if v.ndim == 2 else v[rest]
            codes[rest] = [index.setdefault(x, len(index)) for x in missed.tolist()]
            seen = list(index)
        if len(seen) > 2 * math.isqrt(n) + 64:
            return None
        return _Row(np.array(seen, dtype=object), codes)


def _constant(value: int, n: int) -> _Row:
    return _Row(np.array([value], dtype=object), np.zeros(n, dtype=np.intp))


_JOINTS: dict = {}  # (id(c1), id(c2)) -> (c1, c2, result); small, cleared per chunk


def _joint(c1, n1, c2, n2):
    """Codes for the pair (c1, c2): returns (codes, count)."""
    key = (id(c1), id(c2))
    hit = _JOINTS.get(key)
    if hit is not None and hit[0] is c1 and hit[1] is c2:
        return hit[2]
    result = _joint_uncached(c1, n1, c2, n2)
    if len(_JOINTS) >= 16:  # rows are realigned with the same few partners; bound the memory
        _JOINTS.clear()
    _JOINTS[key] = (c1, c2, result)
    return result


def _joint_uncached(c1, n1, c2, n2):
    if n1 == 1:
        return c2, n2
    if n2 == 1:
        return c1, n1
    key = c1.astype(np.int64) * n2 + c2
    if n1 * n2 <= 4 * len(c1) + 64:
        present = np.zeros(n1 * n2, dtype=bool)
        present[key] = True
        uniq = np.flatnonzero(present)
        codes = (np.cumsum(present) - 1)[key]
    else:
        uniq, codes = np.unique(key, return_inverse=True)
    return codes.astype(np.intp), len(uniq)


def _big(value: int):
    return gmpy2.mpz(value) if abs(value) >= _BIG else value


def _coded_sum(terms, bias: int) -> _Row:
    """sum(w * row) + bias over coded rows, aligning their codes."""
    groups: dict[int, list] = {}
    for row, w in terms:
        groups.setdefault(id(row.codes), []).append((row, w))
    group_list = list(groups.values())
    codes = group_list[0][0][0].codes
    count = len(group_list[0][0][0].vals)
    for group in group_list[1:]:
        other = group[0][0]
        codes, count = _joint(codes, count, other.codes, len(other.vals))
    # Each joint code's value in every group, read at any one point that has the code:
    # linear in the number of groups (re-indexing every group at every join is quadratic).
    some_point = np.empty(count, dtype=np.intp)
    some_point[codes] = np.arange(len(codes), dtype=np.intp)
    index = [group[0][0].codes[some_point] for group in group_list]
    by_weight: dict[int, object] = {}  # group terms by |w|: one big multiply per weight
    for ix, group in zip(index, group_list):
        for row, w in group:
            v = row.vals[ix]
            cur = by_weight.get(abs(w))
            v = v if w > 0 else -v
            by_weight[abs(w)] = v if cur is None else cur + v
    acc = None
    for w, inner in by_weight.items():
        if w == 1:
            part = inner
        elif w & (w - 1) == 0:
            part = inner << (w.bit_length() - 1)
        else:
            part = inner * _big(w)
        acc = part if acc is None else acc + part
    if bias:
        acc = acc + _big(bias)
    return _Row(np.asarray(acc, dtype=object), codes)


def _objects(row: _Row) -> np.ndarray:
    """A per-point row's values as an object array (for the big-integer path)."""
    if row.is_limbs:
        if row._other is None:
            row._other = limbs.to_object(row.vals)
        return row._other
    return row.vals if row.vals.dtype == object else row.vals.astype(object)


def _limb_form(row: _Row) -> np.ndarray | None:
    """A per-point row's values as an int64 or limb array, None if they need over ``MAX_LIMBS`` limbs.

    Object rows are converted by :func:`_demote` when they are made; this converts
    (once) any other that a small weight meets.
    """
    if row.vals.dtype != object:
        return row.vals
    if row._other is None:
        count = limbs.count_for(row.maxabs())
        if count > limbs.MAX_LIMBS:
            return None
        row._other = limbs.from_ints(row.vals, count)
    return row._other


def _signed_sum(group, n: int) -> _Row:
    """``sum(sign * row)`` of per-point rows: int64, limbs or objects, whichever is exact and cheapest."""
    total = sum(r.maxabs() for r, _ in group)
    if all(r.vals.dtype != object for r, _ in group):
        if total < _LIMIT and not any(r.is_limbs for r, _ in group):
            return _Row(sum((r.vals if sg > 0 else -r.vals) for r, sg in group))
        if limbs.count_for(total) <= limbs.MAX_LIMBS:
            return _from_limbs(limbs.combine([(r.vals, sg) for r, sg in group], 0,
                                             limbs.count_for(total), n))
    inner = sum((_objects(r) if sg > 0 else -_objects(r)) for r, sg in group)
    return _demote(_Row(np.asarray(inner, dtype=object)))


def _combine(terms: list[tuple[_Row, int]], bias: int, n: int, sums: dict | None = None) -> _Row:
    """The exact row ``bias + sum(w * row)``.

    ``sums`` (shared by the rows of one layer) keeps the inner sums of rows grouped
    under one big weight: neurons of a layer often scale the same difference of ramps.
    """
    small, wide, big, coded = [], [], [], []
    heavy: dict[int, list] = {}  # per-point rows under big weights, grouped by |w|
    bound = wide_bound = wide_weight = 0
    for row, w in terms:
        if row.codes is not None:
            coded.append((row, w))
            continue
        m = abs(w) * row.maxabs()
        if m == 0:
            continue
        on_object = row.vals.dtype == object
        if not on_object and not row.is_limbs and bound + m < _LIMIT:
            bound += m
            small.append((row.vals, w))
        elif wide_weight + abs(w) <= limbs.WEIGHT_LIMIT and (vals := _limb_form(row)) is not None:
            wide_bound += m
            wide_weight += abs(w)
            wide.append((row, vals, w))
        elif abs(w) >= _LIMIT or not on_object:
            heavy.setdefault(abs(w), []).append((row, 1 if w > 0 else -1))
        else:
            big.append((row.vals, w))
    for w, group in heavy.items():
        # w*p - w*q = w*(p - q): the inner difference of ramps has few distinct values.
        if len(group) > 1:
            group = sorted(group, key=lambda t: id(t[0]))
            flip = group[0][1]
            key = tuple((id(r), sg * flip) for r, sg in group)
            inner = None if sums is None else sums.get(key)
            if inner is None:
                inner = _signed_sum([(r, sg * flip) for r, sg in group], n)
                if sums is not None:
                    sums[key] = inner
            group = [(inner, flip)]
        for row, sg in group:
            if (c := row.coded()) is not None:
                coded.append((c, sg * w))
            else:
                big.append((_objects(row), sg * w))

    coded_row = _coded_sum(coded, bias) if coded else None
    if coded_row is not None and not small and not wide and not big:
        return coded_row
    if coded_row is not None:
        bias = 0  # it is in the coded row
    cm = coded_row.maxabs() if coded_row is not None else 0
    total = bound + wide_bound + cm + abs(bias)

    acc = None
    if small:
        if abs(bias) + bound < _LIMIT:
            acc = np.full(n, bias, dtype=np.int64)
            bias = 0
        for vals, w in small:
            if w == 1:
                acc = vals.copy() if acc is None else acc + vals
            elif w == -1:
                acc = -vals if acc is None else acc - vals
            else:
                acc = vals * np.int64(w) if acc is None else acc + vals * np.int64(w)
    if not big and not wide and total < _LIMIT:
        acc = np.full(n, bias, dtype=np.int64) if acc is None else acc + np.int64(bias)
        if coded_row is not None:
            acc += coded_row.vals.astype(np.int64)[coded_row.codes]
        return _Row(acc)
    if not big and limbs.count_for(total) <= limbs.MAX_LIMBS:
        parts = [(vals, w) for _, vals, w in wide]
        if acc is not None:
            parts.append((acc, 1))
        if coded_row is not None:
            parts.append((limbs.from_ints(coded_row.vals, limbs.count_for(cm))[:, coded_row.codes], 1))
        return _from_limbs(limbs.combine(parts, bias, limbs.count_for(total), n))

    # truly huge per-point values: Python/gmpy2 integers
    if acc is not None:
        acc = acc.astype(object)
    if coded_row is not None:
        acc = coded_row.per_point() if acc is None else acc + coded_row.per_point()
    elif bias:
        acc = np.full(n, bias, dtype=object) if acc is None else acc + _big(bias)
    for row, _, w in wide:
        part = _objects(row) * w
        acc = part if acc is None else acc + part
    for vals, w in big:
        part = vals * _big(w) if w != 1 else vals
        acc = part if acc is None else (acc.astype(object) if acc.dtype != object else acc) + part
    if acc is None:
        return _constant(0, n)
    if acc.dtype == object:
        return _demote(_Row(acc))
    return _Row(acc)


def _from_limbs(z: np.ndarray) -> _Row:
    """A row from a normalized limb array: int64 when its values fit, else as few limbs as they need."""
    lo, hi = limbs.bounds(z)
    if -_LIMIT < lo and hi < _LIMIT:
        out = _Row(limbs.to_int64(z))
    else:
        out = _Row(limbs.shrink(z, lo, hi))
    out._bounds = (lo, hi)
    return out


def _demote(row: _Row) -> _Row:
    """An object per-point row whose values fit int64 (or a few limbs) becomes such a row.

    It keeps its object values: a row next met by a big weight needs them again.
    """
    if row.codes is None and row.vals.dtype == object and len(row.vals):
        lo, hi = row.bounds()
        if -_LIMIT < lo and hi < _LIMIT:
            out = _Row(row.vals.astype(np.int64))
        elif limbs.count_for(max(-lo, hi)) <= limbs.MAX_LIMBS:
            out = _Row(limbs.from_ints(row.vals, limbs.count_for(max(-lo, hi))))
            out._other = row.vals
        else:
            return row
        out._bounds = (lo, hi)
        return out
    return row


def _relu(row: _Row) -> _Row:
    lo, hi = row.bounds()
    if lo >= 0:
        return row
    if hi <= 0:
        zeros = np.zeros(row.vals.shape[-1], dtype=object if row.codes is not None else np.int64)
        out = _Row(zeros, row.codes)
    elif row.is_limbs:
        out = _Row(limbs.relu(row.vals))
    else:
        out = _Row(np.maximum(row.vals, 0), row.codes)
    out._bounds = (0, max(hi, 0))
    return out


def _step(row: _Row) -> _Row:
    if row.is_limbs:
        return _Row(limbs.nonnegative(row.vals))
    vals = (row.vals >= 0).astype(np.int64)
    return _Row(vals.astype(object) if row.codes is not None else vals, row.codes)


def _min_abs(row: _Row) -> int:
    if row.is_limbs:
        return limbs.min_abs(row.vals)
    return int(np.abs(row.vals).min())


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


def _integerize(layer: Layer, scales: list[int]):
    """Integer weights and biases of ``layer``, and the scale of each of its rows.

    Input ``c`` arrives as ``a_c = a_int / scales[c]``. Row ``r`` is multiplied by
    ``D_r * M_r`` (``D_r`` the lcm of its own denominators, ``M_r`` that of its
    inputs' scales), so rows with different denominators do not inflate each other.
    """
    values, cols, ptr = layer.values, layer.cols.tolist(), layer.indptr.tolist()
    weights, bias, row_scales = [0] * len(values), [], []
    for r in range(layer.out_dim):
        lo, hi = ptr[r], ptr[r + 1]
        den, m = 1, 1
        b = layer.bias[r]
        if not isinstance(b, int):
            den = b.denominator
        for k in range(lo, hi):
            v = values[k]
            if not isinstance(v, int):
                den = math.lcm(den, v.denominator)
            sc = scales[cols[k]]
            if sc != m:
                m = math.lcm(m, sc)
        for k in range(lo, hi):
            weights[k] = int(values[k] * den) * (m // scales[cols[k]])
        bias.append(int(b * den * m))
        row_scales.append(den * m)
    return weights, bias, row_scales


def _input_rows(X: np.ndarray, F: int) -> list[_Row]:
    """Columns of ``X * 2^F`` as exact integer rows."""
    return [_Row(c) if c.dtype != object else _demote(_Row(c)) for c in dyadic.column_integers(X, F)]


def _fusable(layer: Layer, nxt: Layer | None) -> bool:
    return (
        nxt is not None
        and layer.activation == "relu"
        and layer.out_dim >= _FUSE_MIN_WIDTH
        and len(layer.cols) > 0
        and bool(np.all(layer.cols == layer.cols[0]))
    )


def _piecewise_linear(layer: Layer, nxt: Layer, u: _Row, scale: int, n: int):
    """Evaluate ``nxt(relu(layer(u)))`` where every unit of ``layer`` reads only ``u``.

    Unit ``k`` is ``relu(c_k u + b_k)``, so each output of ``nxt`` is
    ``A(u) u + B(u)`` with ``A, B`` constant between the units' breakpoints:
    sort the breakpoints once, take prefix sums, and look each point up.
    """
    w1, b1, s1 = _integerize(layer, [scale] * layer.in_dim)
    w2, b2, s2 = _integerize(nxt, s1)
    c = np.zeros(layer.out_dim, dtype=object)
    c[layer.rows] = np.array(w1, dtype=object)
    u_vals = _objects(u) if u.is_limbs else u.vals
    pts = u_vals.tolist()
    small_pts = u_vals.dtype != object
    rows = []
    for m in range(nxt.out_dim):
        lo, hi = nxt.indptr[m], nxt.indptr[m + 1]
        ks = nxt.cols[lo:hi].tolist()
        const = b2[m]
        pos, neg = [], []
        for k, a in zip(ks, w2[lo:hi]):
            ck, bk = int(c[k]), b1[k]
            if ck > 0:
                pos.append((-(bk // ck), a * ck, a * bk))  # active iff u >= ceil(-b/c)
            elif ck < 0:
                neg.append((bk // -ck, a * ck, a * bk))  # active iff u <= floor(b/|c|)
            else:
                const += a * max(bk, 0)
        pos.sort(key=lambda t: t[0])
        neg.sort(key=lambda t: t[0])
        th_p = [t[0] for t in pos]
        th_n = [t[0] for t in neg]
        pa, pb = [0], [0]
        for _, a_, b_ in pos:
            pa.append(pa[-1] + a_)
            pb.append(pb[-1] + b_)
        na, nb = [0], [0]
        for _, a_, b_ in reversed(neg):
            na.append(na[-1] + a_)
            nb.append(nb[-1] + b_)
        na.reverse()
        nb.reverse()
        if small_pts and all(abs(t) < _LIMIT for t in th_p + th_n):
            uv = u_vals
            p = np.searchsorted(np.array(th_p, dtype=np.int64), uv, side="right")
            q = np.searchsorted(np.array(th_n, dtype=np.int64), uv, side="left")
        else:
            p = np.array([bisect_right(th_p, x) for x in pts], dtype=np.intp)
            q = np.array([bisect_left(th_n, x) for x in pts], dtype=np.intp)
        A = np.array(pa, dtype=object)[p] + np.array(na, dtype=object)[q]
        B = np.array(pb, dtype=object)[p] + np.array(nb, dtype=object)[q] + const
        vals = A * u_vals.astype(object) + B
        rows.append(_demote(_Row(vals, u.codes)) if u.codes is None else _Row(vals, u.codes))
    return rows, s2


class _Margin:
    def __init__(self):
        self.value: Fraction | None = None

    def update(self, row: _Row, scale: int):
        self.update_value(_min_abs(row), scale)

    def update_value(self, value: int, scale: int):
        m = Fraction(value, scale)
        if self.value is None or m < self.value:
            self.value = m


def _activate(row: _Row, activation: str, scale: int, margin: _Margin) -> _Row:
    if activation == "relu":
        return _relu(row)
    if activation == "step":
        margin.update(row, scale)
        return _step(row)
    return row


_LIMB = 26  # limb width: |w| * fan_in < 2^36 keeps every limb product sum below 2^62
_LIMB_MASK = (1 << _LIMB) - 1


def _limbs(row: _Row, count: int) -> np.ndarray:
    """``count`` int64 limbs of a per-point row, base ``2^26``, low limbs in ``[0, 2^26)``."""
    v = _objects(row)
    out = np.empty((count, len(v)), dtype=np.int64)
    for k in range(count - 1):
        out[k] = ((v >> (_LIMB * k)) & _LIMB_MASK).astype(np.int64)
    out[count - 1] = (v >> (_LIMB * (count - 1))).astype(np.int64)
    return out


def _limb_step_layer(layer: Layer, rows: list[_Row], weights: list[int], bias: list[int],
                     n: int, new_scale: int, margin: "_Margin") -> list[_Row]:
    """A step layer on per-point big inputs, all units at once, in exact int64 limbs.

    Each pre-activation is ``sum_k Z_k 2^(26k)``; after carrying, the low limbs lie
    in ``[0, 2^26)``, so ``z >= 0`` exactly when the top limb is ``>= 0``.
    """
    used = sorted(set(layer.cols.tolist()))
    top_bits = max(max(rows[c].maxabs().bit_length() for c in used),
                   max(abs(b).bit_length() for b in bias)) + 1
    fan = int(max(np.diff(layer.indptr).max(), 1))
    grow = (max(abs(w) for w in weights) * (fan + 1)).bit_length()
    count = -(-top_bits // _LIMB) + -(-grow // _LIMB) + 1
    position = {c: i for i, c in enumerate(used)}
    w = sparse.csr_matrix(
        (np.array(weights, dtype=np.int64), (layer.rows, [position[c] for c in layer.cols.tolist()])),
        shape=(layer.out_dim, len(used)))
    inputs = np.stack([_limbs(rows[c], count) for c in used], axis=1)  # (limb, input, point)
    b = _limbs(_Row(np.array(bias, dtype=object)), count)  # (limb, unit)
    z = np.stack([w @ inputs[k] + b[k][:, None] for k in range(count)])
    for k in range(count - 1):
        carry = z[k] >> _LIMB
        z[k] -= carry << _LIMB
        z[k + 1] += carry
    top = z[count - 1]
    # Margin: |z| in limbs that are all >= 0. The entries whose highest nonzero limb
    # is lowest hold the minimum; among them a float of the top three limbs (a
    # sum of non-negative exact terms) picks the few to evaluate exactly.
    mag = np.where(top < 0, -z, z).reshape(count, -1)
    for k in range(count - 1):
        carry = mag[k] >> _LIMB
        mag[k] -= carry << _LIMB
        mag[k + 1] += carry
    nonzero = mag != 0
    high = np.where(nonzero.any(axis=0), count - 1 - np.argmax(nonzero[::-1], axis=0), -1)
    h = int(high.min())
    cand = np.flatnonzero(high == h)
    if h >= 0:
        lead = sum(mag[k, cand].astype(np.float64) * 2.0 ** (_LIMB * (k - h + 2))
                   for k in range(max(h - 2, 0), h + 1))
        cand = cand[lead <= lead.min() * (1 + 2.0 ** -40) + 2]
    flat = mag[:, cand]
    exact = [sum(int(flat[k, i]) << (_LIMB * k) for k in range(count)) for i in range(len(cand))]
    margin.update(_Row(np.array(exact, dtype=object)), new_scale)
    return [_Row((top[r] >= 0).astype(np.int64)) for r in range(layer.out_dim)]


def _int64_rows(layer: Layer, cols: list[int], rows: list[_Row], weights: list[int], bias: list[int],
                new_scales: list[int], n: int, margin: _Margin):
    """The whole layer as one sparse product when all its inputs are int64 rows and
    its outputs provably fit int64 (:mod:`memorize.verify.int64_layer`); else None."""
    used = sorted(set(cols))
    if layer.out_dim < 2 or any(rows[c].codes is not None or rows[c].vals.dtype == object
                                or rows[c].is_limbs for c in used):
        return None
    position = {c: i for i, c in enumerate(used)}
    z = int64_layer.product(weights, layer.rows, [position[c] for c in cols], bias,
                            [rows[c].vals for c in used], [rows[c].maxabs() for c in used], n)
    if z is None:
        return None
    if layer.activation == "relu":
        np.maximum(z, 0, out=z)
    elif layer.activation == "step":
        for m, scale in zip(np.abs(z).min(axis=1).tolist(), new_scales):
            margin.update_value(m, scale)
        z = (z >= 0).astype(np.int64)
        new_scales = [1] * layer.out_dim
    return [_Row(z[r]) for r in range(layer.out_dim)], new_scales


def _eval_layer(layer: Layer, rows: list[_Row], scales: list[int], n: int, margin: _Margin):
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
        z = _activate(_combine(terms, b, n, sums), layer.activation, new_scales[r], margin)
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
    _JOINTS.clear()
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
        rows, scales = _eval_layer(layer, rows, scales, n, margin)
        i += 1
    _JOINTS.clear()
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
