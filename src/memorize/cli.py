"""The ``memorize`` command: build, verify, compare, list, demo, reproduce.

(About 500 lines: one small function per subcommand and the argument parser that
names them; the ``empirical`` group lives in :mod:`memorize.empirical.cli`.)

Exit status, one meaning each:

* 0 success (for ``verify``: every point memorized exactly);
* 1 ``verify`` (or ``reproduce``) found a point that is not memorized;
* 2 bad input: a malformed file, data or option (one line on stderr);
* 3 an internal error, which is a bug (one line naming the exception;
  the traceback only with ``--debug``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
import warnings
from pathlib import Path

import numpy as np

from memorize import __version__
from memorize import data as data_mod
from memorize import formats
from memorize.constructions import available, build, get
from memorize.datafile import MAX_DATA_BYTES, load_data
from memorize.errors import MemorizeError
from memorize.files import check_writable
from memorize.progress import Progress
from memorize.seeds import MAX_SEED
from memorize.verify import verify

DEMO = {"n": 400, "d": 5, "classes": 4, "delta": 0.05, "large_n": 4000}
DEMO_MAX = {"n": 100_000, "d": 1000, "classes": 1 << 20}  # a demo, not a benchmark: bounded work


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line on stderr, exit 2
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def _seed(text: str) -> int:
    """An argparse type: a seed is an integer in ``[0, 2^128)``."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seed must be an integer, got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise argparse.ArgumentTypeError(f"seed must be in [0, 2^128), got {value}")
    return value


def _int_in(lo: int, hi: int):
    """An argparse type: an integer in ``[lo, hi]``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"expected an integer in [{lo}, {hi}], got {value}")
        return value

    return parse


_size = _int_in(1, 1 << 62)


def _parse_sets(name: str, items: list[str]) -> dict:
    c = get(name)
    options = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise MemorizeError(f"--set expects key=value, got {item!r}")
        options[key.strip()] = c.parse_option(key.strip(), value.strip())
    return options


def _counts_line(net) -> str:
    c = net.counts()
    return (f"connections {c['connections']}  params {c['params']}  nonzero {c['nonzero_params']}  neurons {c['neurons']}  "
            f"depth {c['depth']}  width {c['width']}  max_bits {c['max_bits']}  total_bits {c['total_bits']}")


def cmd_build(args) -> int:
    check_writable(args.out, "output file", MemorizeError)
    X, y = load_data(args.data, max_bytes=args.max_bytes or MAX_DATA_BYTES)
    options = _parse_sets(args.name, args.set or [])
    start = time.perf_counter()
    net = build(args.name, X, y, seed=args.seed, **options)
    formats.save(net, args.out)
    if not args.quiet:
        print(f"built {args.name} on N={len(X)} points in {time.perf_counter() - start:.2f} s -> {args.out}")
        print(_counts_line(net))
    return 0


def _workers(text: str) -> int:
    """``--workers``: a positive integer."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer number of processes, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer number of processes, got {text!r}")
    return value


def _add_parallel_options(p: argparse.ArgumentParser, what: str) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--workers", type=_workers, default=1, metavar="N",
                   help=f"{what} in N local processes (default 1)")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help=f"{what} on the Dask cluster whose scheduler is at ADDRESS "
                        "(e.g. tcp://10.0.0.1:8786; needs memorize[dask])")


def cmd_verify(args) -> int:
    from memorize.verify.parallel import executor_for

    net = formats.load(args.network, max_bytes=args.max_bytes or formats.MAX_FILE_BYTES)
    X, y = load_data(args.data, max_bytes=args.max_bytes or MAX_DATA_BYTES)
    progress = None if args.quiet or args.json else Progress("verifying", stream=sys.stderr)
    with executor_for(net, args.workers, args.scheduler) as executor:
        report = verify(net, X, y, output=args.output, float64=not args.no_float,
                        progress=progress, executor=executor)
    if progress:
        progress.close()
    if args.json:
        print(json.dumps(formats.jsonable(report.to_dict()), allow_nan=False))
    elif not args.quiet:  # --quiet: the exit status is the answer
        print(report.summary())
    return 0 if report.ok else 1


