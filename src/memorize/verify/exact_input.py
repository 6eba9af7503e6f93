"""The checked entry of exact evaluation: a network, exact points, and sane arguments.

Points of any exact type (see :mod:`memorize.rationals`) reach the integer
evaluator as dyadic rationals ``X_int / 2^F``. A rational whose denominator is
not a power of two (``1/3``) has no such form, so the odd part ``D`` of the
common denominator moves into the first layer: ``W x + b = (W / D)(D x) + b``
for every point, the same pre-activations exactly, with ``D x`` dyadic.
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import numpy as np

from memorize.data import points
from memorize.errors import ArgumentError, DataError, NetworkError
from memorize.network import Network, as_rational
from memorize.rationals import exact_array


def check_network(net) -> Network:
    """``net`` itself, or a :class:`NetworkError` if it is not a :class:`Network`."""
    if not isinstance(net, Network):
        raise NetworkError(
            f"expected a memorize Network, got {type(net).__name__}; "
            "load one with memorize.formats.load or build one with memorize.build"
        )
    return net


def check_progress(progress) -> None:
    """``progress`` must be ``None`` or a callable ``progress(done, total)``."""
    if progress is not None and not callable(progress):
        raise ArgumentError(
            f"progress must be None or a callable progress(done, total), got {type(progress).__name__}"
        )


def check_count(value, name: str, minimum: int = 0) -> None:
    """``value`` must be an int ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        kind = "a non-negative integer" if minimum == 0 else f"an integer >= {minimum}"
        raise ArgumentError(f"{name} must be {kind}, got {value!r:.40}")


def check_dim(net: Network, X: np.ndarray) -> None:
    if X.shape[1] != net.input_dim:
        raise DataError(
            f"the network takes {net.input_dim} inputs but the data has d = {X.shape[1]}; "
            "use the data set the network was built for"
        )


def _odd_denominator(X: np.ndarray) -> int:
    if X.dtype != object:
        return 1
    den = math.lcm(1, *(v.denominator for v in X.flat if isinstance(v, Fraction)))
    return den >> ((den & -den).bit_length() - 1)


def _divide_first_layer(net: Network, D: int) -> Network:
    first = net.layers[0]
    values = tuple(as_rational(Fraction(v) / D) for v in first.values)
    layer = dataclasses.replace(first, values=values)
    return Network(net.input_dim, (layer,) + tuple(net.layers[1:]), net.meta)


def prepare(net, X, *, chunk_size=None, progress=None) -> tuple[Network, np.ndarray]:
    """Check the arguments of an exact evaluation and return ``(net, X)`` with dyadic ``X``.

    Parameters
    ----------
    net : Network
    X : array_like (N, d) of exact numbers (any integer, float or rational type)
    chunk_size : None or a positive int
    progress : None or a callable ``progress(done, total)``

    Returns
    -------
    (Network, numpy.ndarray)
        An equivalent network (the first layer divided by ``D`` when the points
        have denominators with an odd part ``D > 1``) and the points (times ``D``),
        float64 or an object array of dyadic ints and Fractions.

    Examples
    --------
    >>> from memorize.network import Layer
    >>> net = Network(1, (Layer.from_dense([[3]], [0], "identity"),))
    >>> net2, X2 = prepare(net, np.array([[Fraction(1, 3)]], dtype=object))
    >>> X2.tolist(), net2.layers[0].values
    ([[1.0]], (1,))
    """
    check_network(net)
    check_progress(progress)
    if chunk_size is not None:
        check_count(chunk_size, "chunk_size (None: automatic)", minimum=1)
    X = points(X)
    check_dim(net, X)
    D = _odd_denominator(X)
    if D == 1:
        return net, X
    return _divide_first_layer(net, D), exact_array(X * D)
