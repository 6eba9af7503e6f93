"""Exact linear algebra over the rationals for small systems (a group of at most d points)."""

from __future__ import annotations

from fractions import Fraction
from math import gcd, lcm


def rref(rows: list[list]) -> tuple[list[list[Fraction]], list[int]]:
    """Reduced row echelon form of ``rows`` (exact) and the pivot columns."""
    m = [[Fraction(v) for v in row] for row in rows]
    ncols = len(m[0]) if m else 0
    pivots: list[int] = []
    r = 0
    for c in range(ncols):
        p = next((i for i in range(r, len(m)) if m[i][c] != 0), None)
        if p is None:
            continue
        m[r], m[p] = m[p], m[r]
        inv = 1 / m[r][c]
        m[r] = [v * inv for v in m[r]]
        for i in range(len(m)):
            if i != r and m[i][c] != 0:
                f = m[i][c]
                m[i] = [a - f * b for a, b in zip(m[i], m[r])]
        pivots.append(c)
        r += 1
        if r == len(m):
            break
    return m[:r], pivots


def nullspace(rows: list[list], ncols: int) -> list[list[Fraction]]:
    """A basis of ``{v : rows @ v = 0}`` (exact)."""
    red, pivots = rref(rows) if rows else ([], [])
    free = [c for c in range(ncols) if c not in pivots]
    basis = []
    for f in free:
        v = [Fraction(0)] * ncols
        v[f] = Fraction(1)
        for row, p in zip(red, pivots):
            v[p] = -row[f]
        basis.append(v)
    return basis


def solve(rows: list[list], rhs: list) -> list[Fraction] | None:
    """One solution of ``rows @ v = rhs`` (free variables 0), or None if there is none."""
    ncols = len(rows[0])
    red, pivots = rref([list(row) + [b] for row, b in zip(rows, rhs)])
    if ncols in pivots:
        return None
    v = [Fraction(0)] * ncols
    for row, p in zip(red, pivots):
        v[p] = row[ncols]
    return v


def primitive_integer(v: list[Fraction]) -> list[int]:
    """The integer vector on the ray of ``v`` with coprime entries (``v`` nonzero)."""
    den = lcm(*(x.denominator for x in v))
    ints = [int(x * den) for x in v]
    g = 0
    for x in ints:
        g = gcd(g, x)
    return [x // g for x in ints]
