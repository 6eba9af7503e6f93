"""memorize.empirical: memorization scores, batched training, exact gradients, losses, errors, CLI."""

from __future__ import annotations

import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from memorize import build, data
from memorize.empirical.seminorm import sobolev_seminorm
from memorize.errors import ArgumentError, DataError, NetworkError
from memorize.network import Layer, Network
from helpers import cli_status as _run


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason="training needs the optional extra memorize[torch]")


def _clusters(seed=0):
    """Two tight, easy clusters (labels 0 and 1) and one far outlier with the unique label 2."""
    rng = np.random.default_rng(seed)
    a = rng.normal([-2.0, 0.0], 0.3, size=(20, 2))
    b = rng.normal([2.0, 0.0], 0.3, size=(20, 2))
    X = np.vstack([a, b, [[0.0, 6.0]]])
    y = np.array([0] * 20 + [1] * 20 + [2])
    return X, y


# -- memorization scores ------------------------------------------------------------
def test_outlier_with_unique_label_is_memorized_and_the_rest_is_not(torch):
    from memorize.empirical import memorization_scores

    X, y = _clusters()
    r = memorization_scores(X, y, model=(16,), n_models=24, epochs=40, batch_size=16, lr=0.02, seed=0)
    assert r.n_in[-1] >= 2 and r.n_out[-1] >= 2
    assert r.scores[-1] >= 0.8, r.scores[-1]
    others = r.scores[:-1]
    assert np.nanmax(np.abs(others)) <= 0.25 and abs(np.nanmean(others)) <= 0.05
    assert r.top(1)[0] == len(y) - 1
    # the counterfactual variant on the label's probability says the same
    assert r.all_scores["probability"][-1] >= 0.5 > np.nanmax(np.abs(r.all_scores["probability"][:-1]))
    assert (r.n_in + r.n_out == 24).all()


def test_scores_are_deterministic_for_a_seed_and_influence_has_its_shape(torch):
    from memorize.empirical import memorization_scores

    X, y = _clusters(1)
    kw = dict(model=(8,), n_models=4, epochs=3, seed=5, X_test=X[:3], y_test=y[:3])
    a, b = memorization_scores(X, y, **kw), memorization_scores(X, y, **kw)
    assert np.array_equal(a.scores, b.scores, equal_nan=True) and np.array_equal(a.subsets, b.subsets)
    assert a.influence.shape == (len(y), 3)
    c = memorization_scores(X, y, **dict(kw, seed=6))
    assert not np.array_equal(a.subsets, c.subsets)


def _manual_one_by_one(torch, W1, b1, W2, b2, X, Y, batches, opt_name, lr):
    """One model with torch.nn modules, torch's own loss and optimizer: the independent reference."""
    model = torch.nn.Sequential(torch.nn.Linear(W1.shape[1], W1.shape[0], dtype=torch.float64),
                                torch.nn.ReLU(),
                                torch.nn.Linear(W2.shape[1], W2.shape[0], dtype=torch.float64))
    with torch.no_grad():
        model[0].weight.copy_(W1), model[0].bias.copy_(b1)
        model[2].weight.copy_(W2), model[2].bias.copy_(b2)
    opt = (torch.optim.Adam(model.parameters(), lr=lr) if opt_name == "adam"
           else torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9))
    for idx in batches:
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(X[idx]), Y[idx]).backward()
        opt.step()
    return [model[0].weight, model[0].bias, model[2].weight, model[2].bias]


@pytest.mark.parametrize("opt_name", ["adam", "sgd"])
def test_batched_training_equals_training_one_by_one(torch, opt_name):
    from memorize.empirical import train as T

    X, y = _clusters(2)
    Xt, Yt = torch.tensor(X), torch.tensor(y)
    M, k = 3, 6  # models, steps
    params = T.init_stack(torch, T.layer_dims(2, (5,), 3), M, torch_seed=11, dtype=torch.float64, device="cpu")
    start = [p.detach().clone() for p in params]
    rng = np.random.default_rng(0)
    subsets = np.stack([np.sort(rng.choice(len(y), 25, replace=False)) for _ in range(M)])
    schedule = [b for _ in range(2) for b in T.epoch_batches(rng, subsets, 8)][:k]
    assert len(schedule) == k and all(b.shape[0] == M for b in schedule)
    opt = T.make_optimizer(torch, params, opt_name, 0.05)
    T.train_stack(torch, params, Xt, Yt, schedule, loss="ce", optimizer=opt)
    moved = 0.0
    for m in range(M):
        alone = _manual_one_by_one(torch, *(p[m] for p in start), Xt, Yt,
                                   [torch.as_tensor(b[m]) for b in schedule], opt_name, 0.05)
        for stacked, single, init in zip(params, alone, start):
            assert torch.allclose(stacked[m], single, rtol=1e-10, atol=1e-12)
            moved = max(moved, float((single.detach() - init[m]).abs().max()))
    assert moved > 1e-3  # the models did train


