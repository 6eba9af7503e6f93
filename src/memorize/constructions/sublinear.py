"""The O~(sqrt N)-parameter ReLU memorizer (Vardi, Yehudai, Shamir 2022, Theorem 3.1)
and its bounded-depth O~(N/L) version."""

from __future__ import annotations

import math
import warnings

import numpy as np

from memorize.constructions import register
from memorize.constructions.line_blocks import Blocks, block_offset_bits, integer_line, pack_blocks
from memorize.constructions.provenance import provenance
from memorize.constructions.relu_gadgets import (
    Affine, LayerStack, Stream, match_layer, segment_thresholds, step_ramps,
)
from memorize.data import deduplicate, num_classes
from memorize.errors import ConstructionError
from memorize.network import Layer, Network

THEOREM = ("Vardi, Yehudai, Shamir 2022, 'On the Optimal Memorization Power of ReLU Neural "
           "Networks' (ICLR), Theorem 3.1; bounded depth: their O~(N/L) result")


# -- counts ---------------------------------------------------------------------------

def _blocks(n_points: int, block_size: int) -> int:
    return -(-n_points // block_size)


def _selection_sizes(blocks: int, parallel: bool) -> list[int]:
    if blocks == 1:
        return [1]
    if parallel:
        return [1, 2 * blocks - 1, 3]
    return [3] + [6] * (blocks - 2)


def _stream_sizes(beta: int, bits: int) -> list[int]:
    start = beta - bits
    return [1 if b < start else 3 if b == start else 4 for b in range(beta)]


def layer_sizes(n_points: int, rho: int, c: int, block_size: int, parallel: bool = False) -> list[int]:
    """Out-dimension of every layer of the network, in order (the structure the builder emits)."""
    n, beta = block_size, max(rho, c)
    su, sw = _stream_sizes(beta, rho), _stream_sizes(beta, c)
    sizes = _selection_sizes(_blocks(n_points, n), parallel)
    for k in range(n):
        for b in range(beta):
            has_y = k * beta + b > beta
            sizes.append(1 + has_y + su[b] + sw[b] + (4 if b == 0 and k >= 1 else 0))
    sizes += [(n >= 2) + 4, 1]
    return sizes


def sublinear_depth(n_points: int, rho: int, c: int, block_size: int, parallel: bool = False) -> int:
    """``S + n max(rho, c) + 2`` with ``S = K - 1`` (sequential, ``K >= 2``), ``3`` (parallel,
    ``K >= 2``) or ``1`` (``K = 1``) selection layers, ``K = ceil(N / n)``."""
    return len(_selection_sizes(_blocks(n_points, block_size), parallel)) + block_size * max(rho, c) + 2


def sublinear_counts(n_points: int, d: int, rho: int, c: int, block_size: int, *,
                     parallel: bool = False, top: int | None = None,
                     first_layer_bits: int | None = None) -> dict:
    """Exact sizes of :func:`build_sublinear` (see its docstring for the formulas).

    ``n_points`` distinct points in dimension ``d``, ``rho`` bits per stored
    position, ``c`` bits per label, blocks of ``block_size``; ``parallel`` for
    the depth-budget chooser. ``max_bits`` is exact when ``top`` (the largest
    block start ``lo``) and ``first_layer_bits`` (bits of the dyadic first
    layer, data-dependent) are given, otherwise it is the bound from the
    integer layers alone.
    """
    sizes = layer_sizes(n_points, rho, c, block_size, parallel)
    ins = [d] + sizes[:-1]
    K = _blocks(n_points, block_size)
    beta = max(rho, c)
    max_bits = max(block_size * beta + 1, c + 2)
    if top is not None and K >= 2:
        max_bits = max(max_bits, top.bit_length() + 1)
    if first_layer_bits is not None:
        max_bits = max(max_bits, first_layer_bits)
    return {
        "params": sum((i + 1) * o for i, o in zip(ins, sizes)),
        "neurons": sum(sizes),
        "depth": len(sizes),
        "width": max(sizes),
        "max_bits": max_bits,
        "blocks": K,
        "block_size": block_size,
    }


# -- block size -------------------------------------------------------------------------

def _label_bits(C: int) -> int:
    return max(1, (C - 1).bit_length())


def default_block_size(floors: np.ndarray, c: int) -> int:
    """The block size ``n`` minimizing the depth ``K - 1 + n max(rho(n), c) + 2``.

    ``rho(n)`` is measured on the data for each candidate ``n <= 4 sqrt(N) + 8``
    (the optimum is near ``sqrt(N / rho)``); depth is the size that matters,
    since width is constant and params grow linearly with depth.
    """
    N = len(floors)
    best = None
    for n in range(1, min(N, 4 * math.isqrt(N) + 8) + 1):
        depth = sublinear_depth(N, block_offset_bits(floors, n), c, n)
        if best is None or depth < best[0]:
            best = (depth, n)
    return best[1]


def budget_block_size(floors: np.ndarray, c: int, budget: int) -> int:
    """The largest ``n`` whose parallel-chooser network has depth ``<= budget``."""
    N = len(floors)
    if budget <= 0:
        raise ConstructionError(f"depth budget L={budget} must be a positive number of layers")
    one_block = sublinear_depth(N, block_offset_bits(floors, N), c, N, parallel=True)
    if budget > one_block:
        warnings.warn(
            f"depth budget L={budget} exceeds the deepest network of this family ({one_block} "
            f"layers, one block of all {N} points); building that one", stacklevel=3)
        return N
    for n in range(min(N, budget), 0, -1):
        if sublinear_depth(N, block_offset_bits(floors, n), c, n, parallel=True) <= budget:
            return n
    need = sublinear_depth(N, block_offset_bits(floors, 1), c, 1, parallel=True)
    raise ConstructionError(
        f"depth budget L={budget} is too small: blocks of one point already need {need} layers "
        f"here; use depth >= {need}")


# -- composition ----------------------------------------------------------------------------

def _head(stack: LayerStack, line, blocks: Blocks, parallel: bool):
    """Stages (a)+(b): emit the selection layers; return the expressions of ``t - lo``, ``U``, ``W``."""
    d = stack.input_dim
    t_x = Affine({f"x{j}": w for j, w in enumerate(line.weights)}, line.bias)
    K, lo, u, w = blocks.count, blocks.lo, blocks.positions, blocks.labels
    if K == 1:
        stack.add([t_x.neuron("t")])
        return Affine.of("t"), Affine({}, u[0]), Affine({}, w[0])
    if parallel:
        stack.add([t_x.neuron("t")])
        t = Affine.of("t")
        ramps, steps = [t.neuron("t")], []
        for j in range(1, K):
            r, s = step_ramps(t, lo[j], f"h{j}")
            ramps += r
            steps.append(s)
        stack.add(ramps)
        rel, uu, ww = Affine.of("t"), Affine({}, u[0]), Affine({}, w[0])
        for j in range(1, K):
            rel = rel - steps[j - 1] * (lo[j] - lo[j - 1])
            uu = uu + steps[j - 1] * (u[j] - u[j - 1])
            ww = ww + steps[j - 1] * (w[j] - w[j - 1])
        stack.add([rel.neuron("tp"), uu.neuron("U"), ww.neuron("W")])
        return Affine.of("tp"), Affine.of("U"), Affine.of("W")
    # Sequential chooser: layer j computes the ramps of block j and folds in block j-1's step.
    ramps, step = step_ramps(t_x, lo[1], "h")
    stack.add([t_x.neuron("t")] + ramps)
    t = Affine.of("t")
    rel = t - step * lo[1]
    uu = Affine({}, u[0]) + step * (u[1] - u[0])
    ww = Affine({}, w[0]) + step * (w[1] - w[0])
    for j in range(2, K):
        ramps, step = step_ramps(t, lo[j], "h")
        stack.add([t.neuron("t"), rel.neuron("tp"), uu.neuron("U"), ww.neuron("W")] + ramps)
        rel = Affine.of("tp") - step * (lo[j] - lo[j - 1])
        uu = Affine.of("U") + step * (u[j] - u[j - 1])
        ww = Affine.of("W") + step * (w[j] - w[j - 1])
    return rel, uu, ww


def _extract_and_match(stack: LayerStack, rel: Affine, uu: Affine, ww: Affine, blocks: Blocks):
    """Stages (c)+(d): read both words segment by segment and add the matching label."""
    n, rho, c = blocks.n, blocks.rho, blocks.c
    beta, m = max(rho, c), 1 << c
    pos, lab = Stream("u", uu), Stream("w", ww)
    y = None  # expression of the running output, once a segment has been matched
    pending = None  # (D, label) of the segment just read
    for k in range(n):
        tu = segment_thresholds(rho, n, k)
        tw = segment_thresholds(c, n, k)
        for b in range(beta):
            neurons = [rel.neuron("tp")]
            if y is not None:
                neurons.append(y.neuron("Y"))
                y = Affine.of("Y")
            if pending is not None:
                g, contribution = match_layer(*pending, m)
                neurons += g
                y = contribution if y is None else y + contribution
                pending = None
            neurons += stream_step(pos, tu, beta, b)
            neurons += stream_step(lab, tw, beta, b)
            stack.add(neurons)
            rel = Affine.of("tp")
        pending = (rel - pos.acc, lab.acc)
        pos.acc = lab.acc = None
    g, contribution = match_layer(*pending, m)
    stack.add(([y.neuron("Y")] if y is not None else []) + g)
    out = contribution + (Affine.of("Y") if y is not None else 0)
    stack.add([out.neuron("out")], activation="identity")


def stream_step(stream: Stream, thresholds: list[int], beta: int, b: int):
    """The neurons of ``stream`` at layer ``b`` of a segment: idle, then its bits at the end."""
    from memorize.constructions.relu_gadgets import stream_layer

    start = beta - len(thresholds)
    return stream_layer(stream, thresholds[b - start] if b >= start else None)


@register("relu_sublinear",
          "Vardi et al. 2022: O~(sqrt N) params, width 12, big-integer weights (depth budget option)",
          THEOREM)
def build_sublinear(X, y, *, seed: int | None = 0, block_size: int | None = None,
                    depth: int | None = None) -> Network:
    """PLACEHOLDER"""
    Xu, yu, _ = deduplicate(X, y)
    N, d = Xu.shape
    C = num_classes(yu)
    c = _label_bits(C)
    if block_size is not None and depth is not None:
        raise ConstructionError("give block_size or depth (a depth budget), not both")
    if block_size is not None and not (1 <= block_size):
        raise ConstructionError(f"block_size={block_size} must be a positive integer")
    line = integer_line(Xu, np.random.default_rng(seed))
    labels = yu[line.order]
    parallel = depth is not None
    if parallel:
        n = budget_block_size(line.floors, c, depth)
    elif block_size is not None:
        n = min(block_size, N)
    else:
        n = default_block_size(line.floors, c)
    blocks = pack_blocks(line.floors, labels, n, c)
    stack = LayerStack(d)
    rel, uu, ww = _head(stack, line, blocks, parallel)
    _extract_and_match(stack, rel, uu, ww, blocks)
    options = {"block_size": block_size, "depth": depth}
    meta = provenance("relu_sublinear", THEOREM, seed, options, X, y,
                      blocks=blocks.count, chosen_block_size=n, rho=blocks.rho, label_bits=c,
                      top=int(max(blocks.lo)), line_range=line.top,
                      first_layer_bits=stack.layers[0].max_bits, parallel_chooser=parallel)
    return Network(d, stack.layers, meta)
