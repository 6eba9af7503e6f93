"""The symbols every bound is written in, and :func:`evaluate` to turn a bound into a number.

Data: ``N`` points in ``R^d`` with labels in ``[C]``, norms ``<= r`` and pairwise
distances ``>= delta``. Architecture: ``W`` parameters, ``L`` affine layers,
``U`` computation units, ``B`` bits per parameter, ``width`` the largest layer.
A construction's choices, recorded in a built network's ``meta``: ``G`` groups of
points (Baum, Bubeck et al.), ``M`` points per block (the three-layer network).

Hidden constants. An ``O(f)`` statement is written ``c_O * f``; an
``O~(f)`` statement as ``c_O * f * log2(N)**k`` with the power ``k`` given
where the expression is defined. :func:`evaluate` sets ``c_O = 1`` unless told
otherwise, so the numbers are the orders of magnitude the theorems promise,
not certified sizes. Logarithms are base 2 throughout.
"""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from memorize.errors import MemorizeError

N, d, C, r, delta, L = sp.symbols("N d C r delta L", positive=True)
W, U, B = sp.symbols("W U B", positive=True)
width = sp.Symbol("width", positive=True)
G = sp.Symbol("G", integer=True, nonnegative=True)
M = sp.Symbol("M", integer=True, positive=True)
#: The first layer's width, where a construction chooses it from the data (threshold_instance).
n1 = sp.Symbol("n1", positive=True)

#: The constant hidden in an O(.) statement; 1 unless a value is given to :func:`evaluate`.
c_O = sp.Symbol("c_O", positive=True)

DEFAULTS = {"c_O": 1}


def _exact(v):
    """Ints and Fractions stay exact in sympy; floats stay floats (data measured in floats)."""
    if isinstance(v, bool) or not isinstance(v, (int, Fraction)):
        return v
    return sp.Integer(v) if isinstance(v, int) else sp.Rational(v.numerator, v.denominator)


def log2(x) -> sp.Expr:
    """``log_2 x`` as a sympy expression."""
    return sp.log(x, 2)


def evaluate(expr, **values):
    """The value of the bound ``expr`` at ``values`` (keyed by symbol name): an ``int`` or a
    ``Fraction`` when the value is an exact rational (a count), else a float.

    >>> evaluate(2 * N + d, N=10, d=3)
    23
    >>> evaluate(N / 4, N=10)
    Fraction(5, 2)
    >>> evaluate(sp.sqrt(N), N=2)
    1.4142135623730951

    Raises :class:`MemorizeError` naming any symbol left without a value.
    """
    expr = sp.sympify(expr)
    subs = {**DEFAULTS, **values}
    by_name = {s.name: s for s in expr.free_symbols}
    missing = sorted(set(by_name) - set(subs))
    if missing:
        raise MemorizeError(
            f"the bound {expr} needs values for {', '.join(missing)}; pass them as keywords"
        )
    value = expr.subs({by_name[k]: _exact(v) for k, v in subs.items() if k in by_name})
    if value.is_Integer:
        return int(value)
    if value.is_Rational:
        return Fraction(int(value.p), int(value.q))
    try:
        return float(sp.N(value, 30))
    except TypeError:
        raise MemorizeError(f"the bound {expr} did not evaluate to a real number: {value}") from None


def evaluate_all(exprs: dict, **values) -> dict:
    """:func:`evaluate` of every expression of ``exprs`` (a dict of counts).

    >>> evaluate_all({"params": 3 * N + d + 2, "depth": 3}, N=10, d=2)
    {'params': 34, 'depth': 3}
    """
    return {key: evaluate(expr, **values) for key, expr in exprs.items()}
