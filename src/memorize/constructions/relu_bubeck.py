"""Two-layer ReLU memorization with 4 ceil(N/d) neurons (Bubeck, Eldan, Lee, Mikulincer 2020)."""

from __future__ import annotations

from fractions import Fraction
from math import lcm

import numpy as np

from memorize import dyadic
from memorize.constructions.gadgets.exact_linalg import nullspace, primitive_integer, solve
from memorize.constructions.gadgets.projection import project
from memorize.constructions.gadgets.splitting import split_until_found
from memorize.bounds.symbols import evaluate_all
from memorize.bounds.upper import bounds_for
from memorize.constructions.provenance import provenance
from memorize.constructions.record import Option, register
from memorize.data import deduplicate
from memorize.errors import ConstructionError
from memorize.network import Layer, Network

# Random combinations of a hyperplane basis tried before a group is split.
_TRIES = 8


def relu_bubeck_counts(meta: dict) -> dict:
    """Exact sizes of a :func:`build_relu_bubeck` network from its ``meta``: the ``size`` of
    :data:`memorize.bounds.RELU_BUBECK` (4 units per group) or, with ``per_class``, of
    :data:`memorize.bounds.RELU_BUBECK_PER_CLASS` (3 per group), at the groups ``G`` used.

    >>> relu_bubeck_counts({"data": {"d": 3}, "options": {"per_class": False}, "groups": 5})
    {'params': 101, 'neurons': 21, 'depth': 2, 'width': 20}
    """
    return evaluate_all(bounds_for("relu_bubeck", meta["options"]).size, d=meta["data"]["d"],
                        G=meta["groups"])


def _group_gadget(members, X_int, y, rng):
    """Integer hyperplane ``(w, beta)`` through exactly the points ``members`` and the affine
    map ``(u, v0)`` equal to the labels on them, or None when the group must be split."""
    d = X_int.shape[1]
    pts = [[int(v) for v in X_int[i]] for i in members]
    label_map = solve([p + [1] for p in pts], [int(y[i]) for i in members])
    if label_map is None:  # affinely dependent points whose labels no affine map fits
        return None
    basis = nullspace([p + [-1] for p in pts], d + 1)
    inside = np.zeros(X_int.shape[0], dtype=bool)
    inside[list(members)] = True
    for _ in range(_TRIES):
        if len(basis) == 1:
            vec = basis[0]
        else:
            coef = [int(c) for c in rng.integers(-(1 << 16), 1 << 16, size=len(basis))]
            vec = [sum(c * b[k] for c, b in zip(coef, basis)) for k in range(d + 1)]
        if not any(vec[:d]):
            continue
        hyper = primitive_integer(vec)
        w, beta = hyper[:d], hyper[d]
        s = project(X_int, w) - beta
        # Exactly the group on the hyperplane: checked in integers on every point.
        if all(s[~inside] != 0):
            return w, beta, s, label_map
        if len(basis) == 1:
            break
    return None


def _gadgets(groups: list, X_int, y, rng):
    """``(members, gadget)`` for the groups in order; a group whose gadget fails the exact
    check is split in two, the halves tried at once."""
    def lone_point(_, members):
        raise ConstructionError(f"no gadget isolates point {int(members[0])}; are the points distinct?")

    for _, members, gadget in split_until_found(
            [(None, g) for g in groups], lambda _, m: _group_gadget(m, X_int, y, rng), lone_point,
            depth_first=True):
        yield members, gadget


