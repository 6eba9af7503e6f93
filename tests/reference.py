"""A deliberately naive reference: evaluate a network point by point in Fractions.

Slow and obviously correct; the fast exact verifier is tested against it.
"""

from fractions import Fraction


def reference_outputs(net, X):
    """Exact outputs (list of lists of Fractions) and the smallest |step pre-activation|."""
    margin = None
    outs = []
    for x in X:
        a = [Fraction(v) if isinstance(v, (int, Fraction)) else Fraction(float(v)) for v in x]
        for layer in net.layers:
            z = [Fraction(b) for b in layer.bias]
            for r, c, w in zip(layer.rows.tolist(), layer.cols.tolist(), layer.values):
                z[r] += w * a[c]
            if layer.activation == "relu":
                a = [max(v, 0) for v in z]
            elif layer.activation == "step":
                m = min(abs(v) for v in z)
                margin = m if margin is None else min(margin, m)
                a = [Fraction(1 if v >= 0 else 0) for v in z]
            else:
                a = z
        outs.append(a)
    return outs, margin
