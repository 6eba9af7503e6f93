"""The verification report: the verdict, the failures and the network's counts."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from fractions import Fraction

_DECIMAL_BITS = 12000  # below Python's 4300-digit cap on int -> decimal string conversion


def exact_str(q: Fraction) -> str:
    """``q`` as ``"p/q"`` in decimal, or, when that would be too long, as a hexadecimal ``NUM``.

    Examples
    --------
    >>> exact_str(Fraction(-3, 4)), exact_str(Fraction(1 << 20000, 3))[:8]
    ('-3/4', '0x100000')
    """
    if abs(q.numerator).bit_length() <= _DECIMAL_BITS and q.denominator.bit_length() <= _DECIMAL_BITS:
        return str(q)
    sign = "-" if q < 0 else ""
    den = "" if q.denominator == 1 else f"/{hex(q.denominator)}"
    return f"{sign}{hex(abs(q.numerator))}{den}"


def approx(q: Fraction) -> float:
    """``q`` rounded to a float; beyond the float range ``+-inf``."""
    try:
        return float(q)
    except OverflowError:
        return -math.inf if q < 0 else math.inf


@dataclass
class Report:
    """Result of :func:`memorize.verify.verify`.

    ``ok`` is decided in exact arithmetic, in the sense of ``output``: ``"label"``
    (the scalar output equals the label) or ``"argmax"`` (the label's output is
    strictly the largest). ``float64_agrees`` says whether a float64 evaluation
    passes the same check (a non-exact comparison, for information only; ``None``
    when it was not run).

    ``min_margin`` is the smallest ``|pre-activation|`` of a step unit over the
    data (how far float evaluation may drift before a unit flips); in argmax mode
    ``min_argmax_gap`` is the smallest difference between a point's label output
    and its largest other output (``<= 0`` iff some point fails; ``None`` in label
    mode). Both are exact.
    """

    ok: bool
    n_points: int
    n_failed: int
    failed: list[int]
    failures: list[dict]
    connections: int
    params: int
    nonzero_params: int
    neurons: int
    depth: int
    width: int
    max_bits: int
    total_bits: int
    min_margin: Fraction | None
    float64_agrees: bool | None
    float64_failed: int | None
    seconds: float
    meta: dict = field(default_factory=dict)
    output: str = "label"
    min_argmax_gap: Fraction | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        for key in ("min_margin", "min_argmax_gap"):
            value = getattr(self, key)
            d[key] = None if value is None else approx(value)
            d[f"{key}_exact"] = None if value is None else exact_str(value)
        return d

    def summary(self) -> str:
        argmax = self.output == "argmax"
        if self.ok:
            verdict = ("OK: on every point the label's output is strictly the largest (argmax, exact)"
                       if argmax else "OK: every point memorized exactly")
        else:
            verdict = (f"FAILED on {self.n_failed} of {self.n_points} points (first: {self.failed[:10]})"
                       + (" (argmax)" if argmax else ""))
        lines = [
            verdict,
            f"points {self.n_points}  connections {self.connections}  params {self.params}  "
            f"nonzero {self.nonzero_params}  "
            f"neurons {self.neurons}  depth {self.depth}  width {self.width}",
            f"max bits {self.max_bits}  total bits {self.total_bits}  "
            f"min step margin {'-' if self.min_margin is None else f'{approx(self.min_margin):.3g}'}",
        ]
        if argmax:
            gap = self.min_argmax_gap
            lines.append("min argmax gap (label output minus the largest other, exact) "
                         + ("-" if gap is None else f"{approx(gap):.3g}"))
        if self.float64_agrees is not None:
            lines.append(
                "float64 (non-exact comparison): "
                + ("agrees on every point" if self.float64_agrees
                   else f"wrong on {self.float64_failed} points")
            )
        lines.append(f"exact verification took {self.seconds:.2f} s"
                     + (" (with the float64 comparison)" if self.float64_agrees is not None else ""))
        for f in self.failures[:5]:
            if argmax:
                lines.append(f"  point {f['index']}: output {f['expected']} (its label) is not above "
                             f"output {f['got']} (gap {f['gap']})")
            else:
                lines.append(f"  point {f['index']}: expected {f['expected']}, got {f['got']}")
        return "\n".join(lines)
