"""``memorize empirical scores|capacity|seminorm``: the command-line group of :mod:`memorize.empirical`.

:func:`add_parser` registers the group on the main parser's subparsers; the
command functions return the exit status (0 on success; bad input raises a
:class:`~memorize.errors.MemorizeError`, which the main CLI turns into exit
status 2 and one line on stderr).
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from memorize.errors import ArgumentError, MemorizeError


def _widths(text: str) -> tuple[int, ...]:
    """``--model 64`` or ``--model 128,64``: hidden widths."""
    try:
        widths = tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected hidden widths such as 64 or 128,64, got {text!r}") from None
    if any(w < 1 for w in widths):
        raise argparse.ArgumentTypeError(f"hidden widths must be >= 1, got {text!r}")
    return widths


def _output(text: str):
    if text in ("auto", "label", "jacobian", "scalar"):
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected auto, label, jacobian, scalar or an output index, got {text!r}") from None


def _data(args):
    """``(X, y, images)`` from ``--data FILE.npz`` or ``--digits`` (images: (N, 8, 8) or None)."""
    if args.digits:
        from memorize.datasets import digits

        X, y = digits(random_labels=getattr(args, "random_labels", False), seed=args.seed)
        return X, y, X.reshape(-1, 8, 8)
    if not args.data:
        raise ArgumentError("give a data set: --data FILE.npz (arrays X and y) or --digits")
    from memorize.datafile import MAX_DATA_BYTES, load_data

    X, y = load_data(args.data, max_bytes=getattr(args, "max_bytes", None) or MAX_DATA_BYTES)
    return X, y, None


class _LazyBar:
    """A :class:`~memorize.progress.Progress` made at the first update, so that bad input
    (rejected before any work) prints nothing but its one error line."""

    def __init__(self, label: str, total: int):
        self.label, self.total, self.bar = label, total, None

    def update(self, done: int) -> None:
        if self.bar is None:
            from memorize.progress import Progress

            self.bar = Progress(self.label, self.total)
        self.bar.update(done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _progress(args, label, total):
    """A progress bar on stderr (None with --quiet or --json)."""
    if args.quiet or getattr(args, "json", False):
        return None
    return _LazyBar(label, total)


def _callback(bar):
    return None if bar is None else (lambda done, total: bar.update(done))


def cmd_scores(args) -> int:
    from memorize.empirical.scores import memorization_scores, noisy_labels

    if args.plot or args.grid:  # fail before training, not after
        from memorize.files import check_writable

        for path in (args.plot, args.grid):
            if path:
                check_writable(path, "figure file", MemorizeError)
    X, y, images = _data(args)
    if args.grid and images is None:
        side = int(round(np.sqrt(X.shape[1])))
        if side * side != X.shape[1]:
            raise ArgumentError(f"--grid draws square images; the points have {X.shape[1]} coordinates")
        images = np.asarray(X, dtype=np.float64).reshape(-1, side, side)
    noisy = None
    if args.noise:
        y, noisy = noisy_labels(y, args.noise, seed=args.seed)
    bar = _progress(args, f"training {args.models} models", args.epochs)
    try:
        result = memorization_scores(
            X, y, model=args.model, n_models=args.models, subset_fraction=args.fraction, epochs=args.epochs,
            loss=args.loss, optimizer=args.optimizer, lr=args.lr, batch_size=args.batch_size, seed=args.seed,
            score=args.score, device=args.device, threads=args.threads, progress=_callback(bar))
    finally:
        if bar is not None:
            bar.close()
    if args.out:
        from memorize.files import check_writable

        check_writable(args.out, "output file", MemorizeError)
        with open(args.out, "wb") as fh:
            np.savez(fh, scores=result.scores, stderr=result.stderr, n_in=result.n_in, n_out=result.n_out,
                     y=y, noisy=noisy if noisy is not None else np.zeros(len(y), dtype=bool),
                     **{f"mem_{k}": v for k, v in result.all_scores.items()})
    if args.json:
        d = result.to_dict()
        if noisy is not None:
            d["noisy"] = noisy.tolist()
        print(json.dumps(d, allow_nan=False))
    elif not args.quiet:
        print(result.summary(noisy))
        top = result.top(5)
        print("most memorized: " + ", ".join(f"#{i} (y={y[i]}, mem {result.scores[i]:.2f} +- "
                                            f"{result.stderr[i]:.2f})" for i in top))
    if args.plot:
        from memorize.empirical.plots import plot_scores

        plot_scores(result, args.plot, noisy)
    if args.grid:
        from memorize.empirical.plots import plot_memorized_images

        plot_memorized_images(result, images, y, args.grid)
    return 0


def cmd_capacity(args) -> int:
    from memorize.empirical.capacity_search import capacity

    if args.plot:
        from memorize.files import check_writable

        check_writable(args.plot, "figure file", MemorizeError)
    if args.save_network:
        from memorize.files import check_writable

        check_writable(args.save_network, "network file", MemorizeError)
    X, y, _ = _data(args)
    bar = _progress(args, "architectures", len(set(args.widths)) * len(set(args.depths)))
    try:
        result = capacity(X, y, widths=args.widths, depths=args.depths, optimizer=args.optimizer, lr=args.lr,
                          budget=args.budget, loss=args.loss, seed=args.seed, batch_size=args.batch_size,
                          constructions=not args.no_constructions, stop_at_first=not args.all_widths,
                          device=args.device, threads=args.threads, progress=_callback(bar))
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        print(json.dumps(result.to_dict(), allow_nan=False, default=str))
    elif not args.quiet:
        print(result.summary())
    if args.plot:
        from memorize.empirical.plots import plot_capacity

        plot_capacity(result, args.plot)
    if args.save_network:
        if not result.networks:
            raise ArgumentError("--save-network: no width memorized within the budget, nothing to save")
        from memorize import formats

        formats.save(result.networks[min(result.networks)], args.save_network)
    return 0 if result.networks else 1


def cmd_seminorm(args) -> int:
    from memorize import formats
    from memorize.empirical.seminorm import sobolev_seminorm

    if args.plot:
        from memorize.files import check_writable

        check_writable(args.plot, "figure file", MemorizeError)
    net = formats.load(args.network, max_bytes=args.max_bytes or formats.MAX_FILE_BYTES)
    X, y, _ = _data(args)
    result = sobolev_seminorm(net, X, y, output=args.output)
    if args.json:
        print(json.dumps(result.to_dict(), allow_nan=False, default=str))
    elif not args.quiet:
        print(result.summary())
    if args.plot:
        from memorize.empirical.plots import plot_seminorm

        plot_seminorm(result, args.plot)
    return 0


def _data_options(p, random_labels: bool = True):
    g = p.add_mutually_exclusive_group()
    g.add_argument("--data", help=".npz file with arrays X (N x d numbers) and y (N integer labels)")
    g.add_argument("--digits", action="store_true",
                   help="scikit-learn's digits (1797 x 64, pixels 0..16; needs memorize[examples])")
    if random_labels:
        p.add_argument("--random-labels", action="store_true", help="with --digits: random labels")
    p.add_argument("--seed", type=int, default=0, help="random seed, an integer >= 0 (default 0)")


def _training_options(p, lr: float):
    from memorize.empirical.losses import LOSSES

    p.add_argument("--loss", choices=LOSSES, default="ce",
                   help="ce (cross-entropy), mse/mae (squared/absolute error on the softmax), rll "
                        "(robust log loss, symmetric); default ce")
    p.add_argument("--optimizer", choices=("adam", "sgd"), default="adam", help="default adam")
    p.add_argument("--lr", type=float, default=lr, help=f"learning rate (default {lr})")
    p.add_argument("--device", default="cpu", help="torch device (default cpu)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch CPU threads while training (default 1, the fastest on a shared machine)")


def add_parser(subparsers, parents) -> argparse.ArgumentParser:
    """Register ``memorize empirical ...`` on ``subparsers``; ``parents`` are the common option parsers."""
    e = subparsers.add_parser("empirical",
                              help="memorization in trained networks: scores, capacity, seminorm "
                                   "(needs memorize[torch]; see docs/empirical.md)")
    sub = e.add_subparsers(dest="empirical_command", required=True, parser_class=type(e))

    s = sub.add_parser("scores", parents=parents,
                       help="per-example memorization scores from many models trained on random subsets")
    _data_options(s)
    s.add_argument("--noise", type=float, default=0.0, metavar="FRAC",
                   help="replace this fraction of the labels at random first (the report splits clean/noisy)")
    s.add_argument("--model", type=_widths, default=(64,), help="hidden widths, e.g. 64 or 128,64 (default 64)")
    s.add_argument("--models", type=int, default=100, help="number of models, >= 2 (default 100)")
    s.add_argument("--fraction", type=float, default=0.7, help="subset fraction in (0, 1) (default 0.7)")
    s.add_argument("--epochs", type=int, default=40, help="epochs per model (default 40)")
    s.add_argument("--batch-size", type=int, default=128, help="minibatch size (default 128)")
    s.add_argument("--score", choices=("accuracy", "probability", "neg_loss"), default="accuracy",
                   help="score whose IN - OUT difference is reported (default accuracy)")
    _training_options(s, 0.01)
    s.add_argument("--out", help="write the scores to this .npz file")
    s.add_argument("--json", action="store_true", help="print the result as one JSON object")
    s.add_argument("--plot", metavar="FILE.png", help="histogram of the scores (split clean/noisy with --noise)")
    s.add_argument("--grid", metavar="FILE.png", help="images of the most and least memorized examples")
    s.set_defaults(func=cmd_scores)

    c = sub.add_parser("capacity", parents=parents,
                       help="the smallest MLP the optimizer trains to 100%% accuracy, verified exactly, "
                            "beside the constructions")
    _data_options(c)
    c.add_argument("--widths", type=int, nargs="+", default=[16, 32, 48, 64, 96, 128], help="hidden widths")
    c.add_argument("--depths", type=int, nargs="+", default=[1], help="numbers of hidden layers")
    c.add_argument("--budget", type=int, default=2000, help="optimizer steps per architecture (default 2000)")
    c.add_argument("--batch-size", type=int, default=None, help="minibatch size (default: full batch)")
    c.add_argument("--all-widths", action="store_true", help="train every width (capacity curves)")
    c.add_argument("--no-constructions", action="store_true", help="skip the constructions")
    c.add_argument("--save-network", metavar="FILE", help="save the smallest memorizing network (exact)")
    _training_options(c, 0.01)
    c.add_argument("--json", action="store_true", help="print the result as one JSON object")
    c.add_argument("--plot", metavar="FILE.png", help="training accuracy against parameters")
    c.set_defaults(func=cmd_capacity)

    n = sub.add_parser("seminorm", parents=parents,
                       help="exact gradients of a ReLU network at data points: RMS and max of their norms")
    n.add_argument("network", help="network file (memorize-network JSON)")
    _data_options(n, random_labels=True)
    n.add_argument("--output", type=_output, default="auto",
                   help="auto (default), label, jacobian, scalar or an output index")
    n.add_argument("--max-bytes", type=int, default=None, help="largest network file read, in bytes")
    n.add_argument("--json", action="store_true", help="print the result as one JSON object")
    n.add_argument("--plot", metavar="FILE.png", help="histogram of the gradient norms")
    n.set_defaults(func=cmd_seminorm)
    return e
