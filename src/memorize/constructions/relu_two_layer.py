"""Two-layer ReLU memorization (Zhang, Bengio, Hardt, Recht, Vinyals 2017, Theorem 1)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from memorize.bounds.symbols import evaluate_all
from memorize.bounds.upper import RELU_TWO_LAYER
from memorize.constructions.gadgets.projection import distinct_projection
from memorize.constructions.gadgets.zigzag import slope_above, zigzag
from memorize.constructions.provenance import provenance
from memorize.constructions.record import register
from memorize.data import deduplicate
from memorize.network import Layer, Network


def relu_two_layer_counts(meta: dict) -> dict:
    """Exact sizes of a :func:`build_relu_two_layer` network from its ``meta``:
    :data:`memorize.bounds.RELU_TWO_LAYER` ``.size`` at ``N`` = the distinct points.

    >>> relu_two_layer_counts({"data": {"distinct": 10, "d": 2}})["params"]
    34
    """
    return evaluate_all(RELU_TWO_LAYER.size, N=meta["data"]["distinct"], d=meta["data"]["d"])


@register(
    "relu_two_layer",
    summary="Zhang et al. 2017: projection to a line and N ReLUs (2N+d free parameters)",
    citation="C. Zhang, S. Bengio, M. Hardt, B. Recht, O. Vinyals, 'Understanding deep "
             "learning requires rethinking generalization', ICLR 2017",
    theorem="Theorem 1",
    guarantee="for any N distinct points and real labels, a depth-2 ReLU network with "
              "2N + d free parameters outputs y_i on x_i",
    counts=relu_two_layer_counts,
)
def build_relu_two_layer(X, y, *, seed: int | None = 0) -> Network:
    """The two-layer ReLU network of Zhang et al. (2017), Theorem 1.

    Theorem: for any ``N`` distinct points in ``R^d`` and any real labels there
    is a ReLU network ``f(x) = sum_k a_k relu(<w, x> - b_k)`` with ``2N + d``
    parameters (``w``, ``b``, ``a``) and ``f(x_i) = y_i``.

    Construction. A random integer direction ``w`` with pairwise distinct
    projections ``t_i = <w, x_i>`` (checked exactly, re-drawn otherwise); sort
    them, ``t_1 < ... < t_N``. Zhang et al. take any interleaving biases
    ``b_1 < t_1 < b_2 < ... < b_N < t_N`` and solve the triangular system for
    ``a``. We pick the biases so that the solution is a zigzag: the slope of
    ``f`` alternates between ``+P`` and ``-P`` for a power of two
    ``P > max |y_i - y_{i-1}| / (t_i - t_{i-1})``, putting the hinge between
    ``t_{i-1}`` and ``t_i`` at ``t_{i-1} + (g_i + s_{i-1} (y_i - y_{i-1}) / P) / 2``
    (``g_i`` the gap, ``s`` the current slope's sign). Then every output weight
    is ``P`` or ``+-2P`` and every bias is dyadic, where the generic solve
    would give rationals whose common denominator grows with ``N``. This is
    the theorem's network, one valid choice of its biases.

    Layers (as our layered :class:`Network`): ``t = <w, x>`` (identity, 1
    unit); ``h_k = relu(t - b_k)`` (``N`` ReLUs); ``f = sum_k a_k h_k``
    (identity). Exactly ``params = 3N + d + 2``: the theorem's ``2N + d``
    free parameters plus the ``N`` unit weights from ``t`` to the hidden units
    and the two (zero) biases of the linear layers, which the layered count
    includes. ``neurons = N + 2``, ``depth = 3``, ``width = N``. Here ``N``
    counts distinct points: repeated points (equal labels) are merged.

    Parameters
    ----------
    X : array_like, shape (N, d)
        The points: float64 values; a point may repeat only with its label.
    y : array_like, shape (N,)
        Integer labels ``0..C-1``.
    seed : int, numpy.random.Generator or None, default 0
        Seed of the random direction; the same seed gives the same network.

    Returns
    -------
    Network
        Outputs exactly ``y[i]`` on ``X[i]``; ``meta["slope"]`` records ``P``.

    Raises
    ------
    DataError
        On malformed data or a point repeated with different labels.

    Examples
    --------
    >>> from memorize import build, data, verify
    >>> X, y = data.random_separated(60, 3, delta=0.05, num_classes=3, seed=0)
    >>> net = build("relu_two_layer", X, y)
    >>> verify.is_memorizing(net, X, y), verify.matches_counts(net)
    (True, True)

    See Also
    --------
    memorize.bounds.RELU_TWO_LAYER : the theorem's count beside the built network.
    build_relu_three_layer : the same zigzag, one per block of about sqrt(2N) points.

    References
    ----------
    .. [1] C. Zhang, S. Bengio, M. Hardt, B. Recht, O. Vinyals, "Understanding deep
       learning requires rethinking generalization", ICLR 2017, Theorem 1.
    """
    Xu, yu, _ = deduplicate(X, y)
    n, d = Xu.shape
    proj = distinct_projection(Xu, np.random.default_rng(seed))
    scale = 1 << proj.F
    t = [Fraction(int(proj.t_int[i]), scale) for i in proj.order]
    ys = [int(v) for v in yu[proj.order]]

    ratio = max((Fraction(abs(ys[i] - ys[i - 1])) / (t[i] - t[i - 1]) for i in range(1, n)),
                default=Fraction(0))
    P = slope_above(ratio)
    hinges, out = zigzag(t, ys, P)

    # ``placed``: the architecture's connections, counted even where a draw makes one zero.
    project = Layer.from_entries(d, 1, [(0, j, wj) for j, wj in enumerate(proj.w)], [0], "identity",
                                 placed=d)
    hidden = Layer.from_entries(1, n, [(k, 0, 1) for k in range(n)], [-b for b in hinges], "relu",
                                placed=2 * n)
    # (The output weights are +-P, +-2P: never zero.)
    readout = Layer.from_entries(n, 1, [(0, k, a) for k, a in enumerate(out)], [0], "identity")
    meta = provenance("relu_two_layer", seed, {}, X, y, distinct=(Xu, yu), slope=str(P))
    return Network(d, (project, hidden, readout), meta)
