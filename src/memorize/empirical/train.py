"""Many small ReLU MLPs trained at once, with stacked parameters (torch).

A stack of ``M`` MLPs with the same architecture ``d -> h_1 -> ... -> h_k -> C``
holds each layer's weights as one tensor of shape ``(M, out, in)``. The
forward pass is a batched matrix product (``torch.bmm``), the loss is the
sum over models of each model's mean loss on its own minibatch, so the
gradient of a model's weights is that model's gradient alone, and Adam and SGD
(elementwise updates) update each model exactly as if it were trained alone.
:func:`train_stack` is the loop; the test suite checks it against training the
same models one by one.

Data and validation helpers shared by :mod:`memorize.empirical.scores` and
:mod:`memorize.empirical.capacity` live here too.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from memorize.data import _labels, points
from memorize.empirical.losses import check_loss, per_example
from memorize.errors import ArgumentError, DataError
from memorize.extras import require
from memorize.seeds import check_seed

OPTIMIZERS = ("adam", "sgd")


def torch_module(feature: str):
    """torch, or :class:`~memorize.extras.MissingExtraError` naming ``memorize[torch]``."""
    return require("torch", "torch", feature)


# -- argument checks -----------------------------------------------------------
def check_int(value, name: str, minimum: int, maximum: int | None = None) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ArgumentError(f"{name} must be an integer, got {value!r:.40}")
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise ArgumentError(f"{name} must be at least {minimum}{upper}, got {value}")
    return int(value)


def check_positive(value, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not (
            math.isfinite(value) and value > 0):
        raise ArgumentError(f"{name} must be a positive finite number, got {value!r:.40}")
    return float(value)


def check_hidden(model) -> tuple[int, ...]:
    """``model``: hidden widths, an int (one hidden layer) or a tuple of ints (``()``: linear)."""
    if isinstance(model, numbers.Integral) and not isinstance(model, (bool, np.bool_)):
        model = (model,)
    if not isinstance(model, (tuple, list)):
        raise ArgumentError(f"model must be the hidden layer widths, an int or a tuple of ints such as "
                            f"(64,), got {model!r:.60}")
    return tuple(check_int(w, "each hidden width", 1, 1 << 20) for w in model)


def check_optimizer(name) -> str:
    if name not in OPTIMIZERS:
        raise ArgumentError(f"unknown optimizer {name!r}; use one of {', '.join(OPTIMIZERS)}")
    return name


def check_device(torch, device):
    try:
        dev = torch.device(device)
        torch.empty(1, device=dev)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise ArgumentError(f"device {device!r} is not usable here ({' '.join(str(exc).split())[:120]}); "
                            "use device='cpu' or an available accelerator such as 'cuda'") from None
    return dev


def float_points(X, name: str = "X") -> np.ndarray:
    """``X`` checked (2-D, finite, numbers) and converted to float64 for training."""
    try:
        X = points(X)
    except DataError as exc:
        raise DataError(f"{name}: {exc}") from None
    return np.asarray(X, dtype=np.float64) if X.dtype == object else X


def class_labels(y, n: int, num_classes: int | None, name: str = "y") -> np.ndarray:
    """Labels checked against the model's outputs (``num_classes`` of them)."""
    try:
        y = _labels(y, n)
    except DataError as exc:
        raise DataError(f"{name}: {exc}") from None
    if num_classes is not None and len(y) and y.max() >= num_classes:
        k = int(np.argmax(y >= num_classes))
        raise DataError(f"{name}[{k}] = {y[k]} is a label the model cannot output: it has "
                        f"{num_classes} outputs (labels 0..{num_classes - 1}); pass num_classes >= "
                        f"{int(y.max()) + 1} or renumber the labels")
    return y


