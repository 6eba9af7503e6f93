"""Instance-specific against worst-case memorization, every network verified exactly.

Sections (``--only`` picks some):

* ``moons``: two moons (numpy, noise 0.05, scaled to radius 1, as Dirksen et
  al.'s experiments) at N = 10^4, 10^5, 10^6: ``threshold_instance``'s
  first-layer width, second-layer units, connections and dense params, beside
  ``relu_two_layer`` and ``relu_sublinear`` (built and verified up to
  ``--baseline-max`` points; above, ``relu_two_layer``'s exact formula
  ``3N + d + 2`` is printed and marked as not built);
* ``digits``: scikit-learn's digits, true and random labels, beside
  ``relu_two_layer``, ``relu_sublinear`` and ``threshold_one_hidden``;
* ``ball``: points in the unit ball of R^4 (delta = 10^-3) with random binary
  labels at several N: the second layer grows about linearly;
* ``park``: ``relu_park`` over N = 10^3 .. 10^5 (same ball data), its dense
  params, connections and their log-log slopes.

    PYTHONPATH=src python benchmarks/instance.py [--only moons digits ball park]
        [--moons 10000 100000 1000000] [--ball 500 1000 2000 4000]
        [--park 1000 3000 10000 30000 100000] [--baseline-max 100000]
        [--park-verify-max 10000] [--seed 0]

Prints markdown tables (the ones in docs/instance.md). Needs scikit-learn for
``digits`` (``pip install 'memorize[examples]'``).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from memorize import build, data, verify
from memorize.errors import MemorizeError


def two_moons(n: int, noise: float = 0.05, seed: int = 0):
    """Two interleaved half circles (scikit-learn's ``make_moons`` layout: ``n // 2`` points
    on the upper moon at evenly spaced angles, the rest on the lower one), Gaussian noise,
    scaled so that the largest norm is 1."""
    rng = np.random.default_rng(seed)
    n_out = n // 2
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n - n_out)
    X = np.concatenate([np.stack([np.cos(t_out), np.sin(t_out)], 1),
                        np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], 1)])
    y = np.concatenate([np.zeros(n_out, np.int64), np.ones(n - n_out, np.int64)])
    X = X + noise * rng.standard_normal(X.shape)
    return X / np.linalg.norm(X, axis=1).max(), y


def _check_counts(net) -> None:
    """The built sizes equal the construction's documented formula (instance and Park)."""
    from memorize.verify import count_mismatches

    if net.meta.get("construction"):
        mismatches = count_mismatches(net)
        assert not mismatches, mismatches


def measure(name: str, X, y, seed: int, check: bool = True) -> dict:
    """Build ``name`` on ``(X, y)`` and verify it exactly (unless not ``check``); the counts
    and timings."""
    start = time.perf_counter()
    try:
        net = build(name, X, y, seed=seed)
    except MemorizeError as exc:
        return {"name": name, "note": str(exc).splitlines()[0][:120]}
    built = time.perf_counter() - start
    _check_counts(net)
    start = time.perf_counter()
    ok = verify.verify(net, X, y).ok if check else None
    row = {"name": name, "connections": net.connections, "params": net.num_params,
           "depth": net.depth, "width": net.width, "ok": ok, "build_s": built,
           "verify_s": time.perf_counter() - start}
    meta = net.meta.get("instance")
    if meta:
        row.update(units=meta["units"], layer2=sum(meta["layer2"]))
    return row


def _fmt(row: dict, label: str, n: int | None = None, verified: str | None = None) -> str:
    """A table row; ``n``: show the layer-2 units per point; ``verified``: replaces the
    verification column (rows that were not built or not checked)."""
    if "note" in row:
        return f"| {label} | {row['name']} | - | - | - | - | - | {row['note']} |"
    units = f"{row['units']} / {row['layer2']}" if "units" in row else "-"
    if n and "layer2" in row:
        units += f" ({row['layer2'] / n:.2f} per point)"
    ok = verified or {True: "exact", False: "FAILED", None: "not verified"}[row["ok"]]
    timing = (f"{row['build_s']:.1f} / " + (f"{row['verify_s']:.1f}" if row["ok"] is not None else "-")
              if "build_s" in row else "-")
    return (f"| {label} | {row['name']} | {units} | {row['connections']:,} | {row['params']:,} "
            f"| {row['depth']} | {ok} | {timing} |")