def cmd_compare(args) -> int:
    from memorize.bounds import compare

    net = formats.load(args.network, max_bytes=args.max_bytes or formats.MAX_FILE_BYTES)
    if args.data:
        X, y = load_data(args.data, max_bytes=args.max_bytes or MAX_DATA_BYTES)
        result = compare(net, X, y)
    else:
        result = compare(net)
    if args.json:
        print(json.dumps(formats.jsonable(result.to_dict()), allow_nan=False))
    else:
        print(result.summary())
    return 0


def cmd_info(args) -> int:
    c = get(args.name)
    print(f"{c.name}: {c.summary}")
    print(f"reference: {c.reference}")
    print(f"guarantee: {c.guarantee}")
    print(f"docs: {c.docs}")
    if c.options:
        print("\noptions (memorize build NAME --set key=value):")
        width = max(len(o.name) for o in c.options)
        for o in c.options:
            print(f"  {o.name:<{width}}  {o.allowed()}, default {o.default!r}")
            print(f"  {'':<{width}}  {o.doc}")
    else:
        print("\noptions: none")
    tb = c.bounds()
    formulas = tb.size or tb.layered
    what = ("exact counts of the construction" if tb.size else
            "the theorem's bound in the layered counting")
    names = sorted({str(v) for e in formulas.values() for v in getattr(e, "free_symbols", ())})
    print(f"\n{what} (in {', '.join(names)}; memorize.bounds.symbols says what each means):")
    for key, expr in formulas.items():
        print(f"  {key:<12} {expr}")
    return 0


#: ``memorize data KIND``: the built-in generators, as ``(X, y)`` from the parsed arguments.
DATA_KINDS = {
    "ball": lambda a: data_mod.random_separated(a.n, a.d, a.delta, num_classes=a.classes, seed=a.seed),
    "sphere": lambda a: data_mod.random_separated(a.n, a.d, a.delta, num_classes=a.classes,
                                                  sphere=True, seed=a.seed),
    "pairs": lambda a: data_mod.adversarial_pairs(a.n, a.d, a.delta, num_classes=a.classes, seed=a.seed),
    "circle": lambda a: data_mod.great_circle(a.delta, d=a.d, seed=a.seed),
    "digits": lambda a: _digits(a.seed),
}


def _digits(seed):
    from memorize.datasets import digits

    return digits(seed=seed)


def cmd_data(args) -> int:
    check_writable(args.out, "output file", MemorizeError)
    X, y = DATA_KINDS[args.kind](args)
    with open(args.out, "wb") as fh:  # an open handle: np.savez adds no suffix
        np.savez(fh, X=X, y=y)
    if not args.quiet:
        print(f"wrote {args.kind}: N={len(X)} d={X.shape[1]} C={int(y.max()) + 1} -> {args.out}")
    return 0


def cmd_list(args) -> int:
    width = max(len(name) for name in available())
    for name in available():
        print(f"{name:<{width}}  {get(name).summary}")
    return 0


HEADLINE = "relu_sublinear"
#: Part 2 of the demo: the ReLU constructions that scale, at a size where the headline wins.
SCALABLE = ("relu_two_layer", "relu_three_layer", "relu_sublinear")
#: The demo's columns: (header, width, row key, format).
_DEMO_COLUMNS = (
    ("construction", -21, "name", "s"), ("connections", 12, "connections", "d"),
    ("params", 9, "params", "d"), ("depth", 7, "depth", "d"), ("width", 7, "width", "d"),
    ("max bits", 10, "max_bits", "d"), ("theorem bound", 17, "bound_text", "s"),
    ("lower", 8, "lower_text", "s"), ("build s", 9, "build_s", ".2f"), ("verify s", 10, "verify_s", ".2f"),
)
_DEMO_LEGEND = (
    "theorem bound: the row's theorem in the count written beside it (conn. = connections, params\n"
    "= dense params; read each against that column); ~ = an O(.) bound drawn with its constant\n"
    "1, which the construction's own constant may exceed. lower: with fewer connections no\n"
    "network of the row's kind (ReLU or threshold) and depth memorizes every labeling of N\n"
    "points (VC dimension; - with one label, which a constant network memorizes)."
)


def _demo_bound(comparison) -> tuple[float | None, str | None]:
    """The theorem's bound in the row's own count: connections if the theorem counts
    them (a sparse construction), else dense params (a dense one: connections <= params)."""
    for count in ("connections", "params"):
        if count in comparison.upper:
            return comparison.upper[count], count
    return None, None