def standardizer(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and standard deviation of ``X`` (float64; a zero deviation becomes 1)."""
    std = X.std(axis=0)
    return X.mean(axis=0), np.where(std > 0, std, 1.0)


def resolve_classes(num_classes, *label_arrays) -> int:
    if num_classes is None:
        return int(max(int(a.max()) for a in label_arrays if len(a))) + 1
    return check_int(num_classes, "num_classes", 1, 1 << 20)


def rng_and_torch_seed(seed) -> tuple[np.random.Generator, int]:
    """A numpy Generator for subsets and batches, and an int seed for the torch initialisation."""
    seed = check_seed(seed, ArgumentError)
    if seed is None:
        seed = 0
    rng = np.random.default_rng(seed)
    return rng, int(rng.integers(0, 1 << 62))


class torch_threads:
    """Context manager: torch's intra-op CPU threads set to ``n`` inside, restored after (None: unchanged)."""

    def __init__(self, torch, n):
        self.torch, self.n, self.old = torch, n, None

    def __enter__(self):
        if self.n is not None:
            self.old = self.torch.get_num_threads()
            self.torch.set_num_threads(self.n)
        return self

    def __exit__(self, *exc):
        if self.old is not None:
            self.torch.set_num_threads(self.old)
        return False


def check_threads(threads):
    return None if threads is None else check_int(threads, "threads", 1, 1 << 12)


# -- the stacked MLP -------------------------------------------------------------
def layer_dims(d: int, hidden: tuple[int, ...], num_classes: int) -> list[tuple[int, int]]:
    dims = [d, *hidden, num_classes]
    return [(dims[i], dims[i + 1]) for i in range(len(dims) - 1)]


def init_stack(torch, dims, n_models: int, torch_seed: int, dtype, device):
    """Parameters of ``n_models`` MLPs, as ``nn.Linear`` initialises them: U(-1/sqrt(in), 1/sqrt(in)).

    Drawn on the CPU from one seeded generator (so a seed gives the same models
    on every device), then moved to ``device``; model ``m``'s tensors are slice ``m``.
    """
    gen = torch.Generator().manual_seed(torch_seed)
    params = []
    for n_in, n_out in dims:
        bound = 1 / math.sqrt(n_in)
        W = (torch.rand(n_models, n_out, n_in, generator=gen, dtype=torch.float64) * 2 - 1) * bound
        b = (torch.rand(n_models, n_out, generator=gen, dtype=torch.float64) * 2 - 1) * bound
        params += [W.to(dtype=dtype, device=device).requires_grad_(),
                   b.to(dtype=dtype, device=device).requires_grad_()]
    return params


def forward(torch, params, x):
    """Logits of every model: ``x`` is ``(M, B, d)`` (or ``(B, d)``, shared); returns ``(M, B, C)``."""
    M = params[0].shape[0]
    h = x if x.dim() == 3 else x.unsqueeze(0).expand(M, -1, -1)
    n_layers = len(params) // 2
    for i in range(n_layers):
        W, b = params[2 * i], params[2 * i + 1]
        h = torch.bmm(h, W.transpose(1, 2)) + b.unsqueeze(1)
        if i < n_layers - 1:
            h = torch.relu(h)
    return h


def make_optimizer(torch, params, name: str, lr: float, momentum: float = 0.9, weight_decay: float = 0.0):
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)


def epoch_batches(rng: np.random.Generator, subsets: np.ndarray, batch_size: int):
    """One epoch's minibatches: each model's own subset in its own random order, cut in batches.

    ``subsets`` is ``(M, k)``; yields index arrays of shape ``(M, b)`` (``b <= batch_size``).
    """
    order = np.stack([rng.permutation(k_row) for k_row in subsets]) if len(subsets) else subsets
    for start in range(0, subsets.shape[1], batch_size):
        yield order[:, start:start + batch_size]


def train_stack(torch, params, X, Y, schedule, *, loss: str, optimizer) -> None:
    """Run the optimizer over ``schedule`` (index arrays ``(M, b)``) on ``X`` ``(N, d)``, ``Y`` ``(N,)``.

    Each step: model ``m`` sees rows ``idx[m]``; the loss is the sum over models of
    their mean per-example loss, so each model's gradient is its own.
    """
    for idx in schedule:
        it = torch.as_tensor(idx, device=X.device)
        logits = forward(torch, params, X[it])
        optimizer.zero_grad(set_to_none=True)
        per_example(loss, logits, Y[it]).mean(dim=1).sum().backward()
        optimizer.step()


def check_common(loss, optimizer) -> tuple[str, str]:
    return check_loss(loss), check_optimizer(optimizer)
