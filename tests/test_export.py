"""Export to torch and back: exact round trips, honest warnings, clear errors."""

from __future__ import annotations

import sys
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memorize import build, verify
from memorize.errors import MemorizeError, NetworkError
from memorize.extras import MissingExtraError
from memorize.floatformats import is_representable
from memorize.network import Layer, Network


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason="export tests need the optional extra memorize[torch]")


@st.composite
def dyadic_networks(draw, max_bits: int):
    """Random small networks whose weights are k / 2^j with |k| < 2^max_bits."""
    d = draw(st.integers(1, 4))
    dims = [d] + draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
    weight = st.builds(lambda k, j: Fraction(k, 1 << j),
                       st.integers(-(1 << max_bits) + 1, (1 << max_bits) - 1), st.integers(0, 20))
    layers = []
    for i in range(1, len(dims)):
        n_in, n_out = dims[i - 1], dims[i]
        w = draw(st.lists(st.one_of(st.just(0), weight), min_size=n_in * n_out, max_size=n_in * n_out))
        b = draw(st.lists(st.one_of(st.just(0), weight), min_size=n_out, max_size=n_out))
        act = draw(st.sampled_from(["relu", "step", "identity"]))
        layers.append(Layer.from_dense(np.array(w, dtype=object).reshape(n_out, n_in), b, act))
    return Network(d, layers)


@settings(max_examples=30, deadline=None)
@given(net=dyadic_networks(max_bits=24), dtype=st.sampled_from(["float64", "float32"]))
def test_round_trip_is_exact_when_weights_fit(torch, net, dtype):
    from memorize.export import from_torch, to_torch

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no InexactWeightsWarning may be raised
        module = to_torch(net, getattr(torch, dtype))
    assert all(p.dtype == getattr(torch, dtype) for p in module.parameters())
    assert from_torch(module) == net


def _grid_data(seed: int, n: int = 30, d: int = 3):
    rng = np.random.default_rng(seed)
    X = np.unique(rng.integers(-8, 9, size=(n, d)).astype(float), axis=0)
    return X, rng.integers(0, 5, size=len(X))


@pytest.mark.parametrize("seed", [0, 1])
def test_exported_construction_outputs_labels_in_float64(torch, seed):
    from memorize.export import from_torch, to_torch

    X, y = _grid_data(seed)
    net = build("relu_two_layer", X, y, seed=seed)
    # Integer data keep the construction's weights small, so float64 holds them exactly.
    assert all(is_representable(v, "float64") for layer in net.layers for v in layer.values + layer.bias)
    module = to_torch(net)
    out = module(torch.tensor(X)).detach().numpy()[:, 0]
    assert np.array_equal(out, y)
    assert verify.is_memorizing(from_torch(module), X, y)


def _wide_weight_network():
    """relu((2^60 + 1) x) - relu(2^60 x) = x for x >= 0; 2^60 + 1 needs 61 significand bits."""
    big = 1 << 60
    hidden = Layer.from_dense([[big + 1], [big]], [0, 0], "relu")
    out = Layer.from_dense([[1, -1]], [0], "identity")
    return Network(1, (hidden, out))


def test_inexact_weights_warn_and_round_to_nearest(torch):
    from memorize.export import InexactWeightsWarning, from_torch, to_torch

    net = _wide_weight_network()
    with pytest.warns(InexactWeightsWarning, match=r"1 of 7 .* float64 .* up to 61 significand bits"):
        module = to_torch(net)
    back = from_torch(module)
    assert back != net
    assert back.layers[0].values[0] == 1 << 60  # 2^60 + 1 rounds to the even neighbour 2^60
    X = np.arange(5, dtype=float).reshape(-1, 1)
    assert not verify.is_memorizing(back, X, np.arange(5))
    assert verify.is_memorizing(net, X, np.arange(5))


def test_warning_names_non_dyadic_and_overflowing_weights(torch):
    from memorize.export import InexactWeightsWarning, to_torch

    net = Network(1, (Layer.from_dense([[Fraction(1, 3)], [1 << 1100]], [0, 0], "relu"),))
    with pytest.warns(InexactWeightsWarning, match="1 are not dyadic.*1 exceed the largest float64"):
        module = to_torch(net)
    assert torch.isinf(module[0].weight[1, 0])


