"""Labeled point sets: validation, the measures the theorems use, and seeded generators.

(About 450 lines: the generators share the validation and the measures they are
checked by; exact rational input lives in :mod:`memorize.rationals`.)

A data set is ``X``, an array of shape ``(N, d)`` of numbers of any integer,
float or rational type, each taken as the exact rational it denotes (see
:mod:`memorize.rationals`), and ``y``, an array of ``N`` labels that are
non-negative integers. The measures the memorization
theorems are stated in:

* ``N`` points in dimension ``d``;
* ``num_classes`` ``C = max(y) + 1``: labels live in ``[C] = {0, ..., C-1}``;
* ``radius`` ``r = max_i ||x_i||``;
* ``separation`` ``delta = min_{i != j} ||x_i - x_j||``, found with a k-d tree
  in about ``O(N log N)`` time.

Duplicate points: a point repeated with *different* labels cannot be memorized
by any function and is an error naming the indices. Repeats with the *same*
label are allowed and merged by :func:`deduplicate`, which every construction
calls, so a network built on the merged set is correct on every original row.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass
from fractions import Fraction

import numpy as np
from scipy.spatial import cKDTree

from memorize.errors import DataError
from memorize.rationals import exact_array, is_float64, to_float
from memorize.seeds import check_seed

MAX_LABEL = 1 << 62  # labels are int64 (and exact as float64, so float labels compare exactly)


@dataclass(frozen=True)
class DataSummary:
    """The quantities the theorems are stated in (see the module docstring)."""

    n: int
    d: int
    num_classes: int
    radius: float
    separation: float | None
    distinct_labels: int
    distinct: int  # distinct points (a point repeated with its label counts once)

    def as_dict(self) -> dict:
        return asdict(self)


def points(X) -> np.ndarray:
    """Check the points ``X`` and return them exactly (see :mod:`memorize.rationals`).

    Returns a float64 ``(N, d)`` array when every coordinate is exactly a
    float64, otherwise an object array of ``int`` and ``Fraction``; no
    coordinate is ever changed (``-0.0`` becomes ``0.0``, the same number).

    Raises
    ------
    DataError
        if X is not 2-D, has no point or no coordinate, holds NaN or infinities,
        or has a dtype that denotes no real number (complex, strings, datetimes).

    Examples
    --------
    >>> points(np.array([[2**53 + 1]], dtype=np.int64))[0, 0]
    9007199254740993
    """
    if X is None:
        raise DataError("X is missing; give an array of shape (N, d)")
    X = exact_array(X)
    if X.ndim != 2:
        raise DataError(f"X must be 2-D with shape (N, d), got shape {X.shape}; use X.reshape(-1, d)")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise DataError(f"X has shape {X.shape}; need at least one point of dimension >= 1")
    return np.ascontiguousarray(X)


def validate(X, y) -> tuple[np.ndarray, np.ndarray]:
    """Check a data set and return it as ``(X, int64 (N,) labels)``, ``X`` exact as in :func:`points`.

    Raises :class:`DataError` for: X not 2-D, NaN or infinite coordinates,
    a dtype that denotes no number, N = 0, a label count different from N,
    labels that are not non-negative integers (checked in their own dtype), and
    a point repeated with different labels.

    Examples
    --------
    >>> X, y = validate([[0.5], [1.5]], [0, 1])
    >>> X.dtype, y.tolist()
    (dtype('float64'), [0, 1])
    """
    X = points(X)
    y = _labels(y, X.shape[0])
    _check_conflicts(X, y)
    return X, y


def _labels(y, n: int) -> np.ndarray:
    if y is None:
        raise DataError("y is missing; give one non-negative integer label per point")
    try:
        y = np.asarray(y)
    except (TypeError, ValueError) as exc:
        raise DataError(f"y must be an array of integer labels: {exc}") from None
    if y.ndim != 1:
        raise DataError(f"y must be 1-D with one label per point, got shape {y.shape}")
    if y.shape[0] != n:
        raise DataError(f"X has {n} points but y has {y.shape[0]} labels")
    if y.dtype.kind == "O":
        y = _object_labels(y)
    if y.dtype.kind == "b":
        y = y.astype(np.int64)
    # Every check is made in y's own dtype, before any conversion can wrap or round.
    if y.dtype.kind == "f":
        bad = ~np.isfinite(y) | (y != np.round(y))
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"label y[{k}] = {y[k]} is not an integer; labels must be class indices 0, 1, 2, ..."
            )
    elif y.dtype.kind not in "iu":
        raise DataError(f"labels must be non-negative integers, got dtype {y.dtype}")
    if y.dtype.kind != "u" and (y < 0).any():
        k = int(np.flatnonzero(y < 0)[0])
        raise DataError(f"label y[{k}] = {y[k]} is negative; labels must be 0, 1, 2, ...")
    if (y > MAX_LABEL).any():
        k = int(np.flatnonzero(y > MAX_LABEL)[0])
        raise DataError(
            f"label y[{k}] = {int(y[k]) if y.dtype.kind != 'f' else y[k]} is too large; labels must be "
            f"class indices at most {MAX_LABEL} (renumber the classes 0, 1, 2, ...)"
        )
    return y.astype(np.int64)


def _object_labels(y: np.ndarray) -> np.ndarray:
    """Labels given as Python objects (ints of any size, say), as int64 or a DataError."""
    out = np.empty(len(y), dtype=np.int64)
    for k, v in enumerate(y.tolist()):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise DataError(f"label y[{k}] = {v!r:.40} is not an integer; labels must be 0, 1, 2, ...")
        if v < 0:
            raise DataError(f"label y[{k}] = {v} is negative; labels must be 0, 1, 2, ...")
        if v > MAX_LABEL:
            raise DataError(f"label y[{k}] = {v} is too large; labels must be at most {MAX_LABEL}")
        out[k] = int(v)
    return out


def _unique_rows(X: np.ndarray):
    """``np.unique(X, axis=0, return_index, return_inverse)`` for float64 and exact object arrays."""
    if X.dtype != object:
        u, first, inverse = np.unique(X, axis=0, return_index=True, return_inverse=True)
        return first, inverse.reshape(-1)
    index: dict = {}
    inverse = np.array([index.setdefault(tuple(row), len(index)) for row in X.tolist()], dtype=np.intp)
    _, first = np.unique(inverse, return_index=True)  # codes are numbered in order of first sight
    return first, inverse


def conflicts(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(clash, first)``: ``clash[k]`` is True when point ``k`` repeats point ``first[k]``
    (its first occurrence) with another label, which no function can memorize.

    >>> clash, first = conflicts(np.array([[0.0], [1.0], [0.0]]), np.array([0, 1, 2]))
    >>> clash.tolist(), first.tolist()
    ([False, False, True], [0, 1, 0])
    """
    first, inverse = _unique_rows(X)
    first_of = first[inverse]
    return y != y[first_of], first_of


