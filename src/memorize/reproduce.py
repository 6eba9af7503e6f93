"""Reproduce the figures: every registered construction built on generated data, verified
exactly, counted, and drawn beside its theorem's bound and the lower bounds.

(About 490 lines: four sweeps and four drawings that share one table format; each
figure's sweep and drawing sit next to each other.)

    >>> from memorize.reproduce import reproduce
    >>> result = reproduce(["params"], out="out", quick=True)   # doctest: +SKIP
    >>> result["slopes"]["params"]                              # doctest: +SKIP
    {'relu_two_layer': 1.0, ...}

Figures (PNG and PDF under ``out/figures``, the numbers as CSV under ``out/tables``):

* ``params``: connections (weights and biases placed) vs ``N`` (log-log) for
  every construction (the CSV also has the dense and nonzero counts), with the
  fitted slope in the legend, N, N^(2/3) and sqrt(N) guide lines, the VC lower bound
  (any depth) and the information bound at relu_sublinear's own max bits;
* ``depth``: left, connections vs the depth budget ``L = 2, 4, 8, ...`` at
  fixed ``N`` for ``relu_sublinear`` with ``depth=L`` (up to the default's
  depth, beyond which a budget buys nothing), with the theorem's
  ``N min(1, lambda/L)`` curve and the depth-``L`` VC bound; right, the least
  depth of ``relu_sublinear`` at width ``W = 4, 8, 16, 32, 64`` with Yang and
  Yang's ``W^2 L^2 ~ N log(1/delta)`` curve and lower bound;
* ``bits``: largest and total bits vs ``N``, with the 53-bit line of float64
  and the label information ``N log2 C``;
* ``threshold``: threshold-network neurons vs ``1/delta`` and vs ``N`` on close
  pairs, with the worst-case first-layer (great circle) and VC lower bounds
  labelled as worst-case beside the first layers built on the instance.

Constructions are looked up with :func:`memorize.constructions.available`, so
constructions registered later join the sweeps; those a figure needs but that
are not registered are skipped and listed in the result's ``skipped``.
Figures need matplotlib (``pip install 'memorize[plot]'``); it is imported
only when drawing.
"""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from memorize import data
from memorize.bounds import evaluate, lower
from memorize.bounds.upper import YANG, bounds_for
from memorize.constructions import available, build, get
from memorize.constructions.relu_sublinear import shallowest
from memorize.errors import MemorizeError
from memorize.verify import verify

FIGURES = ("params", "depth", "bits", "threshold")
THRESHOLD_CONSTRUCTIONS = ("threshold_sublinear", "threshold_one_hidden")

# Sweep settings: (quick, full).
_SIZES = ([32, 64, 128, 256, 512, 1024, 2048, 4096],
          [64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768])
# Per construction and sweep: stop growing the sweep after this (the full run's eight
# params series and four threshold series then fit in about 15 minutes on 2 cores).
_BUDGET_S = (5.0, 60.0)
_DEPTH_BUDGET_S = (25.0, 240.0)  # the depth sweep: budgets up to the default's depth
# N where the construction's depth trade-off is visible: quick, connections fall from
# depth 64 to 512 at N = 2048 (the depth-2 network wins every budget below 64 there).
_DEPTH_N = (2048, 8192)
_DEPTHS = ([2] + [2 ** k for k in range(6, 11)], [2] + [2 ** k for k in range(6, 13)])
_WIDTHS = (4, 8, 16, 32, 64)
_INV_DELTAS = ([4, 8, 16, 32], [8, 16, 32, 64, 128])
_THRESHOLD_N = (64, 256)
_DIM, _CLASSES, _SEP = 4, 2, 1e-3

_COLUMNS = ["construction", "N", "d", "C", "r", "delta", "option", "value", "connections", "params",
            "nonzero_params", "neurons", "depth", "width", "first_layer_width", "max_bits",
            "total_bits", "theorem_params", "build_s", "verify_s", "verified"]


