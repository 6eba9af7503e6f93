"""Sizes and timings of the deep threshold memorizer (``threshold_sublinear``, RSPK 2021).

Two sweeps on random points in the unit ball of R^d (d = 10) with random
binary labels, each set given separation exactly ``delta`` by one planted
pair (random points are usually farther apart than ``delta``):

* n in {1e3, 1e4, 1e5} at delta = 0.1;
* delta in {0.4, 0.2, 0.1, 0.05} at n = 1e4.

For each: neurons, nonzero weights, depth, build time and exact verification
time, and the fitted log-log slopes of neurons vs n and vs 1/delta. Columns
``m, k, r, groups, features, mem, blocks`` are the construction's recorded
quantities; ``upper`` = lift + memorization + output neurons. The
``baum_*`` columns are Baum's (1988) one-hidden-layer network
(``threshold_one_hidden``) built on the same data: its neurons, nonzero
weights, build time and exact verification time (verified up to
``--verify-max-baum`` points: its N/d hidden units meet every point, so its
verification grows like N^2).

    PYTHONPATH=src python benchmarks/bench_threshold.py [--csv out.csv] [--verify-max 100000]
"""

from __future__ import annotations

import argparse
import csv
import time

import numpy as np

from memorize import build, data, verify


def planted(n: int, d: int, delta: float, seed: int):
    """Random points at pairwise distance >= delta with one pair at distance exactly ~delta."""
    rng = np.random.default_rng(seed)
    X = data.random_points(n, d, delta, seed=rng)
    y = data.random_labels(n, 2, seed=rng)
    for i in rng.permutation(n)[:50]:
        dist = np.linalg.norm(X - X[i], axis=1)
        dist[i] = np.inf
        j = int(np.argmin(dist))
        cand = X[i] + delta * (X[j] - X[i]) / dist[j]
        others = np.linalg.norm(np.delete(X, j, axis=0) - cand, axis=1)
        if others.min() >= delta * (1 - 1e-12) and np.linalg.norm(cand) <= 1:
            X[j] = cand
            return X, y
    return X, y


def run(n: int, delta: float, d: int, seed: int, verify_max: int, verify_max_baum: int) -> dict:
    X, y = planted(n, d, delta, seed)
    t0 = time.perf_counter()
    net = build("threshold_sublinear", X, y, seed=seed)
    t_build = time.perf_counter() - t0
    s = net.meta["threshold"]
    row = {
        "n": n, "delta": delta, "sep": round(s["delta_used"], 4),
        "neurons": net.neurons,
        "weights": sum(len(L.values) for L in net.layers),
        "params": net.nonzero_params, "depth": net.depth,
        "m": s["m"], "k": s["k"], "r": s["r"], "groups": s["G"], "features": s["F"],
        "mem": s["J"], "blocks": s["blocks"], "upper": s["G"] + s["F"] + s["J"] + 1,
        "build_s": round(t_build, 2), "verify_s": None, "ok": None,
    }
    if n <= verify_max:
        t0 = time.perf_counter()
        row["ok"] = verify.is_memorizing(net, X, y)
        row["verify_s"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    baum = build("threshold_one_hidden", X, y, seed=seed)
    row.update(baum_neurons=baum.neurons, baum_weights=sum(len(L.values) for L in baum.layers),
               baum_build_s=round(time.perf_counter() - t0, 2), baum_verify_s=None, baum_ok=None)
    if n <= verify_max_baum:
        t0 = time.perf_counter()
        row["baum_ok"] = verify.is_memorizing(baum, X, y)
        row["baum_verify_s"] = round(time.perf_counter() - t0, 2)
    return row


def slope(xs, ys) -> float:
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ns", type=float, nargs="+", default=[1e3, 1e4, 1e5])
    ap.add_argument("--deltas", type=float, nargs="+", default=[0.4, 0.2, 0.1, 0.05])
    ap.add_argument("--d", type=int, default=10)
    ap.add_argument("--n-delta", type=float, default=1e4, help="n of the delta sweep")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--verify-max", type=int, default=100_000,
                    help="verify exactly only up to this n")
    ap.add_argument("--verify-max-baum", type=int, default=10_000,
                    help="verify Baum's network exactly only up to this n")
    ap.add_argument("--csv", help="also write the rows to this CSV file")
    args = ap.parse_args(argv)

    rows = [run(int(n), 0.1, args.d, args.seed, args.verify_max, args.verify_max_baum) for n in args.ns]
    rows += [run(int(args.n_delta), dl, args.d, args.seed, args.verify_max, args.verify_max_baum) for dl in args.deltas]
    keys = list(rows[0])
    print(" ".join(f"{k:>9}" for k in keys))
    for r in rows:
        print(" ".join(f"{str(r[k]):>9}" for k in keys))
    by_n = rows[:len(args.ns)]
    by_d = rows[len(args.ns):]
    if len(by_n) > 1:
        ns = [r["n"] for r in by_n]
        print(f"slope vs n (delta 0.1): neurons {slope(ns, [r['neurons'] for r in by_n]):.3f}, "
              f"weights {slope(ns, [r['weights'] for r in by_n]):.3f}, "
              f"lift+memorization+output neurons {slope(ns, [r['upper'] for r in by_n]):.3f}")
    if len(by_d) > 1:
        inv = [1 / r["sep"] for r in by_d]
        print(f"slope vs 1/delta (n {int(args.n_delta)}): "
              f"neurons {slope(inv, [r['neurons'] for r in by_d]):.3f}, "
              f"layer-1 width m {slope(inv, [r['m'] for r in by_d]):.3f}, "
              f"layers 1-3 (m + k(r+1)) {slope(inv, [r['m'] + r['k'] * (r['r'] + 1) for r in by_d]):.3f}, "
              f"weights {slope(inv, [r['weights'] for r in by_d]):.3f}")
    if args.csv:
        with open(args.csv, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=keys)
            w.writeheader()
            w.writerows(rows)


if __name__ == "__main__":
    main()
