"""The verification report: the verdict, the failures and the network's counts."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from fractions import Fraction


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
            d[key] = None if value is None else float(value)
            d[f"{key}_exact"] = None if value is None else str(value)
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
            f"min step margin {'-' if self.min_margin is None else f'{float(self.min_margin):.3g}'}",
        ]
        if argmax:
            gap = self.min_argmax_gap
            lines.append("min argmax gap (label output minus the largest other, exact) "
                         + ("-" if gap is None else f"{float(gap):.3g}"))
        if self.float64_agrees is not None:
            lines.append(
                "float64 (non-exact comparison): "
                + ("agrees on every point" if self.float64_agrees
                   else f"wrong on {self.float64_failed} points")
            )
        lines.append(f"exact verification took {self.seconds:.2f} s")
        for f in self.failures[:5]:
            if argmax:
                lines.append(f"  point {f['index']}: output {f['expected']} (its label) is not above "
                             f"output {f['got']} (gap {f['gap']})")
            else:
                lines.append(f"  point {f['index']}: expected {f['expected']}, got {f['got']}")
        return "\n".join(lines)
