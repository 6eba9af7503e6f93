"""The two classical baselines: exact memorization, counts equal to the documented formulas,
clear errors on bad input."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from memorize import build, verify
from memorize.bounds import RELU_THREE_LAYER
from memorize.bounds.symbols import evaluate_all
from memorize.constructions.relu_three_layer import default_block
from memorize.data import deduplicate
from memorize.errors import ConstructionError, DataError
from memorize.testing import datasets

SMALL = datasets(n=st.integers(1, 24), d=st.integers(1, 4), num_classes=st.integers(1, 5))


@settings(max_examples=25, deadline=None)
@given(SMALL, st.integers(0, 3))
def test_bubeck_memorizes_exactly_with_documented_counts(data, seed):
    X, y = data
    net = build("relu_bubeck", X, y, seed=seed)
    assert verify.verify(net, X, y, float64=False).ok
    n, d = deduplicate(X, y)[0].shape
    assert net.num_params == 4 * net.meta["groups"] * (d + 2) + 1
    assert verify.count_mismatches(net) == {}
    assert net.meta["groups"] >= -(-n // d)


@settings(max_examples=15, deadline=None)
@given(datasets(n=st.integers(2, 30), d=st.integers(2, 4), kind=st.sampled_from(["ball", "sphere"])))
def test_bubeck_uses_ceil_n_over_d_groups_in_general_position(data):
    # Random points in the ball or on the sphere are in general position almost surely.
    X, y = data
    net = build("relu_bubeck", X, y)
    n, d = X.shape
    assert net.meta["groups"] == -(-n // d)
    assert net.neurons == 4 * -(-n // d) + 1


@settings(max_examples=25, deadline=None)
@given(SMALL, st.integers(0, 3))
def test_bubeck_per_class_tents_memorize_with_documented_counts(data, seed):
    X, y = data
    net = build("relu_bubeck", X, y, seed=seed, per_class=True)
    assert verify.verify(net, X, y, float64=False).ok
    n, d = deduplicate(X, y)[0].shape
    assert net.num_params == max(3 * net.meta["groups"], 1) * (d + 2) + 1
    assert verify.count_mismatches(net) == {}


@settings(max_examples=15, deadline=None)
@given(datasets(n=st.integers(2, 40), d=st.integers(2, 4), num_classes=st.integers(1, 4)))
def test_bubeck_per_class_groups_in_general_position(data):
    # One group per d points of each label but the most frequent one (the output bias).
    X, y = data
    net = build("relu_bubeck", X, y, per_class=True)
    labels, counts = np.unique(y, return_counts=True)
    background = labels[np.argmax(counts)]
    assert net.meta["background"] == background
    assert net.meta["groups"] == sum(-(-m // X.shape[1]) for c, m in zip(labels, counts) if c != background)


def test_bubeck_repairs_points_off_general_position():
    # Four points on the diagonal: any group holding two of them spans the diagonal, which
    # passes through the other two, so every such group must be split.
    X = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [0.0, 1.0]])
    y = np.array([1, 0, 1, 0, 2])
    net = build("relu_bubeck", X, y)
    assert verify.is_memorizing(net, X, y)
    assert net.meta["groups"] > 3  # ceil(5/2) = 3, but groups of 2, 2, 1 hold a diagonal pair


@settings(max_examples=25, deadline=None)
@given(SMALL, st.one_of(st.none(), st.integers(1, 8)))
def test_three_layer_memorizes_exactly_with_documented_counts(data, block):
    X, y = data
    net = build("relu_three_layer", X, y, block=block)
    assert verify.verify(net, X, y, float64=False).ok
    n, d = deduplicate(X, y)[0].shape
    m = min(block or default_block(n), n)
    a = -(-n // m)
    assert net.num_params == (d + 1) * (2 * a - 1) + 2 * a * m + m + 1
    assert net.neurons == 2 * a + m and net.width == max(2 * a - 1, m)
    assert verify.count_mismatches(net) == {}


def test_three_layer_default_is_about_2_sqrt_2n_hidden_neurons():
    # N = 200: m = ceil(sqrt(400)) = 20, a = ceil(200/20) = 10 blocks: 2a - 1 = 19 first-layer
    # units, 20 second-layer units, 39 hidden (2 sqrt(2 * 200) = 40).
    assert default_block(200) == 20
    counts = evaluate_all(RELU_THREE_LAYER.size, N=200, d=3, M=default_block(200))
    assert counts["neurons"] - 1 == 39
    assert counts["params"] == 4 * 19 + 20 * 20 + 21  # (d+1)(2a-1) + 2a m + m + 1


@pytest.mark.parametrize("name", ["relu_bubeck", "relu_three_layer"])
def test_conflicting_duplicates_are_a_data_error(name):
    X = np.array([[0.0, 1.0], [0.0, 1.0]])
    with pytest.raises(DataError, match="labels"):
        build(name, X, np.array([0, 1]))


@pytest.mark.parametrize("name", ["relu_bubeck", "relu_three_layer"])
def test_malformed_input_is_a_data_error(name):
    with pytest.raises(DataError):
        build(name, np.array([[np.nan, 0.0]]), np.array([0]))
    with pytest.raises(DataError):
        build(name, np.zeros((3, 2)) + np.arange(3)[:, None], np.array([0, -1, 2]))


@pytest.mark.parametrize("block", [0, -2, 1.5])
def test_three_layer_rejects_bad_block(block):
    X = np.array([[0.0], [1.0], [2.0]])
    with pytest.raises(ConstructionError, match="block"):
        build("relu_three_layer", X, np.array([0, 1, 0]), block=block)
