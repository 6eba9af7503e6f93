"""The O(N^(2/3))-parameter ReLU memorizer (Park, Lee, Yun, Shin 2021), the historical step
between Theta(N) and O~(sqrt N).

Theorem (PLYS 2021, COLT, as the abstract states it; the body of the paper
could not be read here): under a mild condition on the separation of the
inputs, ``O(N^(2/3))`` parameters suffice to memorize ``N`` input-label
pairs, by deep networks that may be as narrow as width 3. The exact theorem
number, constants, log factors and the separation condition are not known
to us.

The published outline (shared with Vardi et al. 2022) is: project the
points onto a line to distinct integers; a *lookup* selects the group of
consecutive points that ``x`` falls in and yields one number encoding that
group; *bit extraction* reads the group's records and outputs the label of
the record that matches. We build exactly that outline from the gadgets of
``relu_sublinear`` (no gadget is copied; see
:mod:`~memorize.constructions.sublinear`, :mod:`.fold_words`, :mod:`.relu_gadgets`):

(a) the integer line (:func:`~memorize.constructions.line_blocks.integer_line`, gaps ``>= 4``);
(b) groups of ``n = ceil(N^(2/3))`` consecutive points, ``K = ceil(N / n)``
    of them (about ``N^(1/3)``); the lookup is the chooser of
    :func:`~memorize.constructions.sublinear.build_member` (one group
    boundary per layer, 7 connections per boundary);
(c) bit extraction: one word per group holding its ``n`` records
    (offset and label, ``lambda = rho + c + 1`` bits each), read by tent folds,
    one bit per layer, with a one-sided gate adding the matching label.

This is the member of ``relu_sublinear``'s family with one stream (``S = 1``),
one boundary per chooser layer (``B = 1``) and the block size fixed at
Park et al.'s balance ``N^(2/3)`` instead of the planner's optimum
``~ sqrt(N / lambda)``; its exact counts are
:class:`~memorize.constructions.sublinear.Member`'s closed form
(:func:`relu_park_counts`), about ``(6 lambda + c + 13) N^(2/3) + 7 N^(1/3)``
connections and width 5 (4 with ``narrow=True``).

Departures from the paper (as far as we know it):

* The gadgets are ours (tent folds read one bit per layer, continuous, with
  no margins); Park et al.'s own extraction network is not known to us.
* The group sizes are ``N^(2/3)`` points, ``N^(1/3)`` groups: the split
  in which the extraction carries the ``N^(2/3)`` term. The records store
  each point's position relative to its group (``rho`` bits, about
  ``log2(n N)`` on random data), so the count is ``O(N^(2/3) lambda)``: the
  measured log-log slope exceeds 2/3 by the growth of ``lambda``.
* Width 5 (4 with ``narrow``) instead of the paper's 3.
* Exact on the data points only (as the theorem).
"""

from __future__ import annotations

import dataclasses


from memorize.constructions.provenance import provenance
from memorize.constructions.record import Option, register
from memorize.constructions.relu_sublinear import MAX_DIRECTIONS, MAX_LIMIT, build_member, stored_line
from memorize.constructions.relu_sublinear_members import Member, _Members
from memorize.network import Network


# -- counts ------------------------------------------------------------------------------

def group_size(N: int) -> int:
    """``ceil(N^(2/3))``, exactly: the least ``n`` with ``n^3 >= N^2``.

    >>> [group_size(N) for N in (1, 8, 9, 1000, 1001)]
    [1, 4, 5, 100, 101]
    """
    n = max(1, round(N ** (2 / 3)))
    while n ** 3 < N * N:
        n += 1
    while n > 1 and (n - 1) ** 3 >= N * N:
        n -= 1
    return n


