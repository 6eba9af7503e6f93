"""The verification report: the verdict, the failures and the network's counts."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from fractions import Fraction


@dataclass
class Report:
    """Result of :func:`memorize.verify.verify`.

    ``ok`` is decided in exact arithmetic. ``float64_agrees`` says whether a
    float64 evaluation gives exactly the labels too (a non-exact comparison,
    for information only; ``None`` when it was not run).
    """

    ok: bool
    n_points: int
    n_failed: int
    failed: list[int]
    failures: list[dict]
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

    def to_dict(self) -> dict:
        d = asdict(self)
        d["min_margin"] = None if self.min_margin is None else float(self.min_margin)
        d["min_margin_exact"] = None if self.min_margin is None else str(self.min_margin)
        return d

    def summary(self) -> str:
        verdict = "OK: every point memorized exactly" if self.ok else (
            f"FAILED on {self.n_failed} of {self.n_points} points (first: {self.failed[:10]})"
        )
        lines = [
            verdict,
            f"points {self.n_points}  params {self.params}  nonzero {self.nonzero_params}  "
            f"neurons {self.neurons}  depth {self.depth}  width {self.width}",
            f"max bits {self.max_bits}  total bits {self.total_bits}  "
            f"min step margin {'-' if self.min_margin is None else f'{float(self.min_margin):.3g}'}",
        ]
        if self.float64_agrees is not None:
            lines.append(
                "float64 (non-exact comparison): "
                + ("agrees on every point" if self.float64_agrees
                   else f"wrong on {self.float64_failed} points")
            )
        lines.append(f"exact verification took {self.seconds:.2f} s"
                     + (" (with the float64 comparison)" if self.float64_agrees is not None else ""))
        for f in self.failures[:5]:
            lines.append(f"  point {f['index']}: expected {f['expected']}, got {f['got']}")
        return "\n".join(lines)
