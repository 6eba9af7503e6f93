"""Pictures of the empirical tools (matplotlib, the ``plot`` extra; imported when called).

Each function draws one figure on a fresh :class:`matplotlib.figure.Figure`
(no pyplot state), saves it to ``path`` (the format from the suffix) and
returns the path.
"""

from __future__ import annotations

import numpy as np

from memorize.errors import ArgumentError
from memorize.extras import require


def _figure(width: float, height: float):
    require("matplotlib", "plot", "memorize.empirical.plots")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _save(fig, path):
    from memorize.errors import MemorizeError
    from memorize.files import check_writable

    check_writable(str(path), "figure file", MemorizeError)
    fig.savefig(path)
    return path


def plot_scores(result, path, noisy=None, *, title: str | None = None):
    """Histogram of the memorization scores, split by ``noisy`` (a boolean mask) when given.

    Parameters
    ----------
    result : MemorizationScores
    path : file to write (PNG, PDF, SVG: from the suffix)
    noisy : optional (N,) boolean mask, e.g. from :func:`~memorize.empirical.noisy_labels`
    title : optional title

    Returns
    -------
    path

    Raises
    ------
    MissingExtraError
        if matplotlib is not installed (``pip install 'memorize[plot]'``).
    """
    fig = _figure(6, 3.6)
    ax = fig.add_subplot()
    s = np.asarray(result.scores)
    ok = ~np.isnan(s)
    bins = np.linspace(-1, 1, 41)
    if noisy is None:
        ax.hist(s[ok], bins=bins, color="tab:blue", label=f"all ({int(ok.sum())})")
    else:
        noisy = np.asarray(noisy, dtype=bool)
        for mask, name, color in ((~noisy, "clean", "tab:blue"), (noisy, "noisy", "tab:red")):
            m = mask & ok
            if m.any():
                ax.hist(s[m], bins=bins, alpha=0.7, color=color,
                        label=f"{name} ({int(m.sum())}, mean {s[m].mean():.2f})")
    ax.set_yscale("log")
    ax.set_xlabel(f"memorization score ({result.score})")
    ax.set_ylabel("examples")
    st = result.settings
    ax.set_title(title or f"{st['n_models']} models {tuple(st['model'])}, loss {st['loss']}")
    ax.legend()
    return _save(fig, path)


def plot_memorized_images(result, images, labels, path, *, k: int = 8):
    """Two rows of images: the ``k`` most memorized examples (top) and the ``k`` least (bottom).

    Parameters
    ----------
    result : MemorizationScores
    images : (N, height, width) array, e.g. ``X.reshape(-1, 8, 8)`` for the digits
    labels : (N,) the training labels shown above each image
    path : file to write
    k : images per row

    Returns
    -------
    path

    Raises
    ------
    ArgumentError
        if ``images`` does not have one image per example.
    MissingExtraError
        if matplotlib is not installed.
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 3 or len(images) != len(result.scores):
        raise ArgumentError(f"images must have shape (N, height, width) with N = {len(result.scores)}, "
                            f"got {images.shape}")
    fig = _figure(1.1 * k, 2.8)
    rows = (result.top(k), result.top(k, least=True))
    for r, (idx, name) in enumerate(zip(rows, ("most", "least"))):
        for c, i in enumerate(idx):
            ax = fig.add_subplot(2, k, r * k + c + 1)
            ax.imshow(images[i], cmap="gray_r")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(f"y={labels[i]} {result.scores[i]:.2f}", fontsize=8)
            if c == 0:
                ax.set_ylabel(name, fontsize=9)
    return _save(fig, path)


def plot_capacity(result, path, *, title: str | None = None):
    """Training accuracy against parameters, one curve per depth; constructions as vertical lines.

    Parameters
    ----------
    result : CapacityResult (train every width, ``stop_at_first=False``, for a full curve)
    path : file to write
    title : optional title

    Returns
    -------
    path
    """
    fig = _figure(6.5, 3.8)
    ax = fig.add_subplot()
    for depth in sorted({r["depth"] for r in result.rows}):
        rows = [r for r in result.rows if r["depth"] == depth]
        ax.plot([r["params"] for r in rows], [r["train_accuracy"] for r in rows], "o-",
                label=f"{result.settings['optimizer']}, {depth} hidden layer{'s' * (depth > 1)}")
        for r in rows:
            if r["exact_ok"]:
                ax.plot(r["params"], r["train_accuracy"], "k*", markersize=11)
    colors = ["tab:green", "tab:purple", "tab:brown", "tab:gray", "tab:olive", "tab:cyan", "tab:pink"]
    for c, color in zip([c for c in result.constructions if "note" not in c], colors * 4):
        ax.axvline(c["connections"], color=color, linestyle="--", linewidth=1,
                   label=f"{c['name']} ({c['connections']} connections)")
    ax.set_xscale("log")
    ax.set_xlabel("parameters (MLP) / connections (constructions)")
    ax.set_ylabel("training accuracy")
    ax.set_title(title or "smallest memorizing MLP (star: verified exactly)")
    ax.legend(fontsize=7, loc="lower right")
    return _save(fig, path)


def plot_seminorm(result, path, *, title: str | None = None):
    """Histogram of ``log10 ||grad f(x_i)||`` over the points (zero gradients counted apart).

    Parameters
    ----------
    result : SeminormResult
    path : file to write
    title : optional title

    Returns
    -------
    path
    """
    norms = np.asarray(result.norms, dtype=np.float64)
    zero = norms == 0
    fig = _figure(6, 3.6)
    ax = fig.add_subplot()
    finite = norms[~zero & np.isfinite(norms)]
    if finite.size:
        ax.hist(np.log10(finite), bins=30, color="tab:blue",
                label=f"{finite.size} points; RMS {result.rms:.3g}, max {result.max:.3g}")
    ax.axvline(np.log10(result.sqrt_n), color="tab:red", linestyle="--",
               label=f"sqrt(N) = {result.sqrt_n:.3g} (a scale, not a bound)")
    ax.set_xlabel("log10 ||grad f(x_i)|| (exact, rounded)")
    ax.set_ylabel("points")
    extra = f"; gradient exactly 0 at {int(zero.sum())} points" if zero.any() else ""
    ax.set_title(title or f"output {result.output}{extra}")
    ax.legend(fontsize=8)
    return _save(fig, path)