def test_noisy_labels_change_exactly_the_marked_labels():
    from memorize.empirical import noisy_labels

    y = np.arange(100) % 10
    y2, noisy = noisy_labels(y, 0.1, seed=3)
    assert noisy.sum() == 10 and (y2[noisy] != y[noisy]).all() and (y2[~noisy] == y[~noisy]).all()


# -- losses -------------------------------------------------------------------------
def test_symmetric_losses_sum_to_a_constant_over_labels_and_ce_does_not(torch):
    from memorize.empirical.losses import LOSSES, SYMMETRIC, per_example

    logits = torch.randn(7, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0)) * 3
    for name in LOSSES:
        sums = sum(per_example(name, logits, torch.full((7,), j)) for j in range(4))
        constant = torch.allclose(sums, sums[0].expand(7), atol=1e-12)
        assert constant == (name in SYMMETRIC), name
    p = torch.softmax(logits, -1)
    labels = torch.tensor([0, 1, 2, 3, 0, 1, 2])
    assert torch.allclose(per_example("mae", logits, labels), 2 * (1 - p[torch.arange(7), labels]))
    assert torch.allclose(per_example("ce", logits, labels),
                          torch.nn.functional.cross_entropy(logits, labels, reduction="none"))


# -- exact gradients -----------------------------------------------------------------
def _hand_network():
    """f(x1, x2) = relu(x1 + 2 x2 - 1) - 3 relu(u) + x1 / 3, u = relu(x1 - x2) - 1/2 (two hidden layers).

    Layer 1: h1 = relu(x1 + 2 x2 - 1), h2 = relu(x1 - x2), h3 = x1 + 100 - x2... kept as relu(x1 + 100)
    (always active on the points used); layer 2: g1 = relu(h1), g2 = relu(h2 - 1/2), g3 = relu(h3);
    output g1 - 3 g2 + (g3 - 100) / 3.
    """
    l1 = Layer.from_dense([[1, 2], [1, -1], [1, 0]], [-1, 0, 100], "relu")
    l2 = Layer.from_dense([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, Fraction(-1, 2), 0], "relu")
    l3 = Layer.from_dense([[1, -3, Fraction(1, 3)]], [Fraction(-100, 3)], "identity")
    return Network(2, [l1, l2, l3])


def _analytic_gradient(x1, x2):
    g = [Fraction(1, 3), Fraction(0)]  # from (x1 + 100) / 3
    if x1 + 2 * x2 - 1 > 0:
        g = [g[0] + 1, g[1] + 2]
    if x1 - x2 > Fraction(1, 2):  # h2 active and g2 active
        g = [g[0] - 3, g[1] + 3]
    return g


def test_gradient_of_a_hand_built_network_equals_the_analytic_one_exactly():
    net = _hand_network()
    pts = [(Fraction(2), Fraction(1)), (Fraction(0), Fraction(0)), (Fraction(3), Fraction(-1)),
           (Fraction(1, 4), Fraction(3, 4)), (Fraction(-2), Fraction(5)), (Fraction(7, 8), Fraction(-1, 8))]
    X = np.array(pts, dtype=object)
    r = sobolev_seminorm(net, X)
    expected = []
    for x1, x2 in pts:
        g = _analytic_gradient(x1, x2)
        expected.append(g[0] ** 2 + g[1] ** 2)
    assert r.sq_norms == tuple(expected)
    assert all(isinstance(q, Fraction) for q in r.sq_norms)
    assert r.mean_sq == sum(expected) / len(expected) and r.max_sq == max(expected)
    # a pre-activation exactly 0: h1 at (3, -1) and h2 at (0, 0) (real kinks), and g1 = relu(h1)
    # wherever h1 is inactive, (0, 0) and (7/8, -1/8) (0 on a whole region: counted, harmless)
    assert r.kinks == 3


