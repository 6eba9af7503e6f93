"""Stages (c)+(d) of the depth-budget block network: read the selected block's words and
match ``t``.

The words hold slices of every point's record (see
:class:`~memorize.constructions.gadgets.line_blocks.Layout`). The input is the
register ``tp = t - lo_j`` and one register per word of the selected block;
the output is the label of the one stored point whose offset matches ``tp``.
"""

from __future__ import annotations

import dataclasses
import functools
from fractions import Fraction

from memorize.constructions.gadgets.line_blocks import Layout, Slice
from memorize.constructions.gadgets.relu import (
    Affine, Stream, aligned_stream_layer, match_layer, segment_thresholds,
)


def _slice_sizes(s: int, sl: Slice) -> list[int]:
    """Neurons of one word's stream in each of a segment's ``s`` layers: 1 to carry the
    remainder while idle, then 3 per bit read (``R`` and two ramps)."""
    start = s - sl.width
    return [1 if b < start else 3 for b in range(s)]


def _register_layers(s: int, layout: Layout) -> list[int]:
    """Lean readout: how many of the running registers ``DR`` (offset) and ``LR``
    (label) exist in each layer of a segment."""
    d_from = min((s - sl.width for sl in layout.slices if sl.off_bits), default=s)
    l_from = min((s - sl.width + sl.off_bits for sl in layout.slices if sl.off_bits < sl.width),
                 default=s)
    return [(b >= d_from) + (b >= l_from) for b in range(s)]


def readout_sizes(layout: Layout) -> list[int]:
    """Out-dimension of every layer that :func:`extract_and_match` emits, in order."""
    n, s = layout.n, layout.s
    columns = [_slice_sizes(s, sl) for sl in layout.slices] + [_register_layers(s, layout)]
    per_layer = [sum(col) for col in zip(*columns)]
    sizes = []
    for k in range(n):
        for b in range(s):
            has_y = k * s + b > s
            sizes.append(1 + has_y + per_layer[b] + (4 if b == 0 and k >= 1 else 0))
    return sizes + [(n >= 2) + 4, 1]


def extract_and_match(stack, rel: Affine, words: list[Affine], layout: Layout) -> None:
    """Emit the readout layers on ``stack``, ending with the identity output layer.

    Each segment takes ``s`` layers; every word reads its slice of the
    segment's point in the segment's last ``width`` layers, so all slices are
    complete at the segment's end. Then ``D = tp - offset`` and the label go
    to a :func:`match_layer` in the first layer of the next segment (the last
    one gets its own layer).

    A slice's value is read off its remainders, ``(R_before - R_after) / 2^low``
    with ``low`` the word's bits after the segment, so no accumulator runs
    and mixed slices are free; two running
    registers ``DR`` (offset parts, kept >= 0 by a constant) and ``LR`` (label
    parts) collect the remainders as they pass, with dyadic weights.
    """
    n, s, m = layout.n, layout.s, 1 << layout.c
    streams = [Stream(f"u{i}", w) for i, w in enumerate(words)]
    y = None  # expression of the running output, once a segment has been matched
    pending = None  # (D, label) of the segment just read
    for k in range(n):
        segment = _Segment(layout, k)
        for b in range(s):
            neurons = [rel.neuron("tp")]
            if y is not None:
                neurons.append(y.neuron("Y"))
                y = Affine.of("Y")
            if pending is not None:
                g, contribution = match_layer(*pending, m)
                neurons += g
                y = contribution if y is None else y + contribution
                pending = None
            neurons += segment.registers(streams, b)
            for stream, sl in zip(streams, layout.slices):
                neurons += aligned_stream_layer(stream, segment_thresholds(sl.width, n, k), s, b)
            stack.add(neurons)
            rel = Affine.of("tp")
        offset, label = segment.values(streams)
        pending = (rel - offset, label)
    g, contribution = match_layer(*pending, m)
    stack.add(([y.neuron("Y")] if y is not None else []) + g)
    out = contribution + (Affine.of("Y") if y is not None else 0)
    stack.add([out.neuron("out")], activation="identity")


class _Segment:
    """Slice values of segment ``k`` from the streams' remainders (see :func:`extract_and_match`)."""

    def __init__(self, layout: Layout, k: int):
        self.layout, self.s = layout, layout.s
        self.low = [sl.width * (layout.n - 1 - k) for sl in layout.slices]
        self.dr = self.lr = None  # running registers
        self.bias = 0

    def _off_coef(self, i):
        sl = self.layout.slices[i]
        return Fraction(1 << sl.off_shift, 1 << (self.low[i] + sl.width - sl.off_bits))

    def _lab_coef(self, i):
        return Fraction(1 << self.layout.slices[i].lab_shift, 1 << self.low[i])

    def registers(self, streams, b):
        dr, lr = Affine(), Affine()
        new_d = new_l = False
        for i, (stream, sl) in enumerate(zip(streams, self.layout.slices)):
            r = b - (self.s - sl.width)  # the bit read in this layer; stream.rem is before it
            if sl.off_bits and r == 0:
                dr = dr - stream.rem * self._off_coef(i)
                self.bias += 1 << (sl.off_shift + sl.off_bits)  # bounds the term above
                new_d = True
            if sl.off_bits < sl.width and r == sl.off_bits:
                if sl.off_bits:
                    dr = dr + stream.rem * self._off_coef(i)
                lr = lr + stream.rem * self._lab_coef(i)
                new_l = True
        neurons = []
        if self.dr is not None or new_d:
            base = self.dr if self.dr is not None else Affine({}, self.bias)
            neurons.append((base + dr).neuron("DR"))
            self.dr = Affine.of("DR")
        if self.lr is not None or new_l:
            neurons.append(((self.lr if self.lr is not None else Affine()) + lr).neuron("LR"))
            self.lr = Affine.of("LR")
        return neurons

    def values(self, streams):
        offset = Affine({}, self.bias) - self.dr
        label = self.lr
        for i, (stream, sl) in enumerate(zip(streams, self.layout.slices)):
            if sl.off_bits == sl.width:
                offset = offset - stream.rem * self._off_coef(i)
            else:
                label = label - stream.rem * self._lab_coef(i)
        return offset, label


class _Counter:
    """A stand-in for :class:`LayerStack` that only counts nonzero weights and biases."""

    def __init__(self):
        self.nonzeros = 0

    def add(self, neurons, activation: str = "relu") -> None:
        self.nonzeros += sum(count for *_, count in neurons)


def readout_nonzeros(layout: Layout) -> int:
    """Nonzero weights and biases of the readout layers.

    They do not depend on the data (the words enter as registers, thresholds
    and match weights are fixed by ``layout``), and segments ``2 .. n-2`` are
    alike, so the count is affine in ``n`` from ``n = 4`` on: it is counted
    on small layouts and extrapolated (the tests check the extrapolation).
    """
    if layout.n <= 5:
        return _count_readout(layout)
    r4, r5 = (_count_readout(dataclasses.replace(layout, n=k)) for k in (4, 5))
    return r4 + (layout.n - 4) * (r5 - r4)


@functools.lru_cache(maxsize=4096)
def _count_readout(layout: Layout) -> int:
    counter = _Counter()
    extract_and_match(counter, Affine.of("tp"), [Affine.of(f"P{i}") for i in range(layout.words)],
                      layout)
    return counter.nonzeros
