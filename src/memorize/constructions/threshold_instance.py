"""Instance-specific threshold memorizer (Dirksen, Finke, Genzel 2024, Algorithm 2).

A three-layer threshold network whose size depends on how the classes lie,
not on ``N``: a random first layer, a greedy cover per class in the second
layer, an OR per class in the third. The paper (JMLR 25, 2024) states the
algorithm as its Algorithm 2 and bounds the widths by the geometry of the
classes (separation, radius and covering numbers); the exact form of that
theorem was not readable here, so this module states no a-priori size and
records the size the algorithm chose (see ``docs/theorems/threshold_instance.md``).

The module is in three pieces: the counts (:func:`threshold_instance_counts`,
a formula of what ``meta["instance"]`` records), the greedy cover (plain functions
of arrays) and the registered builder; the first layer is
:class:`~memorize.constructions.gadgets.gaussian_layer.Hyperplanes`.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from memorize.constructions.gadgets.gaussian_layer import FirstLayer, Hyperplanes
from memorize.constructions.provenance import provenance
from memorize.constructions.record import Option, register
from memorize.data import check_magnitude, deduplicate, radius
from memorize.errors import ConstructionError
from memorize.network import Layer, Network

MAX_UNITS = 1 << 16  # first-layer units: the option's upper limit and the search's last width
START_UNITS = 16  # the default search starts here and doubles
MAX_CODE_BYTES = 1 << 29  # the packed n x units pattern matrix the builder holds (512 MiB)
MAX_EXPONENT = 900  # |x| < 2^900: the float filter of layer 1 stays finite


# -- counts: a formula of the recorded choices ----------------------------------------------

def threshold_instance_counts(meta: dict) -> dict:
    """Exact sizes of a :func:`build_threshold_instance` network from its ``meta["instance"]``.

    ``units`` first-layer units ``m`` (0: the one-class network), ``layer2``
    the second-layer units ``G_c`` of each covered class (``G = sum G_c``,
    ``K = len(layer2)`` OR units), ``layer2_weights`` their weights in all
    (``W2 = sum_u |U_u|``, ``U_u`` the layer-1 units on which the unit's
    point is inactive), ``step_output`` whether the OR is the output
    (labels ``{0, 1}``)::

        connections = m (d + 1) + W2 + G + (G + K) + [not step_output] (K + 1)
        params      = (d + 1) m + (m + 1) G + (G + 1) K + [not step_output] (K + 1)
        neurons     = m + G + K + [not step_output]
        depth       = 3 + [not step_output]
        width       = max(m, G, K)

    One class (``units = 0``): a single identity unit whose bias is the
    label, ``connections = 1``, ``params = d + 1``, depth 1.

    Examples
    --------
    >>> instance = dict(d=2, units=10, layer2=[3], layer2_weights=12, step_output=True)
    >>> threshold_instance_counts({"instance": instance})["connections"]
    49
    """
    t = meta["instance"]
    d, units, layer2, layer2_weights = t["d"], t["units"], t["layer2"], t["layer2_weights"]
    step_output = t["step_output"]
    if units == 0:
        return {"connections": 1, "params": d + 1, "neurons": 1, "depth": 1, "width": 1}
    m, G, K = units, sum(layer2), len(layer2)
    extra = 0 if step_output else 1
    return {
        "connections": m * (d + 1) + layer2_weights + G + (G + K) + extra * (K + 1),
        "params": (d + 1) * m + (m + 1) * G + (G + 1) * K + extra * (K + 1),
        "neurons": m + G + K + extra,
        "depth": 3 + extra,
        "width": max(m, G, K),
    }


# -- layer 2: the greedy cover ----------------------------------------------------------------

def _popcounts(packed: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``|pattern_i & mask|`` for every row of ``packed``."""
    return np.bitwise_count(packed & mask).sum(axis=1, dtype=np.int64)


@dataclass
class Blocked:
    """Why a cover failed: point ``point`` (label ``label``) cannot be covered, because
    point ``other`` of another label fires on a subset of its first-layer units."""

    label: int
    point: int
    other: int
    built: int


