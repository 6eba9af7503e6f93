"""Sizes, build and verification times of ``relu_sublinear`` (Vardi et al. 2022, Theorem 3.1).

    PYTHONPATH=src python benchmarks/bench_sublinear.py              # all tables
    PYTHONPATH=src python benchmarks/bench_sublinear.py --sizes 1e4 1e5 --verify-max 1e4 --csv out.csv

Tables: (1) build/verify at the given sizes (d = 10, C = 10); (2) log-log slopes
of params vs N; (3) where the network drops below the 2N + d parameters of the
two-layer construction; (4) the depth trade-off at one N: budgets L = 2, 4, ...,
sqrt N, nonzero params * L / N and the same divided by min(L, lambda), lambda
the bits per point (``--tradeoff-only`` for this table alone).

Data: ``memorize.data.random_separated`` (delta = 0.1) up to ``--separated-max``
points; above it uniform points in the unit ball (its rejection sampling is
slow at 1e6), whose measured separation is printed.
"""

from __future__ import annotations

import argparse
import csv
import math
import time
import warnings

import numpy as np

import memorize
from memorize import data, verify
from memorize.constructions.line_blocks import integer_line
from memorize.constructions.sublinear import label_bits


def dataset(n: int, d: int, C: int, seed: int, separated_max: int):
    if n <= separated_max:
        return data.random_separated(n, d, 0.1, num_classes=C, seed=seed)
    rng = np.random.default_rng(seed)
    g = rng.standard_normal((n, d))
    X = g / np.linalg.norm(g, axis=1, keepdims=True) * rng.random((n, 1)) ** (1.0 / d)
    return X, rng.integers(0, C, size=n)


def measure(n, d, C, seed, separated_max, do_verify, **options):
    X, y = dataset(n, d, C, seed, separated_max)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = memorize.build("relu_sublinear", X, y, seed=seed, **options)
    row = {"N": n, "d": d, "C": C, "delta": data.separation(X), "build_s": time.perf_counter() - start}
    row.update(net.counts())
    row.update({k: net.meta.get(k) for k in ("member", "rho", "chosen_block_size", "blocks",
                                              "layers_per_point", "words")})
    row["budget"] = options.get("depth")
    if do_verify:
        rep = verify.verify(net, X, y, float64=False)
        row["verify_s"], row["ok"] = rep.seconds, rep.ok
    return row


def slope(xs, ys):
    lx, ly = np.log10(xs), np.log10(ys)
    return float(np.polyfit(lx, ly, 1)[0])


def crossing(key, d, C, seed, lo, hi, separated_max):
    """Smallest N (to 2%) in [lo, hi] with counts[key] < 2N + d, by bisection on builds."""
    def below(n):
        return measure(n, d, C, seed, separated_max, False)[key] < 2 * n + d
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
        print("  ".join(fmt(r.get(c)).rjust(w) for c, w in zip(cols, widths)))


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
    ap.add_argument("--separated-max", type=float, default=1e5)
    ap.add_argument("--tradeoff-n", type=float, default=1e4)
    ap.add_argument("--no-crossing", action="store_true")
    ap.add_argument("--tradeoff-only", action="store_true", help="only table (4)")
    ap.add_argument("--d", type=int, default=10)
    ap.add_argument("--C", type=int, default=10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--csv", help="write every row to this CSV file")
    args = ap.parse_args(argv)
    smax = int(args.separated_max)
    all_rows = []

    rows = [] if args.tradeoff_only else [
        measure(int(n), args.d, args.C, args.seed, smax, n <= args.verify_max) for n in args.sizes]
    all_rows += rows
    if rows:
        print("== relu_sublinear, sqrt(N) network ==", flush=True)
        table(rows, ["N", "delta", "build_s", "verify_s", "ok", "params", "nonzero_params", "depth",
                     "width", "max_bits", "total_bits", "rho", "chosen_block_size", "blocks"])
    if len(rows) >= 2:
        ns = [r["N"] for r in rows]
        print(f"\nlog-log slope of params vs N over {ns[0]}..{ns[-1]}: "
              f"dense {slope(ns, [r['params'] for r in rows]):.3f}, "
              f"nonzero {slope(ns, [r['nonzero_params'] for r in rows]):.3f}")
        for a, b in zip(rows, rows[1:]):
            print(f"  {a['N']}->{b['N']}: dense {slope([a['N'], b['N']], [a['params'], b['params']]):.3f}"
                  f", nonzero {slope([a['N'], b['N']], [a['nonzero_params'], b['nonzero_params']]):.3f}")
    if not (args.no_crossing or args.tradeoff_only):
        print("\nfirst N with fewer parameters than 2N + d (two-layer baseline):")
        for key in ("nonzero_params", "params"):
            print(f"  {key}: {crossing(key, args.d, args.C, args.seed, 100, 2 * 10**5, smax)}", flush=True)

    n = int(args.tradeoff_n)
    X, y = dataset(n, args.d, args.C, args.seed, smax)
    # lambda: bits of a point's position on the line plus its label's (log2 R + log2 C measured).
    line = integer_line(np.unique(X, axis=0), np.random.default_rng(args.seed), 4)
    lam = line.top.bit_length() + label_bits(args.C)
    budgets = [2 ** k for k in range(1, int(math.log2(math.isqrt(n))) + 1)] + [math.isqrt(n)]
    trade = []
    for L in budgets:
        r = measure(n, args.d, args.C, args.seed, smax, n <= args.verify_max, depth=L)
        r["nonzero*L/N"] = r["nonzero_params"] * L / n
        r["lambda"] = lam
        r["normalized"] = r["nonzero_params"] * L / (n * min(L, lam))
        trade.append(r)
        print(f"  L={L}: {r['member']}, nonzero {r['nonzero_params']}", flush=True)
    print(f"\n== depth trade-off, N = {n}, lambda = {lam}: normalized = nonzero * L / (N min(L, lambda)) ==")
    table(trade, ["budget", "member", "depth", "width", "params", "nonzero_params", "nonzero*L/N",
                  "normalized", "chosen_block_size", "layers_per_point", "words", "blocks",
                  "max_bits", "build_s", "verify_s", "ok"])
    norm = [r["normalized"] for r in trade]
    print(f"max / min of normalized over L: {max(norm) / min(norm):.2f}")
    all_rows += trade
    if args.csv:
        keys = sorted({k for r in all_rows for k in r})
        with open(args.csv, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=keys)
            w.writeheader()
            w.writerows(all_rows)


if __name__ == "__main__":
    main()
