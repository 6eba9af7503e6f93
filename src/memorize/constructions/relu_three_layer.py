"""Three-layer ReLU memorization with about 2 sqrt(2N) hidden neurons (after Yun, Sra,
Jadbabaie 2019 and Inoue 2019)."""

from __future__ import annotations

from fractions import Fraction
from math import isqrt

import numpy as np

from memorize.bounds.symbols import evaluate_all
from memorize.bounds.upper import RELU_THREE_LAYER
from memorize.constructions.gadgets.projection import distinct_projection
from memorize.constructions.gadgets.zigzag import slope_above, zigzag
from memorize.constructions.provenance import provenance
from memorize.constructions.record import Option, register
from memorize.data import deduplicate
from memorize.network import Layer, Network


def default_block(n: int) -> int:
    """``ceil(sqrt(2n))``: the block size that makes ``2 ceil(n/m) - 1 + m`` about smallest."""
    return isqrt(2 * n - 1) + 1 if n > 0 else 1


def relu_three_layer_counts(meta: dict) -> dict:
    """Exact sizes of a :func:`build_relu_three_layer` network from its ``meta``:
    :data:`memorize.bounds.RELU_THREE_LAYER` ``.size`` at ``N`` = the distinct points and
    ``M`` = the block size used.

    >>> relu_three_layer_counts({"data": {"distinct": 8, "d": 2}, "block": 4})["neurons"]
    8
    """
    return evaluate_all(RELU_THREE_LAYER.size, N=meta["data"]["distinct"], d=meta["data"]["d"],
                        M=meta["block"])


