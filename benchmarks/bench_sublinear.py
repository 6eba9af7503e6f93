"""Sizes, build and verification times of ``relu_sublinear`` (Vardi et al. 2022, Theorem 3.1,
and the width-depth family).

    PYTHONPATH=src python benchmarks/bench_sublinear.py                       # all tables
    PYTHONPATH=src python benchmarks/bench_sublinear.py --sizes 1e4 1e5 --verify-max 1e5
    PYTHONPATH=src python benchmarks/bench_sublinear.py --only width --width-n 1e5

Tables (uniform points in the unit ball, d = 10, C = 10, seed 0 unless told):

1. ``sizes``: the default build at each N: connections, dense params and their
   ratio, depth, width, bits (total over ``N log2 C``), ``W L / sqrt(N lambda)``
   (``lambda = rho + c + 1`` bits per stored point), build and verify seconds.
2. ``crossover``: the first N where the default has fewer connections (dense
   params) than ``relu_two_layer``'s ``3N + d + 2``, by bisection on builds.
3. ``width``: at one N, for each width limit W the least depth ``L`` of a member
   (:func:`memorize.constructions.relu_sublinear.shallowest`), the network built with
   ``width=W, depth=L``, and ``W L / sqrt(N lambda)``.
4. ``depth``: at one N, budgets ``L = 2, 4, ...``: connections, connections * L / N.
"""

from __future__ import annotations

import argparse
import csv
import math
import time

import numpy as np

import memorize
from memorize import verify
from memorize.constructions.relu_sublinear import shallowest


def ball(n: int, d: int, C: int, seed: int):
    """``n`` uniform points in the unit ball of R^d with uniform labels in ``0..C-1``."""
    rng = np.random.default_rng(seed)
    g = rng.standard_normal((n, d))
    X = g / np.linalg.norm(g, axis=1, keepdims=True) * rng.random((n, 1)) ** (1.0 / d)
    return X, rng.integers(0, C, size=n)


def measure(X, y, seed, do_verify, **options) -> dict:
    n = len(X)
    start = time.perf_counter()
    net = memorize.build("relu_sublinear", X, y, seed=seed, **options)
    row = {"N": n, "build_s": time.perf_counter() - start, **net.counts()}
    m = net.meta
    row.update({k: m.get(k) for k in ("member", "rho", "chosen_block_size", "blocks", "streams",
                                      "batch")})
    row["dense/conn"] = row["params"] / row["connections"]
    if m.get("member") == "streams":
        row["lambda"] = m["rho"] + m["label_bits"] + 1
        row["WL/sqrt(N lambda)"] = row["width"] * row["depth"] / math.sqrt(n * row["lambda"])
    C = int(np.max(y)) + 1
    row["bits/(N log2 C)"] = row["total_bits"] / (n * math.log2(max(C, 2)))
    if do_verify:
        rep = verify.verify(net, X, y, float64=False)
        row["verify_s"], row["ok"] = rep.seconds, rep.ok
    return row


def crossing(key, d, C, seed, lo, hi):
    """Smallest N (to 2%) in [lo, hi] where the default's ``key`` is below 3N + d + 2."""
    def below(n):
        return measure(*ball(n, d, C, seed), seed, False)[key] < 3 * n + d + 2
    if below(lo):
        return f"<= {lo}"
    if not below(hi):
        return f"> {hi}"
    while hi / lo > 1.02:
        mid = int(math.sqrt(lo * hi))
        lo, hi = (lo, mid) if below(mid) else (mid, hi)
    return f"~{hi}"


def table(rows, cols):
    """Print ``rows`` (dicts) as an aligned text table of ``cols``."""
    widths = [max(len(c), *(len(fmt(r.get(c))) for r in rows)) for c in cols]
    print("  ".join(c.rjust(w) for c, w in zip(cols, widths)))
    for r in rows:
        print("  ".join(fmt(r.get(c)).rjust(w) for c, w in zip(cols, widths)), flush=True)


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3g}" if abs(v) < 1e4 else f"{v:.0f}"
    return str(v)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=float, nargs="+", default=[1e3, 1e4, 1e5, 1e6])
    ap.add_argument("--verify-max", type=float, default=1e5, help="verify exactly up to this N")
    ap.add_argument("--width-n", type=float, default=1e5)
    ap.add_argument("--widths", type=int, nargs="+", default=[4, 5, 8, 16, 32, 64])
    ap.add_argument("--depth-n", type=float, default=1e4)
    ap.add_argument("--only", choices=["sizes", "crossover", "width", "depth"], nargs="+")
    ap.add_argument("--d", type=int, default=10)
    ap.add_argument("--C", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--csv", help="write every row to this CSV file")
    args = ap.parse_args(argv)
    only = set(args.only or ["sizes", "crossover", "width", "depth"])
    all_rows = []

    if "sizes" in only:
        print("== 1. relu_sublinear default build ==", flush=True)
        rows = [measure(*ball(int(n), args.d, args.C, args.seed), args.seed, n <= args.verify_max)
                for n in args.sizes]
        table(rows, ["N", "connections", "params", "dense/conn", "depth", "width", "max_bits",
                     "bits/(N log2 C)", "lambda", "WL/sqrt(N lambda)", "streams", "batch",
                     "chosen_block_size", "blocks", "rho", "build_s", "verify_s", "ok"])
        all_rows += rows
    if "crossover" in only:
        print("\n== 2. first N with fewer than 3N + d + 2 (relu_two_layer) ==", flush=True)
        for key in ("connections", "params"):
            print(f"  {key}: {crossing(key, args.d, args.C, args.seed, 50, 2 * 10**5)}", flush=True)
    if "width" in only:
        n = int(args.width_n)
        X, y = ball(n, args.d, args.C, args.seed)
        print(f"\n== 3. width family at N = {n}: the least depth at each width ==", flush=True)
        rows = []
        for W in args.widths:
            try:
                L = shallowest(X, y, W, seed=args.seed)
            except memorize.ConstructionError as exc:
                print(f"  W={W}: {exc}")
                continue
            row = measure(X, y, args.seed, n <= args.verify_max, width=W, depth=L)
            row["W"] = W
            rows.append(row)
            table([row], ["W", "depth", "width", "connections", "params", "dense/conn",
                          "WL/sqrt(N lambda)", "streams", "batch", "chosen_block_size", "blocks",
                          "build_s", "verify_s", "ok"])
        if rows:
            ratio = [r["WL/sqrt(N lambda)"] for r in rows]
            print(f"max / min of W L / sqrt(N lambda): {max(ratio) / min(ratio):.2f}")
        all_rows += rows
    if "depth" in only:
        n = int(args.depth_n)
        X, y = ball(n, args.d, args.C, args.seed)
        default_depth = memorize.build("relu_sublinear", X, y, seed=args.seed).depth
        print(f"\n== 4. depth budgets at N = {n} (default depth {default_depth}) ==", flush=True)
        rows = []
        L = 2
        while L <= 2 * default_depth:
            row = measure(X, y, args.seed, n <= args.verify_max, depth=L)
            row["budget"], row["conn*L/N"] = L, row["connections"] * L / n
            rows.append(row)
            L *= 2
        table(rows, ["budget", "member", "depth", "width", "connections", "params", "conn*L/N",
                     "build_s", "verify_s", "ok"])
        all_rows += rows
    if args.csv:
        keys = sorted({k for r in all_rows for k in r})
        with open(args.csv, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=keys)
            w.writeheader()
            w.writerows(all_rows)


if __name__ == "__main__":
    main()
