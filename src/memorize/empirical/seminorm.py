"""The exact input gradient of a ReLU network at data points, and its Sobolev seminorm.

A network of affine layers with ReLU or identity activations is piecewise
linear: near a point ``x`` where no ReLU's pre-activation is 0, it is the
affine map ``x -> J(x) x + c`` whose Jacobian is

    J(x) = W_L S_{L-1}(x) W_{L-1} ... S_1(x) W_1,

with ``S_l(x)`` the diagonal 0/1 matrix of which units of layer ``l`` are
active at ``x`` (1 for identity layers). :func:`sobolev_seminorm` evaluates
every pre-activation exactly (integers over one common scale per layer), reads
off the activation pattern and multiplies the exact weights back to the input:
the gradient, and its squared norm, are exact rationals.

At a kink (some pre-activation exactly 0) the gradient does not exist; the
convention here is ``relu'(0) = 0`` (torch's autograd makes the same choice):
the unit is treated as inactive, which is the gradient of the linear piece on
the side where that pre-activation is negative (a one-sided derivative when
only one unit is at its kink). :attr:`SeminormResult.kinks` counts the points
where some ReLU pre-activation is exactly 0, so a reader knows whether the
convention may matter. It is an upper count: a unit fed only by inactive units
has pre-activation 0 on a whole region, where the network is differentiable
and the convention changes nothing.

Threshold (step) units have gradient 0 wherever it exists and none at their
jumps, so a network with step units is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from memorize.errors import ArgumentError, DataError, NetworkError
from memorize.network import Network
from memorize.rationals import exact_value


@dataclass
class SeminormResult:
    """What :func:`sobolev_seminorm` returns.

    Attributes
    ----------
    sq_norms : tuple of exact ``Fraction``, ``||grad f(x_i)||^2`` for each point
    norms : (N,) float array, ``sqrt`` of each exact squared norm, rounded to float
        (``inf`` beyond the float range)
    mean_sq, max_sq : exact ``Fraction``, the mean and the maximum of the squared norms
    rms, max : floats, ``sqrt(mean_sq)`` and ``sqrt(max_sq)`` (the square roots are rounded;
        the quantities under them are exact); ``rms`` is the empirical Sobolev seminorm
        ``S(f) = (E ||grad f(x)||^2)^(1/2)`` over the points given
    rms_log10 : ``log10(rms)``, finite even where ``rms`` overflows a float
    kinks : points at which some ReLU pre-activation is exactly 0 (the ``relu'(0) = 0`` convention
        was used there; an upper count of the points where it matters, see the module docstring)
    output : which output was differentiated (``"scalar"``, ``"label"``, ``"jacobian"`` or an index)
    sqrt_n : ``sqrt(N)``, the scale of Dohmatob's lower bound, printed beside ``rms``
    counts : the network's :meth:`~memorize.network.Network.counts`
    """

    sq_norms: tuple
    norms: np.ndarray
    mean_sq: Fraction
    max_sq: Fraction
    rms: float
    max: float
    rms_log10: float
    kinks: int
    output: object
    sqrt_n: float
    counts: dict = field(default_factory=dict)

    #: Dohmatob's bound needs a random-features or NTK model on isotropic log-concave data with
    #: noisy labels; no network this tool is given is checked to be one, so it is a scale, not a bound.
    assumptions_hold = False

    def summary(self) -> str:
        return (f"N={len(self.sq_norms)} points, output {self.output}: RMS ||grad f|| = {self.rms:.6g}, "
                f"max {self.max:.6g} (exact squared norms; square roots rounded); sqrt(N) = "
                f"{self.sqrt_n:.4g} (Dohmatob's scale, not a bound here); kinks (relu'(0)=0 used) at "
                f"{self.kinks} points")

    def to_dict(self) -> dict:
        """Plain values for JSON; the exact mean and maximum squared norms as ``"p/q"`` strings."""

        def finite(v):  # beyond the float range: None (rms_log10 still says how large)
            return v if math.isfinite(v) else None

        return {"n_points": len(self.sq_norms), "output": self.output, "rms": finite(self.rms),
                "max": finite(self.max),
                "rms_log10": self.rms_log10, "mean_sq": str(self.mean_sq), "max_sq": str(self.max_sq),
                "kinks": self.kinks, "sqrt_n": self.sqrt_n, "assumptions_hold": self.assumptions_hold,
                "counts": self.counts}


def _sqrt_float(q: Fraction) -> float:
    try:
        return math.sqrt(q)
    except OverflowError:
        return math.inf


def _log10(q: Fraction) -> float:
    if q == 0:
        return -math.inf
    return math.log10(q.numerator) - math.log10(q.denominator)


def _integer_layer(layer):
    """``(D, dense_or_None, rows, cols, ints, bias_ints)`` with ``W = ints / D``, ``b = bias_ints / D``."""
    dens = [v.denominator for v in layer.values if isinstance(v, Fraction)]
    dens += [b.denominator for b in layer.bias if isinstance(b, Fraction)]
    D = math.lcm(*dens) if dens else 1
    ints = [int(v * D) for v in layer.values]
    bias = [int(b * D) for b in layer.bias]
    dense = None
    if len(ints) > 0.3 * layer.in_dim * layer.out_dim:
        dense = np.zeros((layer.out_dim, layer.in_dim), dtype=object)
        dense[:] = 0
        dense[layer.rows, layer.cols] = ints
    return D, dense, layer.rows.tolist(), layer.cols.tolist(), ints, bias


def _reduce(A: np.ndarray, S: int) -> tuple[np.ndarray, int]:
    g = math.gcd(S, *A.ravel().tolist())
    if g > 1:
        return A // g, S // g
    return A, S


def _exact_inputs(X) -> tuple[np.ndarray, int]:
    """``X`` as an integer object array and one scale: ``X = A / S`` exactly."""
    from memorize.data import points

    X = points(X)
    vals = [exact_value(v) for v in X.ravel().tolist()]
    dens = [v.denominator for v in vals if isinstance(v, Fraction)]
    S = math.lcm(*dens) if dens else 1
    A = np.empty(len(vals), dtype=object)
    A[:] = [int(v * S) for v in vals]
    return A.reshape(X.shape), S


def _product(A: np.ndarray, lay, transpose: bool = False) -> np.ndarray:
    """``A @ W^T`` (forward) or ``A @ W`` (backward, ``transpose``) in exact integers."""
    _, dense, rows, cols, ints, _ = lay
    if dense is not None:
        return A.dot(dense) if transpose else A.dot(dense.T)
    n = A.shape[0]
    src, dst = (rows, cols) if transpose else (cols, rows)
    out_dim = (max(dst, default=-1) + 1)
    Z = np.empty((n, max(out_dim, 1)), dtype=object)
    Z[:] = 0
    for s, t, v in zip(src, dst, ints):
        Z[:, t] += A[:, s] * v
    return Z


def sobolev_seminorm(net: Network, X, y=None, *, output="auto") -> SeminormResult:
    """Exact gradients of a ReLU network at the points ``X``; their RMS norm and maximum.

    Parameters
    ----------
    net : Network with ReLU and identity layers only (built or imported with ``from_torch``)
    X : array (N, d) of the points; each coordinate is taken as the exact rational it denotes
    y : labels, needed for ``output="label"`` (and by ``"auto"`` on a network with several outputs)
    output : which function is differentiated.
        ``"auto"`` (default): the single output of a scalar network (the constructions output
        the label), else the label's output as for ``"label"``;
        ``"label"``: at ``x_i`` the output ``y_i`` (a classifier's logit of the true class);
        an int ``k``: output ``k`` at every point;
        ``"jacobian"``: all outputs, the Frobenius norm of the Jacobian.

    Returns
    -------
    SeminormResult
        exact squared norms per point, their mean and maximum, and the float RMS and maximum
        of the norms (square roots of the exact values, rounded); ``sqrt(N)`` beside them.

    Raises
    ------
    NetworkError
        if the network has step (threshold) units: their gradient is 0 wherever it exists, and
        the network is not continuous, so no Sobolev seminorm is defined.
    DataError
        if X does not match the network's input dimension, or a label is not an output.
    ArgumentError
        for an unknown ``output``, or ``"label"`` without ``y``.

    Notes
    -----
    Convention at a kink: ``relu'(0) = 0`` (see the module docstring); ``kinks`` counts the
    points where it was used. Dohmatob (2021) shows that an interpolator of noisy labels in the
    random-features and NTK regimes has ``S(f) >~ sqrt(n)`` (on isotropic log-concave data);
    ``sqrt_n`` is that scale, set beside the measured value, not a bound this network must meet.

    Examples
    --------
    >>> from memorize.network import Layer, Network
    >>> net = Network(1, [Layer.from_dense([[1], [-1]], [0, 0], "relu"),
    ...                   Layer.from_dense([[3, 2]], [0], "identity")])   # 3 relu(x) + 2 relu(-x)
    >>> r = sobolev_seminorm(net, [[1.0], [-1.0]])
    >>> r.sq_norms, r.max
    ((Fraction(9, 1), Fraction(4, 1)), 3.0)

    References
    ----------
    E. Dohmatob, "Fundamental tradeoffs between memorization and robustness in random features
    and neural tangent regimes", arXiv:2106.02630.
    """
    if not isinstance(net, Network):
        raise NetworkError(f"sobolev_seminorm needs a memorize Network, got {type(net).__name__}")
    steps = [i for i, layer in enumerate(net.layers) if layer.activation == "step"]
    if steps:
        raise NetworkError(
            f"layer {steps[0]} has step (threshold) units; their gradient is 0 wherever it exists and "
            "undefined at their jumps, so the network has no Sobolev seminorm; give a ReLU network")
    A, S = _exact_inputs(X)
    n, d = A.shape
    if d != net.input_dim:
        raise DataError(f"X has dimension {d} but the network expects {net.input_dim} inputs")
    C = net.output_dim
    if output == "auto":
        output = "scalar" if C == 1 else "label"
    if output == "scalar":
        if C != 1:
            raise ArgumentError(f"output='scalar' needs a network with one output, this one has {C}")
        starts = [np.zeros(n, dtype=np.int64)]
    elif output == "label":
        if y is None:
            raise ArgumentError("output='label' differentiates each point's label output: pass y, or "
                                "output=k for one output, or output='jacobian' for all")
        from memorize.empirical.train import class_labels

        starts = [class_labels(y, n, C)]
    elif output == "jacobian":
        starts = [np.full(n, k, dtype=np.int64) for k in range(C)]
    elif isinstance(output, (int, np.integer)) and not isinstance(output, bool):
        if not 0 <= output < C:
            raise ArgumentError(f"output={output} is not an output of this network (it has {C})")
        starts = [np.full(n, int(output), dtype=np.int64)]
        output = int(output)
    else:
        raise ArgumentError(f"unknown output {output!r}; use 'auto', 'label', 'jacobian' or an output index")

    lays = [_integer_layer(layer) for layer in net.layers]
    masks = []
    kink = np.zeros(n, dtype=bool)
    for layer, lay in zip(net.layers, lays):
        D, bias = lay[0], lay[5]
        Z = _product(A, lay)
        if Z.shape[1] < layer.out_dim:  # trailing rows with no weight
            Z = np.concatenate([Z, np.zeros((n, layer.out_dim - Z.shape[1]), dtype=object)], axis=1)
        Z = Z + np.array([b * S for b in bias], dtype=object)
        S = S * D
        if layer.activation == "relu":
            sign = np.array([[(v > 0) - (v < 0) for v in row] for row in Z.tolist()], dtype=np.int8) \
                if Z.size else np.zeros(Z.shape, dtype=np.int8)
            kink |= (sign == 0).any(axis=1)
            active = sign > 0
            masks.append(active)
            A = np.where(active, Z, 0)
        else:
            masks.append(None)
            A = Z
        A, S = _reduce(A, S)

    total = [Fraction(0)] * n
    for start in starts:
        G = np.zeros((n, C), dtype=object)
        G[:] = 0
        G[np.arange(n), start] = 1
        Q = 1
        for layer, lay, mask in zip(reversed(net.layers), reversed(lays), reversed(masks)):
            if mask is not None:
                G = np.where(mask, G, 0)
            G = _product(G, lay, transpose=True)
            if G.shape[1] < layer.in_dim:
                G = np.concatenate([G, np.zeros((n, layer.in_dim - G.shape[1]), dtype=object)], axis=1)
            Q *= lay[0]
            G, Q = _reduce(G, Q)
        for i, row in enumerate(G.tolist()):
            total[i] += Fraction(sum(v * v for v in row), Q * Q)
    mean_sq = sum(total, Fraction(0)) / n
    max_sq = max(total)
    return SeminormResult(tuple(total), np.array([_sqrt_float(q) for q in total]), mean_sq, max_sq,
                          _sqrt_float(mean_sq), _sqrt_float(max_sq), _log10(mean_sq) / 2,
                          int(kink.sum()), output, math.sqrt(n), net.counts())