def greedy_cover(packed: np.ndarray, y: np.ndarray, label: int, rng):
    """Algorithm 2's second layer for class ``label`` against all other points.

    Repeat while a point of the class is uncovered: draw an uncovered point
    ``i`` at random, let ``U`` be the first-layer units on which it is
    inactive and ``mu = min_{j not in class} |z(x_j) & U|``; the unit
    ``H(2 (mu - <U, z(x)>) - 1)`` fires on ``x_i`` and on no point of another
    class; the class points it fires on are covered. ``mu = 0`` means that an
    other point fires on a subset of ``i``'s units, so no unit of this kind
    can ever cover ``i``: the cover fails then (the paper's loop would go
    on and end with ``i`` uncovered).

    Returns ``(units, None)`` with ``units`` a list of ``(point, mu)``, or
    ``(units_so_far, Blocked)``.
    """
    members = np.flatnonzero(y == label)
    others = np.flatnonzero(y != label)
    mine, theirs = packed[members], packed[others]
    uncovered = np.ones(len(members), dtype=bool)
    units = []
    while uncovered.any():
        k = int(rng.choice(np.flatnonzero(uncovered)))
        mask = ~mine[k]
        counts = _popcounts(theirs, mask)
        mu = int(counts.min())
        if mu == 0:
            return units, Blocked(label, int(members[k]), int(others[int(np.argmin(counts))]),
                                  len(units))
        uncovered &= _popcounts(mine, mask) >= mu
        units.append((int(members[k]), mu))
    return units, None


# -- assembly ---------------------------------------------------------------------------------

def _layers(d: int, L1: FirstLayer, covers: list, y_values: list, background: int,
            step_output: bool):
    m = L1.units
    bias = [int(v) << L1.b_exp if L1.b_exp >= 0 else Fraction(int(v), 1 << -L1.b_exp)
            for v in L1.b_mant]
    layer1 = Layer.from_entries(d, m, ((t, j, int(L1.W[t, j])) for t in range(m) for j in range(d)),
                                bias, "step", placed=m * (d + 1))
    rows, owner, weights = [], [], 0
    for k, units in enumerate(covers):
        for point, mu in units:
            bits = np.unpackbits(L1.packed[point], count=m).astype(bool)
            inactive = np.flatnonzero(~bits).tolist()
            rows.append(({t: -2 for t in inactive}, 2 * mu - 1))
            owner.append(k)
            weights += len(inactive)
    G, K = len(rows), len(covers)
    layer2 = Layer.from_rows(m, rows, "step", placed=weights + G)
    ors = [({u: 2 for u in range(G) if owner[u] == k}, -1) for k in range(K)]
    if step_output:
        sign = 1 if background == 0 else -1  # labels {0, 1}: the OR, or its negation
        ors = [({u: 2 * sign for u in terms}, -sign) for terms, _ in ors]
        return (layer1, layer2, Layer.from_rows(G, ors, "step", placed=G + 1)), weights
    layer3 = Layer.from_rows(G, ors, "step", placed=G + K)
    out = Layer.from_rows(K, [({k: c - background for k, c in enumerate(y_values)}, background)],
                          "identity", placed=K + 1)
    return (layer1, layer2, layer3, out), weights


def _seeds(seed):
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(1 << 63))
    return np.random.SeedSequence(seed).spawn(3)


