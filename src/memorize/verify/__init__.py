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

import numpy as np

from memorize.data import validate
from memorize.errors import DataError, MemorizeError
from memorize.network import Network
from memorize.verify.chunks import merge
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
from memorize.verify.parallel import WorkerPool, run_chunks
from memorize.verify.report import Report

__all__ = ["DtypeSafety", "Evaluation", "FloatSafetyReport", "PrecisionResult", "Report",
           "WorkerPool", "evaluate", "evaluate_float", "float_safety", "is_memorizing",
           "minimal_precision", "quantize", "verify"]


def _check_shapes(net: Network, X: np.ndarray) -> None:
    if X.shape[1] != net.input_dim:
        raise DataError(
            f"the network takes {net.input_dim} inputs but the data has d = {X.shape[1]}; "
            "use the data set the network was built for"
        )
    if net.output_dim != 1:
        raise DataError(
            f"the network has {net.output_dim} outputs; memorization is checked on a scalar output"
        )


def verify(net: Network, X, y, *, float64: bool = True, max_failures: int = 20,
           progress=None, executor=None, chunk_size: int | None = None) -> Report:
    """Check exactly that ``net(X[i]) == y[i]`` for every point; return a :class:`Report`.

    Parameters
    ----------
    net : Network
    X : array (N, d) of floats -- each float is taken as the exact rational it denotes
    y : array (N,) of non-negative integer labels
    float64 : also evaluate in float64 and report whether it agrees (information only)
    max_failures : how many failing points to list with expected and actual outputs
    progress : optional ``callable(done, total)`` for long runs
    executor : optional ``concurrent.futures.Executor`` or Dask ``distributed.Client``
        that checks contiguous chunks of points in parallel
        (:mod:`memorize.verify.parallel`; :class:`~memorize.verify.parallel.WorkerPool`
        sends the network to each process once). The report is the serial one.
    chunk_size : points per chunk (default: one chunk per worker, within the
        evaluator's memory budget)

    Raises
    ------
    DataError
        if the data are malformed or do not fit the network's input.
    WorkerError
        if a worker dies or the cluster fails: no verdict is given.

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> from memorize import build, data
    >>> X, y = data.random_separated(50, 3, delta=0.05, num_classes=4, seed=2)
    >>> net = build("relu_bubeck", X, y)
    >>> with ThreadPoolExecutor(2) as ex:
    ...     parallel = verify(net, X, y, executor=ex, chunk_size=20)
    >>> serial = verify(net, X, y)
    >>> (parallel.ok, parallel.min_margin) == (serial.ok, serial.min_margin)
    True
    """
    X, y = validate(X, y)
    _check_shapes(net, X)
    if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer))
                                   or chunk_size < 1):
        raise MemorizeError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    start = time.perf_counter()
    parts = run_chunks(net, X, y, executor=executor, chunk_size=chunk_size, float64=float64,
                       max_failures=max_failures, progress=progress)
    merged = merge(parts, len(X), max_failures)
    seconds = time.perf_counter() - start
    counts = net.counts()
    return Report(
        ok=merged.n_failed == 0,
        n_points=int(X.shape[0]),
        n_failed=merged.n_failed,
        failed=merged.failed,
        failures=merged.failures,
        min_margin=merged.min_margin,
        float64_agrees=None if merged.float64_failed is None else merged.float64_failed == 0,
        float64_failed=merged.float64_failed,
        seconds=seconds,
        meta=dict(net.meta),
        **counts,
    )


def is_memorizing(net: Network, X, y) -> bool:
    """``True`` iff ``net`` outputs exactly ``y[i]`` on ``X[i]`` for every ``i`` (exact arithmetic)."""
    return verify(net, X, y, float64=False, max_failures=0).ok
