"""Verification of one contiguous chunk of points, and the merge of chunk results.

A chunk's verdict needs nothing from the other chunks: outputs are exact, so the
points of a chunk fail or pass, and the step margin is an exact rational, the same
whichever chunk saw it. Merging the chunks in order therefore gives exactly the
report of one serial pass; :func:`merge` also refuses to merge chunks that do not
cover every point once, so a lost chunk can never read as success.

    >>> from memorize import build, data
    >>> X, y = data.random_separated(30, 2, delta=0.05, num_classes=3, seed=1)
    >>> net = build("relu_two_layer", X, y)
    >>> parts = [check_chunk(net, X[s:s + 10], y[s:s + 10], s) for s in (0, 10, 20)]
    >>> merged = merge(parts, 30, max_failures=20)
    >>> merged.n_failed, merged.failed
    (0, [])
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from memorize.errors import WorkerError
from memorize.network import Network
from memorize.verify.exact import evaluate
from memorize.verify.classify import argmax_check, float_argmax_failures
from memorize.verify.floats import evaluate_float
from memorize.verify.report import exact_str


@dataclass
class ChunkResult:
    """What one chunk of points ``start .. start + n_points - 1`` contributes to a report.

    ``wrong``: global indices of the points not memorized, in order; ``failures``:
    the first ``max_failures`` of them with expected and actual outputs;
    ``min_margin``: smallest exact step margin (None without step units);
    ``float64_failed``: points float64 gets wrong (None when not run);
    ``min_gap``: smallest exact argmax gap (``output="argmax"`` only).
    """

    start: int
    n_points: int
    wrong: np.ndarray
    failures: list[dict]
    min_margin: Fraction | None
    float64_failed: int | None
    min_gap: Fraction | None = None


def check_chunk(net: Network, X: np.ndarray, y: np.ndarray, start: int = 0, *,
                output: str = "label", float64: bool = False, max_failures: int = 20,
                progress=None) -> ChunkResult:
    """Verify the points ``X`` (global indices from ``start``) exactly, in the sense of
    ``output`` (see :func:`memorize.verify.verify`).

    ``X`` and ``y`` are already validated; ``progress(done, total)`` is told about
    the evaluator's internal chunks.
    """
    ev = evaluate(net, X, progress=progress)
    gap = None
    if output == "argmax":
        check = argmax_check(ev, y)
        wrong, gap = check.wrong, check.min_gap
        failures = [{"index": int(i) + start, "expected": int(y[i]), "got": int(check.rivals[i]),
                     "gap": str(check.gap(i))} for i in wrong[:max_failures]]
    else:
        out = ev.outputs[0]
        if out.dtype != object and ev.scale * (int(y.max(initial=0)) + 1) < (1 << 62):
            wrong = np.flatnonzero(out != y * ev.scale)
        else:
            wrong = np.flatnonzero(out.astype(object) != y.astype(object) * ev.scale)
        failures = [{"index": int(i) + start, "expected": int(y[i]),
                     "got": exact_str(Fraction(int(out[i]), ev.scale))} for i in wrong[:max_failures]]
    f_failed = None
    if float64:
        fo = evaluate_float(net, X)
        f_failed = (float_argmax_failures(fo, y) if output == "argmax"
                    else int(np.count_nonzero(fo[:, 0] != y)))
    return ChunkResult(start, len(X), wrong + start, failures, ev.min_step_margin, f_failed, gap)


@dataclass
class Merged:
    """The chunks' results put together (see :func:`merge`)."""

    n_failed: int
    failed: list[int]
    failures: list[dict]
    min_margin: Fraction | None
    float64_failed: int | None
    min_gap: Fraction | None = None


def merge(parts: list[ChunkResult], n_points: int, max_failures: int) -> Merged:
    """Merge chunk results into one; raises :class:`WorkerError` unless they cover each point once."""
    parts = sorted(parts, key=lambda p: p.start)
    covered = 0
    for p in parts:
        if p.start != covered:
            break
        covered += p.n_points
    if covered != n_points:
        raise WorkerError(
            f"chunk results cover points 0..{covered - 1} of {n_points}; "
            "no verdict on unchecked points: run the verification again"
        )
    failed = [int(i) for p in parts for i in p.wrong[:max_failures]][:max_failures]
    margins = [p.min_margin for p in parts if p.min_margin is not None]
    gaps = [p.min_gap for p in parts if p.min_gap is not None]
    floats = [p.float64_failed for p in parts]
    return Merged(
        n_failed=sum(len(p.wrong) for p in parts),
        failed=failed,
        failures=[f for p in parts for f in p.failures][:max_failures],
        min_margin=min(margins) if margins else None,
        float64_failed=None if any(f is None for f in floats) else sum(floats),
        min_gap=min(gaps) if gaps else None,
    )
