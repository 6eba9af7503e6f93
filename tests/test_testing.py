import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.errors import InvalidArgument

from memorize import data
from memorize.testing import datasets, labels


@settings(max_examples=30)
@given(datasets(n=st.integers(1, 20), d=st.integers(1, 3), num_classes=3, delta=0.1, radius=1.0))
def test_datasets_are_valid_and_separated(dataset):
    X, y = dataset
    X, y = data.validate(X, y)
    assert data.separation(X) >= 0.1 * (1 - 1e-9)
    assert np.linalg.norm(X, axis=1).max() <= 1.0 + 1e-12
    assert y.max() < 3


@settings(max_examples=10)
@given(labels(5, 2))
def test_labels(y):
    assert y.shape == (5,) and set(y.tolist()) <= {0, 1}


@pytest.mark.parametrize("kwargs", [{"n": 0}, {"d": -1}, {"delta": 0}, {"radius": float("inf")},
                                    {"kind": "cube"}, {"num_classes": 1.5}])
def test_invalid_arguments(kwargs):
    with pytest.raises(InvalidArgument):
        datasets(**kwargs)
