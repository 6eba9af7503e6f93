"""Exact verification: does a network output ``y[i]`` on ``X[i]`` for every ``i``?

The verdict is computed in exact integer arithmetic (see :mod:`memorize.verify.exact`);
float evaluation is available as a labelled comparison (:mod:`memorize.verify.floats`).
A classifier with one output per class is checked by argmax instead
(``output="argmax"``, :mod:`memorize.verify.classify`).

    >>> from memorize import build, data, verify
    >>> X, y = data.random_separated(40, 2, delta=0.05, num_classes=3, seed=1)
    >>> report = verify.verify(build("relu_two_layer", X, y), X, y)
    >>> report.ok, report.n_failed
    (True, 0)
"""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np

from memorize.data import validate
from memorize.errors import DataError, MemorizeError
from memorize.network import Network
from memorize.verify.classify import argmax_check, check_labels, float_argmax_failures
from memorize.verify.exact import Evaluation, evaluate
from memorize.verify.float_safety import (
    DtypeSafety,
    FloatSafetyReport,
    PrecisionResult,
    float_safety,
    minimal_precision,
    quantize,
)
from memorize.verify.floats import evaluate_float
from memorize.verify.exact_input import check_count, check_dim, check_network, check_progress
from memorize.verify.report import Report, exact_str

__all__ = ["DtypeSafety", "Evaluation", "FloatSafetyReport", "PrecisionResult", "Report",
           "evaluate", "evaluate_float", "float_safety", "is_memorizing", "minimal_precision",
           "quantize", "verify"]


def _check_shapes(net: Network, X: np.ndarray, y: np.ndarray, output: str) -> None:
    check_dim(net, X)
    if output == "argmax":
        check_labels(net.output_dim, y)
    elif net.output_dim != 1:
        raise DataError(
            f"the network has {net.output_dim} outputs; output=\"label\" checks a scalar output equal "
            "to the label; for a classifier (the label is the index of the largest output) use "
            "output=\"argmax\" (memorize verify --output argmax)"
        )


def _argmax_failures(ev: Evaluation, y: np.ndarray, max_failures: int):
    """The failing points of the argmax check, their descriptions and the smallest gap."""
    check = argmax_check(ev, y)
    wrong = check.wrong
    failures = [
        {"index": int(i), "expected": int(y[i]), "got": int(check.rivals[i]), "gap": str(check.gap(i))}
        for i in wrong[:max_failures]
    ]
    return wrong, failures, check.min_gap


def verify(net: Network, X, y, *, output: str = "label", float64: bool = True,
           max_failures: int = 20, progress=None) -> Report:
    """Check exactly that ``net`` memorizes ``(X, y)``; return a :class:`Report`.

    Parameters
    ----------
    net : Network
    X : array (N, d) of numbers -- integers, floats of any width, Fractions; each is taken
        as the exact rational it denotes (see :mod:`memorize.rationals`)
    y : array (N,) of non-negative integer labels
    output : what memorizing means. ``"label"`` (the default): the network has one
        output and ``net(X[i]) == y[i]`` exactly. ``"argmax"``: the network is a
        classifier with one output per class and output ``y[i]`` is strictly larger
        than every other output on ``X[i]`` (a tie fails); the smallest exact gap
        between the label's output and the largest other one is
        ``Report.min_argmax_gap``.
    float64 : also evaluate in float64 and report whether it agrees (information only;
        in argmax mode: whether the float64 outputs put every label strictly first)
    max_failures : how many failing points to list with expected and actual outputs
    progress : optional ``callable(done, total)`` for long runs

    Raises
    ------
    NetworkError
        if ``net`` is not a :class:`Network`.
    DataError
        if the data are malformed or do not fit the network: the wrong input
        dimension, a multi-output network with ``output="label"``, or (with
        ``output="argmax"``) a label that is not the index of an output.
    MemorizeError
        if ``output`` is neither ``"label"`` nor ``"argmax"``.
    ArgumentError
        if ``max_failures`` or ``progress`` is of the wrong kind.

    Examples
    --------
    A classifier with one output per class: ``x`` for class 0, ``1 - x`` for class 1.

    >>> import numpy as np
    >>> from memorize.network import Layer, Network
    >>> net = Network(1, (Layer.from_dense([[1], [-1]], [0, 1], "identity"),))
    >>> X, y = np.array([[0.0], [0.25], [0.75]]), np.array([1, 1, 0])
    >>> report = verify(net, X, y, output="argmax")
    >>> report.ok, report.min_argmax_gap  # 0.25: output 1 - 0.25 beats 0.25 by 1/2
    (True, Fraction(1, 2))
    >>> verify(net, X, np.array([1, 0, 0]), output="argmax").failed  # 0.25 is not class 0
    [1]
    """
    check_network(net)
    check_count(max_failures, "max_failures")
    check_progress(progress)
    if output not in ("label", "argmax"):
        raise MemorizeError(f"output must be 'label' or 'argmax', got {output!r}")
    X, y = validate(X, y)
    _check_shapes(net, X, y, output)
    start = time.perf_counter()
    ev = evaluate(net, X, progress=progress)
    seconds = time.perf_counter() - start
    gap = None
    if output == "argmax":
        wrong, failures, gap = _argmax_failures(ev, y, max_failures)
    else:
        out = ev.outputs[0]
        if out.dtype != object and ev.scale * (int(y.max()) + 1) < (1 << 62):
            wrong = np.flatnonzero(out != y * ev.scale)
        else:
            wrong = np.flatnonzero(out.astype(object) != y.astype(object) * ev.scale)
        failures = [
            {"index": int(i), "expected": int(y[i]), "got": exact_str(Fraction(int(out[i]), ev.scale))}
            for i in wrong[:max_failures]
        ]
    f_agree = f_failed = None
    if float64:
        fo = evaluate_float(net, X)
        if output == "argmax":
            f_failed = float_argmax_failures(fo, y)
        else:
            f_failed = int(np.count_nonzero(fo[:, 0] != y))
        f_agree = f_failed == 0
    counts = net.counts()
    return Report(
        ok=len(wrong) == 0,
        n_points=int(X.shape[0]),
        n_failed=int(len(wrong)),
        failed=[int(i) for i in wrong[:max_failures]],
        failures=failures,
        min_margin=ev.min_step_margin,
        float64_agrees=f_agree,
        float64_failed=f_failed,
        seconds=seconds,
        meta=dict(net.meta),
        output=output,
        min_argmax_gap=gap,
        **counts,
    )


def is_memorizing(net: Network, X, y, *, output: str = "label") -> bool:
    """``True`` iff ``net`` memorizes ``(X, y)`` exactly, in the sense of ``output`` (see :func:`verify`)."""
    return verify(net, X, y, output=output, float64=False, max_failures=0).ok
