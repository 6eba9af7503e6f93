"""One hidden layer of threshold units built from slabs (Baum 1988)."""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

import numpy as np

from memorize import dyadic
from memorize.bounds.symbols import evaluate_all
from memorize.bounds.upper import THRESHOLD_ONE_HIDDEN
from memorize.constructions.gadgets.certified import dot_error
from memorize.constructions.gadgets.splitting import split_until_found
from memorize.constructions.provenance import provenance
from memorize.constructions.record import register
from memorize.data import check_magnitude, deduplicate
from memorize.errors import ConstructionError
from memorize.network import Layer, Network

_DIRECTION_BITS = 30
MAX_EXPONENT = 900  # |x| < 2^900: float filters of x times 30-bit weights stay finite
_MAX_REDRAWS = 16


def threshold_one_hidden_counts(meta: dict) -> dict:
    """Exact sizes of a :func:`build_threshold_one_hidden` network from its ``meta``:
    :data:`memorize.bounds.THRESHOLD_ONE_HIDDEN` ``.size`` at the groups ``G`` used (two
    slab units per group; one constant unit when there is a single class).

    >>> threshold_one_hidden_counts({"data": {"d": 3}, "groups": 4})
    {'params': 41, 'neurons': 9, 'depth': 2, 'width': 8}
    """
    return evaluate_all(THRESHOLD_ONE_HIDDEN.size, d=meta["data"]["d"], G=meta["groups"])


def _simplest_dyadic(lo: Fraction, hi: Fraction) -> Fraction:
    """A dyadic rational strictly between ``lo < hi`` with as few bits as the gap allows."""
    k = max(0, -((hi - lo).numerator.bit_length() - (hi - lo).denominator.bit_length()) + 1)
    while True:
        cand = Fraction((lo * (1 << k)).__floor__() + 1, 1 << k)
        if cand < hi:
            return cand
        k += 1


