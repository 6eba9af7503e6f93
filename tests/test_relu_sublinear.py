"""The sqrt(N) ReLU memorizer (Vardi et al. 2022) as a width-depth family: exact memorization,
documented counts, the planner's choice, the gadgets."""

from __future__ import annotations

import dataclasses
import itertools
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import memorize
from memorize import data, verify
from memorize.constructions.gadgets.fold_words import even_starts, greedy_starts, offset_bits, stream_words
from memorize.constructions.gadgets.line_blocks import Layout, integer_line, pack_blocks, pack_words
from memorize.constructions.gadgets.relu import Affine, LayerStack, Stream, match_layer, tent_layer
from memorize.constructions.relu_sublinear import build_member
from memorize.constructions.relu_sublinear_members import (
    DENSE_RATIO, EXHAUSTIVE, Member, _Members, _width, least_depth, plan,
)
from memorize.data import label_bits
from memorize.errors import ConstructionError
from memorize.testing import datasets
from helpers import clustered

FAST = settings(max_examples=100, deadline=None)


def _check(net, X, y):
    report = verify.verify(net, X, y, float64=False)
    assert report.ok, report.summary()
    counts = net.counts()
    expected = memorize.get("relu_sublinear").expected_counts(net.meta)
    assert {k: counts[k] for k in expected} == expected and verify.matches_counts(net)
    assert net.nonzero_params <= net.connections <= net.num_params
    return expected


@FAST
@given(st.one_of(datasets(n=st.integers(1, 150), d=st.integers(1, 6), num_classes=st.integers(1, 12)),
                 clustered()))
def test_memorizes_with_documented_counts(ds):
    X, y = ds
    net = memorize.build("relu_sublinear", X, y)
    _check(net, X, y)
    # The default is lean: dense parameters within DENSE_RATIO times the connections.
    assert net.num_params <= DENSE_RATIO * net.connections


@FAST
@given(st.one_of(datasets(n=st.integers(2, 60), d=st.integers(1, 4), num_classes=st.integers(1, 6)),
                 clustered()),
       st.integers(5, 40), st.one_of(st.none(), st.integers(2, 400)), st.integers(0, 3))
def test_width_and_depth_limits(ds, width, depth, seed):
    X, y = ds
    try:
        net = memorize.build("relu_sublinear", X, y, seed=seed, width=width, depth=depth)
    except ConstructionError as e:  # a pair no member satisfies: the message says what would
        assert depth is not None and "least" in str(e)
        return
    _check(net, X, y)
    assert net.width <= width
    assert depth is None or net.depth <= depth


@FAST
@given(datasets(n=st.integers(2, 30), d=st.integers(1, 4), num_classes=st.integers(1, 4),
                kind=st.sampled_from(["pairs", "sphere"])),
       st.integers(1, 35), st.integers(0, 3))
def test_any_block_size_memorizes(ds, block_size, seed):
    X, y = ds
    net = memorize.build("relu_sublinear", X, y, seed=seed, block_size=block_size)
    _check(net, X, y)
    assert net.meta["chosen_block_size"] == min(block_size, len(np.unique(X, axis=0)))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 60), st.integers(1, 12), st.integers(1, 4), st.integers(1, 5),
       st.integers(1, 20), st.integers(1, 6), st.integers(1, 40), st.integers(1, 11), st.booleans())
def test_counts_by_runs_equal_counts_by_layers(n_s, S, B, K, rho, c, lo_bits, first, stall):
    m = Member(n_s, S, B, K, rho, c, lo_bits, first, stall)
    sizes = m.layer_sizes()
    assert len(sizes) == m.depth and max(sizes) == m.width == _width(m)
    assert m.dense_params(7) == sum((i + 1) * o for i, o in zip([7] + sizes[:-1], sizes))


def _closed_form(m: Member) -> int:
    """The connections formula of the module docstring, written out again."""
    lam, g, G, q = m.rho + m.c + 1, (9 if m.S == 1 else 18), (2 if m.S == 1 else 4), m.c + 1 + (m.S == 1)
    streams = m.S * ((m.n_s - 1) * (7 + 6 * m.c + g + 5 * m.rho) + 6 * m.c + g)
    p = (m.n_s - 1) * (lam + m.stall) + m.c + G * m.n_s * m.S
    out = 6 * q + 1 + (m.S == 1)
    if m.K == 1:
        return m.first + 3 * m.S + streams + p + 3 + out
    nb = -(-(m.K - 1) // m.B)
    chooser = (nb + 2) + 4 * (m.K - 1) + m.S * (m.K - 1 + nb)
    lo = m.lo_bits * (m.S + 1) + 5 * m.lo_bits - 2
    return m.first + chooser + lo + 7 + 4 * (m.S - 1) + streams + p + 6 + out


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 60), st.integers(1, 12), st.integers(1, 6), st.integers(1, 300),
       st.integers(1, 30), st.integers(1, 8), st.integers(1, 50), st.integers(1, 11), st.booleans())
