"""Tests of the O(N^(2/3)) ReLU memorizer (Park, Lee, Yun, Shin 2021), built from the sqrt(N)
family's gadgets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memorize import build, data, verify
from memorize.bounds import RELU_PARK, bounds_for, compare, evaluate
from memorize.constructions.relu_park import (
    group_size, park_member, relu_park_counts,
)
from memorize.errors import ConstructionError
from memorize.testing import datasets
from helpers import clustered

NAME = "relu_park"
COUNT_KEYS = ("connections", "params", "neurons", "depth", "width")


@st.composite
def moons(draw):
    n, seed = draw(st.integers(2, 80)), draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    a = rng.uniform(0, np.pi, n)
    X = np.where(y[:, None] == 0, np.stack([np.cos(a), np.sin(a)], 1),
                 np.stack([1 - np.cos(a), 0.5 - np.sin(a)], 1))
    return X + 0.05 * rng.standard_normal((n, 2)), y


@settings(max_examples=40, deadline=None)
@given(st.one_of(datasets(n=st.integers(1, 120), d=st.integers(1, 5), num_classes=st.integers(1, 8)),
                 clustered(), moons()),
       st.booleans())
def test_exact_with_the_closed_form_counts(XY, narrow):
    X, y = XY
    net = build(NAME, X, y, seed=2, narrow=narrow)
    report = verify.verify(net, X, y, float64=False)
    assert report.ok, report.summary()
    counts, expected = net.counts(), relu_park_counts(net.meta)
    assert verify.count_mismatches(net) == {}
    assert {k: counts[k] for k in COUNT_KEYS} == {k: expected[k] for k in COUNT_KEYS}
    meta = net.meta["park"]
    assert meta["n"] == min(meta["N"], group_size(meta["N"]))
    assert meta["K"] == -(-meta["N"] // meta["n"])
    assert net.width == (4 if narrow else 5) or meta["N"] <= 2
    assert build(NAME, X, y, seed=2, narrow=narrow) == net


def test_group_size_is_the_exact_ceiling():
    for N in list(range(1, 2000)) + [10**6, 10**6 + 1, 10**9]:
        n = group_size(N)
        assert n ** 3 >= N * N and (n == 1 or (n - 1) ** 3 < N * N)


def test_closed_form_by_hand():
    # K = 10 groups of n = 100, c = 1, rho = 17 (lambda = 19), b_lo = 20, f_1 = 5, q = 3
    K, n, c, rho, b, lam, q = 10, 100, 1, 17, 20, 19, 3
    hand = (5 + 7 * (K - 1) + 2 + 7 * b - 2 + 7 + (n - 1) * (16 + 6 * c + 5 * rho) + 6 * c + 9
            + 4 + (n - 1) * lam + c + 1 + 2 * n + 1 + 6 * q + 2)
    counts = relu_park_counts({"park": dict(N=1000, d=4, n=n, rho=rho, c=c, lo_bits=b, first=5,
                                            narrow=False)})
    assert counts["connections"] == hand
    assert counts["depth"] == 1 + (K - 1 + 2 + b) + ((n - 1) * lam + c + 2) + 1 + q + 1
    assert park_member(N=1000, n=n, rho=rho, c=c, lo_bits=b, first=5).K == K


def test_sizes_grow_like_n_to_the_two_thirds():
    # N^(2/3) points per group: 8x the points, about 4x (times lambda's growth) the connections.
    small, large = (build(NAME, *data.random_separated(n, 3, 1e-3, num_classes=2, seed=1))
                    for n in (250, 2000))
    ratio = large.connections / small.connections
    assert 3.5 < ratio < 6.5, ratio
    assert large.meta["park"]["K"] == 13 and small.meta["park"]["K"] == 7


def test_block_size_option_and_bound():
    X, y = data.random_separated(200, 2, 0.01, num_classes=3, seed=4)
    net = build(NAME, X, y, block_size=10)
    assert net.meta["park"]["n"] == 10 and net.meta["park"]["K"] == 20
    assert verify.is_memorizing(net, X, y)
    assert bounds_for(NAME) is RELU_PARK
    assert evaluate(RELU_PARK.statement["params"], N=1000) == pytest.approx(100.0)
    result = compare(net)
    assert "connections" in result.upper and "connections" in result.lower


@pytest.mark.parametrize("options,match", [
    ({"block_size": 0}, "block_size of relu_park must be at least 1"),
    ({"directions": 65}, "directions of relu_park must be at most 64"),
    ({"block_size": 2.0}, "block_size .* must be an integer"), ({"narrow": "yes"}, "narrow .* True or False"),
])
def test_options_out_of_range(options, match):
    X, y = data.random_separated(10, 2, 0.1, seed=0)
    with pytest.raises(ConstructionError, match=match):
        build(NAME, X, y, **options)