@register(
    "relu_bubeck",
    summary="Bubeck et al. 2020: one hidden layer of 4 ceil(N/d) ReLUs, 4 per group of d points",
    citation="S. Bubeck, R. Eldan, Y. T. Lee, D. Mikulincer, 'Network size and weights size for "
             "memorization with two-layers neural networks', NeurIPS 2020",
    theorem="the 4 ceil(N/d)-ReLU construction after Baum 1988 (as the abstract states it; the "
            "theorem number is not checked against the original)",
    guarantee="for N points in general position in R^d and real labels, a two-layer ReLU "
              "network with 4 ceil(N/d) hidden units outputs y_i on x_i",
    counts=relu_bubeck_counts,
    options=(Option("per_class", bool, False, "3 ReLUs per group of d points of one label (ours) "
                    "instead of 4 per group of any labels"),),
)
def build_relu_bubeck(X, y, *, seed: int | None = 0, per_class: bool = False) -> Network:
    """The two-layer ReLU network of Bubeck, Eldan, Lee, Mikulincer (2020).

    Theorem (Bubeck et al. 2020, after Baum 1988): ``N`` points in general
    position in ``R^d`` with real labels are memorized by a two-layer ReLU
    network with ``4 ceil(N/d)`` hidden neurons.

    Construction. Split the points into groups of ``d``. For a group ``G``
    take an integer hyperplane ``s(x) = <w, x> - beta`` through exactly the
    points of ``G`` (the null vector of ``[x_i, -1]``, ``i in G``; with the
    data written as integers ``X_int = 2^F X``, ``s`` is an integer on every
    point and nonzero off ``G``, checked exactly) and an affine ``t(x)`` with
    ``t(x_i) = y_i`` on ``G``. With a power of two ``lam >= 2 max_j |t(x_j)|``,

        g_G = relu(lam (s + 1/2) + t) - relu(lam (s + 1/2))
              - relu(lam (s - 1/2) + t) + relu(lam (s - 1/2))

    equals ``t = y_i`` on ``G`` (``s = 0``, ``|t| <= lam/2``) and 0 off ``G``
    (``|s| >= 1``: all four arguments have one sign). The output is
    ``f = sum_G g_G``. This is the paper's gadget with ``epsilon = 1/2`` in the
    integer units of ``s`` and ``delta' = 1/lam`` folded into the hidden
    weights. Each group's four rows are then multiplied by ``k = 2D`` (``D``
    the common denominator of ``t``), which makes every hidden weight and
    bias an integer; the group's output weights are ``+-1/k``.

    General position is not assumed, it is checked: a group whose points lie
    on a common lower-dimensional flat with labels no affine map fits, or
    whose hyperplane (after a few random choices when it is not unique) meets
    another data point, is split in two and retried; single points always
    succeed. So ``groups = ceil(N/d)`` for points in general position and more
    otherwise (recorded in ``meta["groups"]``).

    Exact counts (``g`` groups): ``params = 4g(d + 2) + 1``,
    ``neurons = 4g + 1``, ``depth = 2``, ``width = 4g``; see
    :func:`relu_bubeck_counts`. ``N`` counts distinct points.

    ``per_class=True`` (our variant, Baum's grouping with a ReLU tent): the
    most frequent label is the background (the output bias) and the other
    classes are cut into groups of ``d`` points *of one label* ``c``; then
    ``g_G = (c - background) (relu(s + 1) - 2 relu(s) + relu(s - 1))`` is
    ``c - background`` on ``G`` (``s = 0``) and 0 off it (integer ``|s| >= 1``):
    3 neurons per group, ``groups = sum_{c != background} ceil(N_c / d)`` in
    general position. Fewer parameters (``3(d+2)`` per ``d`` points against
    ``4(d+2)``) and integer weights, but labels are not interpolated by an
    affine map, so only class labels (not reals) are possible.

    Departures from the paper: labels are the integers of our data format
    (the paper allows reals); hyperplanes are integer and exact, with the
    margin ``epsilon`` fixed by integrality instead of computed from the data.

    Parameters
    ----------
    X : array_like, shape (N, d)
        The points: float64 values; a point may repeat only with its label.
    y : array_like, shape (N,)
        Integer labels ``0..C-1``.
    seed : int, numpy.random.Generator or None, default 0
        Seed of the grouping and of the hyperplane choices; the same seed gives the same network.
    per_class : bool, default False
        Group points of one label and use the 3-neuron tent (see above).

    Returns
    -------
    Network
        Outputs exactly ``y[i]`` on ``X[i]``; ``meta["groups"]`` records the groups
        used (and ``meta["background"]`` the output bias with ``per_class``).

    Raises
    ------
    DataError
        On malformed data or a point repeated with different labels.

    Examples
    --------
    >>> from memorize import build, data, verify
    >>> X, y = data.random_separated(60, 3, delta=0.05, num_classes=3, seed=0)
    >>> net = build("relu_bubeck", X, y)
    >>> verify.is_memorizing(net, X, y), verify.matches_counts(net)
    (True, True)
    >>> tents = build("relu_bubeck", X, y, per_class=True)
    >>> tents.num_params < net.num_params, verify.is_memorizing(tents, X, y)
    (True, True)

    See Also
    --------
    memorize.bounds.RELU_BUBECK, memorize.bounds.RELU_BUBECK_PER_CLASS : the counts.
    build_threshold_one_hidden : Baum's slabs, the grouping this construction follows.

    References
    ----------
    .. [1] S. Bubeck, R. Eldan, Y. T. Lee, D. Mikulincer, "Network size and weights size
       for memorization with two-layers neural networks", NeurIPS 2020.
    .. [2] E. B. Baum, "On the capabilities of multilayer perceptrons", J. Complexity 4
       (1988) 193-215.
    """
    Xu, yu, _ = deduplicate(X, y)
    n, d = Xu.shape
    X_int, F = dyadic.to_integers(Xu)
    rng = np.random.default_rng(seed)
    if per_class:
        return _build_tent(X, y, Xu, yu, X_int, F, rng, seed)
    order = [int(i) for i in rng.permutation(n)]
    cover = [order[i:i + d] for i in range(0, n, d)]
    rows, out = [], []
    groups = 0
    scale = 1 << F
    for _, (w, beta, _, (*u, v0)) in _gadgets(cover, X_int, yu, rng):
        den = lcm(*(c.denominator for c in u + [v0]))
        t_num = project(X_int, [int(c * den) for c in u]) + int(v0 * den)
        t_max = Fraction(int(max(abs(v) for v in t_num)), den)
        lam = 1
        while lam < 2 * t_max:
            lam *= 2
        groups += 1
        # Scaling a group's four rows by k = 2 den makes them integer (relu(k z) = k relu(z));
        # the output weights +-1/k undo it.
        k = 2 * den
        for half_sign, with_t, sign in ((1, True, 1), (1, False, -1), (-1, True, -1), (-1, False, 1)):
            weights = {j: k * (lam * scale * w[j] + (scale * u[j] if with_t else 0)) for j in range(d)}
            bias = k * (-lam * beta + Fraction(half_sign * lam, 2) + (v0 if with_t else 0))
            rows.append((weights, bias))
            out.append(Fraction(sign, k))
    hidden = Layer.from_rows(d, rows, "relu")
    readout = Layer.from_entries(len(rows), 1, [(0, k, a) for k, a in enumerate(out)], [0], "identity")
    meta = provenance("relu_bubeck", seed, {"per_class": False}, X, y, groups=groups)
    return Network(d, (hidden, readout), meta)