HEADER = ("| data | construction | layer-1 / layer-2 units | connections | dense params | depth "
          "| verified | build / verify s |\n|---|---|---|---|---|---|---|---|")


def section_moons(sizes, seed, baseline_max):
    print("\n### Two moons (noise 0.05, radius 1)\n\n" + HEADER)
    for n in sizes:
        X, y = two_moons(n, seed=seed)
        label = f"moons N={n:,}"
        print(_fmt(measure("threshold_instance", X, y, seed), label), flush=True)
        for name in ("relu_two_layer", "relu_sublinear"):
            if n <= baseline_max:
                print(_fmt(measure(name, X, y, seed), label), flush=True)
            elif name == "relu_two_layer":
                row = {"name": name, "connections": 3 * n + 4, "params": 3 * n + 4, "depth": 3,
                       "ok": None}
                print(_fmt(row, label, verified="not built (exact formula 3N + d + 2)"), flush=True)


def section_digits(seed):
    from memorize.datasets import digits

    print("\n### Digits (1797 x 64, 10 classes)\n\n" + HEADER)
    for random_labels in (False, True):
        X, y = digits(random_labels=random_labels, seed=seed)
        label = "digits, random labels" if random_labels else "digits, true labels"
        for name in ("threshold_instance", "relu_two_layer", "relu_sublinear",
                     "threshold_one_hidden"):
            print(_fmt(measure(name, X, y, seed), label), flush=True)


def section_ball(sizes, seed):
    print("\n### Unit ball of R^4, delta = 1e-3, random binary labels\n\n" + HEADER)
    for n in sizes:
        X, y = data.random_separated(n, 4, 1e-3, num_classes=2, seed=n)
        label = f"ball N={n:,}"
        print(_fmt(measure("threshold_instance", X, y, seed), label, n=n), flush=True)
        for name in ("relu_two_layer", "relu_sublinear"):
            print(_fmt(measure(name, X, y, seed), label), flush=True)


def section_park(sizes, seed, verify_max):
    print("\n### relu_park over N (unit ball of R^4, delta = 1e-3, 2 classes)\n\n" + HEADER)
    rows = []
    for n in sizes:
        X, y = data.random_separated(n, 4, 1e-3, num_classes=2, seed=n)
        row = measure("relu_park", X, y, seed, check=n <= verify_max)
        rows.append((n, row))
        print(_fmt(row, f"ball N={n:,}"), flush=True)
    ok = [(n, r) for n, r in rows if "note" not in r]
    if len(ok) >= 2:
        logn = np.log([n for n, _ in ok])
        for key in ("params", "connections"):
            fit = np.polyfit(logn, np.log([r[key] for _, r in ok]), 1)[0]
            print(f"\nlog-log slope of relu_park {key} over N = {ok[0][0]:,} .. {ok[-1][0]:,}: "
                  f"{fit:.3f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=["moons", "digits", "ball", "park"])
    parser.add_argument("--moons", nargs="*", type=lambda s: int(float(s)),
                        default=[10**4, 10**5, 10**6])
    parser.add_argument("--ball", nargs="*", type=int, default=[500, 1000, 2000, 4000])
    parser.add_argument("--park", nargs="*", type=lambda s: int(float(s)),
                        default=[1000, 3000, 10000, 30000, 100000])
    parser.add_argument("--baseline-max", type=lambda s: int(float(s)), default=10**5)
    parser.add_argument("--park-verify-max", type=lambda s: int(float(s)), default=10**4,
                        help="verify relu_park exactly up to this N (the cost grows like N^(5/3))")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if "moons" in args.only:
        section_moons(args.moons, args.seed, args.baseline_max)
    if "digits" in args.only:
        section_digits(args.seed)
    if "ball" in args.only:
        section_ball(args.ball, args.seed)
    if "park" in args.only:
        section_park(args.park, args.seed, args.park_verify_max)
    return 0


if __name__ == "__main__":
    sys.exit(main())