def test_kink_convention_is_relu_prime_zero_and_is_counted():
    # x1 + 2 x2 - 1 = 0 at (1, 0): unit h1 is at its kink; relu'(0) = 0 drops its slope
    net = _hand_network()
    r = sobolev_seminorm(net, np.array([[1.0, 0.0]]))
    assert r.kinks == 1
    g = [Fraction(1, 3) - 3, Fraction(3)]  # h1 inactive; x1 - x2 = 1 > 1/2: g2 active
    assert r.sq_norms == (g[0] ** 2 + g[1] ** 2,)


def test_multi_output_gradients_label_index_and_jacobian():
    net = Network(2, [Layer.from_dense([[1, 0], [0, 1]], [0, 0], "relu"),
                      Layer.from_dense([[2, 0], [0, 5], [1, 1]], [0, 0, 0], "identity")])
    X = np.array([[1.0, 1.0], [1.0, -1.0]])
    assert sobolev_seminorm(net, X, [0, 1]).sq_norms == (4, 0)
    assert sobolev_seminorm(net, X, output=2).sq_norms == (2, 1)
    assert sobolev_seminorm(net, X, output="jacobian").sq_norms == (4 + 25 + 2, 4 + 0 + 1)


def test_exact_gradients_match_torch_autograd_on_random_integer_networks(torch):
    from memorize.export import to_torch

    rng = np.random.default_rng(4)
    for _ in range(5):
        dims = [3, *rng.integers(1, 6, size=rng.integers(1, 4)).tolist(), 1]
        layers = [Layer.from_dense(rng.integers(-3, 4, size=(dims[i + 1], dims[i])),
                                   rng.integers(-3, 4, size=dims[i + 1]),
                                   "relu" if i < len(dims) - 2 else "identity") for i in range(len(dims) - 1)]
        net = Network(3, layers)
        X = rng.integers(-8, 9, size=(20, 3)) / 4  # dyadic points: float64 autograd is exact here
        x = torch.tensor(X, requires_grad=True)
        to_torch(net)(x).sum().backward()
        auto = (x.grad ** 2).sum(1).numpy()
        assert [float(q) for q in sobolev_seminorm(net, X).sq_norms] == auto.tolist()


def test_gradients_beyond_the_float_range_stay_exact_and_json_safe():
    import json

    big = 1 << 700  # slope 2^700: its square 2^1400 is beyond float64
    net = Network(1, [Layer.from_dense([[big]], [0], "identity")])
    r = sobolev_seminorm(net, np.array([[1.0]]))
    assert r.sq_norms == (Fraction(big * big),) and r.rms == float("inf")
    assert r.rms_log10 == pytest.approx(700 * np.log10(2))
    assert json.loads(json.dumps(r.to_dict(), allow_nan=False))["rms"] is None


def test_seminorm_of_a_construction_is_finite_and_its_scale_is_reported():
    X, y = data.random_separated(30, 3, delta=0.05, num_classes=3, seed=0)
    r = sobolev_seminorm(build("relu_two_layer", X, y), X)
    assert r.rms > 0 and np.isfinite(r.rms) and r.sqrt_n == pytest.approx(np.sqrt(30))
    assert not r.assumptions_hold and "not a bound" in r.summary()


# -- bad input ------------------------------------------------------------------------
@pytest.mark.parametrize("kw, error, match", [
    (dict(n_models=1), ArgumentError, "n_models"),
    (dict(subset_fraction=0.0), ArgumentError, "strictly between 0 and 1"),
    (dict(subset_fraction=1.0), ArgumentError, "strictly between 0 and 1"),
    (dict(subset_fraction=1.5), ArgumentError, "strictly between 0 and 1"),
    (dict(subset_fraction=0.001), ArgumentError, "subsets of 0"),
    (dict(num_classes=2), DataError, "cannot output"),
    (dict(X_test=np.zeros((2, 2)), y_test=[0, 5], num_classes=3), DataError, "cannot output"),
    (dict(loss="hinge"), ArgumentError, "unknown loss"),
    (dict(model=(0,)), ArgumentError, "hidden width"),
    (dict(score="f1"), ArgumentError, "unknown score"),
])
def test_memorization_scores_bad_input_is_a_clear_error(kw, error, match):
    from memorize.empirical import memorization_scores

    X, y = _clusters()
    with pytest.raises(error, match=match):
        memorization_scores(X, y, **{"n_models": 4, "epochs": 1, **kw})


