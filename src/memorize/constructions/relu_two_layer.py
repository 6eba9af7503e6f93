"""Two-layer ReLU memorization (Zhang, Bengio, Hardt, Recht, Vinyals 2017, Theorem 1)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from memorize.constructions import register
from memorize.constructions.gadgets.projection import distinct_projection
from memorize.constructions.provenance import provenance
from memorize.data import deduplicate
from memorize.network import Layer, Network

THEOREM = ("Zhang, Bengio, Hardt, Recht, Vinyals 2017, 'Understanding deep learning requires "
           "rethinking generalization', Theorem 1")


def relu_two_layer_counts(n: int, d: int) -> dict:
    """Exact sizes of :func:`build_relu_two_layer` on ``n`` distinct points in dimension ``d``."""
    return {"params": 3 * n + d + 2, "neurons": n + 2, "depth": 3, "width": n}


@register("relu_two_layer", "Zhang et al. 2017: projection to a line and N ReLUs (2N+d free parameters)",
          THEOREM)
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
    X : array (N, d) of floats; y : array (N,) of non-negative integer labels
    seed : seed of the random direction (default 0, deterministic)

    Raises
    ------
    DataError
        on malformed data or a point repeated with different labels.

    References
    ----------
    C. Zhang, S. Bengio, M. Hardt, B. Recht, O. Vinyals, ICLR 2017, Theorem 1.
    """
    Xu, yu, _ = deduplicate(X, y)
    n, d = Xu.shape
    proj = distinct_projection(Xu, np.random.default_rng(seed))
    scale = 1 << proj.F
    t = [Fraction(int(proj.t_int[i]), scale) for i in proj.order]
    ys = [int(v) for v in yu[proj.order]]

    ratio = max((Fraction(abs(ys[i] - ys[i - 1])) / (t[i] - t[i - 1]) for i in range(1, n)),
                default=Fraction(0))
    P = Fraction(1)
    while P <= ratio:
        P *= 2
    while P / 2 > ratio and P > 1:
        P /= 2
    hinges = [t[0] - Fraction(ys[0]) / P]
    out = [P]
    sign = 1
    for i in range(1, n):
        gap = t[i] - t[i - 1]
        hinges.append(t[i - 1] + (gap + sign * (ys[i] - ys[i - 1]) / P) / 2)
        out.append(-2 * sign * P)
        sign = -sign

    project = Layer.from_entries(d, 1, [(0, j, wj) for j, wj in enumerate(proj.w)], [0], "identity")
    hidden = Layer.from_entries(1, n, [(k, 0, 1) for k in range(n)], [-b for b in hinges], "relu")
    readout = Layer.from_entries(n, 1, [(0, k, a) for k, a in enumerate(out)], [0], "identity")
    meta = provenance("relu_two_layer", THEOREM, seed, {}, X, y, slope=str(P))
    return Network(d, (project, hidden, readout), meta)
