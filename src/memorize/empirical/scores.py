"""Per-example memorization scores (Feldman and Zhang 2020), many models trained at once."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from memorize.empirical import train as T
from memorize.empirical.losses import per_example
from memorize.errors import ArgumentError, DataError

SCORES = ("accuracy", "probability", "neg_loss")


@dataclass
class MemorizationScores:
    """What :func:`memorization_scores` returns.

    Attributes
    ----------
    scores : (N,) float array, ``mem_i = mean_in - mean_out`` of the chosen ``score``
        (NaN where ``n_in`` or ``n_out`` is 0)
    stderr : (N,) standard error of ``mem_i``: ``sqrt(var_in / n_in + var_out / n_out)``
        with sample variances (NaN where ``n_in`` or ``n_out`` is below 2)
    n_in, n_out : (N,) int arrays, how many models were trained with / without example i
    mean_in, mean_out : (N,) the score's mean over those models
    all_scores : dict mapping each of ``"accuracy"``, ``"probability"``, ``"neg_loss"`` to its (N,) mem
    score : the score ``scores`` holds
    influence : (N, N_test) array or None: ``influence[i, j]`` is the same difference on test
        point j (mean score on j over models trained with i minus over models trained without i)
    train_accuracy : (M,) each model's accuracy on its own training subset
    test_accuracy : (M,) each model's test accuracy, or None
    subsets : (M, k) int array, the training indices of each model
    seconds : wall time of training and scoring
    settings : the arguments, for the record
    """

    scores: np.ndarray
    stderr: np.ndarray
    n_in: np.ndarray
    n_out: np.ndarray
    mean_in: np.ndarray
    mean_out: np.ndarray
    all_scores: dict
    score: str
    influence: np.ndarray | None
    train_accuracy: np.ndarray
    test_accuracy: np.ndarray | None
    subsets: np.ndarray
    seconds: float
    settings: dict = field(default_factory=dict)

    def top(self, k: int = 10, *, least: bool = False) -> np.ndarray:
        """Indices of the ``k`` most (or least) memorized examples (NaN scores last)."""
        s = np.where(np.isnan(self.scores), -np.inf if not least else np.inf, self.scores)
        order = np.argsort(s if least else -s, kind="stable")
        return order[:k]

    def summary(self, noisy=None) -> str:
        """A few lines: settings, training accuracy, the scores' distribution (split by ``noisy``)."""
        s = self.settings
        lines = [f"{s['n_models']} models {s['model']} ({s['loss']}, {s['optimizer']} lr {s['lr']}, "
                 f"{s['epochs']} epochs, batch {s['batch_size']}) on subsets of {self.subsets.shape[1]}/"
                 f"{len(self.scores)} examples, seed {s['seed']}: {self.seconds:.1f} s",
                 f"training accuracy on own subset: mean {self.train_accuracy.mean():.4f}, "
                 f"min {self.train_accuracy.min():.4f}"]
        if self.test_accuracy is not None:
            lines.append(f"test accuracy: mean {self.test_accuracy.mean():.4f}")
        ok = ~np.isnan(self.scores)
        lines.append(f"mem ({self.score}): mean {np.nanmean(self.scores):.4f}, median "
                     f"{np.nanmedian(self.scores):.4f}, >= 0.5 on {int((self.scores[ok] >= 0.5).sum())} of "
                     f"{int(ok.sum())}; IN/OUT models per example: {int(self.n_in.min())}..{int(self.n_in.max())}"
                     f" / {int(self.n_out.min())}..{int(self.n_out.max())}")
        if noisy is not None:
            noisy = np.asarray(noisy, dtype=bool)
            for name, mask in (("noisy", noisy), ("clean", ~noisy)):
                if mask.any():
                    lines.append(f"  {name:5} ({int(mask.sum())}): mean mem {np.nanmean(self.scores[mask]):.4f}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """Plain Python values (lists, floats with NaN as None), e.g. for JSON."""
        def arr(a):
            return None if a is None else [None if (isinstance(v, float) and math.isnan(v)) else v
                                           for v in np.asarray(a).tolist()]
        return {"score": self.score, "scores": arr(self.scores), "stderr": arr(self.stderr),
                "n_in": arr(self.n_in), "n_out": arr(self.n_out),
                "all_scores": {k: arr(v) for k, v in self.all_scores.items()},
                "train_accuracy": arr(self.train_accuracy),
                "test_accuracy": arr(self.test_accuracy), "seconds": self.seconds,
                "settings": self.settings}


def _difference(values: np.ndarray, member: np.ndarray):
    """Per column: mean over rows with ``member`` minus mean over the others, stderr, counts.

    ``values``: (M, K) scores of each model on each example; ``member``: (M, K) bool.
    """
    m_in = member.astype(np.float64)
    m_out = 1.0 - m_in
    n_in, n_out = m_in.sum(0), m_out.sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_in = (values * m_in).sum(0) / n_in
        mean_out = (values * m_out).sum(0) / n_out
        var_in = (((values - mean_in) ** 2) * m_in).sum(0) / (n_in - 1)
        var_out = (((values - mean_out) ** 2) * m_out).sum(0) / (n_out - 1)
        stderr = np.sqrt(var_in / n_in + var_out / n_out)
    stderr[(n_in < 2) | (n_out < 2)] = np.nan
    return mean_in - mean_out, stderr, n_in.astype(np.int64), n_out.astype(np.int64), mean_in, mean_out


def _per_model_scores(torch, params, X, Y, loss, chunk: int = 4096) -> dict:
    """(M, N) arrays: 0/1 correctness, the label's probability, the negative loss."""
    out = {k: [] for k in SCORES}
    with torch.no_grad():
        for start in range(0, X.shape[0], chunk):
            x, yy = X[start:start + chunk], Y[start:start + chunk]
            logits = T.forward(torch, params, x)
            lab = yy.unsqueeze(0).expand(logits.shape[0], -1)
            out["accuracy"].append((logits.argmax(-1) == lab).double())
            p = torch.softmax(logits.double(), -1).gather(-1, lab.unsqueeze(-1)).squeeze(-1)
            out["probability"].append(p)
            out["neg_loss"].append(-per_example(loss, logits.double(), lab))
    return {k: torch.cat(v, 1).cpu().numpy() for k, v in out.items()}


def memorization_scores(X, y, *, model=(64,), n_models: int = 100, subset_fraction: float = 0.7,
                        epochs: int = 40, loss: str = "ce", optimizer: str = "adam", lr: float = 0.01,
                        batch_size: int = 128, weight_decay: float = 0.0, seed=0, X_test=None,
                        y_test=None, score: str = "accuracy", num_classes: int | None = None,
                        standardize: bool = True, device="cpu", dtype: str = "float32", threads: int | None = 1,
                        progress=None) -> MemorizationScores:
    """Feldman and Zhang's memorization score of every training example.

    ``n_models`` ReLU MLPs are trained, each on its own random subset of
    ``round(subset_fraction * N)`` examples; all of them at once, with stacked
    parameters and batched matrix products (:mod:`memorize.empirical.train`).
    For example ``i`` the score is

        mem_i = (mean score on i over models trained with i)
              - (mean score on i over models trained without i),

    where the score of a model on ``i`` is 0/1 correctness of its argmax
    (``score="accuracy"``, Feldman and Zhang's definition), the softmax
    probability of the label (``"probability"``) or minus the loss
    (``"neg_loss"``): the last two are the counterfactual memorization of
    Zhang et al. (2021) on a continuous score. All three are computed; ``score``
    picks the one in ``MemorizationScores.scores``.

    Parameters
    ----------
    X : array (N, d) of finite numbers, the training inputs (scale them yourself: pixels / 16, say)
    y : array (N,) of labels ``0 .. num_classes - 1``
    model : hidden layer widths: an int (one hidden layer) or a tuple of ints; ``()`` is a linear model.
        Every hidden layer is Linear + ReLU, the output layer Linear with ``num_classes`` outputs
    n_models : number of models, at least 2 (Feldman and Zhang use thousands; 100-200 give stderr
        of about 0.1 per example)
    subset_fraction : fraction of the examples each model is trained on, strictly between 0 and 1
    epochs : passes over each model's subset
    loss : ``"ce"``, ``"mse"``, ``"mae"`` or ``"rll"`` (:mod:`memorize.empirical.losses`)
    optimizer : ``"adam"`` or ``"sgd"`` (momentum 0.9)
    lr, batch_size, weight_decay : of the optimizer; each model draws its own minibatches
    seed : integer seed of the subsets, the initialisation and the minibatch order; the result is
        deterministic for a seed on one machine and device (float results may differ across
        hardware or thread counts in the last bits)
    X_test, y_test : optional test set; ``influence[i, j]`` is then the score difference on test
        point j between models trained with and without example i
    score : which score ``scores`` holds: ``"accuracy"``, ``"probability"`` or ``"neg_loss"``
    num_classes : outputs of the model (default ``max(y) + 1``, with ``y_test`` too)
    standardize : shift each feature of X (and X_test) by X's mean and divide it by X's standard
        deviation (1 where that is 0) before training (default True; on digits, 40 epochs then
        fit 10% noisy labels, where pixels / 16 need well over 60)
    device : torch device, ``"cpu"`` (default) or e.g. ``"cuda"``
    dtype : ``"float32"`` (default) or ``"float64"``
    threads : torch's CPU threads while training, restored afterwards (default 1: these small
        matrix products ran 3-5 times faster on one thread than on two on a shared 2-core machine;
        None leaves torch's setting)
    progress : ``None``, ``True`` (a progress bar on stderr) or a callable ``progress(done, total)``
        called after each epoch

    Returns
    -------
    MemorizationScores

    Raises
    ------
    ArgumentError
        if ``n_models < 2``, ``subset_fraction`` is not strictly between 0 and 1 (or leaves no
        example in or out), or another argument is out of range or unknown.
    DataError
        if X or y is malformed, or a label is one the model cannot output (``>= num_classes``).
    MissingExtraError
        if torch is not installed (``pip install 'memorize[torch]'``).

    Examples
    --------
    >>> import numpy as np
    >>> from memorize.empirical import memorization_scores
    >>> X = np.array([[0., 0.], [0., 1.], [1., 0.], [1., 1.]] * 5)
    >>> y = np.array([0, 0, 1, 1] * 5)
    >>> r = memorization_scores(X, y, model=(8,), n_models=8, epochs=20, seed=0)
    >>> r.scores.shape, int(r.n_in[0] + r.n_out[0])
    ((20,), 8)

    References
    ----------
    V. Feldman, C. Zhang, "What neural networks memorize and why: discovering the long tail via
    influence estimation", NeurIPS 2020.
    C. Zhang, D. Ippolito, K. Lee, M. Jagielski, F. Tramer, N. Carlini, "Counterfactual
    memorization in neural language models", arXiv:2112.12938.
    """
    n_models = T.check_int(n_models, "n_models", 2, 1 << 20)
    threads = T.check_threads(threads)
    if isinstance(subset_fraction, bool) or not isinstance(subset_fraction, (int, float, np.floating)) \
            or not 0 < subset_fraction < 1:
        raise ArgumentError(f"subset_fraction must be strictly between 0 and 1 (each model needs "
                            f"examples both in and out of its subset), got {subset_fraction!r:.40}")
    hidden = T.check_hidden(model)
    epochs = T.check_int(epochs, "epochs", 1, 1 << 30)
    batch_size = T.check_int(batch_size, "batch_size", 1, 1 << 30)
    lr = T.check_positive(lr, "lr")
    if weight_decay != 0:
        weight_decay = T.check_positive(weight_decay, "weight_decay")
    loss, optimizer = T.check_common(loss, optimizer)
    if score not in SCORES:
        raise ArgumentError(f"unknown score {score!r}; use one of {', '.join(SCORES)}")
    if dtype not in ("float32", "float64"):
        raise ArgumentError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    if progress is not None and progress is not True and not callable(progress):
        raise ArgumentError("progress must be None, True or a callable progress(done, total)")
    Xf = T.float_points(X)
    N, d = Xf.shape
    yv = T.class_labels(y, N, num_classes)
    if (X_test is None) != (y_test is None):
        raise ArgumentError("give both X_test and y_test, or neither")
    Xt = yt = None
    if X_test is not None:
        Xt = T.float_points(X_test, "X_test")
        if Xt.shape[1] != d:
            raise DataError(f"X_test has dimension {Xt.shape[1]} but X has {d}")
        yt = T.class_labels(y_test, Xt.shape[0], num_classes, "y_test")
    C = T.resolve_classes(num_classes, yv, *([yt] if yt is not None else []))
    if standardize:
        shift, scale = T.standardizer(Xf)
        Xf = (Xf - shift) / scale
        Xt = None if Xt is None else (Xt - shift) / scale
    k = int(round(subset_fraction * N))
    if not 1 <= k <= N - 1:
        raise ArgumentError(f"subset_fraction {subset_fraction} of N = {N} examples gives subsets of {k}; "
                            "each subset needs at least one example and must leave at least one out")

    torch = T.torch_module("memorize.empirical.memorization_scores")
    with T.torch_threads(torch, threads):
        return _run(torch, Xf, yv, Xt, yt, C, k, hidden, n_models, epochs, loss, optimizer, lr, batch_size,
                    weight_decay, seed, score, device, dtype, progress, subset_fraction, standardize)


def _run(torch, Xf, yv, Xt, yt, C, k, hidden, n_models, epochs, loss, optimizer, lr, batch_size,
         weight_decay, seed, score, device, dtype, progress, subset_fraction, standardize):
    N, d = Xf.shape
    dev = T.check_device(torch, device)
    tdtype = getattr(torch, dtype)
    start = time.perf_counter()
    rng, torch_seed = T.rng_and_torch_seed(seed)
    subsets = np.stack([np.sort(rng.choice(N, size=k, replace=False)) for _ in range(n_models)])
    params = T.init_stack(torch, T.layer_dims(d, hidden, C), n_models, torch_seed, tdtype, dev)
    opt = T.make_optimizer(torch, params, optimizer, lr, weight_decay=weight_decay)
    Xd = torch.as_tensor(Xf, dtype=tdtype, device=dev)
    Yd = torch.as_tensor(yv, device=dev)
    bar = None
    if progress is True:
        from memorize.progress import Progress

        bar = Progress(f"training {n_models} models", epochs)
        progress = lambda done, total: bar.update(done)  # noqa: E731
    try:
        for epoch in range(epochs):
            T.train_stack(torch, params, Xd, Yd, T.epoch_batches(rng, subsets, batch_size),
                          loss=loss, optimizer=opt)
            if progress is not None:
                progress(epoch + 1, epochs)
    finally:
        if bar is not None:
            bar.close()

    member = np.zeros((n_models, N), dtype=bool)
    np.put_along_axis(member, subsets, True, axis=1)
    per_model = _per_model_scores(torch, params, Xd, Yd, loss)
    all_scores = {}
    for name in SCORES:
        diff, se, n_in, n_out, m_in, m_out = _difference(per_model[name], member)
        all_scores[name] = diff
        if name == score:
            chosen = (diff, se, n_in, n_out, m_in, m_out)
    train_acc = (per_model["accuracy"] * member).sum(1) / k
    influence = test_acc = None
    if Xt is not None:
        test = _per_model_scores(torch, params, torch.as_tensor(Xt, dtype=tdtype, device=dev),
                                 torch.as_tensor(yt, device=dev), loss)
        test_acc = test["accuracy"].mean(1)
        m_in = member.astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            influence = (m_in.T @ test[score]) / m_in.sum(0)[:, None] \
                - ((1 - m_in).T @ test[score]) / (1 - m_in).sum(0)[:, None]
    diff, se, n_in, n_out, m_in, m_out = chosen
    settings = {"model": list(hidden), "n_models": n_models, "subset_fraction": float(subset_fraction),
                "epochs": epochs, "loss": loss, "optimizer": optimizer, "lr": lr, "batch_size": batch_size,
                "weight_decay": float(weight_decay), "standardize": bool(standardize),
                "seed": "Generator" if isinstance(seed, np.random.Generator) else seed,
                "num_classes": C, "device": str(dev), "dtype": dtype}
    return MemorizationScores(diff, se, n_in, n_out, m_in, m_out, all_scores, score, influence,
                              train_acc, test_acc, subsets, time.perf_counter() - start, settings)


def noisy_labels(y, fraction: float, *, num_classes: int | None = None, seed=0):
    """Replace ``round(fraction * N)`` labels, chosen at random, by a different random label.

    Every changed label differs from the original one (drawn uniformly from the
    other ``num_classes - 1`` labels), so the marked examples are all mislabelled.

    Parameters
    ----------
    y : array (N,) of labels ``0 .. num_classes - 1``
    fraction : the fraction of labels to replace, in [0, 1]
    num_classes : number of classes (default ``max(y) + 1``)
    seed : integer seed of the choice of examples and of their new labels

    Returns
    -------
    (y_noisy, noisy) : the new labels (int64) and the boolean mask of the changed examples

    Raises
    ------
    ArgumentError
        if ``fraction`` is outside [0, 1] or there are fewer than 2 classes.
    DataError
        if y is malformed or a label is ``>= num_classes``.

    Examples
    --------
    >>> import numpy as np
    >>> y2, noisy = noisy_labels(np.zeros(10, dtype=int), 0.3, num_classes=3, seed=0)
    >>> int(noisy.sum()), bool((y2[noisy] != 0).all())
    (3, True)
    """
    yv = T.class_labels(y, len(np.asarray(y)), num_classes)
    C = T.resolve_classes(num_classes, yv)
    if C < 2:
        raise ArgumentError("noisy labels need at least 2 classes")
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float, np.floating)) \
            or not 0 <= fraction <= 1:
        raise ArgumentError(f"fraction must be in [0, 1], got {fraction!r:.40}")
    rng, _ = T.rng_and_torch_seed(seed)
    n = int(round(fraction * len(yv)))
    idx = rng.choice(len(yv), size=n, replace=False)
    out = yv.copy()
    out[idx] = (yv[idx] + rng.integers(1, C, size=n)) % C
    noisy = np.zeros(len(yv), dtype=bool)
    noisy[idx] = True
    return out, noisy