@register(
    "relu_three_layer",
    summary="Yun et al. 2019 / Inoue 2019: two hidden ReLU layers of about sqrt(2N) and 2 sqrt(N/2)",
    citation="C. Yun, S. Sra, A. Jadbabaie, 'Small ReLU networks are powerful memorizers: a "
             "tight analysis of memorization capacity', NeurIPS 2019; explicit block form after "
             "M. Inoue, 'Expressive numbers of two or more hidden layer ReLU neural networks', 2019",
    theorem="the sufficiency theorem for two hidden layers (Theorem 3.1 as we read it; the "
            "number is not checked against the original)",
    guarantee="for any N distinct points and real labels, a ReLU network with two hidden "
              "layers of about sqrt(2N) and 2 sqrt(N/2) units outputs y_i on x_i",
    counts=relu_three_layer_counts,
    options=(Option("block", int, None, "points per block m (default ceil(sqrt(2N)); capped "
                    "at N)", low=1, high=1 << 31, none=True),),
)
def build_relu_three_layer(X, y, *, seed: int | None = 0, block: int | None = None) -> Network:
    """A three-layer ReLU network (two hidden layers) with ``Theta(sqrt N)`` neurons.

    Theorem (Yun, Sra, Jadbabaie 2019): ReLU networks with two hidden layers
    of ``Theta(sqrt N)`` nodes memorize ``N`` points with distinct inputs;
    Inoue (2019) gives an explicit network with widths ``a1, a2`` for
    ``a1 * a2`` points. We build a simpler explicit network of the same kind.

    Construction. Project to ``t = <w, x>`` (random integer ``w``, distinct
    values checked exactly) and sort. Cut the sorted points into ``a =
    ceil(N/m)`` blocks of ``m`` consecutive points. Second-layer neuron ``j``
    (``j = 0..m-1``) owns the ``j``-th hinge of every block: on block ``k``
    its pre-activation is the line ``alpha_j (t - z_jk)``, so the output
    ``sum_j (-1)^j relu(.)`` restricted to block ``k`` is the zigzag
    interpolant of Zhang et al. through the block's points (slopes ``+-P``,
    ``P`` a power of two above every label slope in a block; ``alpha_0 = P``,
    ``alpha_j = 2P``; unused neurons get the line ``-1``). The first layer
    makes those per-block lines possible: ``relu(t - g)`` for ``g`` the first
    point, and for each gap between blocks ``g`` = the last point before it
    and that point plus the largest power of two not beyond the next point
    (so the bridge slopes, like every weight, are dyadic). A combination of these is any continuous
    piecewise-linear function of ``t`` that is linear on each block, so every
    second-layer neuron can follow independent lines on different blocks.

    Layers: ``2a - 1`` ReLUs reading ``x``; ``m`` ReLUs; the linear output.
    Exact counts: ``params = (d + 1)(2a - 1) + 2a m + m + 1``,
    ``neurons = 2a + m``, ``depth = 3``, ``width = max(2a - 1, m)``; see
    :func:`relu_three_layer_counts`. With ``m = ceil(sqrt(2N))`` (default) that is
    about ``2 sqrt(2N)`` hidden neurons and ``Theta(N)`` parameters.

    Departure: Inoue's recursion uses ``a1 + a2`` neurons for ``a1 a2`` points
    (about ``2 sqrt N``) by letting consecutive blocks share one breakpoint
    and solving for the zero crossings; we spend two first-layer breakpoints
    per gap to decouple the blocks, which costs a factor ``sqrt 2`` in neurons
    and keeps every weight a dyadic closed form.

    Parameters
    ----------
    X : array_like, shape (N, d)
        The points: float64 values; a point may repeat only with its label.
    y : array_like, shape (N,)
        Integer labels ``0..C-1``.
    seed : int, numpy.random.Generator or None, default 0
        Seed of the random direction; the same seed gives the same network.
    block : int or None, default None
        Points per block ``m`` (``None``: ``ceil(sqrt(2N))``; capped at ``N``).

    Returns
    -------
    Network
        Outputs exactly ``y[i]`` on ``X[i]``; ``meta`` records ``block`` (the ``m``
        used) and ``blocks``.

    Raises
    ------
    DataError
        On malformed data or a point repeated with different labels.
    ConstructionError
        If ``block`` is not an integer in ``[1, 2^31]`` (the option table's check).

    Examples
    --------
    >>> from memorize import build, data, verify
    >>> X, y = data.random_separated(60, 3, delta=0.05, num_classes=3, seed=0)
    >>> net = build("relu_three_layer", X, y)
    >>> verify.is_memorizing(net, X, y), verify.matches_counts(net)
    (True, True)

    See Also
    --------
    memorize.bounds.RELU_THREE_LAYER : the exact count and Yun et al.'s statement.

    References
    ----------
    .. [1] C. Yun, S. Sra, A. Jadbabaie, "Small ReLU networks are powerful memorizers:
       a tight analysis of memorization capacity", NeurIPS 2019.
    .. [2] M. Inoue, "Expressive numbers of two or more hidden layer ReLU neural
       networks", 2019.
    """
    Xu, yu, _ = deduplicate(X, y)
    n, d = Xu.shape
    m = min(int(block) if block else default_block(n), n)
    proj = distinct_projection(Xu, np.random.default_rng(seed))
    # Work in the integer units T = 2^F <w, x>, so the first layer has integer weights.
    ts = [Fraction(int(proj.t_int[i])) for i in proj.order]
    ys = [int(v) for v in yu[proj.order]]
    blocks = [list(range(s, min(s + m, n))) for s in range(0, n, m)]

    ratio = max((Fraction(abs(ys[i] - ys[i - 1])) / (ts[i] - ts[i - 1])
                 for blk in blocks for i in blk[1:]), default=Fraction(0))
    P = slope_above(ratio)

    # lines[k][j] = (slope, intercept) of neuron j's pre-activation on block k.
    lines = []
    for blk in blocks:
        # The readout alternates the signs, so each neuron's line has the slope's magnitude.
        hinges, slopes = zigzag([ts[i] for i in blk], [ys[i] for i in blk], P)
        row = [(abs(a), -abs(a) * z) for a, z in zip(slopes, hinges)]
        row += [(Fraction(0), Fraction(-1))] * (m - len(blk))
        lines.append(row)

    # First layer breakpoints and, per second-layer neuron, the slope changes there.
    # The bridge across a gap spans a power of two (the gap's length is an integer >= 1 in
    # these units), so its slopes are dyadic like every other weight.
    breaks = [ts[blocks[0][0]]]
    for k in range(1, len(blocks)):
        a_end = ts[blocks[k - 1][-1]]
        span = int(ts[blocks[k][0]] - a_end)
        breaks += [a_end, a_end + (1 << (span.bit_length() - 1))]
    rows2 = []
    for j in range(m):
        value = lambda k, t: lines[k][j][0] * t + lines[k][j][1]  # noqa: E731
        coef = {0: lines[0][j][0]}
        for k in range(1, len(blocks)):
            a_end, b_start = breaks[2 * k - 1], breaks[2 * k]
            bridge = (value(k, b_start) - value(k - 1, a_end)) / (b_start - a_end)
            coef[2 * k - 1] = bridge - lines[k - 1][j][0]
            coef[2 * k] = lines[k][j][0] - bridge
        rows2.append((coef, value(0, breaks[0])))

    scale = 1 << proj.F
    first = Layer.from_rows(d, [({c: scale * wc for c, wc in enumerate(proj.w)}, -g) for g in breaks],
                            "relu")
    second = Layer.from_rows(len(breaks), rows2, "relu")
    readout = Layer.from_entries(m, 1, [(0, j, (-1) ** j) for j in range(m)], [0], "identity")
    meta = provenance("relu_three_layer", seed, {"block": block}, X, y, distinct=(Xu, yu),
                      block=m, blocks=len(blocks), slope=str(P))
    return Network(d, (first, second, readout), meta)