def _normal(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A unit normal of a hyperplane through ``points`` (random within the null space)."""
    d = points.shape[1]
    if len(points) == 1:
        v = rng.standard_normal(d)
    else:
        centred = points - points.mean(axis=0)
        _, s, vt = np.linalg.svd(centred, full_matrices=True)
        rank = int(np.sum(s > s.max(initial=0) * 1e-12)) if len(s) else 0
        null = vt[rank:]
        v = rng.standard_normal(len(null)) @ null if len(null) else vt[-1]
    n = np.linalg.norm(v)
    return v / n if n > 0 else np.eye(d)[0]


class _Slabber:
    """Finds, for a group of points, integer weights ``w`` and dyadic thresholds
    ``lo < hi`` with ``lo <= w.x < hi`` exactly for the group and for no other point."""

    def __init__(self, X: np.ndarray):
        self.X = X
        self.absX = np.abs(X)
        self.X_int, self.F = dyadic.to_integers(X)

    def exact(self, idx, w):
        return [Fraction(int(sum(int(a) * b for a, b in zip(self.X_int[i], w))), 1 << self.F)
                for i in idx]

    def slab(self, group: np.ndarray, rng) -> tuple[list[int], Fraction, Fraction] | None:
        v = _normal(self.X[group], rng)
        w = [int(a) for a in np.rint(v * (1 << _DIRECTION_BITS)).astype(np.int64)]
        if not any(w):
            return None
        wf = np.array(w, dtype=np.float64)  # exact: |w| < 2^31
        z = self.X @ wf
        err = dot_error(self.absX @ np.abs(wf), len(w))  # rigorous: z is within err of w.x
        members = self.exact(group, w)
        lo, hi = min(members), max(members)
        outside = np.ones(len(z), dtype=bool)
        outside[group] = False
        flo, fhi = float(lo), float(hi)
        # Points whose float interval may touch [lo, hi] are decided exactly.
        near = outside & (z + err >= flo - abs(flo) * 1e-15 - 1e-300) & (z - err <= fhi + abs(fhi) * 1e-15 + 1e-300)
        below_bound, above_bound = None, None
        for i, zi in zip(np.flatnonzero(near), self.exact(np.flatnonzero(near), w)):
            if lo <= zi <= hi:
                return None  # another point inside the slab: not in general position here
            if zi < lo:
                below_bound = zi if below_bound is None else max(below_bound, zi)
            else:
                above_bound = zi if above_bound is None else min(above_bound, zi)
        far_below = outside & ~near & (z < flo)
        far_above = outside & ~near & (z > fhi)
        # nextafter: the float sum z + err may round below the exact z + err.
        if far_below.any():
            ub = Fraction(float(np.nextafter((z + err)[far_below].max(), np.inf)))
            below_bound = ub if below_bound is None else max(below_bound, ub)
        if far_above.any():
            lb = Fraction(float(np.nextafter((z - err)[far_above].min(), -np.inf)))
            above_bound = lb if above_bound is None else min(above_bound, lb)
        t_lo = _simplest_dyadic(below_bound if below_bound is not None else lo - 2, lo)
        t_hi = _simplest_dyadic(hi, above_bound if above_bound is not None else hi + 2)
        return w, t_lo, t_hi


@register(
    "threshold_one_hidden",
    summary="Baum 1988: one hidden layer of threshold units, two per slab of d points",
    citation="E. B. Baum, 'On the capabilities of multilayer perceptrons', J. Complexity 4, 1988",
    theorem="the slab construction (as quoted by Bubeck et al. 2020 and Rajput et al. 2021; "
            "the theorem number is not checked against the original)",
    guarantee="for N points in general position in R^d with binary labels, one hidden layer "
              "of about N/d threshold units outputs y_i on x_i",
    counts=threshold_one_hidden_counts,
)
def build_threshold_one_hidden(X, y, *, seed: int | None = 0) -> Network:
    """Baum's (1988) one-hidden-layer threshold network built from slabs.

    Theorem (Baum 1988): ``N`` points in general position in ``R^d`` with
    binary labels are memorized by one hidden layer of about ``N/d``
    threshold units.

    Construction. The most frequent label is the *background*; the points of
    every other class are cut into groups of ``d``. A hyperplane through the
    ``d`` points of a group (general position: no other point on it) and two
    parallel threshold units just below and above it form a slab
    ``s = H(w.x - lo) - H(w.x - hi)`` that is 1 on the group and 0 on every
    other point. Binary labels in ``{0, 1}`` are read out as Baum does, by a
    threshold unit ``H(2 sum_g s_g - 1)`` (or ``H(1 - 2 sum_g s_g)`` when 1 is
    the background), whose pre-activation is an odd integer. More classes are
    our extension: a linear readout ``background + sum_g (label_g - background) s_g``.

    Exactness. The hyperplane's normal is a float least-squares direction
    rounded to integers of 30 bits, so it passes only *near* the group's
    points; the thresholds ``lo`` and ``hi`` are chosen as short dyadics
    strictly between the group's exact projections and everybody else's,
    decided in exact rational arithmetic (a float pass with a rigorous
    rounding-error bound only skips points that are provably far away). If
    another point falls inside a group's slab (the data are not in general
    position there), the group is split in two and each half gets its own
    slab; ``meta["splits"]`` counts how often, and a single point always gets
    a slab. So the result is always exact; every step pre-activation is away
    from 0 (``min_margin > 0``).

    Sizes, with ``G = sum_{c != background} ceil(N_c / d)`` groups when no split
    was needed (``N_c`` distinct points of class ``c``): ``2G`` hidden units,
    ``params = (d + 1) 2G + 2G + 1``, ``neurons = 2G + 1``, ``depth = 2``. For
    binary labels ``2G <= 2 ceil(N/(2d))``, Baum's ``N/d`` up to rounding.
    Each split adds one group (two units). See :func:`threshold_one_hidden_counts`.

    Parameters
    ----------
    X : array_like, shape (N, d)
        The points: float64 values; a point may repeat only with its label.
    y : array_like, shape (N,)
        Integer labels ``0..C-1``.
    seed : int, numpy.random.Generator or None, default 0
        Seed of the grouping and of the random directions; the same seed gives the same network.

    Returns
    -------
    Network
        Outputs exactly ``y[i]`` on ``X[i]``; ``meta`` records ``groups``, ``splits``,
        ``background`` and the ``readout`` (``"step"`` for binary labels).

    Raises
    ------
    DataError
        On malformed data or a point repeated with different labels.
    ConstructionError
        If a single point cannot be isolated by a slab (the points are not distinct).

    Examples
    --------
    >>> from memorize import build, data, verify
    >>> X, y = data.random_separated(60, 3, delta=0.05, num_classes=3, seed=0)
    >>> net = build("threshold_one_hidden", X, y)
    >>> verify.is_memorizing(net, X, y), verify.matches_counts(net)
    (True, True)

    See Also
    --------
    memorize.bounds.THRESHOLD_ONE_HIDDEN : Baum's count beside the built network.
    build_relu_bubeck : the ReLU version of the same grouping.

    References
    ----------
    .. [1] E. B. Baum, "On the capabilities of multilayer perceptrons", J. Complexity 4
       (1988) 193-215.
    """
    Xu, yu, _ = deduplicate(X, y)
    check_magnitude(Xu, MAX_EXPONENT, "threshold_one_hidden")
    n, d = Xu.shape
    rng = np.random.default_rng(seed)
    counts = Counter(int(v) for v in yu)
    background = max(sorted(counts), key=lambda c: counts[c])
    slabber = _Slabber(Xu)
    groups = []
    for c in sorted(counts):
        if c == background:
            continue
        idx = np.flatnonzero(yu == c)
        idx = idx[rng.permutation(len(idx))]
        groups += [(c, idx[start:start + d]) for start in range(0, len(idx), d)]

    def find(_, group):
        # A single point gets more random directions before it is declared impossible.
        for _ in range(_MAX_REDRAWS if len(group) == 1 else 2):
            found = slabber.slab(group, rng)
            if found is not None:
                return found
        return None

    def lone_point(_, group):
        raise ConstructionError(f"could not isolate point {int(group[0])} with a slab after "
                                f"{_MAX_REDRAWS} random directions; are the points distinct?")

    slabs = [(c, *found) for c, _, found in split_until_found(groups, find, lone_point)]
    splits = len(slabs) - len(groups)  # each split adds one group

    hidden_entries, hidden_bias = [], []
    for g, (_, w, t_lo, t_hi) in enumerate(slabs):
        for unit, t in ((2 * g, t_lo), (2 * g + 1, t_hi)):
            hidden_entries += [(unit, j, wj) for j, wj in enumerate(w) if wj]
            hidden_bias.append(-t)
    width = max(2 * len(slabs), 1)
    if not slabs:  # one class only: a constant network
        hidden_bias = [1]
    hidden = Layer.from_entries(d, width, hidden_entries, hidden_bias, "step")
    binary = set(counts) <= {0, 1}
    if binary:
        sign = 1 if background == 0 else -1
        entries = [(0, 2 * g + k, sign * (2 if k == 0 else -2)) for g in range(len(slabs)) for k in (0, 1)]
        readout = Layer.from_entries(width, 1, entries, [-sign], "step")
    else:
        entries = [(0, 2 * g + k, (c - background) * (1 if k == 0 else -1))
                   for g, (c, *_rest) in enumerate(slabs) for k in (0, 1)]
        readout = Layer.from_entries(width, 1, entries, [background], "identity")
    meta = provenance("threshold_one_hidden", seed, {}, X, y,
                      background=background, groups=len(slabs), splits=splits,
                      readout="step" if binary else "linear")
    return Network(d, (hidden, readout), meta)
