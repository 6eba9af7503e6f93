"""Lower bounds: how small any network that memorizes ``N`` points can be.

Each bound is a sympy expression plus, where the bound is an implicit
inequality (``N <= VC(W, ...)``), a function that returns the smallest
integer satisfying it. All constants here are explicit; see ``docs/bounds.md``
for the arguments.

Memorization and VC dimension. A construction that memorizes *every* labeling
in ``{0, 1}`` of *some* ``N``-point set (it handles every label vector with
``C >= 2``) realizes, through ``sign(f - 1/2)`` (a shift of the output bias,
so the same architecture), every dichotomy of that set: ``N <= VCdim``.
"""

from __future__ import annotations

import math

import sympy as sp

from memorize.data import circle_points
from memorize.bounds.symbols import B, C, N, U, W, L, d, delta, log2, r, width

E = sp.E

# --- piecewise-linear (ReLU) networks: Bartlett, Harvey, Liaw, Mehrabian 2019 ----------------
#: VC dimension of networks with W parameters, L layers and U units, piecewise-linear
#: activations (Bartlett et al. 2019, Theorem 7, made safe): their bound
#: L + Lbar W log2(4 e p R log2(2 e p R)) with p = 2 pieces (ReLU, identity: if their p counts
#: breakpoints, p = 1, ours is larger), Lbar <= L and R = sum_i i k_i <= L U (degree 1).
#: Every substitution only increases the bound, so this is an upper bound on VCdim whichever
#: reading of p is right.
VC_RELU = L + L * W * log2(8 * E * L * U * log2(4 * E * L * U))

# --- threshold networks -------------------------------------------------------------------
#: VC dimension of threshold networks with W parameters and U units: Anthony & Bartlett 1999,
#: Thm 6.1, 2 W log2(2U / ln 2). It is larger than Baum & Haussler's 1989 2 W log2(e U)
#: (2/ln 2 = 2.885 > e), so it is safe under either source.
VC_THRESHOLD = 2 * W * log2(2 * U / sp.log(2))

#: The most parameters U threshold units can have reading d inputs: each unit reads every
#: input and every earlier unit, plus a bias (any layered net is a sub-case).
MAX_PARAMS_OF_UNITS = U * (d + 1) + U * (U - 1) / 2

# --- bits: counting functions ----------------------------------------------------------------
#: log2 of the number of rationals v with bits(v) <= B (Network's convention: bitlen|p| + 1
#: for an integer, bitlen|p| + bitlen q + 1 for p/q): fewer than 2^B integers and fewer than
#: 2^(B-2) * B^2/2 fractions, so at most log2(2^B (1 + B^2/8)).
LOG2_VALUES = B + log2(1 + B**2 / 8)

#: log2 of the number of layered architectures with at most W parameters (input and output
#: dimension fixed): width sequences are compositions of at most W (< 2^W), an activation
#: per layer (3^L <= 3^W): log2 6^W.
LOG2_ARCHITECTURES = W * log2(6)

#: The information (counting) bound: W params of <= B bits over the architectures above give at
#: most 6^W * V(B)^W functions, and memorizing every labeling of N points in [C] needs C^N.
#: Memorization requires INFORMATION_SLACK >= 0.
INFORMATION_SLACK = W * LOG2_VALUES + LOG2_ARCHITECTURES - N * log2(C)

# --- threshold first layer: alternating labels on a great circle --------------------------
#: Points at angle 2 pi / M on a circle of radius r are >= delta apart iff M <= pi / asin(delta/2r).
CIRCLE_POINTS = sp.floor(sp.pi / sp.asin(delta / (2 * r)))
#: Two inputs with the same first-layer code get the same output, so every adjacent pair with
#: different labels must be cut by a first-layer hyperplane, and a hyperplane cuts a circle in
#: at most 2 points: with M' = min(N, M) points and alternating labels (M' - (M' mod 2) pairs
#: differ), at least floor(M'/2) first-layer units. Needs d >= 2 and C >= 2.
FIRST_LAYER_THRESHOLD = sp.floor(sp.Min(N, CIRCLE_POINTS) / 2)

# --- the asymptotic forms, for display -----------------------------------------------------
#: What the explicit bounds give asymptotically (constants dropped): any depth, depth L,
#: threshold nets, bits at W parameters.
ASYMPTOTIC = {
    "params_any_depth": sp.sqrt(N / log2(N)),
    "params_depth_L": N / (L * log2(N)),
    "params_threshold": N / log2(N),
    "bits_at_W": N * log2(C) / W,
}