def _demo_row(name, X, y, seed, values, err) -> dict:
    """Build and verify one construction; its counts beside its bounds (bounds.compare)."""
    from memorize.bounds import compare

    step = Progress(f"building {name}", stream=err, transient=True) if err else None
    t0 = time.perf_counter()
    net = build(name, X, y, seed=seed)
    build_s = time.perf_counter() - t0
    if step:
        step.close()
    step = Progress(f"verifying {name}", stream=err, transient=True) if err else None
    rep = verify(net, X, y, float64=False, progress=step)
    if step:
        step.close()
    cmp = compare(net, **values)
    bound, count = _demo_bound(cmp)
    # Both VC bounds hold for a network of this depth: the one at its depth and the one at
    # any depth (the first is vacuous for deep networks); the larger is the lower bound.
    # None with one label, which a constant network memorizes.
    lower = max((v for k, v in cmp.lower.items() if k.startswith("connections")), default=None)
    text = "-" if bound is None else (f"{'' if cmp.exact_constants else '~'}{round(bound)} "
                                      f"{'conn.' if count == 'connections' else 'params'}")
    return {"name": name, "headline": name == HEADLINE, "connections": rep.connections,
            "params": rep.params, "depth": rep.depth, "width": rep.width, "max_bits": rep.max_bits,
            "bound": bound, "bound_count": count, "bound_exact": cmp.exact_constants,
            "bound_text": text, "lower": lower, "lower_text": "-" if lower is None else str(lower),
            "build_s": build_s, "verify_s": rep.seconds,
            "verified": rep.ok}


def _demo_table(names, X, y, seed, out, err) -> list[dict]:
    """Build, verify and print one row per construction as soon as it is verified."""
    s = data_mod.summarize(X, y)
    values = {"N": s.n, "d": s.d, "C": s.num_classes, "r": s.radius, "delta": s.separation}
    print("  " + "".join(f"{h:<{-w}}" if w < 0 else f"{h:>{w}}" for h, w, _, _ in _DEMO_COLUMNS)
          + "  exact", file=out, flush=True)
    rows = []
    for name in names:
        row = _demo_row(name, X, y, seed, values, err)
        cells = "".join(f"{row[k]:<{-w}{f}}" if w < 0 else f"{row[k]:>{w}{f}}"
                        for _, w, k, f in _DEMO_COLUMNS)
        print(f"{'*' if row['headline'] else ' '} {cells}  {'verified' if row['verified'] else 'FAILED'}",
              file=out, flush=True)
        rows.append(row)
    return rows


def demo(n=DEMO["n"], d=DEMO["d"], classes=DEMO["classes"], delta=DEMO["delta"], seed=0,
         large_n=DEMO["large_n"], out=None, err=None) -> dict:
    """``memorize demo``: print its two tables on ``out`` (default stdout), progress on
    ``err`` (None: none), and return them.

    Returns ``{"parts": [{"n", "delta", "rows"}, ...], "ratios": {n: (rival, ratio)}}``:
    part 1 is every construction at ``n`` points, part 2 the scalable ReLU
    constructions at ``large_n`` points with separation ``delta / 10``; a row is a
    dict of its counts, bounds and times (``_demo_row``); a ratio is the leanest
    linear construction's connections over the headline's.
    """
    out = out if out is not None else sys.stdout
    X, y = data_mod.random_separated(n, d, delta, num_classes=classes, seed=seed)
    s = data_mod.summarize(X, y)
    print(f"demo data: N={s.n} d={s.d} C={s.num_classes} r={s.radius:.3g}, measured separation "
          f"{s.separation:.3g} (asked >= {delta}; random labels, seed {seed})", file=out)
    parts = [{"n": n, "delta": delta, "rows": _demo_table(available(), X, y, seed, out, err)}]
    X, y = data_mod.random_separated(large_n, d, delta / 10, num_classes=classes, seed=seed)
    print(f"\nthe constructions that scale, at N={large_n} (separation asked >= {delta / 10}):", file=out)
    parts.append({"n": large_n, "delta": delta / 10,
                  "rows": _demo_table([c for c in SCALABLE if c in available()], X, y, seed, out, err)})
    print("\n" + _DEMO_LEGEND, file=out)
    ratios = {}
    if all(HEADLINE in {r["name"] for r in p["rows"]} for p in parts):
        print(f"\n* {HEADLINE} (Vardi et al. 2022, O~(sqrt N) connections) against the leanest "
              "Theta(N) ReLU construction:", file=out)
        for part in parts:
            counts = {r["name"]: r["connections"] for r in part["rows"]}
            rival = min((c for c in SCALABLE if c in counts and c != HEADLINE), key=counts.get)
            ratios[part["n"]] = (rival, counts[rival] / counts[HEADLINE])
            print(f"  N={part['n']}: {counts[HEADLINE]} connections against {counts[rival]} ({rival}), "
                  f"ratio {counts[rival] / counts[HEADLINE]:.2f}", file=out)
    out.flush()
    return {"parts": parts, "ratios": ratios}