@register(
    "threshold_instance",
    summary="Dirksen, Finke, Genzel 2024: random threshold layer, greedy cover per class, OR; "
            "size set by the classes' geometry",
    citation="S. Dirksen, P. Finke, M. Genzel, 'Memorization with neural nets: going beyond the "
             "worst case', JMLR 25 (347), 2024",
    theorem="Algorithm 2 (threshold activation; its size theorem was not readable here)",
    guarantee="for distinct points and integer labels, a three-layer threshold network whose "
              "size is set by the geometry of the classes (not by N) outputs y_i on x_i, or the "
              "builder says the first layer was too small",
    counts=threshold_instance_counts,
    options=(
        Option("units", int, None, "first-layer units m (default: search 16, 32, ... until the "
               "cover finishes)", low=1, high=MAX_UNITS, none=True),
        Option("lam", float, None, "biases uniform in [-lam, lam] (default: the data radius)",
               low=0, none=True),
    ),
)
def build_threshold_instance(X, y, *, seed: int | None = 0, units: int | None = None,
                             lam: float | None = None) -> Network:
    """Instance-specific three-layer threshold memorizer of Dirksen, Finke, Genzel (2024).

    Guarantee: for distinct points ``X`` and integer labels ``y`` the network
    outputs exactly ``y_i`` on ``x_i``, or the builder raises
    :class:`ConstructionError` (the first layer was too small to separate the
    classes). Its size is what the greedy cover chose on these data, not a
    worst-case function of ``N``; ``meta["instance"]`` records it and
    :func:`threshold_instance_counts` turns it into the exact counts.

    Construction (the paper's Algorithm 2, as its public code implements it):

    1. ``m`` threshold units ``H(<w_t, x> + b_t)``, ``w_t ~ N(0, I_d)``,
       ``b_t`` uniform in ``[-lam, lam]``; ``w_t`` rounded to the grid
       ``2^-24`` and ``b_t`` to ``2^(e - 24)`` (``lam <= 2^e``), the unit
       stored scaled by ``2^24``: integer weights, dyadic bias. The signs on
       the data are decided exactly: a float64 evaluation with a rigorous
       error bound, and exact integer arithmetic for every unit it cannot
       certify. A unit that passes exactly through a data point is re-drawn
       (``meta["instance"]["redrawn"]``; a probability-zero event).
    2. One-vs-rest greedy cover (:func:`greedy_cover`) of every class but the
       *background* (the most frequent label, the smallest on ties): each
       second-layer unit ``H(2 mu - 1 - 2 sum_{t in U} z_t)`` is built from
       one uncovered point of its class (``U``: the units on which that point
       is inactive), fires on that point and on no point of another class;
       the class points it fires on are removed.
    3. Labels ``{0, 1}``: the output is the OR ``H(2 sum_u h_u - 1)`` of the
       units of class 1 (or its negation when 1 is the background), a
       threshold network of depth 3 as in the paper. Other labels: one OR
       unit ``o_c`` per covered class and the identity output
       ``background + sum_c (c - background) o_c``: on a data point exactly
       one ``o_c`` fires (its own class, or none for the background), so the
       output is the label.

    After layer 1 every weight is an integer and every pre-activation an odd
    integer on the data (``|z| >= 1``). One class: a constant network (one
    identity unit whose bias is the label; ``units = 0`` in the meta).

    Exact counts (:func:`threshold_instance_counts`, from ``meta["instance"]``):
    ``connections = m (d + 1) + W2 + 2G + K + [not step] (K + 1)``,
    ``params = (d + 1) m + (m + 1) G + (G + 1) K + [not step] (K + 1)``,
    depth 3 (labels ``{0, 1}``) or 4, with ``G = sum_c G_c`` second-layer
    units, ``W2`` their weights and ``K`` covered classes.

    Departures from the paper and its code:

    * Exact: dyadic first layer with exactly decided signs, integer later
      layers, exact verification (the code runs in float32 and calls a
      network interpolating when its score is 1.0).
    * The cover stops with an error at the first drawn point that no unit
      can cover (``mu = 0``); the paper's loop drops that point and goes on,
      ending with the same uncovered point, so the outcome is the same.
    * One-vs-rest covers all ``C`` classes in the code for ``C > 2`` (one for
      ``C = 2``); here the background class is never covered (``C - 1``
      covers), and the labels come out as the value ``y_i``, not an argmax.
    * ``units=None`` (the default) searches the width: ``16, 32, ...`` first-layer
      units (each the prefix of the next) until the cover finishes; the
      paper takes the width as given (pass ``units`` for exactly that).
    * ``lam=None`` takes the data radius ``max ||x_i||`` (the code's default
      ``1.0`` on data scaled to radius 1).

    Parameters
    ----------
    X : array_like, shape (N, d)
        The points: float64 values; a point may repeat only with its label.
    y : array_like, shape (N,)
        Non-negative integer labels.
    seed : int, numpy.random.Generator or None, default 0
        Seed of the first layer and of the cover's random choices; the same seed gives the
        same network.
    units : int, optional
        First-layer units ``m``, ``1 .. 2^16``; default: the search above.
    lam : float, optional
        Biases are uniform in ``[-lam, lam]`` (``lam >= 0``); default: the data radius.

    Returns
    -------
    Network
        ``meta["instance"]`` records ``units``, ``layer2`` (units per covered
        class, in the order of ``classes``), ``layer2_weights``,
        ``background``, ``step_output``, ``lam``, ``redrawn`` and
        ``searched`` (the widths tried).

    Raises
    ------
    DataError
        Malformed data, or a point repeated with different labels.
    ConstructionError
        ``units`` or ``lam`` out of range, or a first layer too small: the
        message names the blocked points, the units used and suggests more.

    Examples
    --------
    >>> from memorize import build, data, verify
    >>> X, y = data.random_separated(200, 2, 0.02, num_classes=3, seed=0)
    >>> net = build("threshold_instance", X, y)
    >>> verify.is_memorizing(net, X, y), verify.matches_counts(net)
    (True, True)

    See Also
    --------
    memorize.constructions.threshold_sublinear : the worst-case deep threshold memorizer (Rajput et al.).
    memorize.constructions.threshold_one_hidden : one hidden layer of slabs (Baum 1988).

    References
    ----------
    .. [1] S. Dirksen, P. Finke, M. Genzel, "Memorization with neural nets: going
       beyond the worst case", JMLR 25(347), 2024, Algorithm 2; arXiv 2310.00327.
    """
    Xu, yu, _ = deduplicate(X, y)
    check_magnitude(Xu, MAX_EXPONENT, "threshold_instance")
    n, d = Xu.shape
    options = {"units": units, "lam": lam}
    labels = sorted(set(yu.tolist()))
    if len(labels) == 1:
        out = Layer.from_entries(d, 1, [], [labels[0]], "identity", placed=1)
        stats = dict(d=d, units=0, layer2=[], layer2_weights=0, step_output=False,
                     classes=[], background=labels[0], lam=lam, redrawn=0, searched=[])
        meta = provenance("threshold_instance", seed, options, X, y, distinct=(Xu, yu),
                          instance=stats)
        return Network(d, (out,), meta)
    lam_used = float(radius(Xu)) if lam is None else float(lam)
    counts = {c: int(np.count_nonzero(yu == c)) for c in labels}
    background = max(labels, key=lambda c: (counts[c], -c))
    classes = [c for c in labels if c != background]
    step_output = set(labels) <= {0, 1}
    widths = [units] if units is not None else _search_widths(n)
    seeds = _seeds(seed)
    planes = Hyperplanes(Xu, lam_used, seeds)
    searched = []
    for m in widths:
        searched.append(m)
        L1 = planes.layer(m)
        cover_rng = np.random.default_rng(seeds[2])
        covers, blocked = [], None
        for c in classes:
            found, blocked = greedy_cover(L1.packed, yu, c, cover_rng)
            if blocked is not None:
                break
            covers.append(found)
        if blocked is None:
            break
    else:
        raise ConstructionError(_too_small(blocked, m, units,
                                           sum(len(c) for c in covers) + blocked.built))
    layers, weights = _layers(d, L1, covers, classes, background, step_output)
    stats = dict(d=d, units=m, layer2=[len(c) for c in covers], layer2_weights=weights,
                 step_output=step_output, classes=classes, background=background, lam=lam_used,
                 redrawn=L1.redrawn, searched=searched)
    meta = provenance("threshold_instance", seed, options, X, y, distinct=(Xu, yu),
                      instance=stats)
    return Network(d, layers, meta)


def _search_widths(n: int) -> list[int]:
    """``16, 32, ...`` up to ``2^16`` units, as far as the packed patterns fit in memory."""
    widths, m = [], START_UNITS
    while m <= MAX_UNITS and n * (-(-m // 8)) <= MAX_CODE_BYTES:
        widths.append(m)
        m *= 2
    return widths or [START_UNITS]


def _too_small(b: Blocked, m: int, units, built: int) -> str:
    hint = (f"try units={2 * m} or more" if units is not None else
            "the search stopped at its largest width; the two points may be too close for "
            "random hyperplanes, or give a larger lam")
    return (f"the first layer of {m} units is too small: point {b.point} (label {b.label}) fires "
            f"on every first-layer unit that point {b.other} (another label) fires on, so no "
            f"second-layer unit of the cover can separate them ({built} second-layer units were "
            f"built before); {hint}")
