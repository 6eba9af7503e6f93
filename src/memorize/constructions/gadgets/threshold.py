"""Integer threshold gadgets of the deep threshold memorizer (:mod:`.threshold`).

Each gadget is a list of neuron rows ``({input_index: weight}, bias)`` for
:meth:`memorize.network.Layer.from_rows`, all with small integer weights and
in *odd-offset form*: on 0/1 inputs every pre-activation is an odd integer,
so ``H(z) = 1{z >= 0}`` and ``1{z > 0}`` agree and every unit has margin 1.

* :func:`parity_hidden_rows` / :func:`parity_output_row`: the parity of ``r``
  bits in two layers, ``T_q = H(2 sum z - 2q + 1)`` (popcount ``>= q``) for
  ``q = 1..r``, then ``H(2 sum_q (-1)^(q+1) T_q - 1)``: the alternating sum
  of ``s`` leading ones is ``s mod 2``. ``r + 1`` neurons, ``r^2 + r`` weights.
* :func:`conjunction_row`: ``H(2 sum_l (2 beta_l - 1) c_l - 2|beta| + 1)``,
  1 iff the input bits equal the pattern ``beta``; the inner sum is at most
  ``|beta|`` with equality only on a match.
* :func:`group_neuron_row`: the memorization neuron of one group (see there).
"""

from __future__ import annotations

from typing import Sequence

from memorize.network import Layer, Network

Row = tuple[dict[int, int], int]


def parity_hidden_rows(support: Sequence[int]) -> list[Row]:
    """The ``r = len(support)`` popcount units ``H(2 sum_{i in support} z_i - 2q + 1)``, q = 1..r."""
    terms = {int(i): 2 for i in support}
    return [(dict(terms), -2 * q + 1) for q in range(1, len(terms) + 1)]


def parity_output_row(hidden: Sequence[int]) -> Row:
    """``H(2 sum_q (-1)^(q+1) T_q - 1)`` over the popcount units ``hidden`` (in order q = 1..r)."""
    return {int(h): (2 if q % 2 == 0 else -2) for q, h in enumerate(hidden)}, -1


def conjunction_row(cols: Sequence[int], pattern: Sequence[int]) -> Row:
    """The unit that fires iff the bits at ``cols`` equal ``pattern`` (0/1 each)."""
    weights = {int(c): (2 if b else -2) for c, b in zip(cols, pattern)}
    return weights, -2 * sum(1 for b in pattern if b) + 1


def group_neuron_row(features: Sequence[int], gate: int, blocks: int) -> Row:
    """Memorization neuron of a group: ``H(2 sum_f u_f + 2M gate - 2M - 1)``, ``M = blocks``.

    ``features`` are conjunction units, each firing on some positive member
    of the group and on no member with another label; ``M`` is the number of
    distinct blocks they come from. Inside the group (gate 1) the
    pre-activation is ``2s - 1`` with ``s >= 1`` exactly on positives. Outside
    (gate 0) at most one pattern per block fires, so ``s <= M`` and the
    pre-activation is ``<= -1``. With no features (every member positive)
    the neuron is the gate itself, ``H(2 gate - 1)``.
    """
    if not features:
        return {int(gate): 2}, -1
    weights = {int(f): 2 for f in features}
    weights[int(gate)] = 2 * blocks
    return weights, -2 * blocks - 1


def parity_network(r: int) -> Network:
    """A stand-alone depth-2 network computing the parity of ``r`` input bits (for tests)."""
    hidden = Layer.from_rows(r, parity_hidden_rows(range(r)), "step")
    out = Layer.from_rows(r, [parity_output_row(range(r))], "step")
    return Network(r, (hidden, out), {"gadget": "parity", "r": r})