def test_connections_equal_the_documented_closed_form(n_s, S, B, K, rho, c, lo_bits, first, stall):
    m = Member(n_s, S, B, K, rho, c, lo_bits, first, stall)
    assert m.connections == _closed_form(m)
    head = -(-(K - 1) // B) + 2 + lo_bits if K > 1 else 0
    q = c + 1 + (S == 1)
    assert m.depth == 1 + head + (n_s - 1) * (rho + c + 1 + stall) + c + 2 + 1 + q + 1


def _brute_force(floors, c, first, d):
    """Every member of the default's space: S <= 2, B <= 4, every n, rho as measured or
    1-4 bits fewer (greedy blocks), stalled or not for S = B = 1, dense within DENSE_RATIO
    of connections."""
    members, best = _Members(floors, c, first), None
    N = len(floors)
    for S in (1, 2):
        for B in range(1, 5):
            for n in range(S, S * -(-N // S) + 1, S):
                rho = offset_bits(floors, min(n, N))
                stalls = (False, True) if (S, B) == (1, 1) else (False,)
                for r, stall in itertools.product(range(max(1, rho - 4), rho + 1), stalls):
                    m = dataclasses.replace(members.greedy(n, S, B, r), stall=stall)
                    sizes = m.layer_sizes()
                    dense = sum((i + 1) * o for i, o in zip([d] + sizes[:-1], sizes))
                    if dense <= DENSE_RATIO * m.connections and (best is None or
                                                                  m.connections < best):
                        best = m.connections
    return best


@pytest.mark.parametrize("n,d,C,seed", [(2, 1, 2, 0), (20, 2, 3, 1), (90, 3, 10, 2), (200, 5, 4, 3)])
def test_default_is_never_beaten_by_a_rejected_member(n, d, C, seed):
    assert n <= EXHAUSTIVE
    X, y = data.random_separated(n, d, 0.05, num_classes=C, seed=seed)
    line = integer_line(X, np.random.default_rng(seed), gap_bits=2)
    c = label_bits(C)
    first = sum(1 for w in line.weights if w) + (line.bias != 0)
    assert plan(line.floors, c, first, d).connections == _brute_force(line.floors, c, first, d)


def test_bad_options():
    X, y = data.random_separated(60, 3, 0.1, num_classes=3, seed=2)
    with pytest.raises(ConstructionError, match="not both"):
        memorize.build("relu_sublinear", X, y, depth=50, block_size=4)
    for key, bad, msg in [("block_size", 0, "least"), ("directions", 0, "least"),
                          ("directions", 10**6, "at most"), ("width", 3, "at least 4"),
                          ("width", 5.5, "integer"), ("width", True, "integer"),
                          ("width", "8", "integer"), ("depth", 1, "at least 2")]:
        with pytest.raises(ConstructionError, match=msg):
            memorize.build("relu_sublinear", X, y, **{key: bad})
    with pytest.raises(ConstructionError, match="least depth is"):
        memorize.build("relu_sublinear", X, y, width=5, depth=20)


def test_width_buys_depth():
    X, y = data.random_separated(2000, 5, 0.05, num_classes=10, seed=4)
    depths = []
    for W in (4, 16, 64):
        line = integer_line(X, np.random.default_rng(0), 4, gap_bits=2)
        L = least_depth(line.floors, 4, sum(1 for w in line.weights if w) + (line.bias != 0), W)
        net = memorize.build("relu_sublinear", X, y, width=W, depth=L)
        assert net.width <= W and net.depth <= L
        _check(net, X, y)
        depths.append(L)
    assert depths[0] > 2 * depths[1] > 4 * depths[2]


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


def test_corrupted_word_breaks_exactly_one_point():
    X, y = data.random_separated(120, 3, 0.1, num_classes=4, seed=9)
    line = integer_line(X, np.random.default_rng(0), gap_bits=2)
    rho = offset_bits(line.floors, 120)
    member = Member(120, 1, 1, 1, rho, 2, 1, 4)  # one block: the word is a bias
    layers = build_member(line, y[line.order], member, 3)
    assert verify.is_memorizing(memorize.Network(3, layers), X, y)
    bits = 120 * (rho + 2 + 1)
    # Layer 2 is [P, top, Z, h]: the stream's first neurons hold its word as biases.
    rows = [layers[1].row(r) for r in range(layers[1].out_dim)]
    # The stream's value is (2W + 1) / 2^(bits + 1). Flipping bit rho + 1 of W, the lowest
    # bit of the last record's label y (its field holds 2y), changes that label alone.
    W = (rows[2][1] * 2 ** (bits + 1) - 1) / 2
    bit = 1 << (rho + 1)
    delta = Fraction(2 * (-bit if int(W) & bit else bit), 2 ** (bits + 1))
    for r in range(1, len(rows)):
        terms, b = rows[r]
        rows[r] = (terms, b + delta)
    layers[1] = memorize.Layer.from_rows(layers[1].in_dim, rows, "relu")
    report = verify.verify(memorize.Network(3, layers), X, y, float64=False)
    assert report.failed == [int(line.order[-1])]


# -- gadgets ------------------------------------------------------------------------

def _net(stack, out: Affine):
    stack.add([out.neuron("out")], activation="identity")
    return memorize.Network(stack.input_dim, stack.layers)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 8), st.data())
def test_tent_strips_even_fields_and_reflects_after_odd(f, draw):
    v = draw.draw(st.integers(0, 2**f - 1))
    x = Fraction(draw.draw(st.integers(0, 2**20)), 2**20)  # dyadic: exact as a float input
    z = float((v + x) / 2**f)
    stack = LayerStack(1)
    s = Stream("u", Affine.of("x0", Fraction(1)))
    for _ in range(f):
        stack.add(tent_layer(s))
    out = verify.evaluate(_net(stack, s.rem), np.array([[z]])).output()
    assert out == [x if v % 2 == 0 else 1 - x]

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
@given(datasets(n=st.integers(1, 40), d=st.integers(1, 5)), st.integers(0, 5), st.integers(1, 2))
def test_integer_line_separates(ds, seed, gap_bits):
    X, _ = ds
    Xu = np.unique(X + 0.0, axis=0)
    line = integer_line(Xu, np.random.default_rng(seed), gap_bits=gap_bits)
    t = sorted(sum((w * Fraction(float(v)) for w, v in zip(line.weights, row)), line.bias)
               for row in Xu[line.order])
    assert 0 <= t[0] < 1
    assert all(b - a >= 2**gap_bits for a, b in zip(t, t[1:]))
    assert [int(np.floor(v)) for v in t] == line.floors.tolist()


def _read_stream(word: int, bits: int, fields: list[int]) -> list[int]:
    """Read ``fields`` (bit widths) off the midpoint ``(2 word + 1) / 2^(bits + 1)`` with exact
    tent maps, as the network does: an odd field reflects what follows."""
    z, out = Fraction(2 * word + 1, 2 ** (bits + 1)), []
    for f in fields:
        v = int(z * 2**f)
        out.append(v)
        z = z * 2**f - v
        if v % 2:
            z = 1 - z
    return out


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), st.data())
def test_stream_words_read_back_as_written(N, n_s, S, c, draw):
    gaps = draw.draw(st.lists(st.integers(4, 60), min_size=N - 1, max_size=N - 1))
    floors = np.cumsum([draw.draw(st.integers(0, 1))] + gaps).astype(np.int64)
    labels = np.array(draw.draw(st.lists(st.integers(0, 2**c - 1), min_size=N, max_size=N)))
    n = n_s * S
    rho = offset_bits(floors, min(n, N)) - draw.draw(st.integers(0, 2))
    rho = max(1, rho)
    starts = greedy_starts(floors, min(n, N), rho)
    K = len(starts)
    lo = even_starts(floors[starts])
    lo_bits = max(1, int(lo[-1]).bit_length())
    words = stream_words(floors, labels, starts, n_s=n_s, streams=S, rho=rho, c=c, lo_bits=lo_bits)
    lam = rho + c + 1
    ends = np.append(starts[1:], N)
    for j in range(K):
        points = list(range(starts[j], ends[j]))
        for s in range(S):
            head = [lo_bits] if s == 0 and K > 1 else []
            bits = n_s * lam + sum(head)
            assert words[s][j] % 2 == 1 and words[s][j] < 2 ** (bits + 1)
            got = _read_stream(words[s][j] // 2, bits, head + [c + 1, rho] * n_s)
            if head:
                assert got.pop(0) == lo[j]
            for r in range(n_s):
                k = s * n_s + r
                want = (floors[points[k]] - lo[j], labels[points[k]]) if k < len(points) else (0, 0)
                assert (got[2 * r + 1], got[2 * r] // 2) == tuple(int(v) for v in want)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 40), st.integers(1, 9), st.data())
def test_pack_words_fixed_width(n, bits, draw):
    rows = draw.draw(st.integers(1, 4))
    vals = np.array(draw.draw(st.lists(st.integers(0, 2**bits - 1), min_size=rows * n,
                                       max_size=rows * n)), dtype=np.int64).reshape(rows, n)
    words = pack_words(vals, bits)
    for row, word in zip(vals, words):
        assert word == sum(int(v) << (bits * (n - 1 - i)) for i, v in enumerate(row))


def test_pack_blocks_records():
    floors = np.array([0, 3, 9, 20, 22, 40, 47], dtype=np.int64)
    labels = np.array([1, 2, 0, 3, 1, 2, 2])
    # The record layout: offset * 2^c + label (7 bits) in words of 3 bits per point.
    r = pack_blocks(floors, labels, Layout.record(3, 5, 2, 3))
    assert r.lo == [0, 20, 47]
    records = [((floors[3 + k] - 20) << 2) | labels[3 + k] for k in range(3)]
    for i in range(3):  # word i holds bits 3(2-i) .. 3(2-i)+2 of every record
        assert r.words[i][1] == sum(((v >> (3 * (2 - i))) & 7) << (3 * (2 - k))
                                    for k, v in enumerate(records))
