"""Exact verification at scale: time, worker scaling, peak memory, and the naive yardstick.

    PYTHONPATH=src python benchmarks/bench_verify_scale.py --n 1e5 --workers 1 2 --naive 200
    PYTHONPATH=src python benchmarks/bench_verify_scale.py --n 1e6 --workers 2
    PYTHONPATH=src python benchmarks/bench_verify_scale.py --n 1e5 --workers 2 --construction threshold_sublinear

Data: ``memorize.data.random_separated`` with a negligible separation (1e-9), i.e.
uniform points in the unit ball of R^d, with uniform random labels (``--classes``;
threshold constructions get binary labels, as their theorem is stated for). The
network is the construction's default build (seed ``--seed``).

For each worker count: the wall time of ``memorize.verify.verify`` on all points
through a :class:`memorize.verify.WorkerPool` (pool start and network shipping
included, as ``memorize verify --workers N`` does it; one worker runs in-process),
and the peak resident memory of this process and its workers together (sampled
every 0.2 s). ``--naive K``: the naive per-point evaluator of ``naive_exact.py`` on K
random points; its seconds per point times N, divided by the verifier's seconds, is
the speed-up over the naive method. The machine load (``os.getloadavg``) is printed
beside every figure: on a shared machine only ratios measured in one run mean much.
"""

from __future__ import annotations

import argparse
import os
import resource
import threading
import time
import warnings

import numpy as np
import psutil

import memorize
from memorize import data
from memorize.verify import WorkerPool, verify

from naive_exact import integer_layers, output


class PeakMemory:
    """Peak total RSS of this process and its children, sampled in a thread."""

    def __init__(self, every: float = 0.2):
        self.every, self.peak, self._stop = every, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        me = psutil.Process()
        total = me.memory_info().rss
        for child in me.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                pass
        return total

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())


def load() -> str:
    return "load %.2f %.2f %.2f" % os.getloadavg()


def dataset(n: int, d: int, classes: int, seed: int):
    return data.random_separated(n, d, 1e-9, num_classes=classes, seed=seed)


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the pool's workers, once closed)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed_verify(net, X, y, workers: int):
    """The report, wall seconds, CPU seconds (all processes) and peak memory of one verification."""
    with PeakMemory() as mem:
        start, cpu = time.perf_counter(), cpu_seconds()
        if workers == 1:
            report = verify(net, X, y, float64=False)
        else:
            with WorkerPool(workers, net) as pool:
                report = verify(net, X, y, float64=False, executor=pool)
        seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    return report, seconds, cpu, mem.peak


def layer_overhead(net, X, y, points: int = 64) -> float:
    """Seconds per layer of verifying a handful of points: the per-layer interpreter cost."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        verify(net, X[:points], y[:points], float64=False)
        best = min(best, time.perf_counter() - start)
    return best / len(net.layers)


def naive_seconds_per_point(net, X, y, k: int, seed: int) -> float:
    idx = np.random.default_rng(seed).choice(len(X), size=min(k, len(X)), replace=False)
    start = time.perf_counter()
    layers = integer_layers(net)
    wrong = sum(output(layers, X[i]) != y[i] for i in idx)
    seconds = time.perf_counter() - start
    assert wrong == 0, f"the naive evaluator finds {wrong} of {len(idx)} sampled points wrong"
    return seconds / len(idx)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=float, default=1e5, help="points (default 1e5)")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts (default 1 2)")
    ap.add_argument("--construction", default="relu_sublinear")
    ap.add_argument("--d", type=int, default=10)
    ap.add_argument("--classes", type=int, default=10, help="labels (threshold constructions: 2)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--naive", type=int, default=0, metavar="K",
                    help="time the naive evaluator on K random points (0: skip)")
    args = ap.parse_args(argv)
    n = int(args.n)
    classes = 2 if args.construction.startswith("threshold") else args.classes
    print(f"{args.construction}: N={n} d={args.d} C={classes} seed={args.seed}  ({load()})", flush=True)
    start = time.perf_counter()
    X, y = dataset(n, args.d, classes, args.seed)
    print(f"data: {time.perf_counter() - start:.1f} s", flush=True)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = memorize.build(args.construction, X, y, seed=args.seed)
    c = net.counts()
    print(f"build: {time.perf_counter() - start:.1f} s; depth {c['depth']} width {c['width']} "
          f"nonzero params {c['nonzero_params']} max bits {c['max_bits']}", flush=True)
    per_layer = layer_overhead(net, X, y)
    print(f"per-layer overhead (64 points): {per_layer * 1e3:.2f} ms per layer, "
          f"{per_layer * len(net.layers):.1f} s per chunk for the {len(net.layers)} layers  ({load()})",
          flush=True)
    times = {}
    for w in args.workers:
        report, seconds, cpu, peak = timed_verify(net, X, y, w)
        times[w] = seconds
        print(f"verify --workers {w}: {seconds:.1f} s wall, {cpu:.1f} s CPU, peak memory {peak / 2**30:.2f} GiB, "
              f"{'all points memorized' if report.ok else f'{report.n_failed} FAILED'}  ({load()})",
              flush=True)
    ws = sorted(times)
    for a, b in zip(ws, ws[1:]):
        print(f"scaling {a} -> {b} workers: {times[a] / times[b]:.2f}x")
    if args.naive:
        per_point = naive_seconds_per_point(net, X, y, args.naive, args.seed)
        print(f"naive evaluator: {per_point * 1e3:.2f} ms per point (sample of {args.naive}), "
              f"{per_point * n:.0f} s for all N  ({load()})")
        for w in ws:
            print(f"verifier with {w} worker(s) is {per_point * n / times[w]:.0f}x faster than naive")


if __name__ == "__main__":
    main()