def cmd_demo(args) -> int:
    demo(args.n, args.d, args.classes, args.delta, args.seed, args.large_n,
         err=None if args.quiet else sys.stderr)
    return 0


def cmd_reproduce(args) -> int:
    from memorize.reproduce import reproduce
    from memorize.verify.parallel import executor_for

    _check_folder(args.out)
    say = None if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    start = time.perf_counter()
    with executor_for(None, args.workers, args.scheduler) as executor:
        result = reproduce(args.figures or None, out=args.out, quick=args.quick, progress=say,
                           executor=executor)
    for name, paths in result["figures"].items():
        slopes = result["slopes"].get(name, {})
        fitted = ", ".join(f"{k} {v:.2f}" for k, v in slopes.items() if v == v)
        print(f"{name}: {', '.join(str(p) for p in paths)}" + (f"  (slopes: {fitted})" if fitted else ""))
    for figure, construction, reason in result["skipped"]:
        print(f"skipped {construction} in {figure}: {reason}")
    bad = [r for rows in result["rows"].values() for r in rows if not r.get("verified", True)]
    print(f"done in {time.perf_counter() - start:.1f} s; "
          f"{sum(len(r) for r in result['rows'].values())} networks built, "
          f"{'all verified exactly' if not bad else f'{len(bad)} NOT verified'}")
    return 0 if not bad else 1


