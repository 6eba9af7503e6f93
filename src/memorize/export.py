"""Exact networks to and from PyTorch ``nn.Sequential`` modules.

:func:`to_torch` writes a :class:`~memorize.network.Network` as a sequence of
``nn.Linear`` layers, each followed by ``nn.ReLU``, by :class:`Step` (the
threshold unit ``H(z) = 1 iff z >= 0``) or by nothing (an identity layer).
Each weight is rounded to the nearest number of the chosen dtype (ties to
even, computed exactly); when that changes any weight a
:class:`InexactWeightsWarning` says how many and how many significand bits
they need. float64 holds integers up to ``2^53`` exactly; many constructions
use far larger weights, so their float export is not the exact network
(:func:`memorize.verify.float_safety.float_safety` measures what that costs).

:func:`from_torch` reads such a Sequential back. Every float weight is the
exact dyadic rational it denotes, so ``from_torch(to_torch(net)) == net``
whenever every weight of ``net`` is representable in the dtype.

``nn.Linear`` stores its weight densely: ``to_torch`` allocates every one of
``network.num_params`` parameters, zeros included, and refuses networks with
more than :data:`MAX_DENSE_PARAMS` (pass ``max_params`` to raise the limit).

torch is the optional extra ``memorize[torch]``; it is imported only when
these functions run. ``Step`` is created on first access for the same reason.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from memorize.errors import NetworkError
from memorize.extras import require
from memorize.floatformats import get_format, round_to, significand_bits
from memorize.network import Layer, Network

__all__ = ["MAX_DENSE_PARAMS", "InexactWeightsWarning", "Step", "from_torch", "to_torch"]

#: The largest ``num_params`` :func:`to_torch` converts by default: 5e7 dense
#: parameters are 400 MB in float64 (200 MB in float32).
MAX_DENSE_PARAMS = 50_000_000

_DTYPES = ("float64", "float32", "float16", "bfloat16")


class InexactWeightsWarning(UserWarning):
    """Some weights were rounded on export: the float module is not the exact network."""


def _torch():
    return require("torch", "torch", "memorize.export (conversion to and from PyTorch)")


_step_class = None


def _step():
    global _step_class
    if _step_class is None:
        torch = _torch()

        class Step(torch.nn.Module):
            """The threshold unit ``H(z) = 1 if z >= 0 else 0``, elementwise, in ``z``'s dtype."""

            def forward(self, z):
                return (z >= 0).to(z.dtype)

        Step.__module__, Step.__qualname__ = __name__, "Step"
        _step_class = Step
    return _step_class


def __getattr__(name):
    # Step subclasses torch.nn.Module, so it exists only once torch is imported.
    if name == "Step":
        return _step()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _torch_dtype(torch, dtype):
    name = "float64" if dtype is None else str(dtype).removeprefix("torch.")
    if name not in _DTYPES:
        raise NetworkError(f"dtype {dtype!r} is not supported; use one of torch.{', torch.'.join(_DTYPES)}")
    return getattr(torch, name)


class _Rounding:
    """Counts, over a network's parameters, what rounding to one format changed."""

    def __init__(self, fmt):
        self.fmt = fmt
        self.inexact = self.overflow = self.not_dyadic = 0
        self.max_bits = 0

    def __call__(self, value) -> float:
        r = round_to(value, self.fmt)
        if r == value:
            return float(value)
        self.inexact += 1
        sb = significand_bits(value)
        if sb is None:
            self.not_dyadic += 1
        else:
            self.max_bits = max(self.max_bits, sb)
        if r is None:
            self.overflow += 1
            return math.inf if value > 0 else -math.inf
        return float(r)

    def message(self, network: Network) -> str:
        parts = [
            f"{self.inexact} of {network.num_params} weights and biases are not exactly representable in "
            f"{self.fmt.name} ({self.fmt.significand_bits} significand bits)"
        ]
        if self.max_bits:
            parts.append(f"the dyadic ones need up to {self.max_bits} significand bits")
        if self.not_dyadic:
            parts.append(f"{self.not_dyadic} are not dyadic (no finite binary expansion)")
        if self.overflow:
            parts.append(f"{self.overflow} exceed the largest {self.fmt.name} and become +-inf")
        return (
            "; ".join(parts)
            + f" (the network's max_bits is {network.max_bits}). They were rounded to nearest, "
            "so the module's outputs can differ from the exact network's; measure it with "
            "memorize.verify.float_safety.float_safety"
        )


