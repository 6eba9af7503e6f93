"""Upper bounds: what each construction's theorem promises, as sympy expressions.

Every construction has a :class:`TheoremBounds` with two dicts of expressions:

* ``statement``: the theorem as the paper states it, in the paper's own
  counting (Zhang et al. count ``2N + d`` free parameters, Baum counts hidden
  units only, ...);
* ``layered``: the same architecture counted the way :class:`memorize.Network`
  counts (keys of :meth:`Network.counts`: ``params`` = every weight and bias of
  the layered net, ``neurons`` includes the output unit, ``depth`` = affine
  layers). These are what a built network is compared with.

``exact`` says whether the constants are the paper's (True) or an ``O``/``O~``
statement with the hidden constant written ``c_O`` (False; see
:mod:`memorize.bounds.symbols`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from memorize.bounds.symbols import C, G, M, N, c_O, d, delta, log2, n1, r, L, width


@dataclass(frozen=True)
class TheoremBounds:
    """The upper bounds one theorem gives for one construction.

    ``size``, where the construction's counts are exact formulas, holds them (in
    the data symbols and the construction's choices ``G``, ``M`` recorded in
    ``meta``): the one definition that both the construction's
    ``expected_counts`` and the bound use. ``layered`` is then ``size`` at the
    choices ``worst`` (the most the theorem allows), unless given.
    """

    construction: str
    theorem: str
    statement: dict
    layered: dict = field(default_factory=dict)
    exact: bool = False
    notes: str = ""
    assumptions: tuple = field(default_factory=tuple)
    size: dict = field(default_factory=dict)
    worst: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.size and not self.layered:
            derived = {k: sp.sympify(v).subs(self.worst) for k, v in self.size.items()}
            object.__setattr__(self, "layered", derived)


# --- Zhang, Bengio, Hardt, Recht, Vinyals 2017, Theorem 1 -----------------------------------
RELU_TWO_LAYER = TheoremBounds(
    construction="relu_two_layer",
    theorem="Zhang et al. 2017, Theorem 1",
    statement={"params": 2 * N + d, "neurons": N, "depth": 2, "width": N},
    # t = <a, x> as a 1-unit identity layer (d weights), N ReLUs reading t (a unit weight and a
    # bias each), the linear output (N weights); the two linear layers' zero biases are dense
    # parameters but not connections: 3N + d connections, 3N + d + 2 params.
    size={"connections": 3 * N + d, "params": 3 * N + d + 2, "neurons": N + 2, "depth": 3,
          "width": N},
    exact=True,
    notes="2N + d counts a, b, w of c(x) = sum_j w_j relu(<a,x> - b_j); the layered count adds "
          "the N unit weights from t to the hidden units and the two zero biases.",
    assumptions=("distinct points", "real labels"),
)

# --- Baum 1988 -----------------------------------------------------------------------------
#: Baum's slab layer: two threshold units per group of d points of one non-background label.
_slab_units = sp.Max(2 * G, 1)
THRESHOLD_ONE_HIDDEN = TheoremBounds(
    construction="threshold_one_hidden",
    theorem="Baum 1988, 'On the capabilities of multilayer perceptrons' (as quoted by "
            "Bubeck et al. 2020 and Rajput et al. 2021)",
    statement={"neurons": sp.ceiling(N / d), "depth": 2, "width": sp.ceiling(N / d)},
    size={"params": (d + 2) * _slab_units + 1, "neurons": _slab_units + 1, "depth": 2,
          "width": _slab_units},
    # Binary labels: the minority class has at most floor(N/2) points.
    worst={G: sp.ceiling(sp.floor(N / 2) / d)},
    exact=False,
    notes="ceil(N/d) hidden threshold units (the statement counts hidden units only); our "
          "binary construction uses 2 ceil(N_minority/d) <= 2 ceil(floor(N/2)/d) slab units, "
          "at most ceil(N/d) + 1.",
    assumptions=("points in general position", "binary labels"),
)


# --- Bubeck, Eldan, Lee, Mikulincer 2020 ----------------------------------------------------
def one_hidden_layer(units, d_) -> dict:
    """Counts of ``units`` ReLUs reading all ``d`` inputs and a bias, and a linear output
    (at least one unit: a constant network keeps one)."""
    units = sp.Max(units, 1)
    return {"params": units * (d_ + 2) + 1, "neurons": units + 1, "depth": 2, "width": units}


RELU_BUBECK = TheoremBounds(
    construction="relu_bubeck",
    theorem="Bubeck, Eldan, Lee, Mikulincer 2020, 'Network size and weights size for "
            "memorization with two-layers neural networks' (the 4 ceil(N/d) ReLU construction)",
    statement={"neurons": 4 * sp.ceiling(N / d), "depth": 2, "width": 4 * sp.ceiling(N / d)},
    size=one_hidden_layer(4 * G, d),
    worst={G: sp.ceiling(N / d)},
    exact=True,
    notes="4 ReLUs per group of d points; each reads all d inputs plus a bias, the output "
          "reads the 4 ceil(N/d) units plus a bias.",
    assumptions=("points in general position", "real labels"),
)

#: Our per-class variant (``per_class=True``): 3 ReLUs per group of d points of one label,
#: the most frequent label as the output bias; at most ceil(N/d) + C - 1 groups.
_groups_pc = sp.ceiling(N / d) + C - 1
RELU_BUBECK_PER_CLASS = TheoremBounds(
    construction="relu_bubeck",
    theorem="Bubeck, Eldan, Lee, Mikulincer 2020, per-class variant (3 ReLUs per group of "
            "one label; ours)",
    statement={"neurons": 3 * _groups_pc, "depth": 2, "width": 3 * _groups_pc},
    size=one_hidden_layer(3 * G, d),
    worst={G: _groups_pc},
    exact=False,
    notes="groups of d points of one label, sum over labels of ceil(N_c / d) <= ceil(N/d) + C - 1 "
          "(in general position); an upper bound, not the exact count.",
    assumptions=("points in general position", "labels in [C]"),
)

# --- Yun, Sra, Jadbabaie 2019 / Inoue 2019: two hidden layers of ~sqrt(N) -------------------
#: Our decoupled-block construction: M points per block, A = ceil(N/M) blocks; first layer
#: 2A - 1 ReLUs, second layer M ReLUs, linear output.
_A = sp.ceiling(N / M)
RELU_THREE_LAYER = TheoremBounds(
    construction="relu_three_layer",
    theorem="Yun, Sra, Jadbabaie 2019 (Theta(sqrt N) hidden nodes in 2 hidden layers); "
            "Inoue 2019 (a1 * a2 points with widths a1, a2)",
    statement={"neurons": 2 * sp.ceiling(sp.sqrt(N)), "depth": 3},
    size={"params": (d + 1) * (2 * _A - 1) + 2 * _A * M + M + 1, "neurons": 2 * _A + M,
          "depth": 3, "width": sp.Max(2 * _A - 1, M)},
    worst={M: sp.ceiling(sp.sqrt(2 * N))},  # the default block size
    exact=True,
    notes="statement: Inoue's a1 + a2 hidden neurons with a1 = a2 = ceil(sqrt N); layered: "
          "the exact count of our construction (2 ceil(N/m) - 1 + m hidden, m = ceil(sqrt(2N))), "
          "about 2 sqrt(2N), for the default block size (the option block=m changes it).",
    assumptions=("distinct points", "real labels"),
)

# --- Vardi, Yehudai, Shamir 2022, Theorem 3.1 ----------------------------------------------
#: R = 10 r N^2 sqrt(pi d) / delta, the range of the projected points.
R_VARDI = 10 * r * N**2 * sp.sqrt(sp.pi * d) / delta
_lam = sp.Max(log2(R_VARDI), log2(C))
_depth_core = sp.sqrt(N * log2(N)) + sp.sqrt(N / log2(N)) * _lam
_depth_vardi = c_O * _depth_core
RELU_SUBLINEAR = TheoremBounds(
    construction="relu_sublinear",
    theorem="Vardi, Yehudai, Shamir 2022, 'On the optimal memorization power of ReLU neural "
            "networks', Theorem 3.1",
    statement={"width": 12, "depth": _depth_vardi,
               "max_bits": c_O * (log2(d) + sp.sqrt(N / log2(N)) * _lam),
               "params": c_O * (d + _depth_core)},
    # Width 12: the first layer has at most 12 (d + 1) parameters, every later one 12 * 13.
    layered={"width": 12, "depth": _depth_vardi,
             "max_bits": c_O * (log2(d) + sp.sqrt(N / log2(N)) * _lam),
             "params": 12 * (d + 1) + 156 * _depth_vardi, "neurons": 12 * _depth_vardi,
             "connections": 12 * (d + 1) + 156 * _depth_vardi},
    exact=False,
    notes="depth and bits are O(.) with constant c_O; params = O(d + depth) because the width "
          "is 12: a width-12 network of that depth has at most 12 (d + 1) + 156 depth dense "
          "parameters, and so at most as many connections. Logs base 2 (the paper's base is "
          "not stated in the text we read).",
    assumptions=("||x_i|| <= r", "||x_i - x_j|| >= delta", "labels in [C]"),
)

# O~(N/L) hides the bits per point lambda; below L ~ lambda the bound is O(N), the two-layer
# regime (a network never needs more than the 3N + d + 2 of Zhang et al.).
_depth_params = c_O * (d + N * sp.Min(1, _lam / L))
RELU_SUBLINEAR_DEPTH = TheoremBounds(
    construction="relu_sublinear",
    theorem="Vardi, Yehudai, Shamir 2022, bounded-depth theorem (depth L, 1 <= L <= sqrt N)",
    statement={"params": _depth_params, "depth": L, "max_bits": c_O * L},
    # O~(N/L) counts parameters of a sparse network: set beside its connections.
    layered={"connections": _depth_params, "depth": L, "max_bits": c_O * L},
    exact=False,
    notes="O~(N/L) parameters, the polylog written as lambda = max(log2 R, log2 C) (one block "
          "stores about L / lambda points), and never more than O(N): N min(1, lambda / L). "
          "Bits ~ L is our reading of the construction, not seen in the paper's text. The "
          "exact sizes of the network built are in memorize.constructions.relu_sublinear_budget "
          "(budget_counts, budget_connections).",
    assumptions=RELU_SUBLINEAR.assumptions + ("1 <= L <= sqrt(N)",),
)

# --- Yang and Yang 2026: width and depth ---------------------------------------------------
#: log(1/delta) of the theorem, for data in the ball of radius r: log2(r / delta), at least 1.
_log_sep = sp.Max(1, log2(r / delta))
YANG = TheoremBounds(
    construction="relu_sublinear",
    theorem="Yang and Yang 2026, 'Memorization capacity of deep ReLU neural networks "
            "characterized by width and depth' (arXiv 2603.09589)",
    statement={"depth": c_O * sp.sqrt(N * _log_sep) / width},
    layered={"depth": c_O * sp.sqrt(N * _log_sep) / width},
    exact=False,
    notes="width W and depth L with W^2 L^2 = O(N log(1/delta)) suffice, written as the depth "
          "at a given width; the matching lower bound W^2 L^2 = Omega(N / log(1/delta)) is "
          "memorize.bounds.lower.MIN_DEPTH_AT_WIDTH. Read in the abstract only; the constants "
          "and the log's base are not known to us.",
    assumptions=("||x_i|| <= r", "||x_i - x_j|| >= delta", "labels in [C]", "width >= some constant"),
)

# --- Rajput, Sreenivasan, Papailiopoulos, Karbasi 2021 -------------------------------------
_rel = delta / r  # the theorem is for unit vectors; separation relative to the radius
THRESHOLD_SUBLINEAR = TheoremBounds(
    construction="threshold_sublinear",
    theorem="Rajput, Sreenivasan, Papailiopoulos, Karbasi 2021, 'An exponential improvement on "
            "the memorization capacity of deep threshold networks'",
    statement={"neurons": c_O * (log2(N) / _rel + sp.sqrt(N) * log2(N) ** 2),
               "nonzero_params": c_O * (d * log2(N) / _rel + N * log2(N) ** 2)},
    # The weights counted are the sparse network's edges: its connections.
    layered={"neurons": c_O * (log2(N) / _rel + sp.sqrt(N) * log2(N) ** 2),
             "connections": c_O * (d * log2(N) / _rel + N * log2(N) ** 2)},
    exact=False,
    notes="O~(1/delta + sqrt N) neurons, O~(d/delta + N) weights; the log factors are those of "
          "the paper's Fig. 1 (first layer log N / delta wide, lifted dimension sqrt N log^2 N). "
          "delta is taken relative to the radius r (the theorem is stated for unit vectors).",
    assumptions=("||x_i|| = 1 (scaled by r)", "||x_i - x_j|| >= delta", "binary labels"),
)

#: Theorem 3.1 with the depth at a given width from Yang and Yang (a width limit's variant).
RELU_SUBLINEAR_WIDTH = TheoremBounds(
    construction="relu_sublinear",
    theorem=RELU_SUBLINEAR.theorem + "; depth at width W: " + YANG.theorem,
    statement={**RELU_SUBLINEAR.statement, "depth": YANG.statement["depth"]},
    layered={k: v for k, v in RELU_SUBLINEAR.layered.items() if k not in ("depth", "width", "params",
                                                                 "neurons", "connections")}
    | {"depth": YANG.layered["depth"]},
    exact=False,
    notes="with a width limit the network is not width 12: its depth is set beside Yang and "
          "Yang's, its bits beside Theorem 3.1's.",
    assumptions=RELU_SUBLINEAR.assumptions,
)

# --- Dirksen, Finke, Genzel 2024: the instance-specific threshold memorizer -----------------
#: Second-layer units at most: each covers >= 1 point outside the background class, which
#: (the most frequent label) holds >= ceil(N / C) points.
_cover_max = N - sp.ceiling(N / C)
THRESHOLD_INSTANCE = TheoremBounds(
    construction="threshold_instance",
    theorem="Dirksen, Finke, Genzel 2024, 'Memorization with neural nets: going beyond the "
            "worst case' (JMLR 25), Algorithm 2",
    statement={"depth": 3},
    # n1 first-layer units (chosen by the algorithm, recorded), G <= N - ceil(N/C) cover units
    # reading <= n1 inputs each, C - 1 OR units and the label output.
    layered={"depth": 4, "neurons": n1 + _cover_max + C,
             "params": (d + 1) * n1 + (n1 + 1) * _cover_max + (_cover_max + 1) * (C - 1) + C,
             "connections": n1 * (d + 1) + n1 * _cover_max + 2 * _cover_max + 2 * C - 1},
    exact=True,
    notes="the paper bounds the widths by the geometry of the classes (separation, radius, "
          "covering numbers); that theorem was not readable here, so the network's own count "
          "(meta['instance'], memorize.constructions.threshold_instance) is set beside the "
          "worst case of the algorithm given its first layer of n1 units: about one second-layer "
          "unit per point (random labels). Depth 3 for labels {0, 1}, 4 with the label output.",
    assumptions=("distinct points", "non-negative integer labels",
                 "n1 = the first-layer width the algorithm used"),
)

# --- Park, Lee, Yun, Shin 2021: O(N^(2/3)) ---------------------------------------------------
_two_thirds = N ** sp.Rational(2, 3)
RELU_PARK = TheoremBounds(
    construction="relu_park",
    theorem="Park, Lee, Yun, Shin 2021, 'Provable memorization via deep neural networks using "
            "sub-linear parameters' (COLT), the O(N^(2/3)) theorem",
    statement={"params": c_O * _two_thirds},
    # O(N^(2/3)) counts the parameters of a deep narrow network: set beside its connections.
    layered={"connections": c_O * (d + _two_thirds)},
    exact=False,
    notes="read in the abstract only: O(N^(2/3)) parameters under a mild separation condition, "
          "width as small as 3; the constants, log factors and the condition are not known to us. "
          "The network built stores relative positions, about lambda = log2(n N) bits per point, "
          "so its connections are O(N^(2/3) lambda): its ratio to this bound grows like lambda.",
    assumptions=("distinct points", "a mild separation condition (not known to us)", "labels in [C]"),
)


#: Construction name -> its theorem's bounds.
REGISTRY: dict[str, TheoremBounds] = {
    b.construction: b for b in (RELU_TWO_LAYER, THRESHOLD_ONE_HIDDEN, RELU_BUBECK, RELU_THREE_LAYER,
                                 RELU_SUBLINEAR, THRESHOLD_SUBLINEAR, THRESHOLD_INSTANCE, RELU_PARK)
}


def bounds_for(name: str, options: dict | None = None) -> TheoremBounds:
    """The :class:`TheoremBounds` of construction ``name`` for the ``options`` it was built
    with: the only place that picks a theorem's variant (the depth-L theorem for a
    ``depth``, Yang and Yang's depth for a ``width``, the per-class count for Bubeck's
    ``per_class``)."""
    from memorize.errors import ConstructionError

    if name not in REGISTRY:
        raise ConstructionError(
            f"no bounds are recorded for construction {name!r}; known: {', '.join(sorted(REGISTRY))}"
        )
    options = options or {}
    if name == "relu_sublinear" and options.get("depth"):
        return RELU_SUBLINEAR_DEPTH
    if name == "relu_sublinear" and options.get("width"):
        return RELU_SUBLINEAR_WIDTH
    if name == "relu_bubeck" and options.get("per_class"):
        return RELU_BUBECK_PER_CLASS
    return REGISTRY[name]
