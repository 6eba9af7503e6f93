"""How a network fares in floating point, and why; the fewest fractional bits it needs.

:func:`float_safety` evaluates a network in each float dtype (with numpy and,
when installed, with the module :func:`memorize.export.to_torch` builds) and
compares every output with the exact one. A point is *float-exact* when the
float output equals the exact network's output. Every other point gets the
first reason that applies, each established in exact arithmetic:

1. ``representation``: rounding the weights, biases and inputs to the dtype
   already changes the output, even evaluated exactly (the exact evaluation of
   the rounded network on the rounded inputs differs from the exact output).
   A weight beyond the dtype's range counts here too: it becomes ``+-inf`` in
   the float evaluation, and a network with an infinite weight has no exact
   evaluation to compare with (its rows carry no step margin either).
2. ``step_flip``: a step unit's float output differs from its exact output in
   the rounded network (its pre-activation is closer to 0 than the float
   error accumulated so far: a margin below the dtype's resolution).
3. ``rounding``: no step unit flipped, so the error is accumulated rounding
   or cancellation in the ReLU/identity arithmetic.

To find step flips the network is cut after each step layer: step outputs are
0 or 1, floats that feed the next segment exactly, so the exact activations of
every step layer cost one exact evaluation in total, run in lockstep with the
float evaluations (only the current segment's activations are kept).

numpy evaluates float64, float32 and float16 (float16 values summed in float32
and rounded once per layer, see :func:`memorize.verify.evaluate_float`); torch
also evaluates bfloat16. Both round every weight once to the nearest number of
the dtype, deciding an overflow (``+-inf``) from the exact weight.

:mod:`memorize.verify.precision` finds the fewest fractional bits a network needs.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from memorize.data import validate
from memorize.errors import DataError, MemorizeError
from memorize.floatformats import get_format, round_to, significand_bits
from memorize.network import Layer, Network
from memorize.verify.exact import evaluate
from memorize.verify.floats import evaluate_float

__all__ = ["DtypeSafety", "FloatSafetyReport", "float_safety"]

_NUMPY_DTYPES = ("float64", "float32", "float16")


@dataclass
class DtypeSafety:
    """Float evaluation in one dtype with one backend, against the exact outputs.

    ``min_step_margin`` is the smallest ``|pre-activation|`` of a step unit in the
    network rounded to ``dtype``, exactly; ``None`` when there is no step unit or
    when ``params_overflow > 0`` (an infinite weight has no exact margin).
    """

    backend: str
    dtype: str
    n_points: int
    n_exact: int
    failed_representation: int
    failed_step_flip: int
    failed_rounding: int
    params_inexact: int
    params_overflow: int
    inputs_inexact: int
    min_step_margin: Fraction | None

    @property
    def fraction_exact(self) -> float:
        return self.n_exact / self.n_points


@dataclass
class FloatSafetyReport:
    """Result of :func:`float_safety`: one :class:`DtypeSafety` per (backend, dtype)."""

    n_points: int
    n_memorized: int
    max_bits: int
    significand_bits: int | None
    results: list[DtypeSafety] = field(default_factory=list)

    def result(self, dtype: str, backend: str = "numpy") -> DtypeSafety:
        for r in self.results:
            if (r.dtype, r.backend) == (dtype, backend):
                return r
        raise KeyError(f"no result for {backend} {dtype}")

    def summary(self) -> str:
        sig = "not dyadic (no finite binary expansion)" if self.significand_bits is None \
            else f"{self.significand_bits} significand bits"
        lines = [
            f"{self.n_points} points, exact network memorizes {self.n_memorized}; "
            f"weights need {sig} (max_bits {self.max_bits})",
            f"{'backend':8} {'dtype':9} {'float=exact':>13} {'repr':>6} {'step':>6} {'round':>6} "
            f"{'w inexact':>9} {'x inexact':>9}  min step margin",
        ]
        for r in self.results:
            if r.params_overflow:  # no exact rounded network, so no margin
                margin = f"- ({r.params_overflow} overflow to inf)"
            else:
                margin = "-" if r.min_step_margin is None else f"{float(r.min_step_margin):.3g}"
            lines.append(
                f"{r.backend:8} {r.dtype:9} {f'{r.n_exact}/{r.n_points}':>13} "
                f"{r.failed_representation:>6} {r.failed_step_flip:>6} {r.failed_rounding:>6} "
                f"{r.params_inexact:>9} {r.inputs_inexact:>9}  {margin}"
            )
        lines.append("failure reasons: repr = weights/inputs not representable (wrong even in exact "
                     "arithmetic), step = a step unit flipped (margin below resolution), "
                     "round = accumulated rounding/cancellation")
        return "\n".join(lines)


# -- rounding a network to a float format ---------------------------------------

def _round_layer(layer: Layer, fmt) -> tuple[Layer | None, int, int]:
    changed = overflow = 0

    def rnd(v):
        nonlocal changed, overflow
        r = round_to(v, fmt)
        if r is None:
            overflow += 1
            changed += 1
            return None  # the layer is discarded below
        if r != v:
            changed += 1
        return r

    values = tuple(rnd(v) for v in layer.values)
    bias = tuple(rnd(v) for v in layer.bias)
    if not changed:
        return layer, 0, 0
    if overflow:
        return None, changed, overflow
    entries = zip(layer.rows.tolist(), layer.cols.tolist(), values)
    return Layer.from_entries(layer.in_dim, layer.out_dim, entries, bias, layer.activation), changed, overflow


def _round_network(net: Network, fmt) -> tuple[Network | None, int, int]:
    """``net`` with every weight and bias rounded to ``fmt`` exactly, the number changed and
    the number that overflow; the network is ``None`` when one overflows (it would be
    ``+-inf``, which no exact network holds)."""
    layers, changed, overflow = [], 0, 0
    for layer in net.layers:
        lr, c, o = _round_layer(layer, fmt)
        layers.append(lr)
        changed += c
        overflow += o
    return (Network(net.input_dim, layers, net.meta) if not overflow else None), changed, overflow


def _segments(net: Network) -> list[Network]:
    """``net`` cut after every step layer (the cuts carry 0/1 values, exact in any float)."""
    out, start = [], 0
    for i, layer in enumerate(net.layers):
        if layer.activation == "step" or i == len(net.layers) - 1:
            out.append(Network(net.layers[start].in_dim, net.layers[start:i + 1]))
            start = i + 1
    return out


# -- exact and float evaluation by segments -------------------------------------

@dataclass
class _Lockstep:
    """The rounded network evaluated exactly and by each float backend, segment by segment."""

    output: np.ndarray | None  # exact final outputs (ints) over ``scale``; None: no exact network
    scale: int
    min_step_margin: Fraction | None
    floats: list[np.ndarray]  # each backend's float outputs
    flipped: list[np.ndarray]  # per backend and point: did any step unit differ from the exact?


def _lockstep(segments: list[Network] | None, n_segments: int, X: np.ndarray, runs) -> _Lockstep:
    """Run the float backends over ``n_segments`` segments beside the exact rounded
    ``segments`` (``None`` when a weight overflowed: then the floats run alone)."""
    # Only the current segment's activations are held, so deep networks cost no extra memory.
    exact_in, float_in = X, [X] * len(runs)
    flipped = [np.zeros(X.shape[0], dtype=bool) for _ in runs]
    margin = ev = None
    for k in range(n_segments):
        float_in = [run(k, a) for run, a in zip(runs, float_in)]
        if segments is None:
            continue
        ev = evaluate(segments[k], exact_in)
        if ev.min_step_margin is not None:
            margin = ev.min_step_margin if margin is None else min(margin, ev.min_step_margin)
        if k < n_segments - 1:
            exact_in = np.stack([o.astype(np.float64) for o in ev.outputs], axis=1)
            for flip, a in zip(flipped, float_in):
                flip |= np.any(a != exact_in, axis=1)
    return _Lockstep(None if ev is None else ev.outputs[0].astype(object),
                     1 if ev is None else ev.scale, margin, [a[:, 0] for a in float_in], flipped)


def _numpy_segments(segments, dtype):
    def run(k, a):
        return evaluate_float(segments[k], a, dtype=np.dtype(dtype).type)
    return run


def _torch_segments(segments, dtype):
    import torch

    from memorize.export import to_torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        modules = [to_torch(s, getattr(torch, dtype)) for s in segments]

    def run(k, a):
        x = torch.as_tensor(np.asarray(a, dtype=np.float64)).to(getattr(torch, dtype))
        size = max(1, (1 << 23) // max(1, segments[k].width))
        with torch.no_grad():
            parts = [modules[k](x[i:i + size]) for i in range(0, x.shape[0], size)]
        return torch.cat(parts).to(torch.float64).numpy()
    return run


def _equals_exact(f: np.ndarray, out: np.ndarray, scale: int) -> np.ndarray:
    return np.array([math.isfinite(v) and Fraction(v) * scale == int(o) for v, o in zip(f.tolist(), out)],
                    dtype=bool)


def _round_inputs(X: np.ndarray, fmt) -> np.ndarray:
    if fmt.name in ("float64", "float32"):
        return X.astype(fmt.name).astype(np.float64)
    rounded = [round_to(v, fmt) for v in X.ravel().tolist()]
    if None in rounded:
        raise DataError(f"some coordinates of X exceed the range of {fmt.name}; scale the data down")
    return np.array([float(v) for v in rounded]).reshape(X.shape)


def _has_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def float_safety(net: Network, X, y, dtypes=("float64", "float32"), torch="auto") -> FloatSafetyReport:
    """Compare float evaluation of ``net`` with exact evaluation, per dtype, and say why points fail.

    Parameters
    ----------
    net : Network with one output
    X, y : the data set (``y`` gives the memorization count of the exact network)
    dtypes : float types to try (numpy evaluates float64, float32 and float16; torch also bfloat16)
    torch : ``True`` to also evaluate the :func:`memorize.export.to_torch` module (needs
        ``memorize[torch]``), ``False`` not to, ``"auto"`` if torch is installed

    Returns
    -------
    FloatSafetyReport
        per (backend, dtype): the points whose float output equals the exact output,
        and the failures by reason (see the module docstring).
    """
    X, y = validate(X, y)
    if X.shape[1] != net.input_dim:
        raise DataError(f"the network takes {net.input_dim} inputs but the data has d = {X.shape[1]}")
    if net.output_dim != 1:
        raise DataError(f"the network has {net.output_dim} outputs; float_safety checks a scalar output")
    if torch == "auto":
        from memorize.export import MAX_DENSE_PARAMS
        # to_torch refuses networks too large to store densely; "auto" then skips torch
        use_torch = _has_torch() and net.num_params <= MAX_DENSE_PARAMS
    else:
        use_torch = bool(torch)
    if use_torch:
        from memorize.export import _torch
        _torch()  # raises MissingExtraError naming memorize[torch]
    fmts = [get_format(d) for d in dtypes]
    torch_only = [f.name for f in fmts if f.name not in _NUMPY_DTYPES]
    if torch_only and not use_torch:
        raise MemorizeError(f"{', '.join(torch_only)} is evaluated with torch only; pass torch=True "
                            "(pip install 'memorize[torch]') or use float64/float32/float16")

    exact = evaluate(net, X)
    out0 = exact.outputs[0].astype(object)
    n_memorized = int(np.sum(out0 == y.astype(object) * exact.scale))
    sig = [significand_bits(v) for layer in net.layers for v in layer.values + layer.bias]
    report = FloatSafetyReport(
        n_points=int(X.shape[0]), n_memorized=n_memorized, max_bits=net.max_bits,
        significand_bits=None if None in sig else max(sig, default=1),
    )
    segments = _segments(net)
    for fmt in fmts:
        rounded, changed, overflow = _round_network(net, fmt)
        Xr = _round_inputs(X, fmt)
        inputs_inexact = int(np.count_nonzero(Xr != X))
        rsegs = None if rounded is None else _segments(rounded)
        backends = []
        if fmt.name in _NUMPY_DTYPES:
            # the rounded weights convert to floats exactly; an overflowing one is rounded
            # to +-inf by evaluate_float from the exact weight
            backends.append(("numpy", _numpy_segments(rsegs or segments, fmt.name)))
        if use_torch:
            backends.append(("torch", _torch_segments(segments, fmt.name)))  # to_torch rounds
        run = _lockstep(rsegs, len(segments), Xr, [r for _, r in backends])
        if run.output is None:  # an infinite weight: every float failure is one of representation
            repr_wrong = np.ones(len(out0), dtype=bool)
        else:
            repr_wrong = ~np.array([int(a) * exact.scale == int(b) * run.scale
                                    for a, b in zip(run.output, out0)], dtype=bool)
        for (backend, _), f, flipped in zip(backends, run.floats, run.flipped):
            wrong = ~_equals_exact(f, out0, exact.scale)
            rep = wrong & repr_wrong
            step = wrong & ~rep & flipped
            report.results.append(DtypeSafety(
                backend=backend, dtype=fmt.name, n_points=int(X.shape[0]),
                n_exact=int(np.count_nonzero(~wrong)),
                failed_representation=int(rep.sum()), failed_step_flip=int(step.sum()),
                failed_rounding=int((wrong & ~rep & ~step).sum()),
                params_inexact=changed, params_overflow=overflow, inputs_inexact=inputs_inexact,
                min_step_margin=run.min_step_margin,
            ))
    return report


# -- minimal fractional precision ------------------------------------------------
