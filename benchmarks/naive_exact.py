"""A naive exact evaluator, independent of ``memorize.verify``: the yardstick of the verifier.

One point at a time, Python integers, one common denominator per layer: the inputs
are the exact rationals their floats denote, brought to one denominator ``D``; each
layer's weights and biases are brought to their common denominator ``q`` once, so a
layer maps integers ``a`` (value ``a / D``) to integers ``q W a + q D b`` (value over
``q D``). Nothing is vectorized and nothing is shared between points.

    >>> from memorize import build, data
    >>> X, y = data.random_separated(30, 2, 0.1, num_classes=3, seed=0)
    >>> net = build("relu_two_layer", X, y)
    >>> layers = integer_layers(net)
    >>> all(output(layers, x) == label for x, label in zip(X, y))
    True
"""

from __future__ import annotations

import math
from fractions import Fraction


def integer_layers(net):
    """Per layer: its activation, its rows as ``[(input, q w)]``, ``q b`` and ``q``."""
    out = []
    for layer in net.layers:
        q = math.lcm(*(Fraction(v).denominator for v in (*layer.values, *layer.bias)))
        rows = [[] for _ in range(layer.out_dim)]
        for r, c, w in zip(layer.rows.tolist(), layer.cols.tolist(), layer.values):
            rows[r].append((c, int(w * q)))
        out.append((layer.activation, rows, [int(b * q) for b in layer.bias], q))
    return out


def output(layers, x) -> Fraction:
    """The network's first output on the point ``x`` (floats), exactly."""
    xs = [Fraction(float(v)) for v in x]
    D = math.lcm(*(v.denominator for v in xs))
    a = [int(v * D) for v in xs]
    for activation, rows, bias, q in layers:
        z = [sum(w * a[c] for c, w in row) + b * D for row, b in zip(rows, bias)]
        D *= q
        if activation == "relu":
            a = [v if v > 0 else 0 for v in z]
        elif activation == "step":
            a, D = [1 if v >= 0 else 0 for v in z], 1
        else:
            a = z
    return Fraction(a[0], D)
