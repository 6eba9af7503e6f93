"""The shallow members of ``relu_sublinear``: O~(N/L) parameters at small depth L
(Vardi, Yehudai, Shamir 2022).

Theorem (Vardi, Yehudai, Shamir 2022, ICLR; the bounded-depth result of the
abstract): for ``1 <= L <= sqrt N``, ``N`` points with ``||x_i|| <= r``,
pairwise ``>= delta`` apart and labels in ``[C]`` are memorized by a ReLU
network of depth about ``L`` with ``O~(N/L)`` parameters, optimal up to logs
(VC dimension). The paper's text of this theorem could not be read; what
follows is our construction, built from the gadgets of their Theorem 3.1,
with its own exact counts.

Given a depth budget ``L`` (``relu_sublinear`` with ``depth=L``),
:func:`~memorize.constructions.relu_sublinear.build_relu_sublinear` compares the
stream members of :mod:`~memorize.constructions.relu_sublinear` (which need a
depth of about ``lambda + bitlen(range)`` at least) with the member of this
module that :func:`plan_budget` picks, the one with the fewest nonzero
parameters among those of depth ``<= L``, and builds the one with fewer:

* ``L = 2``: one hidden layer, Bubeck et al.'s network with per-class
  3-neuron tents (:func:`~memorize.constructions.relu_bubeck.build_relu_bubeck`,
  ``per_class=True``: ``3(d + 2)`` parameters per ``d`` points);
* ``L >= 3``: Zhang et al.'s two-layer network on a line
  (:func:`~memorize.constructions.relu_two_layer.build_relu_two_layer`, ``3N + d + 2``),
  the theorem's ``L ~ 1`` regime, until the budget holds enough layers to
  store points as bits (about ``L > lambda``);
* then the *block network* below, whose parameters fall like ``N lambda / L``.

Here ``lambda = rho + c`` is the number of bits stored per point (``rho``
for its offset within its block, ``c = bitlen(C - 1)`` for its label): the
log factor that ``O~`` hides. So the theorem's bound reads
``N min(1, lambda / L)`` up to constants (``memorize.bounds.RELU_SUBLINEAR_DEPTH``).

The block network. Stage (a) is the sqrt(N) network's integer line ``t``.
Stage (b) cuts the sorted points into ``K`` blocks of ``n`` and selects the
block of ``t`` in three wide, shallow layers (not ``K`` sequential ones):
``g_j = relu(lo_j - t)`` (0 on blocks ``>= j``, ``> 1`` before: the floors
of consecutive points are ``>= 2`` apart), ``st_j = relu(1 - g_j) = [t >= lo_j]``,
then every selected register is a telescoping sum
``v_0 + sum_j (v_j - v_{j-1}) st_j`` (``tp = t - lo_j`` and the ``w`` words). A
step costs 4 parameters and each register 1 per block, against 4 and 2 for
a pair of ramps. Stages (c)+(d): each point's record ``offset * 2^c + label``
(``lambda`` bits) is cut into ``w = ceil(lambda / s)`` slices, one per word
(:meth:`Layout.record <memorize.constructions.gadgets.line_blocks.Layout.record>`);
the ``w`` words are read in parallel, one bit per layer each, so a point
takes ``s`` layers, and the slices' values are read off the remainders
without accumulators (:func:`~memorize.constructions.gadgets.block_readout.extract_and_match`,
lean). Width, not depth, pays for small budgets.

Blocks are cut greedily (:func:`~memorize.constructions.gadgets.line_blocks.block_starts`):
up to ``n`` points whose offsets fit in ``rho`` bits, so ``K >= ceil(N/n)``
blocks; :func:`plan_budget` may lower ``rho`` below the largest offset of
fixed blocks of ``n`` when a record then needs one or two words fewer.

Sizes of the block network (``K`` blocks, ``w`` words, ``s`` layers per
point), as :func:`budget_counts` and :func:`budget_connections` return them:

* depth ``= 4 + n s + 2`` (``K >= 2``) or ``1 + n s + 2`` (``K = 1``);
* width ``= max(K, readout width)``, readout width ``<= 3w + 8``;
* dense params ``= sum (w_{l-1} + 1) w_l`` over :func:`budget_layer_sizes`:
  the layer of steps is a ``K x K`` diagonal, so this layered count is about
  ``K^2`` and says little; the nonzero count is the one to compare;
* connections (weights and biases the construction places)
  ``= f_1 + (5 + w) K - 2 + R`` for ``K >= 2``: ``f_1`` the first layer's,
  ``R`` the readout's (:func:`~memorize.constructions.gadgets.block_readout.readout_nonzeros`,
  data-independent, affine in ``n``, about ``11 w n s``).
  ``connections - wK <= nonzero params <= connections``: the gap is the
  stored word differences that happen to be 0;
* max bits ``<= max(n s + 3, rho + c + 4, bitlen(top) + 2, b_1)`` for
  ``K >= 2``, ``b_1`` the first layer's bits: each word holds ``n s`` bits.

With ``n ~ (L - 6)/s`` the chooser costs ``(5 + w) N s / (L - 6)``, about
``(5 s + lambda) N / L``, and the readout ``~11 w L``: ``O(N lambda / L + lambda L)``,
that is ``O~(N/L)`` for ``L <= sqrt N``. :func:`plan_budget` tries every
``s`` and, for each, the largest ``n`` that fits and the ``n`` balancing
chooser against readout, with ``rho`` as measured or cut by one or two words
(a brute-force search over all ``s, n, rho`` found the same optimum at
``N = 10^4, L = 100``).

Departures and choices: the family switches member by parameter count (the
theorem's statement covers all ``L``, the constructions differ by regime);
the counts compared are connections (weights and biases placed); the chooser
of the block network is one layer of ``K`` steps, whose dense size grows like
``K^2``: at depth ``L << sqrt N`` a network with ``O(N/L)`` connections is
necessarily wide and sparse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from memorize.constructions.gadgets.block_readout import extract_and_match, readout_nonzeros, readout_sizes
from memorize.bounds.symbols import evaluate
from memorize.bounds.upper import RELU_BUBECK_PER_CLASS, RELU_TWO_LAYER
from memorize.constructions.relu_bubeck import build_relu_bubeck
from memorize.constructions.gadgets.line_blocks import (
    IntegerLine, Layout, block_offset_bits, block_starts, pack_blocks,
)
from memorize.constructions.gadgets.relu import Affine, LayerStack
from memorize.network import dense_params
from memorize.constructions.relu_two_layer import build_relu_two_layer

HEAD_LAYERS = 4


# -- counts ---------------------------------------------------------------------------

def budget_layer_sizes(K: int, layout: Layout) -> list[int]:
    """Out-dimension of every layer of the block network with ``K`` blocks, in order."""
    head = [1] if K == 1 else [1, K, K, 1 + layout.words]
    return head + readout_sizes(layout)


def budget_depth(K: int, layout: Layout) -> int:
    """``4 + n s + 2`` (``K >= 2``) or ``1 + n s + 2`` (one block)."""
    return (1 if K == 1 else HEAD_LAYERS) + layout.n * layout.s + 2


def budget_connections(K: int, layout: Layout, first_layer: int) -> int:
    """Weights and biases the block network with ``K >= 2`` blocks places (an upper bound
    on its nonzero parameters, equal unless two consecutive blocks store equal word
    slices). ``first_layer``: nonzero weights and bias of the projection ``t``."""
    return first_layer + (5 + layout.words) * K - 2 + readout_nonzeros(layout)


def budget_counts(K: int, d: int, layout: Layout) -> dict:
    """Exact dense sizes of the block network with ``K`` blocks in dimension ``d``."""
    sizes = budget_layer_sizes(K, layout)
    return {
        "params": dense_params([d] + sizes),
        "neurons": sum(sizes),
        "depth": len(sizes),
        "width": max(sizes),
    }


# -- choosing the member ------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """The member to build for a budget and its estimated nonzero parameters."""

    member: str  # "relu_bubeck", "relu_two_layer" or "blocks"
    params: int
    depth: int
    layout: Layout | None = None


def _block_plans(floors: np.ndarray, c: int, d: int, budget: int | None):
    """For every ``s``, the candidate block networks of depth ``<= budget`` (any depth if
    None), with their connections (for one block, ``K = 1``, an estimate)."""
    N = len(floors)
    top_bits = max(1, int(floors[-1]).bit_length())
    for s in range(1, max(top_bits, c) + 1):
        if budget is None or N * s + 3 <= budget:
            n_max = N  # one block fits
        else:
            n_max = min(N, (budget - HEAD_LAYERS - 2) // s)
            if n_max < 1:
                continue
        for n in _block_sizes(floors, c, s, n_max):
            rho = block_offset_bits(floors, n)
            # Records of rho + c bits fill ceil((rho + c) / s) words; a word or two fewer,
            # with offsets cut to fit, may pay for the extra blocks they need.
            words = -(-(rho + c) // s)
            fewer = [(words - k) * s - c for k in (1, 2)]
            for r in [rho] + [f for f in fewer if 1 <= f < rho]:
                layout = Layout.record(n, r, c, s)
                K = len(block_starts(floors, n, r))
                yield Plan("blocks", budget_connections(K, layout, d + 1), budget_depth(K, layout),
                           layout)


def _block_sizes(floors, c, s, n_max):
    """``n_max`` and the block sizes near the unconstrained optimum ``sqrt(N (5 + w) / r)``."""
    N = len(floors)
    rho = block_offset_bits(floors, n_max)
    layout = Layout.record(1, rho, c, s)
    per_point = readout_nonzeros(Layout.record(2, rho, c, s)) - readout_nonzeros(layout)
    best = math.sqrt(N * (5 + layout.words) / max(1, per_point))
    sizes = {n_max} | {min(n_max, max(1, int(v))) for v in (best, best + 1)}
    return sorted(sizes)


def _tent_groups(labels: np.ndarray, d: int) -> int:
    """Groups of the per-class Bubeck network in general position: ``sum ceil(N_c / d)``
    over the labels but the most frequent (the background)."""
    counts = np.unique(labels, return_counts=True)[1]
    return int(sum(-(-int(m) // d) for m in counts) - -(-int(counts.max()) // d))


def plan_budget(floors: np.ndarray, labels: np.ndarray, c: int, d: int, budget: int) -> Plan:
    """The shallow member with the fewest (estimated nonzero) parameters and depth
    ``<= budget``, for the sorted ``floors`` of the integer line (gaps ``>= 2``),
    ``labels`` and ``c`` label bits. ``budget`` is an integer ``>= 2`` (checked
    by the caller, :func:`~memorize.constructions.relu_sublinear.build_relu_sublinear`).
    """
    N = len(floors)
    # Every member of depth <= budget competes: the depth-2 tents whatever the budget (a
    # larger budget must never cost more connections than a smaller one).
    shallow = [Plan("relu_bubeck", evaluate(RELU_BUBECK_PER_CLASS.size["params"], d=d,
                                            G=_tent_groups(labels, d)), 2)]
    if budget >= 3:
        shallow.append(Plan("relu_two_layer",
                            evaluate(RELU_TWO_LAYER.size["connections"], N=N, d=d), 3))
    return min([*shallow, *_block_plans(floors, c, d, budget)], key=_size)


def _size(plan: Plan):
    return (plan.params, plan.depth)


# -- composition --------------------------------------------------------------------------

def _parallel_head(stack: LayerStack, line: IntegerLine, blocks) -> tuple[Affine, list]:
    """Stages (a)+(b): ``t``, then the block's registers ``tp = t - lo_j`` and its words."""
    t_x = Affine({f"x{j}": w for j, w in enumerate(line.weights)}, line.bias)
    stack.add([t_x.neuron("t")])
    K, lo = blocks.count, blocks.lo
    if K == 1:
        return Affine.of("t"), [Affine({}, word[0]) for word in blocks.words]
    t = Affine.of("t")
    stack.add([t.neuron("t")] + [(Affine({}, lo[j]) - t).neuron(f"g{j}") for j in range(1, K)])
    stack.add([t.neuron("t")] + [(1 - Affine.of(f"g{j}")).neuron(f"st{j}") for j in range(1, K)])

    def select(values):
        return Affine({f"st{j}": values[j] - values[j - 1] for j in range(1, K)}, values[0])

    rel = t - select(lo)
    stack.add([rel.neuron("tp")] + [select(word).neuron(f"U{i}") for i, word in enumerate(blocks.words)])
    return Affine.of("tp"), [Affine.of(f"U{i}") for i in range(blocks.layout.words)]


