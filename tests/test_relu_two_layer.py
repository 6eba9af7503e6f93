from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from memorize import DataError, build, data, verify
from memorize.testing import datasets


@settings(max_examples=40)
@given(datasets(n=st.integers(1, 60), d=st.integers(1, 5), num_classes=st.integers(1, 6)),
       st.integers(0, 3))
def test_two_layer_memorizes_and_counts(dataset, seed):
    X, y = dataset
    net = build("relu_two_layer", X, y, seed=seed)
    report = verify.verify(net, X, y)
    assert report.ok, report.summary()
    n = len(np.unique(X, axis=0))
    d = X.shape[1]
    expected = {"connections": 3 * n + d, "params": 3 * n + d + 2, "neurons": n + 2, "depth": 3,
                "width": n}
    assert {k: net.counts()[k] for k in expected} == expected
    assert verify.count_mismatches(net) == {}
    assert net.meta["construction"] == "relu_two_layer" and net.meta["data"]["N"] == len(X)


@settings(max_examples=40)
@given(datasets(n=st.integers(1, 60), d=st.integers(1, 5), num_classes=st.integers(1, 6)))
def test_baum_memorizes_and_counts(dataset):
    X, y = dataset
    net = build("threshold_one_hidden", X, y)
    report = verify.verify(net, X, y)
    assert report.ok, report.summary()
    assert report.min_margin > 0  # no step unit sits at 0 on the data
    Xu, yu, _ = data.deduplicate(X, y)
    d, background = X.shape[1], net.meta["background"]
    groups = sum(-(-m // d) for c, m in Counter(yu.tolist()).items() if c != background)
    hidden = max(2 * groups, 1)
    counts = net.counts()
    splits = net.meta["splits"]
    assert counts["params"] == (d + 2) * hidden + 1 + 2 * splits * (d + 2)
    assert counts["depth"] == 2 and net.meta["groups"] == groups + splits
    assert verify.count_mismatches(net) == {}


def test_baum_binary_readout_is_a_threshold_unit():
    X, y = data.random_separated(100, 3, 0.05, num_classes=2, seed=3)
    net = build("threshold_one_hidden", X, y)
    assert net.layers[-1].activation == "step" and net.meta["splits"] == 0
    assert verify.is_memorizing(net, X, y)
    # about N/d hidden units, as Baum's theorem says: 2 ceil(N_minority / d) <= ceil(N/d) + 1
    assert net.layers[0].out_dim <= -(-100 // 3) + 1


def test_repeated_points_and_conflicts():
    X = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    for name in ("relu_two_layer", "threshold_one_hidden"):
        net = build(name, X, [3, 1, 3])
        assert verify.is_memorizing(net, X, [3, 1, 3])
        with pytest.raises(DataError, match="equal"):
            build(name, X, [3, 1, 2])


def test_float64_comparison_is_reported_not_decisive():
    X, y = data.random_separated(300, 4, 0.05, num_classes=5, seed=0)
    net = build("relu_two_layer", X, y)
    report = verify.verify(net, X, y)
    assert report.ok and net.max_bits > 53
    assert report.float64_agrees is False and report.float64_failed > 0
