"""The exact evaluator's fast paths for two layer shapes the constructions produce.

* a wide layer of fan-in-1 ReLUs of one input followed by an affine layer is a 1-D
  piecewise-linear function of that input: evaluated by sorting and prefix sums;
* layers whose values provably fit in int64, or step layers whose signs limb rows
  decide, run as sparse integer products.

Neither changes a value: each is the same exact arithmetic in fewer operations.
"""


from bisect import bisect_left, bisect_right

import numpy as np
from scipy import sparse

from memorize.network import Layer
from memorize.verify import int64_layer
from memorize.verify.rows import (
    _LIMB, _LIMIT, _Margin, _Row, _demote, _integerize, _limbs, _objects,
)

_FUSE_MIN_WIDTH = 16


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
