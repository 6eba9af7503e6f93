"""The members of ``relu_sublinear``'s width-depth family: their exact sizes and the
planner that picks one (:mod:`memorize.constructions.relu_sublinear` builds it).

Exact sizes, as :class:`Member` computes them (``K >= 2`` blocks,
``nb = ceil((K - 1) / B)``, ``lambda = rho + c + 1`` bits per record,
``b_lo = bitlen(lo_{K-1})``, ``c = bitlen(C - 1)``, ``q = c + 1 + [S = 1]``,
``g = 9`` connections and ``G = 2`` neurons per gate for ``S = 1``, 18 and 4
otherwise, ``f_1`` the first layer's nonzero weights and bias):

* depth ``= 1 + (nb + 2 + b_lo) + ((n_s - 1)(lambda + s) + c + 2) + 1 + q + 1``
  (without the chooser and ``lo`` terms when ``K = 1``);
* connections ``= f_1 + (nb + 2) + 4 (K - 1) + S (K - 1 + nb)`` (chooser)
  ``+ b_lo (S + 1) + 5 b_lo - 2`` (reading ``lo``)
  ``+ 7 + 4 (S - 1) + S ((n_s - 1)(7 + 6c + g + 5 rho) + 6c + g)`` (streams)
  ``+ (n_s - 1)(lambda + s) + c + 6 + n_s G S`` (the register ``P``; ``s = 1``
  for a stalled member, below) ``+ 6q + 1 + [S = 1]`` (output); with ``K = 1``
  the chooser and ``lo`` terms go, the streams' ``7 + 4 (S - 1)`` is ``3 S`` and
  ``P``'s ``c + 6`` is ``c + 3``;
* width ``= max(1 + 2B + S, S + 3, 1 + S (G + 2))`` (``n_s >= 2``, full batches);
* dense params ``= sum (w_{l-1} + 1) w_l`` over :meth:`Member.layer_sizes`;
* max bits: ``B_0 + 4`` with ``B_0 = n_s lambda + b_lo`` the bits of stream 0's
  word (the weight ``2^-(B_0 + 1)`` that scales it), unless the first layer
  needs more; the other weights are small.
* With ``K = 1`` (one block) the chooser and ``lo`` are absent: the words are
  constants (``2 B_0 + 4`` bits as fractions) and ``P = t``.

The default (``S = B = 1``, width 5) needs about ``7 K + n (6 lambda + 6c + 20)``
connections, minimized at ``n ~ sqrt(7 N / (6 lambda))``: ``~ 13 sqrt(N lambda)``.
:func:`plan` searches ``S``, ``B`` and ``n_s`` (see its docstring).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from memorize.network import dense_params
from memorize.constructions.gadgets.fold_words import even_starts, greedy_starts, offset_bits

MIN_WIDTH = 4  # the narrowest member: S = B = 1, stalled


# -- one member: its exact sizes -------------------------------------------------------

@dataclass(frozen=True)
class Member:
    """One member of the family: ``K`` blocks of ``S`` streams of ``n_s`` records,
    ``B`` block boundaries per chooser layer, ``rho`` offset bits, ``c`` label bits,
    ``lo_bits`` bits of the largest block start, ``first`` connections of layer 1;
    ``stall``: the streams pause (one carry neuron) while their gates fire, one
    more layer and connection per record for width 4 instead of 5."""

    n_s: int
    S: int
    B: int
    K: int
    rho: int
    c: int
    lo_bits: int
    first: int
    stall: bool = False

    @property
    def record_bits(self) -> int:
        return self.rho + self.c + 1

    @property
    def q(self) -> int:
        return self.c + 1 + (self.S == 1)

    @property
    def gate_neurons(self) -> int:
        return 2 if self.S == 1 else 4

    @property
    def gate_connections(self) -> int:
        return 9 if self.S == 1 else 18

    @property
    def batches(self) -> int:
        return -(-(self.K - 1) // self.B) if self.K > 1 else 0

    @property
    def readout_layers(self) -> int:
        return (self.n_s - 1) * (self.record_bits + self.stall) + self.c + 2

    @cached_property
    def depth(self) -> int:
        head = self.batches + 2 + self.lo_bits if self.K > 1 else 0
        return 1 + head + self.readout_layers + 1 + self.q + 1

    @cached_property
    def connections(self) -> int:
        S, n_s, c, K, nb, b = self.S, self.n_s, self.c, self.K, self.batches, self.lo_bits
        g, G = self.gate_connections, self.gate_neurons
        total = self.first
        if K > 1:
            total += (nb + 2) + 4 * (K - 1) + S * (K - 1 + nb)  # chooser
            total += b * (S + 1) + 5 * b - 2  # reading lo: t, its copy, carries, folds
            first_records = 7 + 4 * (S - 1)  # stream 0 reads a fold, the others a carry
            first_p = 4
        else:
            first_records = 3 * S  # constants: bias-only neurons
            first_p = 1
        per_record = 7 + 6 * c + g + 5 * self.rho
        total += first_records + S * ((n_s - 1) * per_record + 6 * c + g)
        total += first_p + (self.readout_layers - 1) + n_s * G * S + 1  # P and its updates
        # A stalled record: the carry (2) and the first offset fold reading it (3) cost what
        # the fold beside the gate did (5); only P's carry in the extra layer is added.
        total += 6 * self.q - 2 + 3 + (S == 1)  # read the label off P, output
        return total

    def layer_runs(self) -> list[tuple[list[int], int]]:
        """The out-dimensions of the layers as runs ``(sizes, repeat)``, in order: the
        interior chooser layers and the records' readout repeat."""
        S, K = self.S, self.K
        runs = [([1], 1)]
        if K > 1:
            nb = self.batches
            batch = [min(self.B, K - 1 - i * self.B) for i in (0, nb - 1)]
            size = lambda i: (1 + (batch[i == nb - 1] if i < nb else 0)  # noqa: E731
                              + (batch[i - 1 == nb - 1] if 1 <= i <= nb else 0) + (S if i >= 2 else 0))
            ends = sorted({0, 1, 2, nb - 1, nb, nb + 1} & set(range(nb + 2)))
            for prev, i in zip([-1] + ends, ends):
                if i - prev > 1:  # interior layers: full batches of g and st, and the registers
                    runs.append(([1 + 2 * self.B + S], i - prev - 1))
                runs.append(([size(i)], 1))
            runs.append(([S + 3], self.lo_bits))
        lam, c, G = self.record_bits + self.stall, self.c, self.gate_neurons
        record = lambda last: [1 + S * ((b <= c) + (2 - self.stall * (b == c + 1)) * (not last or b <= c)
                                        + G * (b == c + 1)) for b in range(c + 2 if last else lam)]
        if self.n_s > 1:
            runs.append((record(False), self.n_s - 1))
        runs.append((record(True), 1))
        return runs + [([1], 1), ([3], self.q), ([1], 1)]

    def layer_sizes(self) -> list[int]:
        """Out-dimension of every layer, in order (the structure :func:`build_member` emits)."""
        return [w for sizes, repeat in self.layer_runs() for _ in range(repeat) for w in sizes]

    @property
    def width(self) -> int:
        return max(max(sizes) for sizes, _ in self.layer_runs())

    def dense_params(self, d: int) -> int:
        """``sum (w_{l-1} + 1) w_l`` over the layers (``w_0 = d``), summed run by run."""
        total, prev = 0, d
        for sizes, repeat in self.layer_runs():
            inner = dense_params(sizes)
            total += (prev + 1) * sizes[0] + repeat * inner + (repeat - 1) * (sizes[-1] + 1) * sizes[0]
            prev = sizes[-1]
        return total

    def word_bits(self) -> int:
        """Bits ``B_0`` of stream 0's word."""
        return self.n_s * self.record_bits + (self.lo_bits if self.K > 1 else 0)

    def counts(self, d: int) -> dict:
        """The exact sizes of the built network (the keys of ``Network.counts``)."""
        runs = self.layer_runs()
        return {"connections": self.connections, "params": self.dense_params(d),
                "neurons": sum(sum(sizes) * repeat for sizes, repeat in runs),
                "depth": self.depth, "width": max(max(sizes) for sizes, _ in runs)}


