"""Exact verification: does a network output ``y[i]`` on ``X[i]`` for every ``i``?

The verdict is computed in exact integer arithmetic (see :mod:`memorize.verify.exact`);
float evaluation is available as a labelled comparison (:mod:`memorize.verify.floats`).

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
from memorize.errors import DataError
from memorize.network import Network
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


def _check_shapes(net: Network, X: np.ndarray) -> None:
    check_dim(net, X)
    if net.output_dim != 1:
        raise DataError(
            f"the network has {net.output_dim} outputs; memorization is checked on a scalar output"
        )


def verify(net: Network, X, y, *, float64: bool = True, max_failures: int = 20,
           progress=None) -> Report:
    """Check exactly that ``net(X[i]) == y[i]`` for every point; return a :class:`Report`.

    Parameters
    ----------
    net : Network
    X : array (N, d) of numbers -- integers, floats of any width, Fractions; each is taken
        as the exact rational it denotes (see :mod:`memorize.rationals`)
    y : array (N,) of non-negative integer labels
    float64 : also evaluate in float64 and report whether it agrees (information only)
    max_failures : how many failing points to list with expected and actual outputs
    progress : optional ``callable(done, total)`` for long runs

    Raises
    ------
    NetworkError
        if ``net`` is not a :class:`Network`.
    DataError
        if the data are malformed or do not fit the network's input.
    ArgumentError
        if ``max_failures`` or ``progress`` is of the wrong kind.
    """
    check_network(net)
    check_count(max_failures, "max_failures")
    check_progress(progress)
    X, y = validate(X, y)
    _check_shapes(net, X)
    start = time.perf_counter()
    ev = evaluate(net, X, progress=progress)
    seconds = time.perf_counter() - start
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
        fo = evaluate_float(net, X)[:, 0]
        f_failed = int(np.count_nonzero(fo != y))
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
        **counts,
    )


def is_memorizing(net: Network, X, y) -> bool:
    """``True`` iff ``net`` outputs exactly ``y[i]`` on ``X[i]`` for every ``i`` (exact arithmetic)."""
    return verify(net, X, y, float64=False, max_failures=0).ok
