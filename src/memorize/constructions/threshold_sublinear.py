"""Deep threshold-network memorization (Rajput, Sreenivasan, Papailiopoulos, Karbasi 2021).

The theorem, the construction stage by stage, the exact count formulas and every
departure from the paper are in ``docs/theorems/threshold_sublinear.md``; the
builder's docstring summarizes them. Stages 2 and 3 (parity compression, lift) are
in :mod:`memorize.constructions.gadgets.parity_codes`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from memorize.constructions.gadgets.gaussian_layer import certified_signs, draw_hyperplanes
from memorize.constructions.gadgets.parity_codes import Lift, compress, lift, parity_bits, _row_ids
from memorize.constructions.provenance import provenance
from memorize.constructions.record import Option, register
from memorize.constructions.gadgets.threshold import (
    conjunction_row,
    group_neuron_row,
    parity_hidden_rows,
    parity_output_row,
)
from memorize.data import check_magnitude, deduplicate, label_bits, num_classes, radius, separation
from memorize.errors import ConstructionError, DataError
from memorize.network import Layer, Network, dense_params

VARIANTS = ("ball", "sphere")
MAX_EXPONENT = 900  # |x| < 2^900: the float margin test of layer 1 stays finite
SPHERE_TOL = 1e-9  # the sphere variant accepts | ||x|| - 1 | <= SPHERE_TOL
MAX_LABEL_BITS = 20  # labels 0 .. 2^20 - 1
MAX_CODE_BITS = 1 << 31  # refuse when the n x m layer-1 code matrix would exceed 2 GiB
_MAX_LAYER_DRAWS = 20


# -- formulas -------------------------------------------------------------------

def separation_probability(delta: float, variant: str = "ball", radius_: float = 1.0) -> float:
    """Lower bound ``p`` on the chance that one random layer-1 hyperplane splits a delta-pair."""
    a = math.asin(min(delta / radius_, 2.0) / 2)
    return 2 * a / math.pi if variant == "sphere" else a / math.pi


def first_layer_width(n: int, delta: float, *, variant: str = "ball", radius_: float = 1.0,
                      failure_prob: float = 0.01) -> int:
    """``m = ceil(ln(C(n,2)/eta) / -ln(1-p))``, at least 1: layer-1 width of the construction."""
    p = separation_probability(delta, variant, radius_)
    if p >= 1.0:
        return 1
    pairs = max(1, n * (n - 1) // 2)
    return max(1, math.ceil(math.log(pairs / failure_prob) / -math.log1p(-p)))


def default_row_weight(m: int, p: float) -> int:
    """Parity row weight ``r = min(m, max(8, ceil(1 / (8p))))``.

    Tuned on n = 10^4, d = 10: at delta = 0.1 (adversarial pairs) ``r p ~ 1/8``
    kept ``k = k0 + 1`` with the fewest neurons and weights (``r = 2, 4``
    needed ``k = 95, 55``; ``r = 16, 31`` cost more parity weights ``k r^2``);
    below ``r = 8`` the parities of a few correlated bits group the points
    unevenly (at delta = 0.4, ``r = 2`` needed 33 lift blocks, ``r = 8`` 6).
    """
    return max(1, min(m, max(8, math.ceil(1 / (8 * p)))))


def threshold_sublinear_counts(meta: dict) -> dict:
    """Exact sizes of a :func:`build_threshold_sublinear` network from the quantities it
    recorded in ``meta["threshold"]``: layer widths ``m, R1, k, G + F, J`` and the nonzero
    weights of each layer (connections are the nonzero weights and biases)."""
    t = meta["threshold"]
    d, m, k, R1, R2, G, F, J = (t[key] for key in ("d", "m", "k", "R1", "R2", "G", "F", "J"))
    Jp, Lp = max(J, 1), max(G + F, 1)
    weights = m * d + R2 + R1 + G * t["b_g"] + t["F_w"] + t["J_w"] + J
    biases = (m if t["variant"] == "ball" else 0) + R1 + k + Lp + Jp + t["beta"]
    sizes = [d, m, R1, k, Lp, Jp, 1]
    return {
        "connections": weights + biases,
        "nonzero_params": weights + biases,
        "params": dense_params(sizes),
        "neurons": sum(sizes[1:]),
        "depth": 6,
        "width": max(sizes[1:]),
    }


# -- stage 1: Gaussian hyperplanes -----------------------------------------------

@dataclass
class FirstLayer:
    """Hyperplanes ``W[t] . x + bias_t`` (``bias_t = b_mant[t] * 2^b_exp``) and the codes they give."""

    W: np.ndarray  # int64 (m, d)
    b_mant: np.ndarray  # int64 (m,)
    b_exp: int
    codes: np.ndarray  # bool (n, m)
    redrawn: int  # hyperplanes re-drawn for the margin
    layer_draws: int  # whole layers drawn until the codes were distinct

    def bias(self, t: int):
        v = int(self.b_mant[t])
        return v << self.b_exp if self.b_exp >= 0 else Fraction(v, 1 << -self.b_exp)


def _distinct_rows(bits: np.ndarray) -> int:
    packed = np.ascontiguousarray(np.packbits(bits, axis=1))
    return len(np.unique(packed.view(np.dtype((np.void, packed.shape[1]))).ravel()))


def bias_exponent(X) -> int:
    """``e`` with ``2^(e-1) < R <= 2^e`` (``R`` the data radius): biases are ``N(0, 4^e)`` draws."""
    top = float(np.abs(X).max()) if X.size else 0.0
    if top == 0:
        return 0
    e0 = math.frexp(top)[1]  # radius of the data scaled by 2^-e0 (exact), free of under/overflow
    mant, e = math.frexp(radius(np.ldexp(X, -e0)))
    return e0 + (e - 1 if mant == 0.5 else e)


def first_layer(X, m: int, *, ball: bool, rng, margin_bits: int) -> FirstLayer:
    """Draw ``m`` hyperplanes meeting the margin whose codes separate all points (Las Vegas)."""
    n, d = X.shape
    b_exp = bias_exponent(X)
    redrawn = 0
    for draw in range(1, _MAX_LAYER_DRAWS + 1):
        W, b = draw_hyperplanes(rng, m, d, ball)
        codes = np.empty((n, m), dtype=bool)
        todo = np.arange(m)
        while len(todo):
            signs, ok = certified_signs(X, W[todo], b[todo], b_exp, margin_bits)
            codes[:, todo[ok]] = signs[:, ok]
            todo = todo[~ok]
            redrawn += len(todo)
            if redrawn > 10 * m + 100:
                raise ConstructionError(
                    f"layer-1 hyperplanes keep missing the margin 2^-{margin_bits}; "
                    + ("raise margin_bits (a smaller margin, up to 40)" if margin_bits < 40 else
                       "check the data for extreme magnitudes or nearly coincident points"))
            W[todo], b[todo] = draw_hyperplanes(rng, len(todo), d, ball)
        if _distinct_rows(codes) == n:
            return FirstLayer(W, b, b_exp, codes, redrawn, draw)
    raise ConstructionError(
        f"{_MAX_LAYER_DRAWS} draws of {m} layer-1 hyperplanes never gave distinct codes; "
        "the data are probably closer than the separation used (or not on the sphere for "
        "variant='sphere'); try variant='ball' or a smaller failure_prob")


# -- assembly ---------------------------------------------------------------------

@register(
    "threshold_sublinear",
    summary="RSPK 2021: deep threshold net, Gaussian layer 1, GF(2) parities, lift, sqrt(n) memorizers",
    citation="S. Rajput, K. Sreenivasan, D. Papailiopoulos, A. Karbasi, 'An exponential "
             "improvement on the memorization capacity of deep threshold networks', NeurIPS 2021",
    theorem="Theorem 1 (the construction of their Figure 1)",
    guarantee="for N delta-separated points, a depth-6 threshold network with "
              "O~(1/delta + sqrt N) neurons outputs y_i on x_i (with high probability over its "
              "random first layer; every random step is checked exactly and repaired)",
    counts=threshold_sublinear_counts,
    options=(
        Option("variant", str, "ball", "'ball': hyperplanes with Gaussian biases, any data; "
               "'sphere': homogeneous hyperplanes, unit-norm data only", choices=VARIANTS),
        Option("failure_prob", float, 0.01, "eta in the layer-1 width and k0 formulas", low=0,
               high=1, open_low=True, open_high=True),
        Option("row_weight", int, None, "parity row weight r (default max(8, ceil(1/(8p))); at "
               "most the layer-1 width m)", low=1, high=1 << 20, none=True),
        Option("group_bits", int, None, "b_g (default ceil(log2(n)/2))", low=0, high=62, none=True),
        Option("block_bits", int, None, "b_f (default ceil(log2(n / 2^b_g)) + 2)", low=1, high=24,
               none=True),
        Option("max_blocks", int, 32, "random lift blocks before the completion block", low=0,
               high=1024),
        Option("margin_bits", int, 30, "layer-1 margin threshold 2^-margin_bits (relative)", low=1,
               high=40),
        Option("max_first_layer", int, 50_000, "refuse when the layer-1 width m would exceed this "
               "(also refused: n m > 2^31, the code matrix the builder holds)", low=1, high=1 << 31),
    ),
)
def build_threshold_sublinear(X, y, *, seed: int | None = 0, variant: str = "ball",
                    failure_prob: float = 0.01, row_weight: int | None = None,
                    group_bits: int | None = None, block_bits: int | None = None,
                    max_blocks: int = 32, margin_bits: int = 30,
                    max_first_layer: int = 50_000) -> Network:
    """Deep threshold memorizer of Rajput et al. (2021); see the module docstring.

    Parameters
    ----------
    X : array_like, shape (N, d)
        The points: float64 values; a point may repeat only with its label.
    y : array_like, shape (N,)
        Integer labels ``0..C-1``, ``C <= 2^20``.
    seed : int, numpy.random.Generator or None, default 0
        Seed of every random draw; the same seed gives the same network.
    variant : {"ball", "sphere"}, default "ball"
        ``"ball"``: hyperplanes with Gaussian biases, any data; ``"sphere"``:
        homogeneous hyperplanes, unit-norm data only.
    failure_prob : float in (0, 1), default 0.01
        ``eta`` in the layer-1 width and ``k0`` formulas.
    row_weight : int or None, default None
        Parity row weight ``r`` (``None``: ``max(8, ceil(1/(8p)))``; at most ``m``).
    group_bits : int or None, default None
        ``b_g`` (``None``: ``ceil(log2(n)/2)``).
    block_bits : int or None, default None
        ``b_f`` (``None``: ``ceil(log2(n / 2^b_g)) + 2``).
    max_blocks : int, default 32
        Random lift blocks before the completion block.
    margin_bits : int, default 30
        Layer-1 margin threshold ``2^-margin_bits`` (relative).
    max_first_layer : int, default 50000
        Refuse when the layer-1 width ``m`` would exceed this (also refused:
        ``n m > 2^31``, the code matrix the builder holds).

    Returns
    -------
    Network
        Depth 6, outputs exactly ``y[i]`` on ``X[i]``; ``meta["threshold"]`` records
        the quantities of the exact counts (:func:`threshold_sublinear_counts`).

    Raises
    ------
    DataError
        Malformed data, a point repeated with different labels, labels
        ``>= 2^20``, or (sphere variant) a point off the unit sphere.
    ConstructionError
        Bad options, or ``delta`` so small that ``m > max_first_layer`` or ``n m > 2^31``.

    Examples
    --------
    >>> from memorize import build, data, verify
    >>> X, y = data.random_separated(60, 3, delta=0.05, num_classes=3, seed=0)
    >>> net = build("threshold_sublinear", X, y)
    >>> verify.is_memorizing(net, X, y), verify.matches_counts(net)
    (True, True)

    See Also
    --------
    memorize.bounds.THRESHOLD_SUBLINEAR : the theorem's O~ counts.
    memorize.bounds.first_layer_threshold : the great-circle lower bound on layer 1.

    References
    ----------
    .. [1] S. Rajput, K. Sreenivasan, D. Papailiopoulos, A. Karbasi, "An exponential
       improvement on the memorization capacity of deep threshold networks",
       NeurIPS 2021, Theorem 1.
    """
    Xu, yu, _ = deduplicate(X, y)
    check_magnitude(Xu, MAX_EXPONENT, "threshold_sublinear")
    n, d = Xu.shape
    if int(yu.max()) >= 1 << MAX_LABEL_BITS:
        raise DataError(f"label {int(yu.max())} is too large: threshold_sublinear supports labels "
                        f"0 .. 2^{MAX_LABEL_BITS} - 1 (one memorization layer per label bit)")
    sphere = variant == "sphere"
    if sphere:
        dev = np.abs(np.linalg.norm(Xu, axis=1) - 1.0)
        if dev.max() > SPHERE_TOL:
            i = int(np.argmax(dev))
            raise DataError(f"variant='sphere' needs unit-norm points, but point {i} has norm "
                            f"{np.linalg.norm(Xu[i]):.12g}; normalize the data or use variant='ball'")
    e = 0 if sphere else bias_exponent(Xu)
    R = math.ldexp(1.0, e)
    # delta / R, measured on the data scaled by 2^-e (exact), which avoids the
    # under- and overflow of squared distances for tiny or huge coordinates.
    delta_rel = separation(np.ldexp(Xu, -e))
    if not (delta_rel > 0 and math.isfinite(delta_rel)) and n > 1:
        raise ConstructionError(
            f"could not measure the separation of the data (got {delta_rel}); rescale the data")
    delta = delta_rel * R
    m = first_layer_width(n, delta_rel, variant=variant, failure_prob=failure_prob)
    if m > max_first_layer:
        raise ConstructionError(
            f"separation delta = {delta:.3g} (radius {R:.3g}) needs m = {m} first-layer hyperplanes, "
            f"above max_first_layer = {max_first_layer}; raise max_first_layer or use "
            "better separated data")
    if n * m > MAX_CODE_BITS:
        raise ConstructionError(
            f"n = {n} points with m = {m} first-layer hyperplanes make an n x m code matrix of "
            f"{n * m} bits, above the 2^31 this construction holds in memory; use fewer points "
            "or better separated data")
    rng = np.random.default_rng(seed)
    p = separation_probability(delta_rel, variant)
    r = default_row_weight(m, p) if row_weight is None else int(row_weight)
    if not (1 <= r <= m):
        raise ConstructionError(f"row_weight must be in 1..m = {m}, got {row_weight!r}")

    L1 = first_layer(Xu, m, ball=not sphere, rng=rng, margin_bits=margin_bits)
    k0 = max(1, math.ceil(math.log2(max(1, n * (n - 1) // 2) / failure_prob)))
    supports = compress(L1.codes, r, k0, rng)
    k = len(supports)
    c = parity_bits(L1.codes, supports)

    b_g = min(k, math.ceil(math.log2(n) / 2) if group_bits is None else int(group_bits))
    b_f = (math.ceil(math.log2(max(1.0, n / 2 ** b_g))) + 2) if block_bits is None else int(block_bits)
    B = label_bits(num_classes(yu))
    ybits = (yu[:, None] >> np.arange(B)) & 1
    majority = (2 * ybits.sum(axis=0) > n).astype(np.int64)
    positive = ybits != majority  # (n, B)
    group = _row_ids(c[:, :b_g])
    mixed = np.unique(np.stack([group, yu], axis=1), axis=0)
    mixed_group = np.bincount(mixed[:, 0], minlength=group.max() + 1) > 1
    needs = positive.any(axis=1) & mixed_group[group]
    lifted = lift(c, yu, needs, b_g, b_f, max_blocks, rng)
    layers, stats = _assemble(Xu, L1, supports, c, lifted, positive, majority, b_g, B, sphere)

    stats.update(d=d, m=m, k=k, r=r, R1=sum(len(t) for t in supports),
                 R2=sum(len(t) ** 2 for t in supports), variant=variant, b_g=b_g, b_f=b_f, k0=k0,
                 blocks=len(lifted.blocks), delta_used=delta, delta_rel=delta_rel,
                 radius_used=R, p=p,
                 margin_bits=margin_bits, layer1_redrawn=L1.redrawn, layer1_draws=L1.layer_draws)
    options = dict(variant=variant, failure_prob=failure_prob, row_weight=row_weight,
                   group_bits=group_bits, block_bits=block_bits, max_blocks=max_blocks,
                   margin_bits=margin_bits, max_first_layer=max_first_layer)
    meta = provenance("threshold_sublinear", seed, options, X, y, distinct=(Xu, yu), threshold=stats)
    return Network(d, layers, meta)


def _assemble(Xu, L1: FirstLayer, supports, c, lifted: Lift, positive, majority, b_g, B, sphere):
    n, d = Xu.shape
    m, k = L1.W.shape[0], len(supports)
    W = L1.W
    layer1 = Layer.from_entries(d, m, ((t, j, int(W[t, j])) for t in range(m) for j in range(d)),
                                [0] * m if sphere else [L1.bias(t) for t in range(m)], "step")
    hidden_rows, out_rows = [], []
    for s in supports:
        first = len(hidden_rows)
        hidden_rows.extend(parity_hidden_rows(s.tolist()))
        out_rows.append(parity_output_row(range(first, len(hidden_rows))))
    parity_hidden = Layer.from_rows(m, hidden_rows, "step")
    parity_out = Layer.from_rows(len(hidden_rows), out_rows, "step")

    group, feature = lifted.group, lifted.feature
    # Memorization neurons: (bit, group) with a positive; the gates they use.
    neurons = []  # (bit, gate group, feature ids, number of blocks)
    order = np.argsort(group, kind="stable")
    bounds = np.flatnonzero(np.diff(group[order])) + 1
    members_of = np.split(order, bounds)
    for b in range(B):
        for members in members_of:
            pos = members[positive[members, b]]
            if len(pos) == 0:
                continue
            if len(pos) == len(members):
                neurons.append((b, int(group[members[0]]), [], 0))
            else:
                feats = sorted(set(feature[pos].tolist()))
                used_blocks = {lifted.feature_keys[f][0] for f in feats}
                neurons.append((b, int(group[members[0]]), feats, len(used_blocks)))
    gate_groups = sorted({g for _, g, _, _ in neurons})
    rep_of_group = {int(group[mem[0]]): int(mem[0]) for mem in members_of}
    gate_index = {g: i for i, g in enumerate(gate_groups)}
    lift_rows = [conjunction_row(range(b_g), c[rep_of_group[g], :b_g].tolist()) for g in gate_groups]
    used_features = sorted({f for _, _, feats, _ in neurons for f in feats})
    feature_index = {f: len(gate_groups) + i for i, f in enumerate(used_features)}
    F_w = 0
    for f in used_features:
        t, i = lifted.feature_keys[f]
        cols = lifted.blocks[t]
        lift_rows.append(conjunction_row(cols.tolist(), c[i, cols].tolist()))
        F_w += len(cols)
    # All labels equal: no neuron needs a gate, and a constant-0 unit keeps the layer non-empty.
    lift_layer = Layer.from_rows(k, lift_rows or [({}, -1)], "step")

    mem_rows = [group_neuron_row([feature_index[f] for f in feats], gate_index[g], M)
                for _, g, feats, M in neurons]
    J = len(mem_rows)
    J_w = sum(len(w) for w, _ in mem_rows)
    if not mem_rows:
        mem_rows = [({}, -1)]  # all labels equal: a constant-0 unit keeps the layer non-empty
    mem_layer = Layer.from_rows(max(1, len(lift_rows)), mem_rows, "step")

    if B == 1:
        sign = -1 if majority[0] else 1
        out = Layer.from_rows(len(mem_rows), [({j: 2 * sign for j in range(J)}, -sign)], "step")
        beta = 1
    else:
        weights = {j: (-(1 << b) if majority[b] else (1 << b))
                   for j, (b, _, _, _) in enumerate(neurons)}
        bias = sum(1 << b for b in range(B) if majority[b])
        out = Layer.from_rows(len(mem_rows), [(weights, bias)], "identity")
        beta = int(bias != 0)
    stats = dict(G=len(gate_groups), F=len(used_features), F_w=F_w, J=J, J_w=J_w, beta=beta,
                 label_bits=B)
    return (layer1, parity_hidden, parity_out, lift_layer, mem_layer, out), stats

