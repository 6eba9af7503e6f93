"""The ``memorize`` command: build, verify, list, demo, reproduce.

Exit status: 0 success (for ``verify``: every point memorized exactly),
1 ``verify`` found a point that is not memorized, 2 bad input (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
import time
from pathlib import Path

import numpy as np

from memorize import data as data_mod
from memorize import formats
from memorize.constructions import available, build, get
from memorize.errors import DataError, MemorizeError
from memorize.progress import Progress
from memorize.verify import verify

DEMO = {"n": 400, "d": 5, "classes": 4, "delta": 0.05}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line on stderr, exit 2
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def load_data(path) -> tuple[np.ndarray, np.ndarray]:
    """``X`` and ``y`` from an ``.npz`` file holding arrays named ``X`` and ``y``."""
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in ("X", "y") if k not in f.files]
            if missing:
                raise DataError(
                    f"{path}: missing array(s) {', '.join(missing)}; save with np.savez(path, X=X, y=y)"
                )
            X, y = f["X"], f["y"]
    except FileNotFoundError:
        raise DataError(f"data file {path} not found") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"{path} is not a readable .npz file ({exc}); save with np.savez(path, X=X, y=y)") from None
    return data_mod.validate(X, y)


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
    return (f"params {c['params']}  nonzero {c['nonzero_params']}  neurons {c['neurons']}  "
            f"depth {c['depth']}  width {c['width']}  max_bits {c['max_bits']}  total_bits {c['total_bits']}")


def cmd_build(args) -> int:
    X, y = load_data(args.data)
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

    net = formats.load(args.network)
    X, y = load_data(args.data)
    progress = None if args.quiet or args.json else Progress("verifying", stream=sys.stderr)
    with executor_for(net, args.workers, args.scheduler) as executor:
        report = verify(net, X, y, float64=not args.no_float, progress=progress, executor=executor)
    if progress:
        progress.close()
    if args.json:
        print(json.dumps(report.to_dict(), default=str))
    else:
        print(report.summary())
    return 0 if report.ok else 1


def cmd_list(args) -> int:
    for name in available():
        print(f"{name}  {get(name).description}")
    return 0


def cmd_demo(args) -> int:
    X, y = data_mod.random_separated(args.n, args.d, args.delta, num_classes=args.classes, seed=args.seed)
    s = data_mod.summarize(X, y)
    print(f"demo data: N={s.n} d={s.d} C={s.num_classes} r={s.radius:.3g} delta={s.separation:.3g} "
          f"(random labels, seed {args.seed})")
    header = f"{'construction':<22}{'params':>10}{'nonzero':>10}{'depth':>7}{'width':>7}{'max bits':>10}" \
             f"{'build s':>9}{'verify s':>10}  exact"
    rows = []
    progress = None if args.quiet else Progress("demo", total=len(available()), stream=sys.stderr)
    for k, name in enumerate(available()):
        t0 = time.perf_counter()
        net = build(name, X, y, seed=args.seed)
        t1 = time.perf_counter()
        rep = verify(net, X, y, float64=False)
        rows.append(f"{name:<22}{rep.params:>10}{rep.nonzero_params:>10}{rep.depth:>7}{rep.width:>7}"
                    f"{rep.max_bits:>10}{t1 - t0:>9.2f}{rep.seconds:>10.2f}  "
                    f"{'verified' if rep.ok else 'FAILED'}")
        if progress:
            progress.update(k + 1)
    if progress:
        progress.close()
    print(header)
    print("\n".join(rows))
    return 0


def cmd_reproduce(args) -> int:
    from memorize.reproduce import reproduce
    from memorize.verify.parallel import executor_for

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


def make_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="memorize", description="Build, count and exactly verify memorizing networks.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--quiet", action="store_true", help="no progress or summary output")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    b = sub.add_parser("build", parents=[common], help="build a construction on a data set and save the network")
    b.add_argument("name", help="construction name (see `memorize list`)")
    b.add_argument("--data", required=True, help=".npz file with arrays X (N x d floats) and y (N int labels)")
    b.add_argument("--out", required=True, help="output network file (memorize-network JSON)")
    b.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    b.add_argument("--set", action="append", metavar="KEY=VALUE", help="construction option, repeatable")
    b.set_defaults(func=cmd_build)

    v = sub.add_parser("verify", parents=[common], help="check exactly that a network memorizes a data set")
    v.add_argument("network", help="network file (memorize-network JSON)")
    v.add_argument("--data", required=True, help=".npz file with arrays X and y")
    v.add_argument("--json", action="store_true", help="print the report as one JSON object")
    v.add_argument("--no-float", action="store_true", help="skip the float64 comparison")
    _add_parallel_options(v, "check contiguous chunks of points")
    v.set_defaults(func=cmd_verify)

    ls = sub.add_parser("list", parents=[common], help="list the registered constructions")
    ls.set_defaults(func=cmd_list)

    d = sub.add_parser("demo", parents=[common], help="build every construction on a random data set and verify it")
    d.add_argument("--n", type=int, default=DEMO["n"], help=f"points (default {DEMO['n']})")
    d.add_argument("--d", type=int, default=DEMO["d"], help=f"dimension (default {DEMO['d']})")
    d.add_argument("--classes", type=int, default=DEMO["classes"], help=f"classes (default {DEMO['classes']})")
    d.add_argument("--delta", type=float, default=DEMO["delta"], help=f"separation (default {DEMO['delta']})")
    d.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    d.set_defaults(func=cmd_demo)

    from memorize.reproduce import FIGURES

    r = sub.add_parser("reproduce", parents=[common],
                       help="build, verify and plot every construction beside its bounds")
    r.add_argument("figures", nargs="*", metavar="FIGURE",
                   help=f"figures to draw (default all): {', '.join(FIGURES)}")
    r.add_argument("--out", default="out", help="output folder (default out/)")
    r.add_argument("--quick", action="store_true", help="small sweeps, a few minutes on 2 cores")
    _add_parallel_options(r, "run the independent builds and verifications")
    r.set_defaults(func=cmd_reproduce)
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
        sys.stderr.write(f"memorize: error: {exc}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("memorize: interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
