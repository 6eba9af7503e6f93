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

import numpy as np

from memorize.constructions import get
from memorize.data import validate
from memorize.errors import DataError, MemorizeError
from memorize.network import Network
from memorize.verify.chunks import merge
from memorize.verify.classify import check_labels
from memorize.verify.exact import Evaluation, evaluate
from memorize.verify.float_safety import DtypeSafety, FloatSafetyReport, float_safety
from memorize.verify.precision import PrecisionResult, minimal_precision, quantize
from memorize.verify.floats import evaluate_float
from memorize.verify.exact_input import check_count, check_dim, check_network, check_progress
from memorize.verify.parallel import WorkerPool, run_chunks
from memorize.verify.report import Report

__all__ = ["count_mismatches", "matches_counts", "DtypeSafety", "Evaluation", "FloatSafetyReport", "PrecisionResult", "Report", "WorkerPool",
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


def verify(net: Network, X, y, *, output: str = "label", float64: bool = True,
           max_failures: int = 20, progress=None, executor=None,
           chunk_size: int | None = None) -> Report:
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
    executor : optional ``concurrent.futures.Executor`` or Dask ``distributed.Client``
        that checks contiguous chunks of points in parallel
        (:mod:`memorize.verify.parallel`; :class:`~memorize.verify.parallel.WorkerPool`
        sends the network to each process once). The report is the serial one.
    chunk_size : points per chunk (default: one chunk per worker, within the
        evaluator's memory budget)

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
        if ``max_failures``, ``progress`` or ``chunk_size`` is of the wrong kind.
    WorkerError
        if a worker dies or the cluster fails: no verdict is given.

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

    The same check in parallel over chunks of points gives the same report:

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
    check_network(net)
    check_count(max_failures, "max_failures")
    check_progress(progress)
    if output not in ("label", "argmax"):
        raise MemorizeError(f"output must be 'label' or 'argmax', got {output!r}")
    if chunk_size is not None:
        check_count(chunk_size, "chunk_size", 1)
    X, y = validate(X, y)
    _check_shapes(net, X, y, output)
    start = time.perf_counter()
    parts = run_chunks(net, X, y, executor=executor, chunk_size=chunk_size, output=output,
                       float64=float64, max_failures=max_failures, progress=progress)
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
        output=output,
        min_argmax_gap=merged.min_gap,
        **counts,
    )


def is_memorizing(net: Network, X, y, *, output: str = "label") -> bool:
    """``True`` iff ``net`` memorizes ``(X, y)`` exactly, in the sense of ``output`` (see :func:`verify`)."""
    return verify(net, X, y, output=output, float64=False, max_failures=0).ok


def count_mismatches(net: Network) -> dict:
    """``{count: (built, documented)}`` for every count where the network differs from the
    exact formulas of the construction that built it (empty when they agree).

    The formulas are the record's (:meth:`memorize.constructions.Construction.expected_counts`,
    from what the network recorded in ``meta``). A network without a construction in its
    ``meta`` (imported, hand-built) has no formula: a :class:`DataError`.
    """
    name = net.meta.get("construction")
    if not name:
        raise DataError("the network records no construction in its meta, so there is no "
                        "formula to check its counts against")
    expected = get(name).expected_counts(net.meta)
    built = net.counts()
    return {key: (built[key], value) for key, value in expected.items() if built[key] != value}


def matches_counts(net: Network) -> bool:
    """``True`` iff every count of ``net`` equals the documented formula of the construction
    that built it (see :func:`count_mismatches`): the pair of :func:`is_memorizing`.

    >>> from memorize import build, data
    >>> X, y = data.random_separated(50, 3, delta=0.05, num_classes=3, seed=0)
    >>> net = build("relu_bubeck", X, y)
    >>> is_memorizing(net, X, y), matches_counts(net)
    (True, True)
    """
    return not count_mismatches(net)