def park_member(*, N: int, n: int, rho: int, c: int, lo_bits: int, first: int,
                narrow: bool = False) -> Member:
    """The member built: ``K = ceil(N / n)`` groups of ``n`` records, one stream, one boundary
    per chooser layer (``narrow``: the streams stall, width 4)."""
    return Member(n, 1, 1, -(-N // n), rho, c, lo_bits, first, narrow)


def relu_park_counts(meta: dict) -> dict:
    """Exact sizes of a :func:`build_relu_park` network from the quantities in its
    ``meta["park"]``.

    With ``K = ceil(N / n) >= 2`` groups, ``lambda = rho + c + 1``,
    ``q = c + 2`` and ``f_1`` the first layer's nonzero weights and bias
    (``s = 1`` with ``narrow``, else 0)::

        connections = f_1 + 7 (K - 1) + 2 + 7 b_lo - 2
                      + 7 + (n - 1)(7 + 6c + 9 + 5 rho) + 6c + 9
                      + 4 + (n - 1)(lambda + s) + c + 1 + 2n + 1 + 6q + 2
        depth       = 1 + (K - 1 + 2 + b_lo) + ((n - 1)(lambda + s) + c + 2) + 1 + q + 1

    (:class:`~memorize.constructions.relu_sublinear_members.Member` with ``S = B = 1``,
    which also gives ``params``, ``neurons`` and ``width``; ``K = 1`` drops
    the chooser and ``lo`` terms).

    >>> park = dict(N=1000, d=4, n=100, rho=17, c=1, lo_bits=20, first=5, narrow=False)
    >>> relu_park_counts({"park": park})["connections"]
    12931
    """
    p = meta["park"]
    return park_member(N=p["N"], n=p["n"], rho=p["rho"], c=p["c"], lo_bits=p["lo_bits"],
                       first=p["first"], narrow=p["narrow"]).counts(p["d"])


# -- the builder ---------------------------------------------------------------------------

@register(
    "relu_park",
    summary="Park et al. 2021: O(N^(2/3)) parameters, projection, lookup of N^(1/3) groups, "
            "bit extraction",
    citation="S. Park, J. Lee, C. Yun, J. Shin, 'Provable memorization via deep neural networks "
             "using sub-linear parameters', COLT 2021",
    theorem="the O(N^(2/3)) theorem (as the abstract states it; the body was not readable here)",
    guarantee="for N distinct points with labels in [C], a deep ReLU network with O(N^(2/3)) "
              "parameters outputs y_i on x_i",
    counts=relu_park_counts,
    options=(
        Option("block_size", int, None, "points per group n (default ceil(N^(2/3)); capped at N)",
               low=1, high=MAX_LIMIT, none=True),
        Option("narrow", bool, False, "width 4 instead of 5 (the streams stall one layer at "
               "each gate)"),
        Option("directions", int, 4, "random directions tried for the line; the one with the "
               "fewest position bits is kept", low=1, high=MAX_DIRECTIONS),
    ),
)
def build_relu_park(X, y, *, seed: int | None = 0, block_size: int | None = None,
                    narrow: bool = False, directions: int = 4) -> Network:
    """The O(N^(2/3))-parameter ReLU memorizer of Park, Lee, Yun, Shin (2021), built from
    the outline of its proof; see the module docstring for the construction and departures.

    Guarantee: for distinct points ``X`` (any ``d``) and labels ``y`` in
    ``0..C-1`` the network outputs exactly ``y_i`` on ``x_i``; it has
    ``ceil(N / n)`` groups of ``n = ceil(N^(2/3))`` points, width 5 (4 with
    ``narrow``), and exactly :func:`relu_park_counts` connections, dense
    parameters, neurons and depth.

    Parameters
    ----------
    X : array_like, shape (N, d)
        The points: float64 values; a point may repeat only with its label.
    y : array_like, shape (N,)
        Integer labels ``0..C-1``.
    seed : int, numpy.random.Generator or None, default 0
        Seed of the random directions of the projection; the same seed gives the same network.
    block_size : int, optional
        Points per group ``n`` (default ``ceil(N^(2/3))``), ``1 .. 2^31``.
    narrow : bool
        Stall the stream while its gate fires: width 4, one more layer per record.
    directions : int
        Random directions tried for the projection, 1 to 64 (the one with the
        smallest range is kept).

    Returns
    -------
    Network
        ``meta["park"]`` records ``N, d, n, rho, c, lo_bits, first, narrow`` and
        the number of groups ``K``.

    Raises
    ------
    DataError
        Malformed data, or a point repeated with different labels.
    ConstructionError
        ``block_size`` or ``directions`` out of range, or records of more than
        62 bits (points too close together relative to their spread).

    Examples
    --------
    >>> from memorize import build, data, verify
    >>> X, y = data.random_separated(300, 3, 0.05, num_classes=3, seed=0)
    >>> net = build("relu_park", X, y)
    >>> verify.is_memorizing(net, X, y), verify.matches_counts(net)
    (True, True)
    >>> net.meta["park"]["n"], net.meta["park"]["K"]
    (45, 7)

    See Also
    --------
    memorize.constructions.sublinear : the O~(sqrt N) family these gadgets come from.
    memorize.bounds.RELU_PARK : the theorem's bound beside it.

    References
    ----------
    .. [1] S. Park, J. Lee, C. Yun, J. Shin, "Provable Memorization via Deep Neural
       Networks using Sub-linear Parameters", COLT 2021 (PMLR 134); arXiv 2010.13363.
    .. [2] G. Vardi, G. Yehudai, O. Shamir, "On the Optimal Memorization Power of
       ReLU Neural Networks", ICLR 2022 (the gadgets' source).
    """
    Xu, yu, line, labels, c, first = stored_line(X, y, seed, directions)
    N, d = Xu.shape
    n = min(N, group_size(N) if block_size is None else block_size)
    member = _Members(line.floors, c, first).fixed(n, 1, 1)
    if narrow:
        member = dataclasses.replace(member, stall=True)
    layers = build_member(line, labels, member, d)
    stats = dict(N=N, d=d, n=n, rho=member.rho, c=c, lo_bits=member.lo_bits, first=first,
                 narrow=narrow, K=member.K)
    options = {"block_size": block_size, "narrow": narrow, "directions": directions}
    meta = provenance("relu_park", seed, options, X, y, distinct=(Xu, yu), park=stats)
    return Network(d, layers, meta)
