"""The sqrt(N) ReLU memorizer (Vardi et al. 2022): exact memorization, documented counts, gadgets."""

from __future__ import annotations

import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import memorize
from memorize import data, verify
from memorize.constructions.line_blocks import (
    Layout, block_offset_bits, integer_line, pack_blocks, pack_words,
)
from memorize.constructions.relu_gadgets import (
    Affine, LayerStack, Stream, match_layer, segment_thresholds, step_ramps, stream_layer,
)
from memorize.constructions.sublinear import default_block_size, sublinear_counts, sublinear_depth
from memorize.errors import ConstructionError
from memorize.testing import datasets

FAST = settings(max_examples=100, deadline=None)


def _counts_of(net, n_points, d):
    m = net.meta
    return sublinear_counts(n_points, d, m["rho"], m["label_bits"], m["chosen_block_size"],
                            top=m["top"], first_layer_bits=m["first_layer_bits"])


def _check(net, X, y):
    report = verify.verify(net, X, y, float64=False)
    assert report.ok, report.summary()
    Xu = np.unique(np.asarray(X, dtype=float) + 0.0, axis=0)
    expected = _counts_of(net, len(Xu), X.shape[1])
    for key in ("params", "neurons", "depth", "width", "max_bits"):
        assert getattr(net, key if key != "params" else "num_params") == expected[key], key
    assert net.meta["blocks"] == expected["blocks"]
    return expected


@FAST
@given(datasets(n=st.integers(1, 150), d=st.integers(1, 6), num_classes=st.integers(1, 12)))
def test_memorizes_with_documented_counts(ds):
    X, y = ds
    net = memorize.build("relu_sublinear", X, y)
    _check(net, X, y)
    # Width is the documented constant: 10 when positions need more bits than labels.
    m = net.meta
    if m["rho"] > m["label_bits"] and m["chosen_block_size"] >= 3:
        assert net.width == 10
    assert net.width <= 12


@FAST
@given(datasets(n=st.integers(2, 30), d=st.integers(1, 4), num_classes=st.integers(1, 4),
                kind=st.sampled_from(["pairs", "sphere"])),
       st.integers(1, 35), st.integers(0, 3))
def test_any_block_size_memorizes(ds, block_size, seed):
    X, y = ds
    net = memorize.build("relu_sublinear", X, y, seed=seed, block_size=block_size)
    _check(net, X, y)
    assert net.meta["chosen_block_size"] == min(block_size, len(np.unique(X, axis=0)))


def test_bad_options():
    X, y = data.random_separated(60, 3, 0.1, num_classes=3, seed=2)
    with pytest.raises(ConstructionError, match="not both"):
        memorize.build("relu_sublinear", X, y, depth=50, block_size=4)
    with pytest.raises(ConstructionError, match="block_size"):
        memorize.build("relu_sublinear", X, y, block_size=0)
    with pytest.raises(ConstructionError, match="directions"):
        memorize.build("relu_sublinear", X, y, directions=0)


@pytest.mark.parametrize("n,d,C", [(1, 1, 1), (1, 3, 2), (2, 1, 2), (5, 1, 1), (17, 1, 2), (40, 2, 1), (30, 2, 1000), (64, 3, 2**20)])
def test_edge_cases(n, d, C):
    X, y = data.random_separated(n, d, 0.01, num_classes=C, seed=n + d)
    if C == 2 and n >= 2:
        y[0], y[1] = 0, 1
    net = memorize.build("relu_sublinear", X, y)
    _check(net, X, y)


def test_repeated_points_and_bad_data():
    X, y = data.random_separated(20, 2, 0.1, num_classes=3, seed=4)
    X2, y2 = np.vstack([X, X[:5]]), np.concatenate([y, y[:5]])
    assert verify.is_memorizing(memorize.build("relu_sublinear", X2, y2), X2, y2)
    y3 = y2.copy()
    y3[-1] = (y3[4] + 1) % 3
    with pytest.raises(memorize.DataError):
        memorize.build("relu_sublinear", X2, y3)
    with pytest.raises(memorize.DataError):
        memorize.build("relu_sublinear", X, y + 0.5)


def test_float64_fails_beyond_53_bits():
    # Expected and documented: the packed words need hundreds of bits, float64 has 53.
    X, y = data.random_separated(300, 5, 0.1, num_classes=10, seed=7)
    net = memorize.build("relu_sublinear", X, y)
    assert net.max_bits > 53
    report = verify.verify(net, X, y)
    assert report.ok and report.float64_agrees is False


def test_corrupted_label_word_breaks_exactly_one_point():
    X, y = data.random_separated(120, 3, 0.1, num_classes=4, seed=9)
    net = memorize.build("relu_sublinear", X, y, block_size=120)  # one block: words are biases
    layers = list(net.layers)
    # Layer 2 is [tp, uR, uS1, uS2, wR]: wR carries the label word (idle while positions are read).
    assert net.meta["blocks"] == 1 and layers[1].out_dim == 5
    rows = [layers[1].row(r) for r in range(5)]
    terms, word = rows[4]
    assert terms == {}
    rows[4] = (terms, word ^ 1)  # the lowest label bit: the last point's label
    layers[1] = memorize.Layer.from_rows(layers[1].in_dim, rows, "relu")
    report = verify.verify(memorize.Network(net.input_dim, layers), X, y, float64=False)
    assert report.n_failed == 1


# -- gadgets ------------------------------------------------------------------------

