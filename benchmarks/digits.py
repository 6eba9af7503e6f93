"""Memorize scikit-learn's digits (1797 x 64, 10 classes) with every registered construction.

Each construction is built on the true labels and on random labels (one per
image, seeded), verified exactly, and timed. A construction whose
preconditions the data do not meet is listed with the reason instead.

    PYTHONPATH=src python benchmarks/digits.py [--csv out.csv] [--only NAME ...] [--seed 0]
        [--float-safety]

Needs scikit-learn (``pip install 'memorize[examples]'``). See docs/digits.md.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time

from memorize import available, build, verify
from memorize.datasets import digits
from memorize.errors import MemorizeError
from memorize.verify.float_safety import float_safety
from memorize.verify.precision import minimal_precision

COLUMNS = ["construction", "labels", "params", "nonzero", "depth", "width", "max_bits",
           "build_s", "verify_s", "ok", "float64_ok", "note"]
SAFETY_COLUMNS = ["f64_exact", "f32_exact", "min_frac_bits"]


def run_one(name: str, X, y, labels: str, seed: int, safety: bool) -> dict:
    row = dict.fromkeys(COLUMNS + SAFETY_COLUMNS if safety else COLUMNS, "")
    row.update(construction=name, labels=labels)
    start = time.perf_counter()
    try:
        net = build(name, X, y, seed=seed)
    except MemorizeError as exc:
        row.update(ok="n/a", note=str(exc).splitlines()[0][:100])
        return row
    row["build_s"] = f"{time.perf_counter() - start:.2f}"
    report = verify.verify(net, X, y)
    c = net.counts()
    row.update(params=c["params"], nonzero=c["nonzero_params"], depth=c["depth"], width=c["width"],
               max_bits=c["max_bits"], verify_s=f"{report.seconds:.2f}", ok=report.ok,
               float64_ok=report.float64_agrees)
    if safety:
        fs = float_safety(net, X, y, dtypes=("float64", "float32"), torch=False)
        row.update(f64_exact=f"{fs.result('float64').fraction_exact:.3f}",
                   f32_exact=f"{fs.result('float32').fraction_exact:.3f}",
                   min_frac_bits=minimal_precision(net, X, y).bits)
    return row


def print_table(rows: list[dict]) -> None:
    shown = [k for k in rows[0] if k != "note"]
    widths = {k: max(len(k), *(len(str(r[k])) for r in rows)) for k in shown}
    print("  ".join(k.ljust(widths[k]) for k in shown))
    for r in rows:
        print("  ".join(str(r[k]).ljust(widths[k]) for k in shown))
    for r in rows:
        if r["note"]:
            print(f"{r['construction']} ({r['labels']} labels) not applicable: {r['note']}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", help="also write the table to this CSV file")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="constructions to run (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the constructions and random labels")
    parser.add_argument("--float-safety", action="store_true",
                        help="add the fraction of points exact in float64/float32 (numpy) and the "
                             "minimal fractional bits of the weights (memorize.verify.float_safety)")
    args = parser.parse_args(argv)
    names = args.only or available()
    unknown = sorted(set(names) - set(available()))
    if unknown:
        print(f"unknown construction(s) {', '.join(unknown)}; available: {', '.join(available())}",
              file=sys.stderr)
        return 2
    data = {"true": digits(seed=args.seed), "random": digits(random_labels=True, seed=args.seed)}
    X = data["true"][0]
    print(f"digits: N = {X.shape[0]}, d = {X.shape[1]}, 10 classes, pixel values 0..16")
    rows = [run_one(name, *data[labels], labels, args.seed, args.float_safety)
            for name in names for labels in data]
    print_table(rows)
    if args.csv:
        with open(args.csv, "w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return 0 if all(r["ok"] in (True, "n/a") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
