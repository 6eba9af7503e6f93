"""Memorization in trained networks on scikit-learn's digits: the figures of docs/empirical.md.

Three parts (``--only`` picks some):

* ``scores``: 10% of the digits labels replaced at random (seed 0), then
  ``memorization_scores`` with 200 MLPs 64 -> 64 -> 10 on subsets of 70%,
  40 epochs of Adam, once per loss (ce, mse, mae, rll): wall time, mean score
  of the noisy and the clean examples; figures: the histogram (ce, rll) and
  the most / least memorized images (ce).
* ``capacity``: digits with random labels (seed 0): ``capacity`` over widths
  24..96 (every width, for the curve), Adam full batch, at most 3000 steps,
  each memorizing network checked exactly; every construction beside it.
* ``seminorm``: ``sobolev_seminorm`` of every registered construction on
  ``random_separated(200, 5, delta=0.05, num_classes=4, seed=0)`` at its
  training points and at 200 fresh points of the same distribution (seed 1),
  of an MLP trained (``capacity``) on the same data, and of the smallest
  memorizing MLP of the capacity part on the digits.

    PYTHONPATH=src python benchmarks/empirical_digits.py [--only scores capacity seminorm]
        [--models 200] [--epochs 40] [--losses ce mse mae rll] [--figures docs/figures/empirical]

Needs torch, scikit-learn and matplotlib (``pip install 'memorize[torch,examples,plot]'``).
It prints the load average beside each timing: the machine it was run on is shared.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

import memorize
from memorize.datasets import digits
from memorize.empirical import capacity, memorization_scores, noisy_labels, sobolev_seminorm
from memorize.empirical.plots import plot_capacity, plot_memorized_images, plot_scores


def load() -> str:
    return open("/proc/loadavg").read().split()[0] if os.path.exists("/proc/loadavg") else "?"


def part_scores(args, out: Path) -> None:
    X, y = digits(seed=0)
    y_noisy, noisy = noisy_labels(y, 0.1, seed=0)
    print(f"## scores: digits N={len(y)}, {int(noisy.sum())} labels replaced at random; "
          f"{args.models} models (64,), subsets 0.7, {args.epochs} epochs, Adam lr 0.01, batch 128, "
          "1 torch thread")
    print(f"{'loss':5} {'seconds':>8} {'load':>5} {'train acc':>9} {'mem noisy':>9} {'mem clean':>9} "
          f"{'diff':>6} {'prob noisy':>10} {'prob clean':>10}")
    suffix = "" if args.epochs == 40 else f"_{args.epochs}epochs"
    for loss in args.losses:
        load_before = load()
        r = memorization_scores(X, y_noisy, model=(64,), n_models=args.models, subset_fraction=0.7, epochs=args.epochs,
                                loss=loss, seed=0)
        m = r.scores
        p = r.all_scores["probability"]
        print(f"{loss:5} {r.seconds:>8.1f} {load_before + '/' + load():>5} {r.train_accuracy.mean():>9.4f} "
              f"{np.nanmean(m[noisy]):>9.4f} {np.nanmean(m[~noisy]):>9.4f} "
              f"{np.nanmean(m[noisy]) - np.nanmean(m[~noisy]):>6.3f} {np.nanmean(p[noisy]):>10.4f} "
              f"{np.nanmean(p[~noisy]):>10.4f}", flush=True)
        if loss in ("ce", "rll"):
            plot_scores(r, out / f"scores_{loss}{suffix}.png", noisy,
                        title=f"digits, 10% noisy labels, loss {loss}: {args.models} models (64,), "
                              f"{args.epochs} epochs")
        if loss == "ce" and not suffix:
            plot_memorized_images(r, X.reshape(-1, 8, 8), y_noisy, out / "memorized_digits.png")
            top = r.top(20)
            print(f"  ce: of the 20 most memorized examples, {int(noisy[top].sum())} have a replaced label; "
                  f"stderr median {np.nanmedian(r.stderr):.3f}; IN/OUT counts {r.n_in.min()}..{r.n_in.max()}"
                  f" / {r.n_out.min()}..{r.n_out.max()}")


def part_capacity(args, out: Path):
    X, y = digits(random_labels=True, seed=0)
    print("\n## capacity: digits with random labels (seed 0), Adam lr 0.01 full batch, <= 3000 steps")
    start, load_before = time.perf_counter(), load()
    r = capacity(X, y, widths=(24, 32, 40, 48, 56, 64, 96), depths=(1,), budget=3000, seed=0,
                 stop_at_first=False, progress=lambda d, t: print(f"  {d}/{t} architectures", flush=True))
    print(r.summary())
    print(f"capacity part: {time.perf_counter() - start:.0f} s (load {load_before} -> {load()})")
    plot_capacity(r, out / "capacity_digits.png",
                  title="digits, random labels: Adam (full batch) vs constructions")
    return r


def part_seminorm(args, digits_capacity) -> None:
    X, y = memorize.data.random_separated(200, 5, delta=0.05, num_classes=4, seed=0)
    X_fresh, _ = memorize.data.random_separated(200, 5, delta=0.05, num_classes=4, seed=1)
    print("\n## seminorm: random_separated(200, 5, delta=0.05, num_classes=4, seed=0); fresh points: seed 1")
    print(f"{'network':34} {'params':>7} {'max_bits':>8} {'RMS at X':>11} {'max at X':>11} {'kinks':>5} "
          f"{'RMS fresh':>11} {'max fresh':>11} {'sqrt(N)':>7}")

    def row(name, net, Xa, ya, Xb, output="auto"):
        a = sobolev_seminorm(net, Xa, ya, output=output)
        b = sobolev_seminorm(net, Xb, output=output) if Xb is not None else None
        c = net.counts()
        fresh = (f"{b.rms:>11.4g} {b.max:>11.4g}" if b is not None else f"{'-':>11} {'-':>11}")
        print(f"{name:34} {c['params']:>7} {c['max_bits']:>8} {a.rms:>11.4g} {a.max:>11.4g} {a.kinks:>5} "
              f"{fresh} {a.sqrt_n:>7.2f}", flush=True)

    for name in memorize.available():
        net = memorize.build(name, X, y, seed=0)
        try:
            row(name, net, X, y, X_fresh)
        except memorize.MemorizeError as exc:
            print(f"{name:34} refused: {str(exc).split(';')[0]}")
    mlp = capacity(X, y, widths=(16, 32, 64, 128), budget=3000, constructions=False, seed=0)
    if mlp.networks:
        w = mlp.smallest[1]["width"]
        row(f"MLP 5-{w}-4 (Adam), label logit", mlp.networks[1], X, y, None, output="label")
        row(f"MLP 5-{w}-4 (Adam), Jacobian", mlp.networks[1], X, y, X_fresh, output="jacobian")
    if digits_capacity is not None and digits_capacity.networks:
        Xd, yd = digits(random_labels=True, seed=0)
        w = digits_capacity.smallest[1]["width"]
        row(f"digits MLP 64-{w}-10, label logit", digits_capacity.networks[1], Xd, yd, None, output="label")
        row(f"digits MLP 64-{w}-10, Jacobian", digits_capacity.networks[1], Xd, yd, None, output="jacobian")
        print(f"(digits: N = {len(yd)}, sqrt(N) = {np.sqrt(len(yd)):.2f}; raw pixels 0..16)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=("scores", "capacity", "seminorm"),
                        default=["scores", "capacity", "seminorm"])
    parser.add_argument("--models", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=40, help="scores: epochs per model (default 40)")
    parser.add_argument("--losses", nargs="+", choices=("ce", "mse", "mae", "rll"),
                        default=["ce", "mse", "mae", "rll"], help="scores: the losses (default all four)")
    parser.add_argument("--figures", default="docs/figures/empirical")
    args = parser.parse_args(argv)
    out = Path(args.figures)
    out.mkdir(parents=True, exist_ok=True)
    print(f"memorize {memorize.__version__}; load average at start {load()}")
    if "scores" in args.only:
        part_scores(args, out)
    cap = part_capacity(args, out) if "capacity" in args.only else None
    if "seminorm" in args.only:
        part_seminorm(args, cap)
    return 0


if __name__ == "__main__":
    sys.exit(main())