# -- choosing the member --------------------------------------------------------------------

DENSE_RATIO = 3  # the default keeps its dense parameters within this factor of its connections


class _Members:
    """Members on one integer line, sizes of fixed blocks of ``n`` cached per ``n``."""

    def __init__(self, floors: np.ndarray, c: int, first: int):
        self.floors, self.c, self.first = floors, c, first
        self.N = len(floors)
        self._fixed: dict = {}
        self._greedy: dict = {}

    def fixed(self, n: int, S: int, B: int) -> Member:
        """Fixed blocks of ``n`` points (``rho`` as measured)."""
        n = min(n, self.N)
        if n not in self._fixed:
            K = -(-self.N // n)
            self._fixed[n] = (K, offset_bits(self.floors, n), self._lo_bits((K - 1) * n))
        K, rho, lo_bits = self._fixed[n]
        return Member(-(-n // S), S, B, K, rho, self.c, lo_bits, self.first)

    def greedy(self, n: int, S: int, B: int, rho: int) -> Member:
        """Blocks of at most ``n`` points cut greedily so that offsets fit ``rho`` bits."""
        n = min(n, self.N)
        if (n, rho) not in self._greedy:
            starts = greedy_starts(self.floors, n, rho)
            self._greedy[n, rho] = (len(starts), self._lo_bits(int(starts[-1])))
        K, lo_bits = self._greedy[n, rho]
        return Member(-(-n // S), S, B, K, rho, self.c, lo_bits, self.first)

    def _lo_bits(self, i: int) -> int:
        return max(1, int(even_starts(self.floors[i])).bit_length())


def _grid(top: int, ratio: float = 1.03, dense: int = 512) -> list[int]:
    """1..top, every value up to ``dense`` and geometric (``ratio``) beyond."""
    values, v = set(range(1, min(top, dense) + 1)), float(dense)
    while v < top:
        v *= ratio
        values.add(min(top, int(v)))
    return sorted(values)


def plan(floors: np.ndarray, c: int, first: int, d: int, *, width: int | None = None,
         depth: int | None = None, block_size: int | None = None) -> Member | None:
    """The member with the fewest connections among those of width ``<= width`` and
    depth ``<= depth``; ``None`` if no member fits.

    * Neither limit (the default): the fewest connections among *lean*
      members, whose dense parameters stay within ``DENSE_RATIO`` times their
      connections (no layer whose dense size grows faster than the gadgets it
      holds).
    * A depth limit alone: the same among lean members of depth ``<= depth``;
      if none is that shallow, the fewest connections at the *narrowest*
      width that meets the depth, so depth is bought with as little width,
      and as few dense parameters, as possible.
    * A width limit (with or without depth): the fewest connections among
      members that fit.

    The family searched: ``S`` (streams) and ``B`` (boundaries per chooser
    layer) over what the width allows (``S <= 2``, ``B <= 4`` by default: wider
    choosers are never lean enough; otherwise every value up to 4, then 50%
    apart), the block size ``n = S n_s`` over every value up to 512 and 3% apart
    beyond (with limits: up to 64, then 6% apart),
    and the offset bits ``rho`` as measured on fixed blocks of ``n`` or 1-4
    bits fewer with blocks cut greedily (more blocks, shorter records). Up to
    ``EXHAUSTIVE`` points every combination is tried; above, the shorter
    records are tried around the best fixed blocks only. ``block_size`` fixes ``n``.
    """
    members = _Members(floors, c, first)
    if width is None:
        # Lean members first (the default's rule); a depth they cannot meet buys width.
        best = _search(members, _shapes(members.N, None, None), block_size,
                       lambda m: _fits(m, None, depth) and _lean(m, d))
        if best is not None or depth is None:
            return best
    pool = [m for m in _pool(members, _shapes(members.N, width, depth), block_size)
            if _fits(m, width, depth)]
    if not pool:
        return None
    if width is None:
        width = min(_width(m) for m in pool)
    return _search(members, [], block_size, lambda m: _fits(m, width, depth),
                   [m for m in pool if _width(m) <= width])


def _search(members: _Members, shapes, block_size, accept, pool=None) -> Member | None:
    """The member of ``pool`` (default: every member of ``shapes``) with the fewest
    connections that ``accept`` takes, refined by :func:`_refine` above ``EXHAUSTIVE``."""
    pool = sorted(pool if pool is not None else _pool(members, shapes, block_size), key=_cost)
    best = next((m for m in pool if accept(m)), None)
    if best is None or members.N <= EXHAUSTIVE:
        return best
    return _refine(members, best, block_size, _cost, accept)


EXHAUSTIVE = 512


def least_depth(floors: np.ndarray, c: int, first: int, width: int) -> int | None:
    """The least depth of a member of width ``<= width`` (``None`` below the family's
    minimum) in the pool :func:`plan` starts from, so that :func:`plan` with this
    ``width`` and ``depth`` always finds a member."""
    members = _Members(floors, c, first)
    pool = [m for m in _pool(members, _shapes(members.N, width, 0), None) if _width(m) <= width]
    if not pool:
        return None
    return min(m.depth for m in pool)


def _shapes(N: int, width, depth) -> list[tuple[int, int]]:
    """The ``(S, B)`` a search tries."""
    if width is None and depth is None:
        return [(S, B) for S in (1, 2) for B in range(1, 5)]
    cap = width if width is not None else 8 * N + 8
    return [(S, B) for S in _stream_counts(cap, N) for B in _batch_sizes(cap, S, N)]


def _pool(members: _Members, shapes, block_size):
    """Every member of the given shapes: fixed blocks of every ``n`` on the grid (finer
    for the few shapes of the default) and, up to ``EXHAUSTIVE`` points, offsets 1-4
    bits shorter with greedy blocks."""
    fine = len(shapes) <= 8
    for S, B in shapes:
        top = -(-members.N // S)
        for n in ([block_size] if block_size is not None else
                  [S * v for v in (_grid(top) if fine else _grid(top, 1.06, 64))]):
            m = members.fixed(n, S, B)
            yield m
            if (S, B) == (1, 1):  # the only shape where stalling narrows the network (to 4)
                yield dataclasses.replace(m, stall=True)
            if members.N <= EXHAUSTIVE:
                yield from (members.greedy(n, S, B, r) for r in range(max(1, m.rho - 4), m.rho))


def _lean(m: Member, d: int) -> bool:
    """The default's rule: dense parameters within ``DENSE_RATIO`` times the connections."""
    return m.dense_params(d) <= DENSE_RATIO * m.connections


def _refine(members: _Members, best: Member, block_size, key, accept) -> Member:
    """Around ``best`` (same shape, block sizes within 25%): offsets 1-4 bits shorter with
    greedily cut blocks, kept when ``accept`` and smaller by ``key``."""
    S, B = best.S, best.B
    n0 = best.n_s * S
    ns = [block_size] if block_size is not None else sorted(
        {max(S, int(n0 * f) // S * S) for f in (0.8, 0.9, 1.0, 1.1, 1.25)})
    for n in ns:
        rho = members.fixed(n, S, B).rho
        for r in range(max(1, rho - 4), rho):
            m = members.greedy(n, S, B, r)
            if accept(m) and key(m) < key(best):
                best = m
    return best


def _fits(m: Member, width, depth) -> bool:
    return (depth is None or m.depth <= depth) and (width is None or _width(m) <= width)


def _cost(m: Member):
    return (m.connections, m.depth)


def _stream_counts(max_w: int, N: int) -> list[int]:
    return _grid(min(max(1, (max_w - 1) // 6), N), 1.5, 4)


def _batch_sizes(max_w: int, S: int, N: int) -> list[int]:
    return _grid(max(1, min((max_w - 1 - S) // 2, N)), 1.5, 4)


def _width(m: Member) -> int:
    """:attr:`Member.width` without listing every layer: the widest chooser, ``lo`` and
    readout layers (interior chooser layers are all alike)."""
    S, G = m.S, m.gate_neurons
    readout = 1 + S * (G + 2 - m.stall) if m.n_s >= 2 else 1 + S * max(3, G)
    head = max(_chooser_widths(m) + [S + 3]) if m.K > 1 else 1
    return max(head, readout, 3)


def _chooser_widths(m: Member) -> list[int]:
    nb, B, K, S = m.batches, m.B, m.K, m.S
    batch = lambda i: min(B, K - 1 - i * B)  # noqa: E731
    layers = {0, 1, 2, nb - 1, nb, nb + 1} & set(range(nb + 2))
    return [1 + (batch(i) if i < nb else 0) + (batch(i - 1) if 1 <= i <= nb else 0)
            + (S if i >= 2 else 0) for i in layers]