def _smallest(pred, lo: int = 1) -> int:
    """Smallest integer x >= lo with pred(x), for pred monotone (False ... False True ...)."""
    if pred(lo):
        return lo
    hi = lo * 2
    while not pred(hi):
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if pred(mid):
            hi = mid
        else:
            lo = mid
    return hi


# --- width and depth: Yang and Yang 2026 ----------------------------------------------------
#: Any ReLU network of width W and depth L that memorizes every labeling of N points pairwise
#: >= delta apart in the ball of radius r has W^2 L^2 = Omega(N / log(1/delta)) (Yang and Yang
#: 2026, arXiv 2603.09589; read in the abstract, constant unknown, written as 1): the depth
#: at a given width. Beside it, the VC bound at width W gives another (min_params_relu).
MIN_DEPTH_AT_WIDTH = sp.sqrt(N / sp.Max(1, log2(r / delta))) / width

_vc_relu = sp.lambdify((W, L, U), VC_RELU, "math")
_vc_thr = sp.lambdify((W, U), VC_THRESHOLD, "math")
_log2_values = sp.lambdify((B,), LOG2_VALUES, "math")


def vc_relu(params: int, depth: int, units: int) -> float:
    """The VC bound of :data:`VC_RELU` at ``W = params``, ``L = depth``, ``U = units``."""
    return _vc_relu(params, depth, units)


def vc_threshold(params: int, units: int) -> float:
    """The VC bound of :data:`VC_THRESHOLD`."""
    return _vc_thr(params, units)


def min_params_relu(n: int, depth: int | None = None) -> int:
    """Fewest parameters of a piecewise-linear net (depth ``depth``, or any depth) whose VC
    bound reaches ``n``: no such net with fewer memorizes every binary labeling of ``n`` points.

    With no depth the depth and the units are bounded by the parameters (``L, U <= W``),
    which gives ``W = Omega(sqrt(n / log n))``; at depth ``L`` it is ``Omega(n / (L log n))``.
    """
    if n <= 1:
        return 1
    if depth is None:
        return _smallest(lambda w: _vc_relu(w, w, w) >= n)
    return _smallest(lambda w: _vc_relu(w, depth, w) >= n)


def min_depth_at_width(n: int, w: int, sep: float, rad: float) -> int:
    """:data:`MIN_DEPTH_AT_WIDTH` at ``N = n``, ``width = w``, ``delta = sep``, ``r = rad``, rounded up.

    >>> min_depth_at_width(10**4, 10, 0.01, 1.0)
    4
    """
    # One point has no separation (inf): the bound's log factor is then 1, its least value.
    finite = 0 < sep < math.inf and 0 < rad < math.inf
    log_sep = max(1.0, math.log2(rad / sep)) if finite else 1.0
    return max(1, math.ceil(math.sqrt(n / log_sep) / w))


def min_params_threshold(n: int) -> int:
    """Fewest parameters of a threshold net whose VC bound reaches ``n`` (units <= params)."""
    if n <= 1:
        return 1
    return _smallest(lambda w: _vc_thr(w, w) >= n)


def min_neurons_threshold(n: int, dim: int) -> int:
    """Fewest threshold units (reading ``dim`` inputs) whose VC bound reaches ``n``."""
    if n <= 1:
        return 1
    return _smallest(lambda u: _vc_thr(u * (dim + 1) + u * (u - 1) / 2, u) >= n)


def min_bits(n: int, num_classes: int, params: int) -> int:
    """Fewest bits per parameter that let ``params`` parameters memorize every labeling of
    ``n`` points in ``[num_classes]`` (the :data:`INFORMATION_SLACK` inequality)."""
    need = n * math.log2(num_classes) if num_classes > 1 else 0.0
    per_param = need / params - math.log2(6)
    if per_param <= 1:
        return 1
    return _smallest(lambda b: _log2_values(b) >= per_param)


def first_layer_threshold(n: int, dim: int, sep: float, rad: float) -> int:
    """Fewest first-layer units of a threshold net that memorizes every ``sep``-separated
    labeled set of ``n`` points of norm ``<= rad`` (0 in dimension 1, where the circle
    argument does not apply)."""
    if dim < 2 or n < 2 or not sep > 0 or not rad > 0 or sep > 2 * rad:
        return 0
    return min(n, circle_points(sep, rad)) // 2  # exact: CIRCLE_POINTS at (sep, rad)


def log2_values(bits: int) -> float:
    """:data:`LOG2_VALUES` at ``B = bits``: log2 of how many parameters of that size exist."""
    return _log2_values(bits)
