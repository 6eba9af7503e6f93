"""Exact ReLU gadgets of the block memorizers, as named neurons over named registers.

A gadget returns the neurons it adds to the next layer and the *affine
expressions* (over those neurons) that the layer after it reads. Folding the
linear part of every gadget into the next layer's weights is what keeps one
layer per extracted bit and one layer per block.

Every gadget is exact on the inputs its docstring names (integers, or reals
at distance >= 1 from a ramp); the constructions guarantee those inputs on
the data and the exact verifier checks the whole network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from memorize.network import Layer

Neuron = tuple  # (name, {register: weight}, bias, placed weights and biases)


@dataclass
class Affine:
    """``sum(terms[name] * register name) + const`` over the previous layer's registers."""

    terms: dict = field(default_factory=dict)
    const: int = 0

    @staticmethod
    def of(name: str, coef=1) -> "Affine":
        return Affine({name: coef})

    def __add__(self, other):
        if not isinstance(other, Affine):
            return Affine(dict(self.terms), self.const + other)
        terms = dict(self.terms)
        for k, v in other.terms.items():
            terms[k] = terms.get(k, 0) + v
        return Affine(terms, self.const + other.const)

    __radd__ = __add__

    def __neg__(self):
        return Affine({k: -v for k, v in self.terms.items()}, -self.const)

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, c):
        return Affine({k: v * c for k, v in self.terms.items()}, self.const * c)

    __rmul__ = __mul__

    def neuron(self, name: str, placed: bool = False) -> Neuron:
        """The ReLU neuron ``relu(self)`` named ``name``.

        With ``placed``, every listed term counts as a connection even where its
        value is 0 (a stored difference that happens to vanish); otherwise the
        nonzero ones do. A bias counts when it is nonzero.
        """
        nonzero = {k: v for k, v in self.terms.items() if v != 0}
        count = (len(self.terms) if placed else len(nonzero)) + (self.const != 0)
        return (name, nonzero, self.const, count)


class LayerStack:
    """Builds a layered network from neurons that name their inputs in the previous layer."""

    def __init__(self, input_dim: int):
        self.input_dim = input_dim
        self.names = [f"x{j}" for j in range(input_dim)]
        self.layers: list[Layer] = []

    def add(self, neurons: list[Neuron], activation: str = "relu") -> None:
        index = {name: i for i, name in enumerate(self.names)}
        rows = [({index[k]: v for k, v in terms.items()}, bias) for _, terms, bias, _ in neurons]
        placed = sum(count for *_, count in neurons)
        self.layers.append(Layer.from_rows(len(self.names), rows, activation, placed))
        self.names = [name for name, *_ in neurons]


# -- (c) bit extraction -------------------------------------------------------------

@dataclass
class Stream:
    """State of one packed word being read MSB first (see :func:`stream_layer` and
    :func:`tent_layer`): ``rem`` is the expression of what is still unread."""

    prefix: str
    rem: Affine


def stream_layer(s: Stream, threshold: int | None) -> list[Neuron]:
    """One layer of a stream: read the bit worth ``threshold``, or idle if it is ``None``.

    For an integer remainder ``0 <= r < 2 * threshold``: ``bit = [r >= T] =
    relu(r - T + 1) - relu(r - T)``, then ``r <- r - T bit`` (the bit's value is
    read off remainders by the caller). Idle layers only carry the remainder.
    Updates ``s`` to the expression the next layer reads.
    """
    p = s.prefix
    if threshold is None:
        carry = s.rem.neuron(p + "R")
        s.rem = Affine.of(p + "R")
        return [carry]
    neurons = [s.rem.neuron(p + "R"), (s.rem - threshold + 1).neuron(p + "S1"),
               (s.rem - threshold).neuron(p + "S2")]
    bit = Affine({p + "S1": 1, p + "S2": -1})
    s.rem = Affine.of(p + "R") - bit * threshold
    return neurons


def aligned_stream_layer(stream: Stream, thresholds: list[int], beta: int, b: int) -> list[Neuron]:
    """Layer ``b`` of a ``beta``-layer segment: the stream idles first and reads its
    ``len(thresholds)`` bits in the last layers, so its value is fresh at the segment's end."""
    start = beta - len(thresholds)
    return stream_layer(stream, thresholds[b - start] if b >= start else None)


def segment_thresholds(bits: int, segments: int, k: int) -> list[int]:
    """Thresholds ``2^(bits (segments-1-k) + bits-1-i)``, ``i = 0..bits-1``, of segment ``k``.

    Reading them in order from the full word ``sum_k v_k 2^(bits (segments-1-k))``
    (each ``0 <= v_k < 2^bits``) yields the fixed-width segments MSB first.
    """
    base = bits * (segments - 1 - k)
    return [1 << (base + bits - 1 - i) for i in range(bits)]


def tent_layer(stream: Stream) -> list[Neuron]:
    """One tent fold of the stream's value ``z = stream.rem`` in ``[0, 1]``.

    Neurons ``Z = relu(z)`` and ``h = relu(z - 1/2)``; the next layer reads
    ``tent(z) = 2 min(z, 1 - z) = 2Z - 4h``. After ``f`` folds, ``z`` in
    ``[v / 2^f, (v + 1) / 2^f]`` is mapped onto ``[0, 1]`` by ``2^f z - v``
    when ``v`` is even and by ``v + 1 - 2^f z`` when it is odd: reading an
    ``f``-bit field of value ``v`` strips it, and an odd ``v`` reflects what
    follows (``x -> 1 - x``). The map is continuous, so it is exact on every
    real input and needs no margin; its weights are 2, -4 and 1/2 whatever
    the position in the word.
    """
    p = stream.prefix
    neurons = [stream.rem.neuron(p + "Z"), (stream.rem - Fraction(1, 2)).neuron(p + "H")]
    stream.rem = Affine({p + "Z": 2, p + "H": -4})
    return neurons


# -- (d) match and output -------------------------------------------------------------

def match_layer(d: Affine, label: Affine, m: int, prefix: str = "g") -> tuple[list[Neuron], Affine]:
    """Add ``label`` if ``d`` is in ``[0, 1]``, nothing if ``d <= -1`` or ``d >= 2``.

    Needs ``0 <= label <= m``. Neurons ``relu(L + m D)``, ``relu(m D)``,
    ``relu(L + m (D - 2))``, ``relu(m (D - 2))``; the contribution is
    ``G1 - G2 - G3 + G4``.
    """
    neurons = [(label + d * m).neuron(prefix + "1"), (d * m).neuron(prefix + "2"),
               (label + (d - 2) * m).neuron(prefix + "3"), ((d - 2) * m).neuron(prefix + "4")]
    return neurons, Affine({prefix + "1": 1, prefix + "2": -1, prefix + "3": -1, prefix + "4": 1})
