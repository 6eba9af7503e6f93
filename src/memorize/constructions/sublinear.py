"""The O~(sqrt N)-parameter ReLU memorizer (Vardi, Yehudai, Shamir 2022, Theorem 3.1)
and its bounded-depth O~(N/L) version."""

from __future__ import annotations

import math

import numpy as np

from memorize.constructions import register
from memorize.constructions.block_readout import extract_and_match, readout_sizes
from memorize.constructions.depth_budget import build_budget
from memorize.constructions.line_blocks import (
    Blocks, Layout, block_offset_bits, integer_line, pack_blocks,
)
from memorize.constructions.provenance import provenance
from memorize.constructions.relu_gadgets import Affine, LayerStack, step_ramps
from memorize.data import deduplicate, num_classes
from memorize.errors import ConstructionError
from memorize.network import Network

THEOREM = ("Vardi, Yehudai, Shamir 2022, 'On the Optimal Memorization Power of ReLU Neural "
           "Networks' (ICLR), Theorem 3.1; bounded depth: their O~(N/L) result")


# -- counts ---------------------------------------------------------------------------

def _blocks(n_points: int, block_size: int) -> int:
    return -(-n_points // block_size)


def _selection_sizes(blocks: int) -> list[int]:
    return [1] if blocks == 1 else [3] + [6] * (blocks - 2)


def layer_sizes(n_points: int, rho: int, c: int, block_size: int) -> list[int]:
    """Out-dimension of every layer of the network, in order (the structure the builder emits)."""
    layout = Layout.split(block_size, rho, c)
    return _selection_sizes(_blocks(n_points, block_size)) + readout_sizes(layout)


def sublinear_depth(n_points: int, rho: int, c: int, block_size: int) -> int:
    """``S + n max(rho, c) + 2`` with ``S = K - 1`` selection layers (``K >= 2``) or
    ``S = 1`` (``K = 1``), ``K = ceil(N / n)``."""
    return len(_selection_sizes(_blocks(n_points, block_size))) + block_size * max(rho, c) + 2


def sublinear_counts(n_points: int, d: int, rho: int, c: int, block_size: int, *,
                     top: int | None = None, first_layer_bits: int | None = None) -> dict:
    """Exact sizes of :func:`build_sublinear` (see its docstring for the formulas).

    ``n_points`` distinct points in dimension ``d``, ``rho`` bits per stored
    position, ``c`` bits per label, blocks of ``block_size``. ``max_bits`` is
    exact when ``top`` (the largest block start ``lo``) and
    ``first_layer_bits`` (bits of the dyadic first layer, data-dependent) are
    given, otherwise it is the bound from the integer layers alone.
    """
    sizes = layer_sizes(n_points, rho, c, block_size)
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

def label_bits(C: int) -> int:
    """``c = max(1, bitlen(C - 1))``: bits of a label in ``0..C-1``."""
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


# -- composition ----------------------------------------------------------------------------

def _sequential_head(stack: LayerStack, line, blocks: Blocks):
    """Stages (a)+(b): emit the selection layers; return the expressions of ``t - lo``, ``U``, ``W``.

    Layer ``j`` computes the ramps of block ``j`` and folds in block ``j-1``'s step.
    """
    t_x = Affine({f"x{j}": w for j, w in enumerate(line.weights)}, line.bias)
    K, lo = blocks.count, blocks.lo
    u, w = blocks.words
    if K == 1:
        stack.add([t_x.neuron("t")])
        return Affine.of("t"), Affine({}, u[0]), Affine({}, w[0])
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


@register("relu_sublinear",
          "Vardi et al. 2022: O~(sqrt N) params, width 12, big-integer weights (depth budget option)",
          THEOREM)
def build_sublinear(X, y, *, seed: int | None = 0, block_size: int | None = None,
                    depth: int | None = None, directions: int = 4) -> Network:
    """The O~(sqrt N)-parameter ReLU memorizer of Vardi, Yehudai, Shamir (2022), Theorem 3.1.

    Theorem 3.1: let ``x_1..x_N`` in ``R^d`` with ``||x_i|| <= r`` and
    ``||x_i - x_j|| >= delta`` for all ``i != j``, labels in ``[C]``, and
    ``R = 10 r N^2 sqrt(pi d) / delta``. Then a ReLU network of width 12, depth
    ``O(sqrt(N log N) + sqrt(N / log N) max(log R, log C))`` and bit complexity
    ``O(log d + sqrt(N / log N) max(log R, log C))`` (hence ``O~(sqrt N)``
    parameters) outputs exactly ``y_i`` on ``x_i``. With depth ``L <= sqrt N``,
    ``O~(N / L)`` parameters suffice: the ``depth`` option builds the network of
    :mod:`~memorize.constructions.depth_budget` instead (its docstring has its
    construction and exact sizes); everything below is the sqrt(N) network.

    Construction, stage by stage (each stage a separately tested gadget):

    (a) :func:`~memorize.constructions.line_blocks.integer_line`: a seeded
        random integer direction (re-drawn until the projections are distinct,
        checked exactly; best of ``directions`` draws), scaled by a power of two so that consecutive
        projections are ``>= 2`` apart, shifted so the smallest is 0:
        ``t(x) in [0, top]`` on the data, ``a = floor(t)`` strictly increasing.
    (b) Sort, cut into ``K = ceil(N / n)`` blocks of ``n``. Block ``j`` stores
        ``lo_j`` (floor of its first point) in the weights and two words:
        ``U_j`` packs the offsets ``a - lo_j`` (``rho`` bits each), ``W_j`` the
        labels (``c`` bits each), MSB first, fixed width, padded with ``(0, 0)``.
        The chooser maps ``t`` to ``(t - lo_j, U_j, W_j)`` by telescoping sums
        of unit steps ``[t >= lo_j] = relu(t - lo_j + 1) - relu(t - lo_j)``
        (exact on the data: other blocks are >= 1 away from each ramp).
        One layer per block boundary, width 6.
    (c) Bit extraction, one layer per bit and word: with integer remainder
        ``r`` and threshold ``T = 2^k``, ``bit = relu(r-T+1) - relu(r-T)``,
        ``r <- r - T bit``, ``A <- 2A + bit``; both words are read in
        parallel, ``beta = max(rho, c)`` layers per segment, the shorter word
        idling (carrying ``r``) at the start of each segment.
    (d) Match: with ``D = (t - lo_j) - A_k`` and the label ``L_k``,
        ``relu(L + M D) - relu(M D) - relu(L + M(D-2)) + relu(M(D-2))``
        (``M = 2^c``) is ``L`` for ``D in [0, 1]`` and 0 for ``D <= -1`` or
        ``D >= 2``; on the data exactly the point's own segment has
        ``D in [0, 1)`` and every other one is >= 1 away. Its four neurons sit
        in the first layer of the next segment, so matching costs no layer.

    Exact sizes (``N`` distinct points, ``K = ceil(N/n)``, ``beta = max(rho, c)``,
    ``c = max(1, bitlen(C - 1))``, depth = number of affine layers), as returned
    by :func:`sublinear_counts` and asserted by the tests:

    * depth ``= S + n beta + 2`` with ``S = K - 1`` selection layers
      (``K >= 2``) or ``S = 1`` (``K = 1``);
    * width ``= 10`` when ``rho > c`` and ``n >= 3`` (the regime of any non-tiny
      data set), ``<= 12`` always (12 only when ``rho = c``);
    * ``K >= 3``, ``n >= 3``, ``c >= 2``, ``rho >= c + 2``:
      ``params (dense) = 3d + 42K + n(56 rho + 54c + 27) - 14 rho - 6c - 148``,
      ``neurons = 6K + n(7 rho + 3c + 2) - rho - 8``; in general dense params
      are ``sum (w_{l-1} + 1) w_l`` over the widths listed by :func:`layer_sizes`;
    * nonzero params: measured (about 1/3 of dense; data words can be 0);
    * max bits ``= max(n beta + 1, c + 2, bitlen(lo_max) + 1, b_1)``: the
      threshold ``2^(n beta - 1)``, the match weights, the block starts, and
      ``b_1`` the bits of the first layer (the direction's 24 bits times a
      power of two, and an integer shift; 30-80 bits for float64 data).

    Departures from the paper, and why:

    * Labels ``0..C-1`` are stored as they are (``c = bitlen(C - 1)`` bits); no
      "no match" value is needed since every data point matches exactly one
      segment and padding segments carry label 0.
    * Positions are stored relative to their block start (``rho`` is measured
      on the data: about ``log2(n N)`` against the paper's ``log2 R`` for
      absolute positions), which shortens the words by ~``log2 K`` bits each.
    * The chooser takes one layer per block (telescoping steps) instead of the
      selection lemma's three; bits are read with integer remainders (one
      layer per bit) instead of Telgarsky triangles (three per bit); matching
      is folded into the extraction layers. Width 10 instead of 12.
    * ``rho``, ``c`` and the default block size come from the data (``n``
      minimizes the exact depth) instead of the theorem's worst-case
      ``log R`` and ``sqrt(N / log N)``.
    * Exact only on the data points (as the theorem); weights need
      ``n beta + 1`` bits, so float64 evaluation fails (expected).

    Parameters
    ----------
    X : array (N, d) of floats; y : array (N,) of labels ``0..C-1``
    seed : seed of the random direction
    block_size : points per block ``n`` (default: depth-minimizing; capped at N)
    depth : depth budget ``L >= 2``: the network with the fewest parameters of depth
        ``<= L`` (see :func:`~memorize.constructions.depth_budget.plan_budget`);
        exclusive with ``block_size``. ``L`` that is not an integer or ``< 2``
        raises ConstructionError; ``L`` above the useful maximum (the depth of
        the family's smallest network) is clamped to it with a UserWarning.
    directions : random directions tried in stage (a); the one with the
        smallest range (fewest position bits) is kept

    Raises
    ------
    DataError on malformed data or a point repeated with different labels;
    ConstructionError on bad options or budgets.
    """
    Xu, yu, _ = deduplicate(X, y)
    N, d = Xu.shape
    c = label_bits(num_classes(yu))
    if block_size is not None and depth is not None:
        raise ConstructionError("give block_size or depth (a depth budget), not both")
    if block_size is not None and not (1 <= block_size):
        raise ConstructionError(f"block_size={block_size} must be a positive integer")
    if directions < 1:
        raise ConstructionError(f"directions={directions} must be a positive integer")
    line = integer_line(Xu, np.random.default_rng(seed), directions)
    labels = yu[line.order]
    options = {"block_size": block_size, "depth": depth, "directions": directions}
    if depth is not None:
        layers, extra = build_budget(Xu, yu, line, labels, c, depth, seed)
        meta = provenance("relu_sublinear", THEOREM, seed, options, X, y, **extra)
        return Network(d, layers, meta)
    n = min(block_size, N) if block_size is not None else default_block_size(line.floors, c)
    blocks = pack_blocks(line.floors, labels, Layout.split(n, block_offset_bits(line.floors, n), c))
    stack = LayerStack(d)
    rel, uu, ww = _sequential_head(stack, line, blocks)
    extract_and_match(stack, rel, [uu, ww], blocks.layout)
    meta = provenance("relu_sublinear", THEOREM, seed, options, X, y,
                      blocks=blocks.count, chosen_block_size=n, rho=blocks.layout.rho, label_bits=c,
                      top=int(max(blocks.lo)), line_range=line.top,
                      first_layer_bits=stack.layers[0].max_bits)
    return Network(d, stack.layers, meta)