def _check_folder(path: str) -> None:
    """``reproduce --out``: an existing folder, or a new one whose parent folder exists."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise MemorizeError(f"--out {path!r} exists and is not a folder; give a folder name")
    if not out.exists() and not out.parent.is_dir():
        raise MemorizeError(f"--out {path!r}: folder {str(out.parent)!r} does not exist")


def make_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="memorize", description="Build, count and exactly verify memorizing networks.")
    p.add_argument("--version", action="version", version=f"memorize {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--quiet", action="store_true",
                        help="nothing on stdout but the requested output (--json), no progress")
    common.add_argument("--debug", action="store_true", help="print the traceback of an internal error")
    limits = argparse.ArgumentParser(add_help=False)
    limits.add_argument("--max-bytes", type=_size, default=None,
                        help="largest file (and decompressed data array) read, in bytes (default "
                             f"{formats.MAX_FILE_BYTES} for networks, {MAX_DATA_BYTES} for data)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    b = sub.add_parser("build", parents=[common, limits], help="build a construction on a data set and save the network")
    b.add_argument("name", help="construction name (see `memorize list`)")
    b.add_argument("--data", required=True, help=".npz file with arrays X (N x d floats) and y (N int labels)")
    b.add_argument("--out", required=True, help="output network file (memorize-network JSON)")
    b.add_argument("--seed", type=_seed, default=0, help="random seed, an integer >= 0 (default 0)")
    b.add_argument("--set", action="append", metavar="KEY=VALUE", help="construction option, repeatable")
    b.set_defaults(func=cmd_build)

    v = sub.add_parser("verify", parents=[common, limits], help="check exactly that a network memorizes a data set")
    v.add_argument("network", help="network file (memorize-network JSON)")
    v.add_argument("--data", required=True, help=".npz file with arrays X and y")
    v.add_argument("--json", action="store_true", help="print the report as one JSON object")
    v.add_argument("--no-float", action="store_true", help="skip the float64 comparison")
    v.add_argument("--output", choices=("label", "argmax"), default="label",
                   help="label: the scalar output equals the label (default); argmax: a classifier "
                        "whose label's output is strictly the largest")
    _add_parallel_options(v, "check contiguous chunks of points")
    v.set_defaults(func=cmd_verify)

    cp = sub.add_parser("compare", parents=[common, limits],
                        help="set a built network beside its theorem's bounds and the lower bounds")
    cp.add_argument("network", help="network file (memorize-network JSON) built by memorize")
    cp.add_argument("--data", help=".npz file with X and y (default: the summary saved in the file)")
    cp.add_argument("--json", action="store_true", help="print the comparison as one JSON object")
    cp.set_defaults(func=cmd_compare)

    info = sub.add_parser("info", parents=[common],
                          help="a construction's theorem, guarantee and options")
    info.add_argument("name", help="construction name (see `memorize list`)")
    info.set_defaults(func=cmd_info)

    dt = sub.add_parser("data", parents=[common],
                        help="write a generated data set (X, y) to an .npz file for build and verify")
    dt.add_argument("kind", choices=sorted(DATA_KINDS),
                    help="ball/sphere: separated random points, random labels; pairs: close pairs "
                         "with different labels; circle: the great-circle instance (n is implied "
                         "by delta); digits: scikit-learn's digits (the examples extra)")
    dt.add_argument("--n", type=_int_in(1, DEMO_MAX["n"]), default=DEMO["n"], help="points")
    dt.add_argument("--d", type=_int_in(1, DEMO_MAX["d"]), default=DEMO["d"], help="dimension")
    dt.add_argument("--classes", type=_int_in(1, DEMO_MAX["classes"]), default=2, help="classes")
    dt.add_argument("--delta", type=float, default=DEMO["delta"], help="separation")
    dt.add_argument("--seed", type=_seed, default=0, help="random seed, an integer >= 0")
    dt.add_argument("--out", required=True, help="the .npz file to write")
    dt.set_defaults(func=cmd_data)

    ls = sub.add_parser("list", parents=[common], help="list the registered constructions")
    ls.set_defaults(func=cmd_list)

    d = sub.add_parser("demo", parents=[common], help="build every construction on a random data set and verify it")
    d.add_argument("--n", type=_int_in(2, DEMO_MAX["n"]), default=DEMO["n"],
                   help=f"points, 2 to {DEMO_MAX['n']} (default {DEMO['n']}; the bounds need a "
                        "separation, so two points at least)")
    d.add_argument("--d", type=_int_in(1, DEMO_MAX["d"]), default=DEMO["d"],
                   help=f"dimension (default {DEMO['d']}, at most {DEMO_MAX['d']})")
    d.add_argument("--classes", type=_int_in(1, DEMO_MAX["classes"]), default=DEMO["classes"],
                   help=f"classes (default {DEMO['classes']}, at most {DEMO_MAX['classes']})")
    d.add_argument("--delta", type=float, default=DEMO["delta"], help=f"separation (default {DEMO['delta']})")
    d.add_argument("--seed", type=_seed, default=0, help="random seed, an integer >= 0 (default 0)")
    d.add_argument("--large-n", type=_int_in(2, DEMO_MAX["n"]), default=DEMO["large_n"],
                   help=f"points of part 2, the constructions that scale, 2 to {DEMO_MAX['n']} "
                        f"(default {DEMO['large_n']})")
    d.set_defaults(func=cmd_demo)

    from memorize.reproduce import FIGURES

    r = sub.add_parser("reproduce", parents=[common],
                       help="build, verify and plot every construction beside its bounds")
    r.add_argument("figures", nargs="*", metavar="FIGURE",
                   help=f"figures to draw (default all): {', '.join(FIGURES)}")
    r.add_argument("--out", default="out", help="output folder (default out/)")
    r.add_argument("--quick", action="store_true", help="small sweeps (the figures of docs/figures.md)")
    _add_parallel_options(r, "run the independent builds and verifications")
    r.set_defaults(func=cmd_reproduce)

    from memorize.empirical.cli import add_parser as add_empirical

    add_empirical(sub, [common])
    return p


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    """Warnings (a clamped option, say) as one line on stderr, like errors."""
    sys.stderr.write(f"memorize: warning: {message}\n")


def main(argv=None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning
            return args.func(args)
    except MemorizeError as exc:
        sys.stderr.write(f"memorize: error: {_one_line(exc)}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("memorize: interrupted\n")
        return 130
    except BrokenPipeError:  # the reader went away (``memorize list | head -1``): not a bug
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        return 141
    except Exception as exc:  # anything else is a bug: say so, distinct from a verdict or bad input
        if getattr(args, "debug", False):
            traceback.print_exc()
        sys.stderr.write(f"memorize: internal error (a bug; please report it, rerun with --debug for "
                         f"the traceback): {type(exc).__name__}: {_one_line(exc)}\n")
        return 3


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:2000]


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