def reproduce(figures: Iterable[str] | None = None, out: str | Path = "out", quick: bool = False,
              progress: Callable[[str], None] | None = None, executor=None) -> dict:
    """Build, verify and draw the figures ``figures`` (default: all of :data:`FIGURES`).

    Parameters
    ----------
    figures : names from :data:`FIGURES`; None for all
    out : output folder; ``out/tables/NAME.csv`` and ``out/figures/NAME.{png,pdf}``
    quick : small sweeps (the figures of docs/figures.md) instead of the full ones
    progress : optional ``callable(message)`` told about each build (with an
        executor: about each finished series)
    executor : optional ``concurrent.futures.Executor`` or Dask client: the
        independent series (one construction's sweep, each with its own time
        budget) are built and verified on it, side by side

    Returns
    -------
    dict with ``figures`` (name -> list of written image paths), ``tables``
    (name -> CSV path), ``rows`` (name -> list of row dicts, one per built
    network, each with ``verified``), ``slopes`` (name -> {series: fitted
    log-log slope}) and ``skipped`` (list of ``(figure, construction, reason)``).

    Raises
    ------
    MemorizeError
        for an unknown figure name, or when matplotlib is missing.
    """
    names = list(FIGURES if figures is None else figures)
    unknown = [f for f in names if f not in FIGURES]
    if unknown:
        raise MemorizeError(f"unknown figure(s) {', '.join(unknown)}; choose from {', '.join(FIGURES)}")
    plt_figure = _figure_class()
    q = 0 if quick else 1
    out = Path(out)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    say = progress or (lambda message: None)
    result = {"figures": {}, "tables": {}, "rows": {}, "slopes": {}, "skipped": []}
    sweep_cache: dict = {}
    run = _Runner(executor, say)
    for name in names:
        rows, skipped = _SWEEPS[name](q, run, sweep_cache)
        result["skipped"] += [(name, c, why) for c, why in skipped]
        result["rows"][name] = rows
        result["tables"][name] = _write_csv(out / "tables" / f"{name}.csv", rows)
        if not rows:
            result["figures"][name] = []
            continue
        fig, slopes = _DRAW[name](plt_figure, rows, q)
        result["slopes"][name] = slopes
        paths = []
        for ext in ("png", "pdf"):
            path = out / "figures" / f"{name}.{ext}"
            fig.savefig(path, dpi=100, bbox_inches="tight")  # small enough to commit
            paths.append(path)
        result["figures"][name] = paths
    return result


# -- building -------------------------------------------------------------------------------

def _figure_class():
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise MemorizeError(
            "drawing the figures needs matplotlib: install the plot extra, "
            "pip install 'memorize[plot]'"
        ) from None
    return Figure


def _measure(name: str, X, y, say, option: str = "", value=None, **options) -> dict:
    """Build ``name`` on ``(X, y)``, verify it exactly, and return its table row."""
    say(f"{name}: N={len(X)}" + (f" {option}={value}" if option else ""))
    start = time.perf_counter()
    net = build(name, X, y, **options)
    built = time.perf_counter()
    report = verify(net, X, y, float64=False)
    checked = time.perf_counter()
    s = data.summarize(X, y)
    values = {"N": s.n, "d": s.d, "C": s.num_classes, "r": s.radius, "delta": s.separation}
    row = {"construction": name, **values, "option": option, "value": value, **net.counts(),
           "first_layer_width": net.layers[0].out_dim, "theorem_params": _theorem_params(name, values, options),
           "build_s": round(built - start, 3), "verify_s": round(checked - built, 3),
           "verified": bool(report.ok)}
    return row


def _theorem_params(name: str, values: dict, options: dict):
    """The theorem's bound on connections (dense params where it states only those)."""
    try:
        tb = bounds_for(name, options)
    except MemorizeError:
        return ""
    key = next((k for k in ("connections", "params") if k in tb.layered), None)
    if key is None:
        return ""
    try:
        return evaluate(tb.layered[key], L=options.get("depth") or 1, width=options.get("width") or 1,
                        **values)
    except (MemorizeError, ZeroDivisionError, ValueError):
        return ""


