"""Float evaluation of a network, offered only as a labelled, non-exact comparison.

A float verdict is never used to decide memorization: :func:`memorize.verify.verify`
decides with exact integer arithmetic and reports float agreement beside it. Float
evaluation is expected to fail once weights need more than the dtype's mantissa
(53 bits for float64) or when step pre-activations come closer to 0 than the
rounding error; that is part of the story the constructions tell.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse

from memorize.floatformats import get_format, round_to
from memorize.network import Layer, Network
from memorize.rationals import to_float as to_float_array


def _exact_in_float64(value) -> bool:
    """A cheap sufficient test that ``float(value)`` is exact (53-bit numerator, normal range)."""
    if isinstance(value, int):
        return value.bit_length() <= 53
    q = value.denominator
    return q & (q - 1) == 0 and value.numerator.bit_length() <= 53 and q.bit_length() <= 1000


def to_float(value, dtype=np.float64):
    """``value`` rounded once to the nearest ``dtype`` number (ties to even); beyond its range ``+-inf``.

    ``dtype(float(value))`` would round twice for float32 and float16 when ``value``
    is not a float64 number, and ``float(value)`` raises on integers beyond float64's
    range. So a float64 number is cast by numpy (one rounding), float64 itself is
    rounded by Python (one rounding), and anything else is rounded exactly by
    :func:`memorize.floatformats.round_to`, which decides an overflow from the exact
    value, never converting it to float.

    Examples
    --------
    >>> import numpy as np
    >>> float(to_float(1 << 200, np.float32)), float(to_float(-(1 << 2000)))
    (inf, -inf)
    >>> from fractions import Fraction
    >>> x = 1 + Fraction(1, 2**24) + Fraction(1, 2**60)  # just above a float32 tie
    >>> float(to_float(x, np.float32)) == 1 + 2**-23  # np.float32(float(x)) gives 1.0
    True
    """
    if dtype is np.float64:
        try:
            return dtype(float(value))
        except OverflowError:  # the sign is read from the exact value
            return dtype(math.inf if value > 0 else -math.inf)
    if _exact_in_float64(value):
        with np.errstate(over="ignore"):  # numpy casts beyond the range to +-inf
            return dtype(float(value))
    r = round_to(value, get_format(dtype))
    if r is None:
        return dtype(math.inf if value > 0 else -math.inf)
    return dtype(float(r))  # r is a dtype number, so both conversions are exact


def _float_layer(layer: Layer, dtype, acc):
    vals = np.array([to_float(v, dtype) for v in layer.values], dtype=acc)
    w = sparse.csr_matrix((vals, (layer.rows, layer.cols)), shape=(layer.out_dim, layer.in_dim))
    b = np.array([to_float(v, dtype) for v in layer.bias], dtype=acc)
    return w, b


def evaluate_float(net: Network, X, dtype=np.float64, chunk_size: int = 4096) -> np.ndarray:
    """Outputs of ``net`` on the rows of ``X`` in floating point (shape ``N x output_dim``).

    NOT exact: use :func:`memorize.verify.evaluate` for exact values. Weights,
    biases and inputs are rounded to ``dtype`` once (overflow gives ``+-inf``).
    float64 and float32 compute in ``dtype``. float16 values are stored in float16
    and each layer's affine map is summed in float32 and rounded to float16 once,
    as numpy's own float16 matmul and torch on the CPU do (scipy.sparse has no
    float16 arithmetic).

    Examples
    --------
    >>> import numpy as np
    >>> from memorize.network import Layer, Network
    >>> net = Network(3, (Layer.from_dense([[1, 1, 1]], [0], "identity"),))
    >>> float(evaluate_float(net, [[2048.0, 1.0, 1.0]], dtype=np.float16)[0, 0])  # float16 sums: 2048
    2050.0
    """
    dtype = np.dtype(dtype).type
    acc = np.float32 if dtype == np.float16 else dtype
    X = np.asarray(X)
    # exact object arrays (ints of any size, Fractions) round one by one, overflowing to +-inf
    X = (to_float_array(X) if X.dtype == object else X.astype(np.float64)).astype(dtype)
    compiled = [(_float_layer(layer, dtype, acc), layer.activation) for layer in net.layers]
    width = max(layer.out_dim for layer in net.layers)
    size = max(1, min(chunk_size, (1 << 23) // width))
    out = np.empty((X.shape[0], net.output_dim), dtype=dtype)
    with np.errstate(all="ignore"):
        for start in range(0, X.shape[0], size):
            a = X[start:start + size].T.astype(acc)
            for (w, b), act in compiled:
                z = np.asarray(w @ a) + b[:, None]
                if acc is not dtype:
                    z = z.astype(dtype).astype(acc)
                if act == "relu":
                    a = np.maximum(z, 0)
                elif act == "step":
                    a = (z >= 0).astype(acc)
                else:
                    a = z
            out[start:start + size] = a.T
    return out