def _build_tent(X, y, Xu, yu, X_int, F, rng, seed) -> Network:
    """The ``per_class`` variant: one 3-neuron tent per group of ``d`` points of one label."""
    n, d = Xu.shape
    labels, counts = np.unique(yu, return_counts=True)
    background = int(labels[np.argmax(counts)])
    per_label = []  # drawn from the largest label down, covered from the smallest up
    for c in labels[::-1]:
        if c == background:
            continue
        idx = [int(i) for i in rng.permutation(np.flatnonzero(yu == c))]
        per_label.append([idx[i:i + d] for i in range(0, len(idx), d)])
    cover = [group for groups in reversed(per_label) for group in groups]
    rows, out = [], []
    for members, (w, beta, _, _) in _gadgets(cover, X_int, yu, rng):
        lift = int(yu[members[0]]) - background
        # s = <w, X_int> - beta = <w 2^F, X> - beta is an integer, 0 exactly on the group.
        for offset, weight in ((1, 1), (0, -2), (-1, 1)):
            rows.append(({j: wj << F for j, wj in enumerate(w) if wj}, offset - beta))
            out.append(weight * lift)
    groups = len(rows) // 3
    hidden = Layer.from_rows(d, rows or [({}, 0)], "relu")
    readout = Layer.from_entries(max(len(rows), 1), 1, [(0, k, a) for k, a in enumerate(out)],
                                 [background], "identity")
    meta = provenance("relu_bubeck", seed, {"per_class": True}, X, y, groups=groups,
                      background=background)
    return Network(d, (hidden, readout), meta)
