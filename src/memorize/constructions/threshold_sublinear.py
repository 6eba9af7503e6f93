"""Deep threshold-network memorization (Rajput, Sreenivasan, Papailiopoulos, Karbasi 2021).

Theorem (RSPK 2021, NeurIPS, Theorem 1, as its abstract and Figure 1 state
it; the body of the paper could not be read here): a deep threshold network
with ``O~(1/delta + sqrt n)`` neurons and ``O~(d/delta + n)`` weights memorizes
any ``n`` points of ``R^d`` at pairwise distance ``>= delta`` with binary
labels. Only the first layer has Gaussian weights; all later layers have
binary or integer weights. The exact constants, log exponents and
probabilities of the theorem are not known to us.

Architecture (the paper's Figure 1; the mechanism of each stage and every
formula below are our reference design, see ``docs/theorems/threshold_sublinear.md``):

1. **Layer 1**: ``m`` seeded Gaussian hyperplanes ``H(<w_t, x> + b_t)`` give
   every point a distinct binary code. A pair at distance ``>= delta`` is
   split by one hyperplane with probability ``>= p``, so
   ``m = ceil(ln(C(n,2)/eta) / -ln(1-p))`` hyperplanes split every pair with
   probability ``>= 1 - eta`` (:func:`first_layer_width`). Here ``delta`` is
   the measured separation of the deduplicated data (floats: it only sizes
   ``m``; the distinctness of the codes is checked exactly).
   ``variant="ball"``: ``b_t ~ N(0, R^2)``, ``p = arcsin(delta/(2R))/pi``,
   where ``R`` is the data radius rounded up to a power of two (``R = 1``
   for unit-ball data);
   ``variant="sphere"`` (unit-norm data only): ``b_t = 0``,
   ``p = 2 arcsin(delta/2)/pi``. Weights are Gaussians rounded to the grid
   ``2^-24`` and stored scaled by ``2^24`` (integers; the bias is an integer
   times ``2^e = R``), which leaves every step output unchanged.
   *Margin*: a hyperplane is kept only if
   ``|<w_t, x_i> + b_t| >= 2^-margin_bits (||w_t||_1 max|x|_inf + |b_t|)`` on
   every point, certified by a float64 evaluation with a rigorous error bound
   (``(d + 3) 2^-51 (|w|.|x| + |b|)``); failing hyperplanes are re-drawn.
   So every layer-1 sign is decided exactly. If two codes coincide, the
   whole layer is re-drawn.
2. **Compression** with GF(2) parities: code bit ``l`` is the parity of
   ``r`` random layer-1 bits, computed exactly by the depth-2 gadget of
   :mod:`.threshold_gadgets`. ``k0 = ceil(log2(C(n,2)/eta))`` random rows
   are drawn, then targeted rows (see :func:`compress`) until the ``k`` code
   bits are injective on the data.
3. **Lift**: the first ``b_g = ceil(log2(n)/2)`` code bits put the points
   into about ``sqrt n`` groups; a *gate* conjunction unit per group fires on
   its members. Random blocks of ``b_f`` of the other code bits are drawn;
   a point gets the conjunction unit of its pattern on a block (a
   *feature*) once no member of its group with another label shares that
   pattern. A final block of all the other code bits always succeeds (codes
   are distinct). Only used features are built. Within a group a positive's
   feature fires on it and only on members of its own label, so the
   positives' features separate each group's labels linearly: the role of
   the linear independence RSPK's lift provides.
4. **Memorization**: per label bit ``b`` and group ``j`` with a positive,
   one neuron ``H(2 sum_f u_f + 2M gate_j - 2M - 1)`` (``M`` = number of
   blocks its features come from), or the gate itself when the whole group
   is positive. "Positive" for bit ``b`` means the bit differs from its
   majority value over the data (the bit is flipped at the output).
5. **Output**: binary labels (``C <= 2``): the step unit
   ``H(+-(2 sum_j h_j - 1))`` (sign by the flip). ``C > 2`` classes: one
   memorization neuron set per label bit and the identity readout
   ``sum_b 2^b bit_b`` (``bit_b = sum_j h_{b,j}`` or ``1 - sum_j h_{b,j}``).

Every pre-activation after layer 1 is an odd integer on every data point;
the step convention is ``H(z) = 1 iff z >= 0``.

Exact counts (:func:`threshold_sublinear_counts`), in the quantities recorded in
``meta["threshold"]``: ``m, k`` as above, ``R1 = sum_l r_l`` and
``R2 = sum_l r_l^2`` over the parity rows (``= k r`` and ``k r^2`` unless a
targeted repair row has weight 1), ``G`` gates with ``b_g`` inputs each,
``F`` features with ``F_w`` inputs in all, ``J`` memorization neurons with
``J_w`` inputs in all, ``beta = 1`` if the output bias is nonzero;
``L' = max(G + F, 1)`` and ``J' = max(J, 1)`` (an all-equal labelling gets
one constant unit ``H(-1)`` in each of these layers)::

    depth          = 6
    neurons        = m + R1 + k + L' + J' + 1
    nonzero_weights= m d + R2 + R1 + G b_g + F_w + J_w + J
    nonzero_params = nonzero_weights + [m if ball] + R1 + k + L' + J' + beta
    width          = max(m, R1, k, L', J')

with ``m = first_layer_width(n, delta / R, variant, 1, eta)`` exactly,
``k >= k0``, ``G <= 2^b_g``, ``F <= #non-majority points``,
``F <= T 2^b_f`` (``T`` blocks; a feature is a (block, pattern) pair, shared
across groups), ``J <= B G`` (``B`` label bits), ``J_w <= n + J``. Sizes:
``m = O(log n / delta)``, ``k = O(log n)``, ``r`` defaults to
``max(8, ceil(1/(8p))) = O(1/delta)``, ``G, J = O(sqrt n)``, ``2^b_f = O(sqrt n)``;
so ``O(log n / delta + T sqrt n)`` neurons and
``O(d log n / delta + log n / delta^2 + n)`` weights, ``T`` being the number
of lift blocks drawn (recorded; ``O(log n)`` in our runs).

Departures from the paper (as far as we know it):

* The lift is our own (RSPK's mechanism is not readable): one-hot
  conjunction features over ``T`` blocks, ``T 2^b_f = O(T sqrt n)`` of them
  at most, the ``O(sqrt n log^2 n)`` lifted dimension of Figure 1 when
  ``T = O(log^2 n)``; ``T`` is not bounded a priori (a completion block
  ends the search). The weights match ``O~(d/delta + n)`` except the flat
  parities, which cost
  ``k r^2 = O(log n / delta^2)`` weights (an XOR tree would give ``O(log n/delta)``).
* Ball variant with Gaussian biases (RSPK may assume unit-norm data).
* More than two classes via one memorization neuron set per label bit and
  an identity (linear) output unit; binary labels keep a threshold output.
* Layer 1 is dyadic (integers after scaling) and margin-checked; every
  random step (codes distinct, parities injective, features private) is
  checked exactly and repaired, and the rest holds by construction.

Lower bound (:func:`memorize.bounds.first_layer_threshold`): the output depends on ``x``
only through its layer-1 code, so alternating labels on
``N = floor(pi / arcsin(delta/2))`` points of a great circle at spacing
``delta`` (:func:`memorize.data.great_circle`) force ``floor(N/2)`` layer-1
units (``ceil(N/2)`` for the even ``N`` the instance uses): ``~ pi/(2 delta)``.
Against it, ``m <= c ln(C(n,2)/eta) (L + 1) + 1`` with ``c = 1`` (sphere) or
``2R`` (ball; ``R = 1`` for the unit circle), since ``-ln(1-p) >= p`` and
``L + 1 >= pi/(2 arcsin(delta/2))``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from memorize.constructions.gadgets.certified import dot_error
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
from memorize.network import Layer, Network

VARIANTS = ("ball", "sphere")
WEIGHT_BITS = 24  # layer-1 Gaussians are rounded to multiples of 2^-WEIGHT_BITS
MAX_EXPONENT = 900  # |x| < 2^900: the float margin test of layer 1 stays finite
SPHERE_TOL = 1e-9  # the sphere variant accepts | ||x|| - 1 | <= SPHERE_TOL
MAX_LABEL_BITS = 20  # labels 0 .. 2^20 - 1
MAX_CODE_BITS = 1 << 31  # refuse when the n x m layer-1 code matrix would exceed 2 GiB
_MAX_LAYER_DRAWS = 20
_CHUNK = 1 << 22  # float values per layer-1 evaluation chunk


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
        "params": sum((i + 1) * o for i, o in zip(sizes, sizes[1:])),
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


def _draw_hyperplanes(rng, count: int, d: int, ball: bool):
    scale = float(1 << WEIGHT_BITS)
    W = np.rint(rng.standard_normal((count, d)) * scale).astype(np.int64)
    W[W == 0] = 1  # keeps every weight nonzero (the count formula relies on it)
    if ball:
        b = np.rint(rng.standard_normal(count) * scale).astype(np.int64)
        b[b == 0] = 1
    else:
        b = np.zeros(count, dtype=np.int64)
    return W, b


def _certified_signs(X, W, b_mant, b_exp, margin_bits):
    """Signs of ``W x + b`` on every point, and which hyperplanes meet the margin (certified).

    The float64 value ``z`` of ``sum_j w_j x_j + b`` is within
    :func:`~memorize.constructions.gadgets.certified.dot_error` of the exact
    value, whatever the summation order. A hyperplane passes when ``|z| - err`` exceeds the margin threshold
    on every point; then every sign is exact.
    """
    n, d = X.shape
    Wf = W.astype(np.float64)  # exact: |W| < 2^53
    bf = np.ldexp(b_mant.astype(np.float64), b_exp)
    absX = np.abs(X)
    A = float(absX.max()) if X.size else 0.0
    thr = np.ldexp(1.0, -margin_bits) * (np.abs(W).sum(axis=1).astype(np.float64) * A + np.abs(bf))
    thr *= 1 + 2.0 ** -40
    ok = np.ones(len(W), dtype=bool)
    signs = np.empty((n, len(W)), dtype=bool)
    step = max(1, _CHUNK // max(n, 1))
    for lo in range(0, len(W), step):
        hi = min(len(W), lo + step)
        z = X @ Wf[lo:hi].T + bf[lo:hi]
        err = dot_error(absX @ np.abs(Wf[lo:hi]).T + np.abs(bf[lo:hi]), d)
        ok[lo:hi] = ((np.abs(z) - err) >= thr[lo:hi]).all(axis=0)
        signs[:, lo:hi] = z >= 0
    return signs, ok


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
        W, b = _draw_hyperplanes(rng, m, d, ball)
        codes = np.empty((n, m), dtype=bool)
        todo = np.arange(m)
        while len(todo):
            signs, ok = _certified_signs(X, W[todo], b[todo], b_exp, margin_bits)
            codes[:, todo[ok]] = signs[:, ok]
            todo = todo[~ok]
            redrawn += len(todo)
            if redrawn > 10 * m + 100:
                raise ConstructionError(
                    f"layer-1 hyperplanes keep missing the margin 2^-{margin_bits}; "
                    + ("raise margin_bits (a smaller margin, up to 40)" if margin_bits < 40 else
                       "check the data for extreme magnitudes or nearly coincident points"))
            W[todo], b[todo] = _draw_hyperplanes(rng, len(todo), d, ball)
        if _distinct_rows(codes) == n:
            return FirstLayer(W, b, b_exp, codes, redrawn, draw)
    raise ConstructionError(
        f"{_MAX_LAYER_DRAWS} draws of {m} layer-1 hyperplanes never gave distinct codes; "
        "the data are probably closer than the separation used (or not on the sphere for "
        "variant='sphere'); try variant='ball' or a smaller failure_prob")


# -- stage 2: parity compression -------------------------------------------------

def compress(codes: np.ndarray, r: int, k0: int, rng) -> list[np.ndarray]:
    """Supports of ``k >= k0`` parity rows whose parities are injective on the codes.

    ``k0`` rows are uniformly random ``r``-subsets of the layer-1 bits. While
    two codes ``z_i = z_j`` still collide, a *targeted* row is added: a random
    ``r``-subset with one element swapped so that it meets ``D = z_i xor z_j``
    in an odd number of bits, so it splits that pair (and whatever else it
    happens to split). When no ``r``-subset meets ``D`` oddly (``D`` is all of
    the layer or ``r = m``) the row is a single bit of ``D``. Each targeted
    row makes strictly more classes, so at most ``n - 1`` are added.
    """
    n, m = codes.shape
    supports: list[np.ndarray] = []
    cls = np.zeros(n, dtype=np.int64)
    while True:
        if len(supports) < k0:
            s = np.sort(rng.choice(m, size=r, replace=False))
        else:
            counts = np.bincount(cls)
            if counts.max() == 1:
                return supports
            i, j = np.flatnonzero(cls == int(np.argmax(counts)))[:2]
            s = _odd_row(np.flatnonzero(codes[i] != codes[j]), m, r, rng)
        bit = np.logical_xor.reduce(codes[:, s], axis=1)
        cls = np.unique(cls * 2 + bit, return_inverse=True)[1].reshape(-1)
        supports.append(s)


def _odd_row(D: np.ndarray, m: int, r: int, rng) -> np.ndarray:
    """A random ``r``-subset of ``range(m)`` meeting ``D`` in an odd number of elements."""
    s = rng.choice(m, size=r, replace=False)
    inside = np.isin(s, D)
    if inside.sum() % 2 == 0:
        free = np.setdiff1d(np.arange(m), s)
        free_in, free_out = free[np.isin(free, D)], free[~np.isin(free, D)]
        if len(free_in) and (~inside).any():  # swap an outside member for a D element
            s[rng.choice(np.flatnonzero(~inside))] = rng.choice(free_in)
        elif len(free_out) and inside.any():  # swap a D member for an outside element
            s[rng.choice(np.flatnonzero(inside))] = rng.choice(free_out)
        else:
            s = np.array([rng.choice(D)])
    return np.sort(s)


def parity_bits(codes: np.ndarray, supports: list[np.ndarray]) -> np.ndarray:
    return np.stack([np.logical_xor.reduce(codes[:, s], axis=1) for s in supports], axis=1)


# -- stage 3: lift ----------------------------------------------------------------

def _row_ids(bits: np.ndarray) -> np.ndarray:
    """Equal rows get equal ids (0..#distinct-1)."""
    if bits.shape[1] == 0:
        return np.zeros(bits.shape[0], dtype=np.int64)
    packed = np.ascontiguousarray(np.packbits(bits, axis=1))
    _, ids = np.unique(packed.view(np.dtype((np.void, packed.shape[1]))).ravel(),
                       return_inverse=True)
    return ids.reshape(-1)


@dataclass
class Lift:
    group: np.ndarray  # group id per point
    blocks: list[np.ndarray]  # code-bit columns of each block
    feature: np.ndarray  # feature id per point (-1: none)
    feature_keys: list[tuple[int, int]]  # (block, representative point) per feature


def lift(c: np.ndarray, y: np.ndarray, needs: np.ndarray, b_g: int, b_f: int, max_blocks: int,
         rng) -> Lift:
    """Groups from the first ``b_g`` code bits; a label-private feature for every needy point."""
    n, k = c.shape
    group = _row_ids(c[:, :b_g])
    rest = np.arange(b_g, k)
    feature = np.full(n, -1, dtype=np.int64)
    keys: dict[tuple[int, int], int] = {}
    reps: list[tuple[int, int]] = []
    blocks: list[np.ndarray] = []
    todo = needs.copy()
    while todo.any():
        if len(blocks) < max_blocks and len(rest) > b_f:
            cols = np.sort(rng.choice(rest, size=b_f, replace=False))
        else:
            cols = rest  # the completion block: codes are distinct, so this always isolates
        t = len(blocks)
        blocks.append(cols)
        pattern = _row_ids(c[:, cols])
        cell = np.unique(np.stack([group, pattern], axis=1), axis=0, return_inverse=True)[1].reshape(-1)
        cell_label = np.unique(np.stack([cell, y], axis=1), axis=0)
        labels_per_cell = np.bincount(cell_label[:, 0], minlength=cell.max() + 1)
        take = np.flatnonzero(todo & (labels_per_cell[cell] == 1))
        for i in take.tolist():
            key = (t, int(pattern[i]))
            if key not in keys:
                keys[key] = len(reps)
                reps.append((t, i))
            feature[i] = keys[key]
        todo[take] = False
        if len(cols) == len(rest) and todo.any():
            raise ConstructionError("internal: the completion block did not isolate every point")
    return Lift(group, blocks, feature, reps)


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