def test_capacity_bad_input_is_a_clear_error():
    from memorize.empirical import capacity

    X, y = _clusters()
    with pytest.raises(ArgumentError, match="width"):
        capacity(X, y, widths=[0])
    with pytest.raises(ArgumentError, match="optimizer"):
        capacity(X, y, optimizer="lbfgs")
    with pytest.raises(DataError, match="cannot output"):
        capacity(X, y, num_classes=2)


def test_seminorm_refuses_step_units_and_bad_outputs():
    X, y = data.random_separated(20, 2, delta=0.05, num_classes=2, seed=0)
    with pytest.raises(NetworkError, match="step"):
        sobolev_seminorm(build("threshold_one_hidden", X, y), X)
    net = Network(2, [Layer.from_dense([[1, 0], [0, 1]], [0, 0], "identity")])
    with pytest.raises(ArgumentError, match="pass y"):
        sobolev_seminorm(net, X)
    with pytest.raises(ArgumentError, match="not an output"):
        sobolev_seminorm(net, X, output=2)
    with pytest.raises(DataError, match="cannot output"):
        sobolev_seminorm(net, X, np.full(20, 2))
    with pytest.raises(DataError, match="dimension"):
        sobolev_seminorm(net, np.zeros((3, 5)))


# -- capacity -------------------------------------------------------------------------
def test_capacity_confirms_the_smallest_network_exactly(torch):
    from memorize import verify
    from memorize.empirical import capacity

    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    r = capacity(X, y, widths=(1, 8), budget=200, constructions=["relu_two_layer"])
    best = r.smallest[1]
    assert best is not None and best["width"] == 8 and best["exact_ok"] and best["exact_correct"] == 4
    assert r.rows[0]["width"] == 1 and not r.rows[0]["exact_ok"]  # one ReLU cannot fit XOR
    assert verify.verify(r.networks[1], X, y, output="argmax").ok  # on the raw, unstandardized X
    assert r.constructions[0]["name"] == "relu_two_layer" and r.constructions[0]["ok"]


# -- import and CLI ---------------------------------------------------------------------
def test_import_memorize_does_not_import_torch():
    code = "import sys, memorize, memorize.empirical, memorize.cli; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.fixture
def datafile(tmp_path):
    X, y = data.random_separated(40, 3, 0.05, num_classes=3, seed=0)
    path = tmp_path / "d.npz"
    np.savez(path, X=X, y=y)
    return path


@pytest.mark.parametrize("argv, match", [
    (["empirical", "scores", "--data", "D", "--models", "1"], "n_models"),
    (["empirical", "scores", "--data", "D", "--fraction", "1.5"], "subset_fraction"),
    (["empirical", "scores", "--data", "D", "--loss", "hinge"], "invalid choice"),
    (["empirical", "scores"], "give a data set"),
    (["empirical", "capacity", "--data", "D", "--widths", "0"], "width"),
    (["empirical", "seminorm", "NET", "--data", "D"], "step"),
])
def test_cli_bad_input_exits_2_with_one_line(tmp_path, datafile, capsys, argv, match):
    X, y = data.random_separated(20, 3, 0.05, num_classes=2, seed=0)
    from memorize import formats

    formats.save(build("threshold_one_hidden", X, y), tmp_path / "t.json")
    argv = [str(datafile) if a == "D" else str(tmp_path / "t.json") if a == "NET" else a for a in argv]
    assert _run(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and match in err


def test_cli_seminorm_and_scores_run(tmp_path, datafile, capsys):
    net = tmp_path / "n.json"
    assert _run(["build", "relu_two_layer", "--data", str(datafile), "--out", str(net), "--quiet"]) == 0
    capsys.readouterr()
    assert _run(["empirical", "seminorm", str(net), "--data", str(datafile)]) == 0
    assert "RMS ||grad f||" in capsys.readouterr().out
    pytest.importorskip("matplotlib")
    png = tmp_path / "g.png"
    assert _run(["empirical", "seminorm", str(net), "--data", str(datafile), "--plot", str(png), "--quiet"]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pytest.importorskip("torch")
    out = tmp_path / "s.npz"
    assert _run(["empirical", "scores", "--data", str(datafile), "--models", "3", "--epochs", "1",
                 "--noise", "0.1", "--out", str(out), "--quiet"]) == 0
    saved = np.load(out)
    assert saved["scores"].shape == (40,) and saved["noisy"].sum() == 4