class _Runner:
    """Runs independent series, in this process or on an executor; results in submission order."""

    def __init__(self, executor, say):
        self.executor, self.say = executor, say

    def __call__(self, fn, jobs: list[tuple]) -> list:
        if self.executor is None:
            return [fn(*job, say=self.say) for job in jobs]
        from memorize.verify.parallel import run_tasks

        return run_tasks(self.executor, fn, jobs, on_done=lambda job: self.say(f"{job[0]}: series done"))


def _size_series(name: str, q: int, say=None):
    """One construction over the sizes ``_SIZES[q]``, until its time budget runs out."""
    say = say or (lambda message: None)
    rows, skipped = [], []
    spent, last, growth = 0.0, 0.0, 2.0
    for n in _SIZES[q]:
        # Sizes double; expect the next run to grow as the last one did (at least 2x).
        if spent + last * growth > _BUDGET_S[q]:
            break
        X, y = data.random_separated(n, _DIM, _SEP, num_classes=_CLASSES, seed=n)
        start = time.perf_counter()
        try:
            rows.append(_measure(name, X, y, say))
        except MemorizeError as exc:
            skipped.append((name, f"N={n}: {exc}"))
            break
        cost = time.perf_counter() - start
        growth = max(2.0, cost / last) if last > 0.05 else 2.0
        spent, last = spent + cost, cost
    return rows, skipped


def _sweep_sizes(q, run, cache):
    """Every registered construction over the sizes ``_SIZES[q]`` (shared by params and bits)."""
    if "sizes" not in cache:
        series = run(_size_series, [(name, q) for name in available()])
        cache["sizes"] = ([r for rows, _ in series for r in rows], [s for _, sk in series for s in sk])
    return cache["sizes"]


def _depth_series(name: str, q: int, say=None):
    """``name`` with ``depth = L`` for the budgets ``_DEPTHS[q]`` at ``N = _DEPTH_N[q]``."""
    say = say or (lambda message: None)
    n = _DEPTH_N[q]
    X, y = data.random_separated(n, _DIM, _SEP, num_classes=_CLASSES, seed=n)
    rows, skipped = [], []
    start = time.perf_counter()
    default_depth = build(name, X, y).depth
    for depth in _DEPTHS[q]:
        if time.perf_counter() - start > _DEPTH_BUDGET_S[q] or depth > 2 * default_depth:
            break  # past the default's depth a budget builds the default
        try:
            rows.append(_measure(name, X, y, say, "depth", depth, depth=depth))
        except MemorizeError as exc:
            skipped.append((name, f"depth={depth}: {exc}"))
    if "width" in get(name).defaults():
        for width in _WIDTHS:
            try:
                least = shallowest(X, y, width)
                rows.append(_measure(name, X, y, say, "width", width, width=width, depth=least))
            except MemorizeError as exc:
                skipped.append((name, f"width={width}: {exc}"))
    return rows, skipped


def _sweep_depth(q, run, cache):
    name = "relu_sublinear"
    if name not in available():
        return [], [(name, "not registered")]
    if "depth" not in get(name).defaults():
        return [], [(name, "has no depth option")]
    return run(_depth_series, [(name, q)])[0]


def _threshold_series(name: str, q: int, say=None):
    """``name`` on adversarial pairs, over ``1/delta`` and over ``N``, each within its time budget."""
    say = say or (lambda message: None)
    rows, skipped = [], []
    dim = 16  # room for pairs at distance 1/4 with centres 3/4 apart in the unit ball
    n = _THRESHOLD_N[q]
    start = time.perf_counter()
    for inv in _INV_DELTAS[q]:
        if time.perf_counter() - start > _BUDGET_S[q]:
            break
        try:
            X, y = data.adversarial_pairs(n, dim, 1.0 / inv, seed=int(inv * 10))
            rows.append(_measure(name, X, y, say, "inv_delta", inv))
        except MemorizeError as exc:
            skipped.append((name, f"1/delta={inv}: {exc}"))
    start = time.perf_counter()
    for n in _SIZES[q]:
        if time.perf_counter() - start > _BUDGET_S[q]:
            break
        try:
            X, y = data.adversarial_pairs(n, dim, 0.1, seed=n)
            rows.append(_measure(name, X, y, say, "N", n))
        except MemorizeError as exc:
            skipped.append((name, f"N={n}: {exc}"))
    return rows, skipped