def test_step_module_is_the_threshold_unit(torch):
    from memorize.export import Step, to_torch

    z = torch.tensor([-1.0, -1e-300, 0.0, -0.0, 1e-300, 2.0], dtype=torch.float64)
    assert Step()(z).tolist() == [0.0, 0.0, 1.0, 1.0, 1.0, 1.0]
    net = Network(2, (Layer.from_dense([[1, -1], [2, 1]], [0, -3], "step"),
                      Layer.from_dense([[1, 2]], [0], "identity")))
    X = np.array([[0.0, 0.0], [1.0, 2.0], [3.0, 1.0], [-1.0, 0.5]])
    exact = [float(v) for v in verify.evaluate(net, X).output(0)]
    assert to_torch(net)(torch.tensor(X))[:, 0].tolist() == exact


def test_from_torch_reads_nested_identity_flatten_and_no_bias(torch):
    from memorize.export import Step, from_torch

    nn = torch.nn
    lin1 = nn.Linear(3, 2, bias=False, dtype=torch.float64)
    lin2 = nn.Linear(2, 1, dtype=torch.float32)
    module = nn.Sequential(nn.Flatten(), nn.Sequential(lin1, Step()), nn.Identity(), lin2)
    net = from_torch(module)
    assert [layer.activation for layer in net.layers] == ["step", "identity"]
    assert net.layers[0].bias == (0, 0)
    assert np.array_equal(net.layers[0].dense().astype(float), lin1.weight.detach().numpy())
    assert all(Fraction(float(v)) == v for v in net.layers[1].values)  # floats kept exactly
    x = torch.randn(4, 3, dtype=torch.float64)
    exact = [float(v) for v in verify.evaluate(net, x.numpy()).output(0)]
    ref = lin2(Step()(lin1(x)).float())[:, 0].double()
    assert np.allclose(exact, ref.detach().numpy())


@pytest.mark.parametrize("modules, match", [
    (lambda nn: [nn.Linear(2, 2), nn.Tanh()], "Tanh"),
    (lambda nn: [nn.ReLU(), nn.Linear(2, 1)], "does not directly follow a Linear"),
    (lambda nn: [nn.Linear(2, 2), nn.ReLU(), nn.ReLU()], "does not directly follow a Linear"),
    (lambda nn: [nn.Flatten(0)], "Flatten"),
    (lambda nn: [nn.Identity()], "no Linear layer"),
    (lambda nn: [nn.Linear(2, 3), nn.Linear(2, 1)], "expects 2 inputs"),
])
def test_from_torch_rejects_what_it_cannot_convert(torch, modules, match):
    from memorize.export import from_torch

    with pytest.raises(NetworkError, match=match):
        from_torch(torch.nn.Sequential(*modules(torch.nn)))


def test_from_torch_rejects_non_finite_weights(torch):
    from memorize.export import from_torch

    lin = torch.nn.Linear(2, 1)
    with torch.no_grad():
        lin.weight[0, 0] = float("nan")
    with pytest.raises(NetworkError, match="non-finite"):
        from_torch(torch.nn.Sequential(lin))


def test_to_torch_refuses_large_networks_and_bad_dtypes(torch):
    from memorize.export import to_torch

    net = Network(10, (Layer.from_entries(10, 100, [(0, 0, 1)], None, "relu"),))
    with pytest.raises(NetworkError, match="1100 parameters.*max_params=1000"):
        to_torch(net, max_params=1000)
    with pytest.raises(NetworkError, match="not supported"):
        to_torch(net, torch.int64)
    assert to_torch(net, "float32")[0].weight.dtype == torch.float32


def test_without_torch_the_error_names_the_extra(monkeypatch):
    from memorize import export

    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    net = Network(1, (Layer.from_dense([[1]], [0], "identity"),))
    for call in (lambda: export.to_torch(net), lambda: export.from_torch(object())):
        with pytest.raises(MissingExtraError, match=r"pip install 'memorize\[torch\]'") as info:
            call()
        assert isinstance(info.value, MemorizeError)