def build_budget(X: np.ndarray, y: np.ndarray, line: IntegerLine, labels: np.ndarray, c: int,
                 plan: Plan, seed) -> tuple[list, dict]:
    """The layers of the shallow member ``plan`` (``X, y`` distinct points; ``line`` their
    integer line, ``labels`` sorted along it) and the ``meta`` entries describing them."""
    N, d = X.shape
    if plan.member == "relu_bubeck":
        net = build_relu_bubeck(X, y, seed=seed, per_class=True)
        return net.layers, {"member": plan.member, "groups": net.meta["groups"]}
    if plan.member == "relu_two_layer":
        net = build_relu_two_layer(X, y, seed=seed)
        return net.layers, {"member": plan.member, "slope": net.meta["slope"]}
    layers, meta = block_layers(line, labels, c, plan.layout, d)
    return layers, {"member": "blocks", **meta}


def block_layers(line: IntegerLine, labels: np.ndarray, c: int, layout: Layout,
                 d: int) -> tuple[list, dict]:
    """The block network's layers for ``layout`` (any ``n``, ``s``) and its ``meta`` entries."""
    blocks = pack_blocks(line.floors, labels, layout)
    stack = LayerStack(d)
    rel, words = _parallel_head(stack, line, blocks)
    extract_and_match(stack, rel, words, layout)
    meta = {"blocks": blocks.count, "chosen_block_size": layout.n, "rho": layout.rho,
            "label_bits": c, "words": layout.words, "layers_per_point": layout.s,
            "first_layer_nonzeros": stack.layers[0].nonzero_params,
            "first_layer_bits": stack.layers[0].max_bits, "top": int(max(blocks.lo))}
    return stack.layers, meta
