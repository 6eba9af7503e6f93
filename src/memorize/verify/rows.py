"""The rows of an exact evaluation: one neuron's integer values over a batch of points.

A row is one of four kinds (see :mod:`memorize.verify.exact` for why): an ``int64``
vector (where exact bounds prove no overflow), a *limb* row (an ``(L, n)`` array of
32-bit limbs, :mod:`memorize.verify.limbs`), an object vector of big integers, or a
*coded* row (an index per point into a short array of distinct big values). This
module holds the rows, their exact linear combination (codes aligned through a
per-evaluation :class:`Aligner`), and the activations with the margin they meet.
The names are private to :mod:`memorize.verify`. (Over 400 lines: the row kinds and
the arithmetic that keeps their invariants belong together.)
"""


import math
from fractions import Fraction

import gmpy2
import numpy as np

from memorize.network import Layer
from memorize.verify import limbs

_LIMIT = 1 << 62  # |int64 partial sums| stay below this
_BIG = 1 << 4096  # above this gmpy2 beats Python ints on multiplication


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


class Aligner:
    """Codes of pairs of coded rows, for one evaluation (a chunk of points).

    Rows of a layer are realigned with the same few partners over and over, so the
    joint codes of a pair are kept; at most 16 pairs, since they are only valid
    while both rows are alive (keys are object ids, checked against the objects).
    """

    def __init__(self):
        self._pairs: dict = {}  # (id(c1), id(c2)) -> (c1, c2, result)

    def joint(self, c1, n1, c2, n2):
        """Codes for the pair (c1, c2): returns (codes, count)."""
        key = (id(c1), id(c2))
        hit = self._pairs.get(key)
        if hit is not None and hit[0] is c1 and hit[1] is c2:
            return hit[2]
        result = _joint_uncached(c1, n1, c2, n2)
        if len(self._pairs) >= 16:
            self._pairs.clear()
        self._pairs[key] = (c1, c2, result)
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


def _coded_sum(terms, bias: int, aligner: Aligner) -> _Row:
    """sum(w * row) + bias over coded rows, aligning their codes."""
    groups: dict[int, list] = {}
    for row, w in terms:
        groups.setdefault(id(row.codes), []).append((row, w))
    group_list = list(groups.values())
    codes = group_list[0][0][0].codes
    count = len(group_list[0][0][0].vals)
    for group in group_list[1:]:
        other = group[0][0]
        codes, count = aligner.joint(codes, count, other.codes, len(other.vals))
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


def _combine(terms: list[tuple[_Row, int]], bias: int, n: int, aligner: Aligner,
             sums: dict | None = None) -> _Row:
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

    coded_row = _coded_sum(coded, bias, aligner) if coded else None
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