def to_torch(network: Network, dtype=None, *, max_params: int = MAX_DENSE_PARAMS):
    """``network`` as a ``torch.nn.Sequential`` of Linear, ReLU and :class:`Step` modules.

    Parameters
    ----------
    network : Network
    dtype : a torch float dtype or its name (default ``torch.float64``)
    max_params : refuse networks with more (dense) parameters than this

    Warns
    -----
    InexactWeightsWarning
        if some weights are not exactly representable in ``dtype`` (they are
        rounded to nearest; the warning says how many and the bits they need).

    Raises
    ------
    MissingExtraError
        if torch is not installed (``pip install 'memorize[torch]'``).
    NetworkError
        if ``network.num_params > max_params`` or ``dtype`` is not a float type.
    """
    torch = _torch()
    if not isinstance(network, Network):
        raise NetworkError(f"to_torch needs a memorize Network, got {type(network).__name__}")
    dtype = _torch_dtype(torch, dtype)
    if network.num_params > max_params:
        raise NetworkError(
            f"the network has {network.num_params} parameters; torch.nn.Linear stores them densely "
            f"({network.num_params * torch.finfo(dtype).bits // 8 / 1e6:.0f} MB in {dtype}), "
            f"above the limit max_params={max_params}; pass a larger max_params if you have the memory"
        )
    rounding = _Rounding(get_format(dtype))
    Step = _step()
    modules = []
    for layer in network.layers:
        w = np.zeros((layer.out_dim, layer.in_dim), dtype=np.float64)
        w[layer.rows, layer.cols] = [rounding(v) for v in layer.values]
        b = np.array([rounding(v) for v in layer.bias], dtype=np.float64)
        linear = torch.nn.utils.skip_init(torch.nn.Linear, layer.in_dim, layer.out_dim, dtype=dtype)
        # Every rounded value is exact in float64, so the conversion to dtype changes none.
        linear.weight = torch.nn.Parameter(torch.from_numpy(w).to(dtype))
        linear.bias = torch.nn.Parameter(torch.from_numpy(b).to(dtype))
        modules.append(linear)
        if layer.activation == "relu":
            modules.append(torch.nn.ReLU())
        elif layer.activation == "step":
            modules.append(Step())
    if rounding.inexact:
        warnings.warn(rounding.message(network), InexactWeightsWarning, stacklevel=2)
    return torch.nn.Sequential(*modules)


def _modules(module, torch):
    if isinstance(module, torch.nn.Sequential):
        for m in module:
            yield from _modules(m, torch)
    else:
        yield module


def _exact_layer(linear, activation: str, position: int) -> Layer:
    # Every float dtype torch offers for Linear widens to float64 exactly.
    w = linear.weight.detach().cpu().double().numpy()
    if linear.bias is None:
        b = np.zeros(linear.out_features)
    else:
        b = linear.bias.detach().cpu().double().numpy()
    if not (np.all(np.isfinite(w)) and np.all(np.isfinite(b))):
        raise NetworkError(f"module {position} ({linear!r}) has a non-finite weight or bias; "
                           "an exact network needs finite weights")
    rows, cols = np.nonzero(w)
    entries = zip(rows.tolist(), cols.tolist(), w[rows, cols].tolist())
    return Layer.from_entries(linear.in_features, linear.out_features, entries, b.tolist(), activation)


def from_torch(module) -> Network:
    """The exact :class:`Network` computed by a Sequential of Linear, ReLU and :class:`Step` modules.

    Each float weight becomes the exact dyadic rational it denotes. Nested
    Sequentials are flattened; ``nn.Identity`` and ``nn.Flatten()`` (which do
    nothing to a batch of vectors) are skipped. Each ReLU or Step must follow a
    Linear directly; a Linear with no activation after it is an identity layer.

    Raises
    ------
    MissingExtraError
        if torch is not installed (``pip install 'memorize[torch]'``).
    NetworkError
        naming the module, for any other module, an activation that does not
        follow a Linear, mismatched layer sizes or a non-finite weight.
    """
    torch = _torch()
    nn = torch.nn
    Step = _step()
    if not isinstance(module, nn.Module):
        raise NetworkError(f"from_torch needs a torch.nn.Module, got {type(module).__name__}")
    layers = []
    pending = None  # (position, Linear) awaiting its activation
    for pos, m in enumerate(_modules(module, torch)):
        if isinstance(m, nn.Linear):
            if pending is not None:
                layers.append(_exact_layer(pending[1], "identity", pending[0]))
            pending = (pos, m)
        elif isinstance(m, (nn.ReLU, Step)):
            if pending is None:
                raise NetworkError(
                    f"module {pos} ({m!r}) is an activation that does not directly follow a Linear; "
                    "memorize layers are Linear followed by at most one ReLU or Step"
                )
            layers.append(_exact_layer(pending[1], "relu" if isinstance(m, nn.ReLU) else "step",
                                       pending[0]))
            pending = None
        elif isinstance(m, nn.Identity):
            continue
        elif isinstance(m, nn.Flatten) and m.start_dim == 1 and m.end_dim == -1:
            continue
        else:
            raise NetworkError(
                f"module {pos} is {type(m).__name__} ({m!r}), which memorize cannot convert; "
                "supported modules: Linear, ReLU, memorize.export.Step, Identity, Flatten()"
            )
    if pending is not None:
        layers.append(_exact_layer(pending[1], "identity", pending[0]))
    if not layers:
        raise NetworkError("the module contains no Linear layer; there is no network to convert")
    return Network(layers[0].in_dim, layers, {"construction": "from_torch",
                                                "source": type(module).__name__})
