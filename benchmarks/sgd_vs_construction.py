"""Trained versus constructed memorization of digits with random labels.

Trains a one-hidden-layer ReLU MLP ``64 -> w -> 10`` with Adam (full batch,
cross-entropy, float32) on the digits with random labels (the experiment of
Zhang et al. 2017) for increasing widths ``w``, each until 100% training
accuracy or its step/time budget; the first width that memorizes is the
smallest that does (among those tried, with this seed and budget). Beside it:
the parameter counts and times of every registered construction that applies.

What is verified exactly. The trained network classifies by the argmax of 10
logits. The script converts the trained module with
:func:`memorize.export.from_torch` (every float32 weight becomes the exact
dyadic rational it is) and checks it with
``memorize.verify.verify(net, X, y, output="argmax")``: on the exact inputs
(pixels / 16, dyadic), the exact logit of every point's label must be strictly
larger than the other nine (a tie counts as a failure); the smallest exact gap
is reported. It also reports on how many points the float32 module's argmax is
the label.

    PYTHONPATH=src python benchmarks/sgd_vs_construction.py [--widths 64 80 96 128]
        [--max-steps 4000] [--budget-s 45] [--lr 0.01] [--seed 0] [--threads 2]

Needs torch and scikit-learn (``pip install 'memorize[torch,examples]'``).
Keep the default run under about 3 minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from memorize import available, build, verify
from memorize.datasets import digits
from memorize.errors import MemorizeError
from memorize.export import from_torch


def train(X, y, width: int, *, max_steps: int, budget_s: float, lr: float, seed: int):
    """Adam on the full batch until every training point is classified right or the budget ends."""
    import torch

    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(X.shape[1], width), torch.nn.ReLU(),
                                torch.nn.Linear(width, 10))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(y)
    start, acc, step = time.perf_counter(), 0.0, 0
    while step < max_steps and time.perf_counter() - start < budget_s:
        step += 1
        opt.zero_grad()
        logits = model(xt)
        torch.nn.functional.cross_entropy(logits, yt).backward()
        opt.step()
        if step % 25 == 0:
            with torch.no_grad():
                acc = float((model(xt).argmax(1) == yt).float().mean())
            if acc == 1.0:
                break
    return model, acc, step, time.perf_counter() - start


def exact_argmax_check(model, X, y) -> dict:
    """The trained network verified exactly by argmax (see the module docstring)."""
    import torch

    net = from_torch(model)
    report = verify.verify(net, X, y, output="argmax", float64=False)
    with torch.no_grad():
        float_pred = model(torch.tensor(X, dtype=torch.float32)).argmax(1).numpy()
    return {"net": net, "correct": report.n_points - report.n_failed, "n": report.n_points,
            "min_gap": report.min_argmax_gap, "float_right": int(np.count_nonzero(float_pred == y)),
            "seconds": report.seconds}


def constructions(X, y, seed: int) -> list[dict]:
    rows = []
    for name in available():
        start = time.perf_counter()
        try:
            net = build(name, X, y, seed=seed)
        except MemorizeError as exc:
            rows.append({"name": name, "note": str(exc).splitlines()[0][:80]})
            continue
        build_s = time.perf_counter() - start
        report = verify.verify(net, X, y, float64=False)
        rows.append({"name": name, "params": net.num_params, "nonzero": net.nonzero_params,
                     "width": net.width, "depth": net.depth, "max_bits": net.max_bits,
                     "seconds": build_s + report.seconds, "ok": report.ok})
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[64, 80, 96, 128])
    parser.add_argument("--max-steps", type=int, default=4000, help="Adam steps per width at most")
    parser.add_argument("--budget-s", type=float, default=45.0, help="training seconds per width at most")
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    X, y = digits(random_labels=True, seed=args.seed)
    Xs = X / 16  # pixels 0..16 -> [0, 1]; dividing by 16 is exact
    print(f"digits, random labels: N = {len(y)}, d = {X.shape[1]}, 10 classes; "
          f"Adam lr {args.lr}, full batch, float32, {args.threads} threads")
    print(f"{'width':>5} {'params':>7} {'steps':>6} {'train acc':>9} {'train s':>8}")
    found = None
    for w in sorted(args.widths):
        model, acc, steps, secs = train(Xs, y, w, max_steps=args.max_steps, budget_s=args.budget_s,
                                        lr=args.lr, seed=args.seed)
        params = sum(p.numel() for p in model.parameters())
        print(f"{w:>5} {params:>7} {steps:>6} {acc:>9.4f} {secs:>8.2f}", flush=True)
        if acc == 1.0:
            found = (w, params, steps, secs, model)
            break
    if found is None:
        print("no width memorized within the budget; try larger --widths or --max-steps")
    else:
        w, params, steps, secs, model = found
        check = exact_argmax_check(model, Xs, y)
        print(f"\nsmallest memorizing width {w}: {params} parameters, {steps} Adam steps, {secs:.1f} s")
        print(f"exact check (from_torch + verify output='argmax', strict argmax = label): "
              f"{check['correct']}/{check['n']} points, smallest gap {float(check['min_gap']):.3g} "
              f"({check['seconds']:.2f} s); float32 argmax = label on {check['float_right']}/{check['n']}")
        c = check["net"].counts()
        print(f"trained network as an exact Network: params {c['params']}, nonzero {c['nonzero_params']}, "
              f"depth {c['depth']}, width {c['width']}, max_bits {c['max_bits']}")
    print("\nconstructions on the same data (output = label exactly, verified):")
    print(f"{'construction':24} {'params':>8} {'nonzero':>8} {'width':>6} {'depth':>6} "
          f"{'max_bits':>8} {'build+verify s':>14} ok")
    for r in constructions(Xs, y, args.seed):
        if "note" in r:
            print(f"{r['name']:24} not applicable: {r['note']}")
        else:
            print(f"{r['name']:24} {r['params']:>8} {r['nonzero']:>8} {r['width']:>6} {r['depth']:>6} "
                  f"{r['max_bits']:>8} {r['seconds']:>14.2f} {r['ok']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
