"""The O~(sqrt N)-connection ReLU memorizer (Vardi, Yehudai, Shamir 2022, Theorem 3.1),
as one family of width-depth trade-offs, and its bounded-depth version.

Theorem 3.1 (Vardi, Yehudai, Shamir 2022, ICLR): let ``x_1..x_N`` in ``R^d``
with ``||x_i|| <= r``, ``||x_i - x_j|| >= delta`` for ``i != j``, labels in
``[C]`` and ``R = 10 r N^2 sqrt(pi d) / delta``. A ReLU network of width 12,
depth ``O(sqrt(N log N) + sqrt(N / log N) max(log R, log C))`` and bit
complexity ``O(log d + sqrt(N / log N) max(log R, log C))`` outputs exactly
``y_i`` on ``x_i``: ``O~(sqrt N)`` parameters. With depth ``L <= sqrt N``,
``O~(N / L)`` parameters suffice. Yang and Yang 2026 (arXiv 2603.09589) add
the width: width ``W`` and depth ``L`` with ``W^2 L^2 = O(N log(1/delta))``
suffice, and ``W^2 L^2 = Omega(N / log(1/delta))`` is necessary.

The family (every member exact on the data; see ``docs/theorems/relu_sublinear.md``):

(a) ``t(x) = <w, x> + b``: a seeded random direction, scaled by a power of two
    so that consecutive data points are ``>= 4`` apart
    (:func:`~memorize.constructions.gadgets.line_blocks.integer_line`, ``gap_bits=2``).
(b) The sorted points are cut into ``K`` blocks of ``n = S n_s`` points; block
    ``j`` starts at the even integer ``lo_j`` and its points are dealt to ``S``
    streams of ``n_s`` records (:mod:`~memorize.constructions.gadgets.fold_words`).
    The *chooser* selects the block of ``t``: per block boundary ``j`` a ramp
    ``g_j = relu(lo_j - t)`` and a step ``st_j = relu(1 - g_j) = [t >= lo_j]``
    (the next layer), and every stream register adds ``(U_j - U_{j-1}) st_j``
    (the layer after). ``B`` boundaries are handled per layer, pipelined, so
    the chooser takes ``ceil((K - 1) / B) + 2`` layers.
(c) Stream 0 first reads ``lo_j`` off its word by tent folds and forms
    ``P = t - lo_j`` (position within the block); the other streams wait.
(d) Each stream reads its records by tent folds, one bit per layer
    (:func:`~memorize.constructions.gadgets.relu.tent_layer`: two neurons,
    five connections per bit, weights 2, -4, 1/2). After a record's label
    field, its value ``z`` satisfies ``2^rho z = offset + phi`` with
    ``0 < phi < 1``, and ``D = 2^rho z - P`` is in ``(-1, 1)`` for the point's
    own record and outside ``[-3, 3]`` for every other one. A gate adds
    ``2 M (y + [S = 1])`` to ``P`` exactly when ``(D + 1) / 2`` is in ``[0, 1]``
    (``M = 2^(rho + 2)``): with one stream a one-sided step (2 neurons; the
    records after the match are pushed below the step by the addition), with
    several a two-sided window (4 neurons).
(e) ``P = tp + M Q`` with ``tp < M / 4`` and ``Q`` even: ``q`` tent folds of
    ``P / (M 2^q)`` give ``Q`` exactly, and the output is ``Q / 2 - [S = 1]``.

Exact sizes: :mod:`~memorize.constructions.relu_sublinear_members` (closed forms,
:class:`Member`) and the planner that picks a member (:func:`plan`).

Departures from the paper, and why:

* Tent folds (continuous, no margins, small weights) read one bit per layer
  with 5 connections, instead of the paper's selection lemma and Telgarsky
  triangles; block selection costs 7 connections per block (``S = B = 1``).
* Positions are stored relative to their block (``rho`` measured on the
  data, about ``log2(n N)``) and the label field is read before the offset;
  the matched label is added into the position register, so no accumulator
  runs through the readout.
* Sizes come from the data (``rho``, ``c``, ``K``) instead of the theorem's
  worst-case ``log R`` and ``sqrt(N / log N)``; width 5 instead of 12.
* Exact only on the data points (as the theorem); the words need ``~sqrt(N lambda)``
  bits, so float64 evaluation fails (expected).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from memorize.bounds.symbols import evaluate_all
from memorize.bounds.upper import RELU_BUBECK_PER_CLASS, RELU_TWO_LAYER
from memorize.constructions.gadgets.fold_words import even_starts, greedy_starts, stream_words
from memorize.constructions.gadgets.line_blocks import IntegerLine, Layout, integer_line
from memorize.constructions.provenance import provenance
from memorize.constructions.record import Option, register
from memorize.constructions.relu_sublinear_budget import budget_counts, build_budget, plan_budget
from memorize.constructions.relu_sublinear_members import (
    MIN_WIDTH, Member, _width, least_depth, plan,
)
from memorize.constructions.gadgets.relu import (
    Affine, LayerStack, Stream, match_layer, tent_layer,
)
from memorize.data import deduplicate, label_bits, num_classes
from memorize.errors import ConstructionError
from memorize.network import Network

MAX_DIRECTIONS = 64
MAX_LIMIT = 1 << 31  # depth, width and block_size above this are surely typing errors

#: The option table (the record's; :func:`shallowest` checks its width with the same entry).
WIDTH = Option("width", int, None, "width budget W: the fewest connections among members of "
               "width <= W (and depth <= depth if given)", low=MIN_WIDTH, high=MAX_LIMIT, none=True)
OPTIONS = (
    Option("depth", int, None, "depth budget L: the fewest connections of depth <= L (at the "
           "narrowest width that allows it; for small L the shallow members)", low=2,
           high=MAX_LIMIT, none=True),
    WIDTH,
    Option("block_size", int, None, "points per block n (default: the planner's choice; above N, "
           "one block)", low=1, high=MAX_LIMIT, none=True),
    Option("directions", int, 4, "random directions tried for the line; the one with the "
           "fewest position bits is kept", low=1, high=MAX_DIRECTIONS),
)


# -- assembly ---------------------------------------------------------------------------------

def build_member(line: IntegerLine, labels: np.ndarray, m: Member, d: int) -> list:
    """The layers of member ``m`` on the integer line ``line`` (labels in its order)."""
    floors = line.floors
    starts = greedy_starts(floors, min(len(floors), m.n_s * m.S), m.rho)
    words = stream_words(floors, labels, starts, n_s=m.n_s, streams=m.S, rho=m.rho, c=m.c,
                         lo_bits=m.lo_bits)
    stack = LayerStack(d)
    t_x = Affine({f"x{j}": w for j, w in enumerate(line.weights)}, line.bias)
    stack.add([t_x.neuron("t")])
    t = Affine.of("t")
    lam = m.record_bits
    scales = [Fraction(1, 1 << (m.n_s * lam + (m.lo_bits if s == 0 and m.K > 1 else 0) + 1))
              for s in range(m.S)]
    if m.K > 1:
        registers = _chooser(stack, t, even_starts(floors[starts]), words, m)
        streams = [Stream(f"s{s}", registers[s] * scales[s]) for s in range(m.S)]
        position = _read_lo(stack, t, streams, m.lo_bits)
    else:
        streams = [Stream(f"s{s}", Affine({}, words[s][0] * scales[s])) for s in range(m.S)]
        position = t
    _read_records(stack, position, streams, m)
    return stack.layers


def _chooser(stack: LayerStack, t: Affine, lo: np.ndarray, words: list, m: Member) -> list:
    """Stage (b): ``B`` ramps and steps per layer, pipelined; returns the word registers."""
    K, B, S = m.K, m.B, m.S
    batches = [list(range(1 + i * B, min(K, 1 + (i + 1) * B))) for i in range(m.batches)]
    regs = [Affine({}, words[s][0]) for s in range(S)]
    for i in range(len(batches) + 2):
        neurons = [t.neuron("t")]
        if i < len(batches):
            neurons += [(Affine({}, int(lo[j])) - t).neuron(f"g{j}") for j in batches[i]]
        if 1 <= i <= len(batches):
            neurons += [(1 - Affine.of(f"g{j}")).neuron(f"st{j}") for j in batches[i - 1]]
        if i >= 2:
            for s in range(S):
                step = Affine({f"st{j}": words[s][j] - words[s][j - 1] for j in batches[i - 2]})
                neurons.append((regs[s] + step).neuron(f"U{s}", placed=True))
                regs[s] = Affine.of(f"U{s}")
        stack.add(neurons)
    return regs


def _read_lo(stack: LayerStack, t: Affine, streams: list, lo_bits: int) -> Affine:
    """Stage (c): fold ``lo`` off stream 0 while the others wait; return ``P = t - lo``."""
    first = streams[0]
    top = first.rem
    for i in range(lo_bits):
        neurons = [t.neuron("t"), top.neuron("top")]
        top = Affine.of("top")
        neurons += tent_layer(first)
        for s in streams[1:]:
            neurons.append(s.rem.neuron(s.prefix + "C"))
            s.rem = Affine.of(s.prefix + "C")
        stack.add(neurons)
    return t - (top * (1 << lo_bits) - first.rem)


def _read_records(stack: LayerStack, position: Affine, streams: list, m: Member) -> None:
    """Stages (d) and (e): fold the records, gate the matching label into ``P``, decode it."""
    c, lam, S = m.c, m.record_bits + m.stall, m.S
    M = 1 << (m.rho + 2)
    slope = 2 * M << c  # >= every gate height 2M (y + [S = 1])
    p = position
    tops = [None] * S
    for k in range(m.n_s):
        last = k == m.n_s - 1
        for b in range(c + 2 if last else lam):
            neurons = [p.neuron("P")]
            p_prev, p = p, Affine.of("P")
            for s, stream in enumerate(streams):
                if b == 0:
                    neurons.append(stream.rem.neuron(f"{stream.prefix}T"))
                elif b <= c:
                    neurons.append(tops[s].neuron(f"{stream.prefix}T"))
                tops[s] = Affine.of(f"{stream.prefix}T")
                if b == c + 1:
                    z = stream.rem
                    u = ((z * (1 << m.rho) - p_prev) + 1) * Fraction(1, 2)
                    height = (tops[s] * (1 << (c + 1)) - z) * M + 2 * M * (S == 1)
                    gate, contribution = _gate(u, height, slope, f"{stream.prefix}G", S)
                    neurons += gate
                    p = p + contribution
                if b == c + 1 and m.stall and not last:
                    neurons.append(stream.rem.neuron(f"{stream.prefix}C"))  # wait for the gate
                    stream.rem = Affine.of(f"{stream.prefix}C")
                elif not (last and b == c + 1):
                    neurons += tent_layer(stream)
            stack.add(neurons)
    stack.add([p.neuron("P")])
    value = Stream("q", Affine.of("P") * Fraction(1, M << m.q))
    copy = value.rem
    for i in range(m.q):
        neurons = [copy.neuron("Y")] + tent_layer(value)
        copy = Affine.of("Y")
        stack.add(neurons)
    label = (copy * (1 << m.q) - value.rem) * Fraction(1, 2) - (S == 1)
    stack.add([label.neuron("out")], activation="identity")


def _gate(u: Affine, height: Affine, slope: int, prefix: str, S: int):
    """Add ``height`` when ``u`` is in ``[0, 1]``: a one-sided step (nothing for ``u <= -1``)
    with one stream, a window (nothing for ``u <= -1`` or ``u >= 2``) with several."""
    if S > 1:
        return match_layer(u, height, slope, prefix)
    neurons = [(height + u * slope).neuron(prefix + "1"), (u * slope).neuron(prefix + "2")]
    return neurons, Affine({prefix + "1": 1, prefix + "2": -1})


# -- the builder --------------------------------------------------------------------------------

def stored_line(X, y, seed, directions: int):
    """Stage (a) for the family and for ``relu_park``: the distinct points ``Xu, yu``, their
    integer line (gaps >= 4), the labels in line order, the label bits ``c`` and the first
    layer's nonzero weights and bias ``first``."""
    Xu, yu, _ = deduplicate(X, y)
    line = integer_line(Xu, np.random.default_rng(seed), directions, gap_bits=2)
    first = sum(1 for w in line.weights if w) + (line.bias != 0)
    return Xu, yu, line, yu[line.order], label_bits(num_classes(yu)), first