def _sweep_threshold(q, run, cache):
    names = [c for c in THRESHOLD_CONSTRUCTIONS if c in available()]
    skipped = [(c, "not registered") for c in THRESHOLD_CONSTRUCTIONS if c not in names]
    series = run(_threshold_series, [(name, q) for name in names])
    return [r for rows, _ in series for r in rows], skipped + [s for _, sk in series for s in sk]


_SWEEPS = {"params": _sweep_sizes, "bits": _sweep_sizes, "depth": _sweep_depth,
           "threshold": _sweep_threshold}


def _write_csv(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


# -- drawing ----------------------------------------------------------------------------------

def slope(xs, ys) -> float:
    """Least-squares slope of ``log y`` against ``log x``."""
    if len(xs) < 2:
        return float("nan")
    return float(np.polyfit(np.log(np.asarray(xs, float)), np.log(np.asarray(ys, float)), 1)[0])


def _series(rows, key_x, key_y, option=None):
    out: dict[str, tuple[list, list]] = {}
    for row in rows:
        if option is not None and row["option"] != option:
            continue
        xs, ys = out.setdefault(row["construction"], ([], []))
        xs.append(row[key_x])
        ys.append(row[key_y])
    return out


def _colour(name: str) -> str:
    """One colour per construction in every figure, so a reader can follow it across them."""
    names = sorted(set(available()) | set(THRESHOLD_CONSTRUCTIONS))
    return f"C{names.index(name) % 10}" if name in names else "C9"


def _legend_below(ax, ncol: int = 1) -> None:
    """The legend under the panel: never over the data."""
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=ncol, frameon=False)