def _check_conflicts(X: np.ndarray, y: np.ndarray) -> None:
    clash, first_of = conflicts(X, y)
    if clash.any():
        k = int(np.flatnonzero(clash)[0])
        j = int(first_of[k])
        raise DataError(
            f"points {j} and {k} are equal but have labels {y[j]} and {y[k]}; "
            "no function can memorize both: drop or relabel one of them"
        )


def deduplicate(X, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Merge repeated points (which must share a label): the entry of every construction.

    Returns ``(X_unique, y_unique, index)`` with ``X[i] == X_unique[index[i]]``.
    Constructions compute their geometry in float64, so they take points whose
    coordinates are exactly float64 values; other points (int64 beyond ``2^53``,
    long doubles with more digits, ``Fraction(1, 3)``) are a :class:`DataError`
    here. :func:`memorize.verify.verify` takes them all exactly.

    Examples
    --------
    >>> Xu, yu, index = deduplicate([[1.0], [2.0], [1.0]], [0, 1, 0])
    >>> Xu.tolist(), yu.tolist(), index.tolist()
    ([[1.0], [2.0]], [0, 1], [0, 1, 0])
    """
    X, y = validate(X, y)
    if X.dtype == object:
        i, j = next((i, j) for (i, j), v in np.ndenumerate(X) if not is_float64(v))
        raise DataError(
            f"X[{i}, {j}] = {X[i, j]} is not exactly a float64 value; constructions compute in "
            "float64, so shift or rescale the data to float64 values (memorize.verify checks any "
            "rational exactly)"
        )
    Xu, first, inverse = np.unique(X, axis=0, return_index=True, return_inverse=True)
    return Xu, y[first], inverse.reshape(-1)


def check_magnitude(X: np.ndarray, bits: int, construction: str) -> None:
    """A :class:`DataError` unless every coordinate of the float64 array ``X`` is below ``2^bits``.

    For constructions whose float64 filters multiply coordinates by weights and
    sum them, which overflows near the float64 limit (``2^1024``).

    Examples
    --------
    >>> check_magnitude(np.array([[1e300]]), 900, "demo")
    Traceback (most recent call last):
    ...
    memorize.errors.DataError: X[0, 0] = 1e+300 is too large for demo, whose float64 geometry needs coordinates below 2^900 in magnitude; rescale the data
    """
    big = np.abs(X) >= 2.0 ** bits
    if big.any():
        i, j = np.argwhere(big)[0]
        raise DataError(
            f"X[{i}, {j}] = {float(X[i, j])!r} is too large for {construction}, whose float64 geometry needs "
            f"coordinates below 2^{bits} in magnitude; rescale the data"
        )


def radius(X) -> float:
    """``max_i ||x_i||``, the radius of the smallest origin-centred ball holding the data."""
    return float(np.sqrt(np.max(np.einsum("ij,ij->i", X, X))))


def separation(X) -> float:
    """The smallest pairwise Euclidean distance (``inf`` for one point); 0 if a point repeats."""
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    if n < 2:
        return float("inf")
    tree = cKDTree(X)
    # The nearest-neighbour distances of a random sample bound the minimum from above;
    # searching only within that bound makes the full query several times faster.
    sample = np.random.default_rng(0).choice(n, size=min(n, 4096), replace=False)
    dist, _ = tree.query(X[sample], k=2, workers=-1)
    bound = float(dist[:, 1].min())
    if bound == 0.0:
        return 0.0
    dist, _ = tree.query(X, k=2, distance_upper_bound=bound * (1 + 1e-9), workers=-1)
    return float(dist[:, 1].min())


def label_bits(C: int) -> int:
    """``max(1, bitlen(C - 1))``: the bits of a label in ``0..C-1`` (the constructions that
    store labels as bits).

    >>> label_bits(1), label_bits(2), label_bits(10)
    (1, 1, 4)
    """
    return max(1, (C - 1).bit_length())


def num_classes(y) -> int:
    """``C = max(y) + 1``: the labels live in ``{0, ..., C-1}``."""
    return int(np.max(y)) + 1


def summarize(X, y, measure_separation: bool = True, *, distinct=None) -> DataSummary:
    """Validate and measure a data set; duplicates (same label) count once in ``separation``
    (``None`` without ``measure_separation``: it is the costly measurement).

    ``distinct``: the ``(X_unique, y_unique)`` that :func:`deduplicate` returned
    for these ``(X, y)``, when the caller has them: the data are then not
    validated and deduplicated a second time (``N`` still counts every row of ``X``).

    ``radius`` and ``separation`` are float64 measures (of the rounded points
    when ``X`` holds values that are not float64); they never decide a verdict.
    """
    if distinct is None:
        X, y = validate(X, y)
        n, Xu = X.shape[0], np.unique(to_float(X), axis=0)
    else:
        n, (Xu, y) = len(X), distinct
        Xu = to_float(Xu)
    return DataSummary(
        n=int(n),
        d=int(Xu.shape[1]),
        num_classes=num_classes(y),
        radius=radius(Xu),
        separation=separation(Xu) if measure_separation else None,
        distinct_labels=int(np.unique(y).size),
        distinct=int(Xu.shape[0]),
    )


# -- generators ---------------------------------------------------------------

def _rng(seed) -> np.random.Generator:
    return np.random.default_rng(check_seed(seed, DataError))


def _check_args(n, d, delta, radius_):
    if int(n) != n or n < 1:
        raise DataError(f"n must be a positive integer, got {n!r}")
    if int(d) != d or d < 1:
        raise DataError(f"d must be a positive integer, got {d!r}")
    if not (delta > 0 and np.isfinite(delta)):
        raise DataError(f"delta must be a positive number, got {delta!r}")
    if not (radius_ > 0 and np.isfinite(radius_)):
        raise DataError(f"radius must be a positive number, got {radius_!r}")


def _sample(rng, m, d, radius_, sphere):
    g = rng.standard_normal((m, d))
    norms = np.linalg.norm(g, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    u = g / norms
    if sphere:
        return u * radius_
    return u * (radius_ * rng.random((m, 1)) ** (1.0 / d))


def random_points(n, d, delta, *, radius=1.0, sphere=False, seed=None, max_rounds=200) -> np.ndarray:
    """``n`` random points in the ball (or on the sphere) of ``radius``, pairwise ``>= delta`` apart.

    Uniform samples are drawn, and any point closer than ``delta`` to an
    earlier one is redrawn until none is. Raises :class:`DataError` when the
    points do not fit (too many for ``delta`` in ``d`` dimensions).
    """
    _check_args(n, d, delta, radius)
    n, d = int(n), int(d)
    if sphere and d == 1 and n > 2:
        raise DataError("the 0-sphere in d = 1 holds only 2 points; use d >= 2 or sphere=False")
    rng = _rng(seed)
    X = _sample(rng, n, d, radius, sphere)
    for _ in range(max_rounds):
        pairs = cKDTree(X).query_pairs(delta, output_type="ndarray")
        if len(pairs) == 0:
            return X
        redo = np.unique(pairs.max(axis=1))
        X[redo] = _sample(rng, len(redo), d, radius, sphere)
    raise DataError(
        f"could not place {n} points at pairwise distance >= {delta} "
        f"{'on the sphere' if sphere else 'in the ball'} of radius {radius} in d = {d}; "
        "use fewer points, a smaller delta or a larger dimension"
    )


def random_labels(n, num_classes=2, *, seed=None) -> np.ndarray:
    """``n`` labels drawn uniformly from ``{0, ..., num_classes-1}``."""
    if int(num_classes) != num_classes or num_classes < 1:
        raise DataError(f"num_classes must be a positive integer, got {num_classes!r}")
    return _rng(seed).integers(0, int(num_classes), size=int(n)).astype(np.int64)


def random_separated(n, d, delta, *, num_classes=2, radius=1.0, sphere=False, seed=None):
    """A separated data set with random labels: ``(X, y)``, seeded and reproducible."""
    rng = _rng(seed)
    X = random_points(n, d, delta, radius=radius, sphere=sphere, seed=rng)
    return X, random_labels(n, num_classes, seed=rng)


def adversarial_pairs(n, d, delta, *, num_classes=2, radius=1.0, seed=None):
    """Points in close pairs: ``n // 2`` pairs at distance ``delta`` with different labels when possible.

    Pair centres are ``>= 3 delta`` apart, so every other distance is
    ``>= delta`` and the separation of the set is ``delta`` (up to one
    rounding of each coordinate). An odd ``n`` adds one lone point. All points
    lie in the ball of ``radius``.
    """
    _check_args(n, d, delta, radius)
    if radius <= delta:
        raise DataError(f"radius {radius} must exceed delta {delta} to fit a pair")
    rng = _rng(seed)
    m = (int(n) + 1) // 2
    base = random_points(m, d, 3 * delta, radius=radius - delta, seed=rng)
    u = _sample(rng, m, d, 1.0, True)
    partner = base + delta * u
    X = np.empty((int(n), int(d)))
    X[0::2] = base[: (int(n) + 1) // 2]
    X[1::2] = partner[: int(n) // 2]
    y = random_labels(n, num_classes, seed=rng)
    if num_classes > 1:
        same = y[1::2] == y[0::2][: len(y[1::2])]
        y[1::2][same] = (y[1::2][same] + 1) % num_classes
    return X, y


def circle_points(delta, radius=1.0) -> int:
    """``floor(pi / arcsin(delta / (2 radius)))``, exactly: the most points a circle of radius
    ``radius`` holds at consecutive chords ``>= delta``.

    The one definition of the great-circle count (:func:`great_circle`,
    :func:`memorize.bounds.lower.first_layer_threshold` and the threshold
    construction's lower bound use it; ``memorize.bounds.lower.CIRCLE_POINTS``
    is the same formula in sympy). Floats put ``pi / arcsin(1/2)`` at
    5.999...; here ``m`` points fit iff ``x = delta / (2 radius) <= sin(pi / m)``,
    decided at 120 digits, and by Niven's theorem ``sin(pi / m)`` is rational
    (where equality could hide) only at ``m = 2`` and ``6``, where the digits
    show the equality.

    >>> circle_points(1.0), circle_points(0.1), circle_points(2.0)
    (6, 62, 2)
    """
    import mpmath

    x = Fraction(delta) / (2 * Fraction(radius))
    if not 0 < x <= 1:
        raise DataError(f"delta / (2 radius) = {float(x)!r} must lie in (0, 1] for points on a circle")
    with mpmath.workdps(120):
        xm = mpmath.mpf(x.numerator) / x.denominator

        def fits(m: int) -> bool:  # m >= 2: pi / m <= pi / 2, where sin increases
            return xm <= mpmath.sin(mpmath.pi / m) + mpmath.mpf(10) ** -100

        m = max(2, math.floor(math.pi / math.asin(float(x))))
        while fits(m + 1):
            m += 1
        while m > 2 and not fits(m):
            m -= 1
    return m


def great_circle(delta, *, d=2, seed=None):
    """Alternating labels on a great circle at spacing ``delta``: the first-layer lower-bound instance.

    ``N = floor(pi / arcsin(delta/2))`` (:func:`circle_points`, exact) is the most
    points a circle holds at consecutive chord ``>= delta``; the instance keeps the largest even
    number ``N' <= N`` of them (alternating labels need an even cycle) at
    angles ``phi_0 + k theta``, ``theta = 2 arcsin(delta/2)``, so consecutive
    chords are ``delta`` (up to rounding) and the closing gap is
    ``>= delta``. Points are unit vectors in the first two coordinates of
    ``R^d``, labels ``k mod 2``; ``seed`` draws the start angle ``phi_0``.
    A hyperplane meets the circle in at most two points, so any threshold
    network memorizing it has ``>= N'/2`` first-layer units.
    """
    if not (np.isfinite(delta) and 0 < delta <= 2):
        raise DataError(f"delta must be in (0, 2] for points on the unit circle, got {delta!r}")
    if int(d) != d or d < 2:
        raise DataError(f"d must be an integer >= 2 to hold a circle, got {d!r}")
    theta = 2 * np.arcsin(delta / 2)
    N = circle_points(delta)
    N -= N % 2
    phi = _rng(seed).uniform(0, 2 * np.pi) + theta * np.arange(N)
    X = np.zeros((N, int(d)))
    X[:, 0], X[:, 1] = np.cos(phi), np.sin(phi)
    return X, (np.arange(N) % 2).astype(np.int64)
