"""The smallest MLP that SGD or Adam trains to memorize a data set, checked exactly."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from memorize.empirical import train as T
from memorize.errors import ArgumentError, MemorizeError


@dataclass
class CapacityResult:
    """What :func:`capacity` returns.

    Attributes
    ----------
    rows : one dict per architecture trained: ``depth`` (hidden layers), ``width``, ``params``,
        ``steps``, ``train_accuracy`` (float32 model), ``exact_correct`` (points whose label's
        output is strictly the largest in exact arithmetic, or None when not checked),
        ``exact_ok``, ``min_gap`` (smallest exact gap, a Fraction, or None), ``seconds``
    smallest : dict ``depth -> row`` of the smallest width whose network passed the exact check
        (None when no width tried did)
    networks : dict ``depth -> Network``, the exact network of each ``smallest`` row (on the
        original, unstandardized inputs)
    constructions : one dict per registered construction built on the same data: ``name``,
        ``connections``, ``params``, ``nonzero``, ``depth``, ``width``, ``max_bits``, ``ok`` (verified
        exactly, output = label), ``seconds``; or ``name`` and ``note`` when it does not apply
    settings : the arguments
    """

    rows: list
    smallest: dict
    networks: dict
    constructions: list
    settings: dict = field(default_factory=dict)

    def summary(self) -> str:
        s = self.settings
        lines = [f"{s['optimizer']} lr {s['lr']}, loss {s['loss']}, at most {s['budget']} steps "
                 f"({'full batch' if s['batch_size'] is None else 'batch ' + str(s['batch_size'])}), "
                 f"seed {s['seed']}",
                 f"{'depth':>5} {'width':>6} {'params':>8} {'steps':>6} {'train acc':>9} {'exact':>11} "
                 f"{'min gap':>10} {'s':>7}"]
        for r in self.rows:
            exact = "-" if r["exact_correct"] is None else f"{r['exact_correct']}/{r['n']}"
            gap = "-" if r["min_gap"] is None else f"{float(r['min_gap']):.3g}"
            lines.append(f"{r['depth']:>5} {r['width']:>6} {r['params']:>8} {r['steps']:>6} "
                         f"{r['train_accuracy']:>9.4f} {exact:>11} {gap:>10} {r['seconds']:>7.1f}")
        for depth, row in self.smallest.items():
            lines.append(f"depth {depth}: " + ("no width tried memorized within the budget" if row is None
                         else f"smallest memorizing width {row['width']} ({row['params']} params), "
                              f"exactly verified (argmax) on {row['exact_correct']}/{row['n']}"))
        if self.constructions:
            lines.append(f"{'construction':24} {'connections':>11} {'params':>9} {'depth':>6} {'width':>6} "
                         f"{'max_bits':>8}  verified")
            for c in self.constructions:
                if "note" in c:
                    lines.append(f"{c['name']:24} not applicable: {c['note']}")
                else:
                    lines.append(f"{c['name']:24} {c['connections']:>11} {c['params']:>9} {c['depth']:>6} "
                                 f"{c['width']:>6} {c['max_bits']:>8}  {c['ok']}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        def row(r):
            return None if r is None else {k: (str(v) if isinstance(v, Fraction) else v) for k, v in r.items()}
        return {"rows": [row(r) for r in self.rows],
                "smallest": {str(k): row(v) for k, v in self.smallest.items()},
                "constructions": self.constructions, "settings": self.settings}


def _fold_standardization(net, shift: np.ndarray, scale: np.ndarray):
    """The exact network on raw inputs: first layer ``W (x - shift) / scale + b`` as one affine map."""
    from memorize.network import Layer, Network

    first = net.layers[0]
    inv = [1 / Fraction(float(s)) for s in scale]
    m = [Fraction(float(v)) for v in shift]
    entries = []
    bias = list(first.bias)
    for r, c, v in zip(first.rows.tolist(), first.cols.tolist(), first.values):
        w = v * inv[c]
        entries.append((r, c, w))
        bias[r] -= w * m[c]
    layer = Layer.from_entries(first.in_dim, first.out_dim, entries, bias, first.activation)
    return Network(net.input_dim, (layer, *net.layers[1:]), dict(net.meta, standardization="folded"))


def _sequential(torch, params):
    mods = []
    n_layers = len(params) // 2
    for i in range(n_layers):
        W, b = params[2 * i][0].detach(), params[2 * i + 1][0].detach()
        lin = torch.nn.Linear(W.shape[1], W.shape[0], dtype=W.dtype)
        with torch.no_grad():
            lin.weight.copy_(W)
            lin.bias.copy_(b)
        mods.append(lin)
        if i < n_layers - 1:
            mods.append(torch.nn.ReLU())
    return torch.nn.Sequential(*mods)


def _constructions(X, y, seed, names) -> list:
    from memorize import available, build, verify

    rows = []
    for name in (available() if names is True else names):
        start = time.perf_counter()
        try:
            net = build(name, X, y, seed=seed)
        except MemorizeError as exc:
            rows.append({"name": name, "note": " ".join(str(exc).split())[:100]})
            continue
        report = verify.verify(net, X, y, float64=False)
        c = net.counts()
        rows.append({"name": name, "connections": c["connections"], "params": c["params"],
                     "nonzero": c["nonzero_params"], "depth": c["depth"], "width": c["width"],
                     "max_bits": c["max_bits"], "ok": bool(report.ok),
                     "seconds": round(time.perf_counter() - start, 2)})
    return rows


def capacity(X, y, *, widths=(16, 32, 64, 96, 128), depths=(1,), optimizer: str = "adam",
             lr: float = 0.01, budget: int = 2000, loss: str = "ce", seed=0,
             batch_size: int | None = None, standardize: bool = True, num_classes: int | None = None,
             constructions=True, stop_at_first: bool = True, check_every: int = 25, device="cpu",
             threads: int | None = 1, progress=None) -> CapacityResult:
    """For each depth, the smallest width that the optimizer trains to 100% training accuracy.

    For every depth (number of hidden layers) and every width, in increasing
    order, one MLP ``d -> width x depth -> C`` is trained on all of ``(X, y)``
    until every point is classified right (checked every ``check_every`` steps)
    or ``budget`` steps are spent. A network that reaches 100% in float32 is then
    checked **exactly**: :func:`memorize.export.from_torch` turns each float32
    weight into the exact rational it is, the standardization (if any) is folded
    exactly into the first layer, and ``verify(net, X, y, output="argmax")``
    requires every label's output to be strictly the largest on the original X.
    The first width that passes is the smallest that memorizes (among the widths
    tried, with this seed, optimizer and budget). Every registered construction
    is built and verified on the same data beside it.

    Parameters
    ----------
    X, y : the data set (labels ``0 .. C-1``); the constructions need distinct points
    widths : hidden widths to try, each an int >= 1
    depths : numbers of hidden layers to try, each an int >= 1
    optimizer : ``"adam"`` or ``"sgd"`` (momentum 0.9)
    lr : learning rate
    budget : optimizer steps per architecture at most
    loss : ``"ce"``, ``"mse"``, ``"mae"`` or ``"rll"`` (:mod:`memorize.empirical.losses`)
    seed : seed of the initialisation (and of the minibatches)
    batch_size : None (default) for full-batch steps, else the minibatch size
    standardize : train on standardized features (the exact check still runs on X itself)
    num_classes : the model's outputs (default ``max(y) + 1``)
    constructions : True (every registered construction), False, or a list of names
    stop_at_first : stop each depth at the first width that memorizes (else train every width,
        for capacity curves)
    check_every : steps between two training-accuracy checks
    device : torch device
    threads : torch's CPU threads while training, restored afterwards (default 1, see
        :func:`~memorize.empirical.memorization_scores`; None leaves torch's setting)
    progress : None or a callable ``progress(done, total)`` called after each architecture

    Returns
    -------
    CapacityResult

    Raises
    ------
    ArgumentError
        for an empty or non-integer ``widths`` or ``depths``, an unknown optimizer or loss, or
        another argument out of range.
    DataError
        if X or y is malformed, or a label is one the model cannot output.
    MissingExtraError
        if torch is not installed (``pip install 'memorize[torch]'``).

    Examples
    --------
    >>> import numpy as np
    >>> from memorize.empirical import capacity
    >>> X = np.array([[0., 0.], [0., 1.], [1., 0.], [1., 1.]]); y = np.array([0, 1, 1, 0])
    >>> r = capacity(X, y, widths=(1, 8), budget=500, constructions=False)
    >>> r.smallest[1]["width"], r.smallest[1]["exact_ok"]
    (8, True)

    References
    ----------
    C. Zhang, S. Bengio, M. Hardt, B. Recht, O. Vinyals, "Understanding deep learning requires
    rethinking generalization", ICLR 2017.
    """
    if isinstance(widths, (int, np.integer)):
        widths = (widths,)
    if isinstance(depths, (int, np.integer)):
        depths = (depths,)
    try:
        widths = sorted({T.check_int(w, "each width", 1, 1 << 20) for w in widths})
        depths = sorted({T.check_int(v, "each depth", 1, 1000) for v in depths})
    except TypeError:
        raise ArgumentError("widths and depths must be integers or lists of integers") from None
    if not widths or not depths:
        raise ArgumentError("give at least one width and one depth")
    loss, optimizer = T.check_common(loss, optimizer)
    lr = T.check_positive(lr, "lr")
    budget = T.check_int(budget, "budget", 1, 1 << 40)
    check_every = T.check_int(check_every, "check_every", 1, 1 << 40)
    if batch_size is not None:
        batch_size = T.check_int(batch_size, "batch_size", 1, 1 << 40)
    if not (constructions is True or constructions is False or isinstance(constructions, (list, tuple))):
        raise ArgumentError("constructions must be True, False or a list of construction names")
    if progress is not None and not callable(progress):
        raise ArgumentError("progress must be None or a callable progress(done, total)")
    threads = T.check_threads(threads)
    from memorize.data import points

    X_exact = points(X)
    Xf = T.float_points(X_exact)
    N = Xf.shape[0]
    yv = T.class_labels(y, N, num_classes)
    C = T.resolve_classes(num_classes, yv)
    torch = T.torch_module("memorize.empirical.capacity")

    with T.torch_threads(torch, threads):
        rows, smallest, networks = _search(torch, X_exact, Xf, yv, C, widths, depths, optimizer, lr, budget,
                                           loss, seed, batch_size, standardize, check_every, device,
                                           stop_at_first, progress)
    cons = _constructions(X_exact, yv, seed, constructions) if constructions else []
    settings = {"widths": widths, "depths": depths, "optimizer": optimizer, "lr": lr, "budget": budget,
                "loss": loss, "seed": seed, "batch_size": batch_size, "standardize": bool(standardize),
                "num_classes": C, "device": str(device), "threads": threads}
    return CapacityResult(rows, smallest, networks, cons, settings)


def _search(torch, X_exact, Xf, yv, C, widths, depths, optimizer, lr, budget, loss, seed, batch_size,
            standardize, check_every, device, stop_at_first, progress):
    from memorize.export import from_torch
    from memorize.verify import verify

    N, d = Xf.shape
    dev = T.check_device(torch, device)
    shift, scale = T.standardizer(Xf) if standardize else (np.zeros(d), np.ones(d))
    Xd = torch.as_tensor((Xf - shift) / scale, dtype=torch.float32, device=dev)
    Yd = torch.as_tensor(yv, device=dev)
    rows, smallest, networks = [], {}, {}
    total, done = len(widths) * len(depths), 0
    for depth in depths:
        smallest[depth] = None
        for width in widths:
            start = time.perf_counter()
            rng, torch_seed = T.rng_and_torch_seed(seed)
            params = T.init_stack(torch, T.layer_dims(d, (width,) * depth, C), 1, torch_seed,
                                  torch.float32, dev)
            opt = T.make_optimizer(torch, params, optimizer, lr)
            steps, acc = 0, 0.0
            full = np.arange(N)[None, :]
            while steps < budget:
                n_steps = min(check_every, budget - steps)
                if batch_size is None:
                    schedule = [full] * n_steps
                else:
                    schedule = []
                    while len(schedule) < n_steps:
                        schedule += list(T.epoch_batches(rng, full, batch_size))
                    schedule = schedule[:n_steps]
                T.train_stack(torch, params, Xd, Yd, schedule, loss=loss, optimizer=opt)
                steps += n_steps
                with torch.no_grad():
                    acc = float((T.forward(torch, params, Xd)[0].argmax(-1) == Yd).double().mean())
                if acc == 1.0:
                    break
            row = {"depth": depth, "width": width, "params": sum(p[0].numel() for p in params),
                   "steps": steps, "train_accuracy": acc, "exact_correct": None, "exact_ok": False,
                   "min_gap": None, "n": N}
            if acc == 1.0:
                net = from_torch(_sequential(torch, [p.detach().cpu() for p in params]))
                if standardize:
                    net = _fold_standardization(net, shift, scale)
                report = verify(net, X_exact, yv, output="argmax", float64=False)
                row.update(exact_correct=report.n_points - report.n_failed, exact_ok=bool(report.ok),
                           min_gap=report.min_argmax_gap)
            row["seconds"] = round(time.perf_counter() - start, 2)
            rows.append(row)
            done += 1
            if progress is not None:
                progress(done, total)
            if row["exact_ok"] and smallest[depth] is None:
                smallest[depth], networks[depth] = row, net
                if stop_at_first:
                    done += len(widths) - widths.index(width) - 1
                    break
    return rows, smallest, networks