def relu_sublinear_counts(meta: dict) -> dict:
    """Exact sizes of a :func:`build_relu_sublinear` network from its ``meta``: the
    :class:`Member` formulas for the stream members; for the shallow members of a small
    depth budget, the counts of the network it is (``relu_two_layer``, the per-class
    ``relu_bubeck``, or the block network of :mod:`~memorize.constructions.relu_sublinear_budget`).
    """
    d, member = meta["data"]["d"], meta["member"]
    if member == "streams":
        return Member(meta["records"], meta["streams"], meta["batch"], meta["blocks"], meta["rho"],
                      meta["label_bits"], meta["lo_bits"], meta["first_layer_nonzeros"],
                      meta["stall"]).counts(d)
    if member == "relu_two_layer":
        return evaluate_all(RELU_TWO_LAYER.size, N=meta["data"]["distinct"], d=d)
    if member == "relu_bubeck":
        return evaluate_all(RELU_BUBECK_PER_CLASS.size, d=d, G=meta["groups"])
    layout = Layout.record(meta["chosen_block_size"], meta["rho"], meta["label_bits"],
                           meta["layers_per_point"])
    return budget_counts(meta["blocks"], d, layout)


@register(
    "relu_sublinear",
    summary="Vardi et al. 2022: O~(sqrt N) connections, narrow and deep; width and depth options",
    citation="G. Vardi, G. Yehudai, O. Shamir, 'On the optimal memorization power of ReLU "
             "neural networks', ICLR 2022",
    theorem="Theorem 3.1 (O~(sqrt N) parameters); with depth=L their O~(N/L) theorem; with "
            "width=W the depth of L. Yang, Y. Yang, arXiv 2603.09589 (2026)",
    guarantee="for N distinct points with labels in [C], a ReLU network with O~(sqrt N) "
              "connections and O~(sqrt N)-bit weights outputs y_i on x_i",
    counts=relu_sublinear_counts,
    options=OPTIONS,
)
def build_relu_sublinear(X, y, *, seed: int | None = 0, depth: int | None = None,
                    width: int | None = None, block_size: int | None = None,
                    directions: int = 4) -> Network:
    """The O~(sqrt N)-connection ReLU memorizer of Vardi, Yehudai, Shamir (2022), Theorem 3.1,
    as the member of a width-depth family with the fewest connections.

    Guarantee: for distinct points ``X`` (any ``d``) and labels ``y`` in
    ``0..C-1``, the network outputs exactly ``y_i`` on ``x_i``. Without
    limits it has width 5, about ``13 sqrt(N lambda)`` connections
    (``lambda`` = bits per stored point, about ``log2(n N) + log2 C + 3``) and
    depth about ``K + n lambda``; the module docstring has the construction,
    the exact formulas (:class:`Member`) and the departures from the paper.

    Parameters
    ----------
    X : array (N, d)
        The points (rows); repeated rows must carry equal labels.
    y : array (N,)
        Integer labels ``0..C-1``.
    seed : int or None
        Seed of the random directions of stage (a).
    depth : int, optional
        Depth budget ``L >= 2``: the network with the fewest connections of
        depth ``<= L`` (at the narrowest width that allows it; for small ``L``
        the shallow members of :mod:`~memorize.constructions.relu_sublinear_budget`).
    width : int, optional
        Width budget ``W >= 4``: the fewest connections among members of
        width ``<= W`` (and depth ``<= depth`` if given).
    block_size : int, optional
        Points per block ``n`` (default: the planner's choice; above ``N``, one block).
    directions : int
        Random directions tried in stage (a), 1 to 64; the one with the
        smallest range (fewest position bits) is kept. ``depth``, ``width``
        and ``block_size`` are at most ``2^31``.

    Returns
    -------
    Network
        ``meta`` records the member (``streams``, ``batch``, ``blocks``,
        ``chosen_block_size``, ``rho``, ``label_bits``, ``lo_bits``).

    Raises
    ------
    DataError
        Malformed data, or a point repeated with different labels.
    ConstructionError
        A limit that is not an integer or below its least value, or a
        ``width``/``depth`` pair that no member satisfies (the message names
        the smallest feasible values).

    Examples
    --------
    >>> from memorize import build, data, verify
    >>> X, y = data.random_separated(300, 5, 0.05, num_classes=4, seed=0)
    >>> net = build("relu_sublinear", X, y)
    >>> verify.is_memorizing(net, X, y)
    True
    >>> verify.matches_counts(net)  # connections, dense params, depth, width: the formulas
    True
    >>> net.num_params <= 3 * net.connections
    True
    >>> narrow = build("relu_sublinear", X, y, width=4)
    >>> narrow.width, verify.is_memorizing(narrow, X, y)
    (4, True)

    See Also
    --------
    memorize.constructions.relu_sublinear_budget : the shallow members for small depth budgets.
    memorize.bounds.RELU_SUBLINEAR, memorize.bounds.YANG : the bounds beside it.

    References
    ----------
    .. [1] G. Vardi, G. Yehudai, O. Shamir, "On the Optimal Memorization Power of
       ReLU Neural Networks", ICLR 2022, Theorem 3.1.
    .. [2] L. Yang, Y. Yang, "Memorization capacity of deep ReLU neural networks
       characterized by width and depth", arXiv 2603.09589, 2026.
    """
    if block_size is not None and depth is not None:
        raise ConstructionError("give block_size or depth (a depth budget), not both")
    Xu, yu, line, labels, c, first = stored_line(X, y, seed, directions)
    N, d = Xu.shape
    member = plan(line.floors, c, first, d, width=width, depth=depth, block_size=block_size)
    options = {"depth": depth, "width": width, "block_size": block_size, "directions": directions}
    if depth is not None and width is None:
        # The shallow members (one hidden layer, two layers, slices read in parallel)
        # live on the line with gaps >= 2: the same direction, half the scale.
        line2 = integer_line(Xu, np.random.default_rng(seed), directions)
        shallow = plan_budget(line2.floors, labels, c, d, depth)
        if member is None or shallow.params < member.connections:
            layers, extra = build_budget(Xu, yu, line2, labels, c, shallow, seed)
            meta = provenance("relu_sublinear", seed, options, X, y, distinct=(Xu, yu),
                              **extra)
            return Network(d, layers, meta)
    if member is None:
        raise ConstructionError(_infeasible(line.floors, c, first, d, width, depth))
    layers = build_member(line, labels, member, d)
    meta = provenance("relu_sublinear", seed, options, X, y, distinct=(Xu, yu),
                      member="streams",
                      streams=member.S, batch=member.B, blocks=member.K,
                      chosen_block_size=min(N, member.n_s * member.S), records=member.n_s,
                      rho=member.rho, label_bits=c, lo_bits=member.lo_bits,
                      first_layer_nonzeros=first, stall=member.stall)
    return Network(d, layers, meta)


def shallowest(X, y, width: int, *, seed: int | None = 0, directions: int = 4) -> int:
    """The least depth of a ``relu_sublinear`` member of width ``<= width`` on ``(X, y)``:
    ``build(..., width=width, depth=shallowest(X, y, width))`` builds it (the width panel of
    ``memorize reproduce depth`` and the width-depth benchmark use this).

    Raises ConstructionError for a width below the family's minimum, 4.
    """
    WIDTH.check("relu_sublinear", width)
    _, _, line, _, c, first = stored_line(X, y, seed, directions)
    return least_depth(line.floors, c, first, width)


def _infeasible(floors, c, first, d, width, depth) -> str:
    """What to ask for instead of a ``width``/``depth`` pair that no member meets."""
    msg = f"no member of relu_sublinear has width <= {width} and depth <= {depth}"
    least = least_depth(floors, c, first, width)
    if least is not None:
        msg += f"; at width {width} the least depth is {least}"
    shallow = plan(floors, c, first, d, depth=depth)
    if shallow is not None:
        msg += f"; at depth {depth} the least width is {_width(shallow)}"
    else:
        msg += f"; at depth {depth} leave the width out (the shallow members are wide)"
    return msg