def _plain_ticks(ax, x: bool = True, y: bool = True, y_base: int = 10) -> None:
    """Plain numbers (4, 8, 16; 10, 100) on log axes instead of 4 x 10^0; x in powers of 2."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    for axis, wanted, base in ((ax.xaxis, x, 2), (ax.yaxis, y, y_base)):
        if wanted:
            axis.set_major_locator(LogLocator(base=base))
            axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            axis.set_minor_formatter(NullFormatter())


def _draw_params(Figure, rows, q):
    fig = Figure(figsize=(10, 5))
    ax = fig.subplots()
    slopes = {}
    for name, (xs, ys) in _series(rows, "N", "connections").items():
        slopes[name] = slope(xs, ys)
        ax.loglog(xs, ys, "o-", color=_colour(name), label=f"{name} (slope {slopes[name]:.2f})")
    ns = sorted({row["N"] for row in rows})
    vc = [lower.min_params_relu(n) for n in ns]
    slopes["VC lower bound"] = slope(ns, vc)
    ax.loglog(ns, vc, "k--", label=f"VC lower bound, any depth (slope {slopes['VC lower bound']:.2f})")
    # The information bound depends on the bits a weight may take: drawn at the headline's own
    # max bits at each N (an n-point labeling needs N log2 C bits; a weight of b bits holds
    # log2 of the number of such values, plus log2 6 for where it goes).
    head = {row["N"]: row["max_bits"] for row in rows if row["construction"] == "relu_sublinear"}
    if head:
        hn = sorted(head)
        ax.loglog(hn, [n * math.log2(_CLASSES) / (lower.log2_values(int(head[n])) + math.log2(6))
                       for n in hn], ":", color=_colour("relu_sublinear"),
                  label="information lower bound at relu_sublinear's own max bits")
    # Guide lines through the smallest N: what Theta(N), Theta(N^(2/3)) (Park et al.) and
    # Theta(sqrt N) (Vardi et al.) look like here.
    top = max(row["connections"] for row in rows if row["N"] == ns[0])
    ax.loglog(ns, [top * n / ns[0] for n in ns], color="grey", lw=0.8, ls="-.", label="guide: slope 1 (N)")
    ax.loglog(ns, [top * (n / ns[0]) ** (2 / 3) for n in ns], color="grey", lw=0.8, ls="--",
              label="guide: slope 2/3 (N^(2/3))")
    ax.loglog(ns, [top * math.sqrt(n / ns[0]) for n in ns], color="grey", lw=0.8, ls=(0, (1, 3)),
              label="guide: slope 1/2 (sqrt N)")
    ax.set_xlabel("N (points)")
    ax.set_ylabel("connections (weights and biases placed)")
    ax.set_title(f"Connections vs N (d = {_DIM}, C = {_CLASSES}, random points in the unit ball)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    ax.grid(True, which="both", alpha=0.3)
    return fig, slopes


def _draw_depth(Figure, rows, q):
    fig = Figure(figsize=(12, 5.5))
    ax, right = fig.subplots(1, 2)
    budget = [row for row in rows if row["option"] == "depth"]
    xs = [row["value"] for row in budget]
    ys = [row["connections"] for row in budget]
    slopes = {"relu_sublinear": slope(xs, ys)}
    colour = _colour("relu_sublinear")
    ax.loglog(xs, ys, "o-", color=colour,
              label=f"relu_sublinear built with depth=L (slope {slopes['relu_sublinear']:.2f})")
    values = {k: rows[0][k] for k in ("N", "d", "C", "r", "delta")}
    depth_theorem = bounds_for("relu_sublinear", {"depth": 2})  # the depth-L variant
    theorem = [evaluate(depth_theorem.layered["connections"], L=L, **values) for L in xs]
    lows = [lower.min_params_relu(rows[0]["N"], depth=int(row["depth"])) for row in budget]
    ax.loglog(xs, theorem, "k-.", label="theorem (depth L): N min(1, lambda/L), c_O = 1")
    ax.loglog(xs, lows, "k--", label="VC lower bound at the network's depth")
    ax.axvline(math.sqrt(values["N"]), color="grey", lw=0.8, label="L = sqrt N (end of the theorem's range)")
    ax.set_xlabel("depth budget L (the option depth=L)")
    ax.set_ylabel("connections of the network built (weights and biases placed)")
    ax.set_title(f"Connections vs depth budget at N = {values['N']}")
    _plain_ticks(ax)
    _legend_below(ax)
    ax.grid(True, which="both", alpha=0.3)
    by_width = [row for row in rows if row["option"] == "width"]
    if by_width:
        ws = [row["value"] for row in by_width]
        ds = [row["depth"] for row in by_width]
        slopes["depth vs width"] = slope(ws, ds)
        right.loglog(ws, ds, "o-", color=colour,
                     label=f"relu_sublinear, least depth at width <= W (slope {slopes['depth vs width']:.2f})")
        right.loglog(ws, [evaluate(YANG.layered["depth"], width=w, **values) for w in ws], "k-.",
                     label="Yang-Yang: L ~ sqrt(N log(1/delta)) / W, c_O = 1")
        right.loglog(ws, [lower.min_depth_at_width(values["N"], w, values["delta"], values["r"])
                          for w in ws], "k--", label="lower bound: sqrt(N / log(1/delta)) / W")
        right.set_xlabel("width limit W (the option width=W)")
        right.set_ylabel("depth of the network built (affine layers)")
        right.set_title(f"Depth vs width at N = {values['N']}")
        _plain_ticks(right)
        _legend_below(right)
        right.grid(True, which="both", alpha=0.3)
    return fig, slopes


def _draw_bits(Figure, rows, q):
    fig = Figure(figsize=(12, 5.5))
    left, right = fig.subplots(1, 2)
    slopes = {}
    for name, (xs, ys) in _series(rows, "N", "max_bits").items():
        slopes[f"{name} max_bits"] = slope(xs, ys)
        left.loglog(xs, ys, "o-", color=_colour(name), label=f"{name} (slope {slopes[f'{name} max_bits']:.2f})")
    for name, (xs, ys) in _series(rows, "N", "total_bits").items():
        slopes[f"{name} total_bits"] = slope(xs, ys)
        right.loglog(xs, ys, "o-", color=_colour(name),
                     label=f"{name} (slope {slopes[f'{name} total_bits']:.2f})")
    ns = sorted({row["N"] for row in rows})
    left.axhline(53, color="k", ls="--", label="53 bits (float64 significand)")
    right.loglog(ns, [n * math.log2(_CLASSES) for n in ns], "k:", label="N log2 C (label information)")
    left.set_title("largest weight or bias")
    right.set_title("all nonzero weights and biases")
    left.set_ylabel("max bits (of one weight or bias)")
    right.set_ylabel("total bits (sum over nonzero parameters)")
    for ax in (left, right):
        ax.set_xlabel("N (points)")
        _legend_below(ax, ncol=2)
        ax.grid(True, which="both", alpha=0.3)
    _plain_ticks(left, x=False, y_base=2)
    return fig, slopes


def _draw_threshold(Figure, rows, q):
    fig = Figure(figsize=(12, 5.5))
    left, right = fig.subplots(1, 2)
    slopes = {}
    for name, (xs, ys) in _series(rows, "value", "neurons", "inv_delta").items():
        slopes[f"{name} vs 1/delta"] = slope(xs, ys)
        left.loglog(xs, ys, "o-", color=_colour(name),
                    label=f"{name}, all neurons (slope {slopes[f'{name} vs 1/delta']:.2f})")
    for name, (xs, ys) in _series(rows, "value", "first_layer_width", "inv_delta").items():
        left.loglog(xs, ys, "x:", color=_colour(name), label=f"{name}, first layer (this instance)")
    for name, (xs, ys) in _series(rows, "N", "neurons", "N").items():
        slopes[f"{name} vs N"] = slope(xs, ys)
        right.loglog(xs, ys, "o-", color=_colour(name), label=f"{name} (slope {slopes[f'{name} vs N']:.2f})")
    by_inv = sorted({(row["value"], row["N"], row["d"], row["delta"], row["r"]) for row in rows
                     if row["option"] == "inv_delta"})
    if by_inv:
        # A worst-case bound: some delta-separated labeled set (alternating labels on a great
        # circle) needs this many first-layer units; the random pairs drawn here need not.
        left.loglog([b[0] for b in by_inv],
                    [max(lower.first_layer_threshold(b[1], b[2], b[3], b[4]), 1) for b in by_inv],
                    "k--", label="worst case (great circle): first-layer lower bound at this N, delta")
    by_n = sorted({(row["N"], row["d"]) for row in rows if row["option"] == "N"})
    if by_n:
        right.loglog([b[0] for b in by_n], [lower.min_neurons_threshold(*b) for b in by_n], "k--",
                     label="worst case (some labeling): VC lower bound on units")
    inst = [row for row in rows if row["option"] == "inv_delta"]
    if inst:
        left.set_title(f"neurons vs 1/delta ({inst[0]['N']} points in close pairs, d = {inst[0]['d']})")
    left.set_xlabel("1/delta (delta: the pairs' distance, asked)")
    inst = [row for row in rows if row["option"] == "N"]
    right.set_title("neurons vs N (close pairs, delta = 0.1"
                    + (f", d = {inst[0]['d']})" if inst else ")"))
    right.set_xlabel("N (points)")
    for ax in (left, right):
        ax.set_ylabel("threshold neurons (non-input units)")
        _legend_below(ax)
        ax.grid(True, which="both", alpha=0.3)
    _plain_ticks(left)
    return fig, slopes


_DRAW = {"params": _draw_params, "depth": _draw_depth, "bits": _draw_bits,
         "threshold": _draw_threshold}
