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

from memorize.network import Layer, Network
from memorize.rationals import to_float as to_float_array


def to_float(value, dtype=np.float64):
    """``value`` rounded to ``dtype``; magnitudes beyond the dtype's range become ``+-inf``."""
    try:
        return dtype(float(value))
    except OverflowError:
        # ``value`` is an int or Fraction beyond float range: only its sign is needed,
        # and copysign would convert it to float (and overflow) again.
        return dtype(-math.inf if value < 0 else math.inf)


def _float_layer(layer: Layer, dtype):
    vals = np.array([to_float(v, dtype) for v in layer.values], dtype=dtype)
    w = sparse.csr_matrix((vals, (layer.rows, layer.cols)), shape=(layer.out_dim, layer.in_dim))
    b = np.array([to_float(v, dtype) for v in layer.bias], dtype=dtype)
    return w, b


def evaluate_float(net: Network, X, dtype=np.float64, chunk_size: int = 4096) -> np.ndarray:
    """Outputs of ``net`` on the rows of ``X`` in floating point (shape ``N x output_dim``).

    NOT exact: use :func:`memorize.verify.evaluate` for exact values.
    """
    X = np.asarray(X)
    # exact object arrays (ints of any size, Fractions) round one by one, overflowing to +-inf
    X = (to_float_array(X) if X.dtype == object else X).astype(dtype)
    compiled = [(_float_layer(layer, dtype), layer.activation) for layer in net.layers]
    width = max(layer.out_dim for layer in net.layers)
    size = max(1, min(chunk_size, (1 << 23) // width))
    out = np.empty((X.shape[0], net.output_dim), dtype=dtype)
    with np.errstate(all="ignore"):
        for start in range(0, X.shape[0], size):
            a = X[start:start + size].T
            for (w, b), act in compiled:
                z = np.asarray(w @ a) + b[:, None]
                if act == "relu":
                    a = np.maximum(z, 0)
                elif act == "step":
                    a = (z >= 0).astype(dtype)
                else:
                    a = z
            out[start:start + size] = a.T
    return out
