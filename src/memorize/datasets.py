"""Real data sets to memorize, loaded from packages that ship them (no download).

:func:`digits` is scikit-learn's bundled copy of the UCI optical handwritten
digits: 1797 images of 8 x 8 pixels with integer intensities 0..16 (so every
coordinate is an exact small integer), 10 classes. It needs scikit-learn, the
optional extra ``memorize[examples]``.

Duplicates. A point repeated with different labels cannot be memorized by any
function (:func:`memorize.data.validate` rejects it). :func:`drop_conflicts`
applies one documented rule: in each group of identical points the first
occurrence keeps its label, and the later ones with a different label are
dropped (later ones with the same label are kept; every construction merges
them). The copy of digits in scikit-learn 1.9 has no repeated image at all, so
the rule removes nothing there; it is applied anyway, so the loader stays
correct for any other copy. Random labels are drawn once per distinct image,
so they never create a conflict.
"""

from __future__ import annotations

import numpy as np

from memorize.data import conflicts, validate
from memorize.extras import require

__all__ = ["digits", "drop_conflicts"]


def drop_conflicts(X, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop every repeat of a point whose label differs from the point's first occurrence.

    Returns ``(X_kept, y_kept, dropped)`` with ``dropped`` the indices removed (ascending).
    """
    X = np.ascontiguousarray(np.asarray(X, dtype=np.float64) + 0.0)
    y = np.asarray(y)
    conflict, _ = conflicts(X, y)
    keep = ~conflict
    return X[keep], y[keep], np.flatnonzero(conflict)


def digits(random_labels: bool = False, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """The scikit-learn digits: ``X`` (float64, pixel values 0..16) and ``y`` (int64 labels 0..9).

    Parameters
    ----------
    random_labels : replace the true labels by labels drawn uniformly from 0..9,
        one per distinct image (the memorization benchmark of Zhang et al. 2017)
    seed : seed of the random labels

    Conflicting duplicates are dropped by the rule of :func:`drop_conflicts`
    (none in scikit-learn 1.9's copy). Raises :class:`memorize.extras.MissingExtraError`
    naming ``memorize[examples]`` when scikit-learn is not installed.
    """
    sk = require("sklearn.datasets", "examples", "memorize.datasets.digits")
    bunch = sk.load_digits()
    X, y, _ = drop_conflicts(bunch.data, bunch.target.astype(np.int64))
    if random_labels:
        _, inverse = np.unique(X, axis=0, return_inverse=True)
        per_image = np.random.default_rng(seed).integers(0, 10, size=int(inverse.max()) + 1)
        y = per_image[inverse.reshape(-1)].astype(np.int64)
    return validate(X, y)