def _net(stack, out: Affine):
    stack.add([out.neuron("out")], activation="identity")
    return memorize.Network(stack.input_dim, stack.layers)


@settings(max_examples=30, deadline=None)
@given(st.integers(-20, 20), st.lists(st.integers(-30, 30), min_size=1, max_size=20))
def test_step_ramps_exact_on_integers(lo, xs):
    stack = LayerStack(1)
    ramps, step = step_ramps(Affine.of("x0"), lo, "h")
    stack.add(ramps)
    out = verify.evaluate(_net(stack, step), np.array(xs, dtype=float)[:, None]).output()
    assert out == [int(x >= lo) for x in xs]


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.data())
def test_stream_reads_segments_msb_first(bits, segments, draw):
    if bits * segments > 52:
        bits = 52 // segments
    values = draw.draw(st.lists(st.integers(0, 2**bits - 1), min_size=segments, max_size=segments))
    k = draw.draw(st.integers(0, segments - 1))
    word = sum(v << (bits * (segments - 1 - i)) for i, v in enumerate(values))
    stack = LayerStack(1)
    s = Stream("u", Affine.of("x0"))
    for seg in range(k + 1):
        s.acc = None
        for T in segment_thresholds(bits, segments, seg):
            stack.add(stream_layer(s, T))
    out = verify.evaluate(_net(stack, s.acc), np.array([[float(word)]])).output()
    assert out == [values[k]]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 7), st.lists(st.fractions(-6, 6), min_size=1, max_size=12))
def test_match_layer(label, ds):
    ds = [Fraction(v).limit_denominator(64) for v in ds]
    ds = [v for v in ds if not (-1 < v < 0 or 1 < v < 2)] or [Fraction(0)]
    stack = LayerStack(1)
    neurons, contribution = match_layer(Affine.of("x0"), Affine({}, label), 8)
    stack.add(neurons)
    out = verify.evaluate(_net(stack, contribution), np.array([[float(v)] for v in ds])).output()
    assert out == [label if 0 <= v <= 1 else 0 for v in ds]


@FAST
@given(datasets(n=st.integers(1, 40), d=st.integers(1, 5)), st.integers(0, 5))
def test_integer_line_separates_by_two(ds, seed):
    X, _ = ds
    Xu = np.unique(X + 0.0, axis=0)
    line = integer_line(Xu, np.random.default_rng(seed))
    t = sorted(sum((w * Fraction(float(v)) for w, v in zip(line.weights, row)), line.bias)
               for row in Xu[line.order])
    assert 0 <= t[0] < 1
    assert all(b - a >= 2 for a, b in zip(t, t[1:]))
    assert [int(np.floor(v)) for v in t] == line.floors.tolist()


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 40), st.integers(1, 9), st.data())
def test_pack_words_fixed_width(n, bits, draw):
    rows = draw.draw(st.integers(1, 4))
    vals = np.array(draw.draw(st.lists(st.integers(0, 2**bits - 1), min_size=rows * n,
                                       max_size=rows * n)), dtype=np.int64).reshape(rows, n)
    words = pack_words(vals, bits)
    for row, word in zip(vals, words):
        assert word == sum(int(v) << (bits * (n - 1 - i)) for i, v in enumerate(row))


def test_pack_blocks_pads_and_offsets():
    floors = np.array([0, 3, 9, 20, 22, 40, 47], dtype=np.int64)
    labels = np.array([1, 2, 0, 3, 1, 2, 2])
    assert block_offset_bits(floors, 3) == 5  # the largest offset is 40 - 20 = 20
    b = pack_blocks(floors, labels, Layout.split(3, 5, 2))
    assert b.lo == [0, 20, 47]
    positions, label_words = b.words
    assert positions[1] == (0 << 10) | (2 << 5) | 20
    assert positions[2] == 0 and label_words[2] == 2 << 4  # one real point, two dummies
    # The record layout: offset * 2^c + label (7 bits) in words of 3 bits per point.
    r = pack_blocks(floors, labels, Layout.record(3, 5, 2, 3))
    records = [((floors[3 + k] - 20) << 2) | labels[3 + k] for k in range(3)]
    for i in range(3):  # word i holds bits 3(2-i) .. 3(2-i)+2 of every record
        assert r.words[i][1] == sum(((v >> (3 * (2 - i))) & 7) << (3 * (2 - k))
                                    for k, v in enumerate(records))


def test_default_block_size_minimizes_depth():
    X, y = data.random_separated(150, 3, 0.1, num_classes=5, seed=3)
    line = integer_line(X, np.random.default_rng(0))
    c = 3
    n = default_block_size(line.floors, c)
    depth = sublinear_depth(150, block_offset_bits(line.floors, n), c, n)
    assert all(sublinear_depth(150, block_offset_bits(line.floors, m), c, m) >= depth
               for m in range(1, 151))


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 10**6), st.integers(3, 60), st.integers(2, 20), st.integers(1, 30),
       st.integers(1, 50))
def test_closed_forms_main_regime(blocks, n, c, extra, d):
    rho = c + 1 + extra
    N = (blocks - 1) * n + 1
    got = sublinear_counts(N, d, rho, c, n)
    assert got["blocks"] == blocks
    assert got["params"] == 3 * d + 42 * blocks + n * (56 * rho + 54 * c + 27) - 14 * rho - 6 * c - 148
    assert got["neurons"] == 6 * blocks + n * (7 * rho + 3 * c + 2) - rho - 8
    assert got["depth"] == blocks - 1 + n * rho + 2
    assert got["width"] == 10
