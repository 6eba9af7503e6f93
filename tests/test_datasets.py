"""The digits loader and the duplicate-conflict rule."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memorize import build, data, verify
from memorize.datasets import digits, drop_conflicts
from memorize.extras import MissingExtraError


@pytest.fixture(scope="module")
def sklearn():
    return pytest.importorskip("sklearn.datasets", reason="digits needs the optional extra memorize[examples]")


def test_digits_true_labels(sklearn):
    X, y = digits()
    raw = sklearn.load_digits()
    _, _, dropped = drop_conflicts(raw.data, raw.target)
    assert X.shape == (1797 - len(dropped), 64)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert set(np.unique(X)) <= set(range(17))
    assert sorted(set(y.tolist())) == list(range(10))
    data.validate(X, y)


def test_digits_random_labels_are_seeded_and_consistent(sklearn):
    X, y = digits()
    X1, r1 = digits(random_labels=True, seed=1)
    _, r1b = digits(random_labels=True, seed=1)
    _, r2 = digits(random_labels=True, seed=2)
    assert np.array_equal(X1, X)
    assert np.array_equal(r1, r1b) and not np.array_equal(r1, r2)
    assert np.mean(r1 == y) < 0.2  # about 1/10 agree by chance
    assert sorted(set(r1.tolist())) == list(range(10))
    data.validate(X1, r1)


def test_relu_two_layer_memorizes_digits(sklearn):
    X, y = digits(random_labels=True)
    assert verify.is_memorizing(build("relu_two_layer", X, y, seed=0), X, y)


def test_drop_conflicts_keeps_first_label():
    X = np.array([[0.0], [1.0], [0.0], [0.0], [1.0], [-0.0]])
    y = np.array([1, 2, 1, 3, 2, 4])
    Xk, yk, dropped = drop_conflicts(X, y)
    assert dropped.tolist() == [3, 5]
    assert Xk[:, 0].tolist() == [0.0, 1.0, 0.0, 1.0] and yk.tolist() == [1, 2, 1, 2]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 2)), min_size=1, max_size=30))
def test_drop_conflicts_leaves_valid_data_and_drops_only_conflicts(rows):
    X = np.array([[a, b] for a, b, _ in rows], dtype=float)
    y = np.array([c for _, _, c in rows])
    Xk, yk, dropped = drop_conflicts(X, y)
    data.validate(Xk, yk)  # raises on any remaining conflict
    kept = np.setdiff1d(np.arange(len(y)), dropped)
    assert np.array_equal(Xk, X[kept]) and np.array_equal(yk, y[kept])
    for i in dropped:
        first = next(j for j in range(len(y)) if np.array_equal(X[j], X[i]))
        assert y[first] != y[i]


def test_without_scikit_learn_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'memorize\[examples\]'"):
        digits()
