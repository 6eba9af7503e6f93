"""Put a built network's counts beside its theorem's upper bound and the lower bounds, each
in the same counting (connections with connections, dense with dense, neurons with neurons).

    >>> from memorize import build, data
    >>> from memorize.bounds import compare
    >>> X, y = data.random_separated(60, 3, 0.05, num_classes=3, seed=2)
    >>> result = compare(build("relu_two_layer", X, y))
    >>> result.ratio_to_upper["params"]
    1.0
    >>> print(result.summary().splitlines()[0])
    relu_two_layer against Zhang et al. 2017, Theorem 1 (exact constants)
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from memorize.bounds import lower
from memorize.bounds.symbols import evaluate
from memorize.bounds.upper import bounds_for
from memorize.errors import MemorizeError
from memorize.network import Network

#: What each count means; a bound is only ever set beside the count of the same name.
COUNTS = {
    "connections": "weights and biases placed (a sparse graph's edges)",
    "params": "every weight and bias of the layered architecture (dense)",
    "nonzero_params": "nonzero weights and biases",
    "neurons": "non-input units",
    "depth": "affine layers",
    "width": "largest layer",
    "first_layer_width": "units of the first layer",
    "max_bits": "bits of the largest weight or bias",
}


def data_values(network: Network | None = None, X=None, y=None, **summary) -> dict:
    """``{N, d, C, r, delta}`` from ``summary`` keywords, else ``(X, y)``, else the network's meta."""
    values = {}
    if network is not None:
        values.update({k: v for k, v in (network.meta or {}).get("data", {}).items() if v is not None})
    if X is not None and y is not None:
        from memorize.data import summarize

        s = summarize(X, y)
        values.update(N=s.n, d=s.d, C=s.num_classes, r=s.radius, delta=s.separation)
    values.update(summary)
    missing = [k for k in ("N", "d", "C", "r", "delta") if k not in values]
    if missing:
        raise MemorizeError(
            f"compare needs the data summary {', '.join(missing)}: pass X and y, or the values "
            "as keywords (N=..., d=..., C=..., r=..., delta=...)"
        )
    return values


def lower_bounds(counts: dict, values: dict, threshold: bool) -> dict:
    """The lower bounds that apply to a network with ``counts`` built on data ``values``.

    The VC bounds count the parameters of an architecture; a sparse network is
    the architecture of its placed connections, so they bound ``connections``.
    """
    n, dim, c = int(values["N"]), int(values["d"]), int(values["C"])
    if c < 2:  # one label: a constant network memorizes it
        return {}
    out = {"max_bits": lower.min_bits(n, c, counts["connections"])}
    if threshold:
        out["connections"] = lower.min_params_threshold(n)
        out["neurons"] = lower.min_neurons_threshold(n, dim)
        first = lower.first_layer_threshold(n, dim, values["delta"], values["r"])
        if first:
            out["first_layer_width"] = first
    else:
        out["connections"] = lower.min_params_relu(n, depth=counts["depth"])
        out["connections_any_depth"] = lower.min_params_relu(n)
        out["depth"] = lower.min_depth_at_width(n, counts["width"], values["delta"], values["r"])
    return out


@dataclass
class Comparison:
    """A network's counts beside its theorem's bounds and the lower bounds (:func:`compare`).

    ``upper`` and ``lower`` map a count's name (:data:`COUNTS`) to a bound in
    that same count; ``flags`` say in words why a ratio to an upper bound
    exceeds 1 (keyed by the count) or why a lower bound says little (keyed
    ``"lower COUNT"``).
    """

    construction: str
    theorem: str
    exact_constants: bool
    options: dict
    data: dict
    counts: dict
    upper: dict
    lower: dict
    flags: dict = field(default_factory=dict)

    @property
    def ratio_to_upper(self) -> dict:
        return {q: self.counts[q] / v for q, v in self.upper.items() if q in self.counts and v > 0}

    @property
    def ratio_to_lower(self) -> dict:
        return {q: self.counts[_count_of(q)] / v for q, v in self.lower.items()
                if _count_of(q) in self.counts and v > 0}

    def to_dict(self) -> dict:
        out = asdict(self)
        out["ratio_to_upper"], out["ratio_to_lower"] = self.ratio_to_upper, self.ratio_to_lower
        return out

    def summary(self) -> str:
        kind = "exact constants" if self.exact_constants else "O(.) with c_O = 1"
        lines = [f"{self.construction} against {self.theorem} ({kind})",
                 f"{'count':<24}{'network':>12}{'upper':>12}{'ratio':>8}{'lower':>12}{'ratio':>8}"]
        names = list(dict.fromkeys(list(self.upper) + [_count_of(q) for q in self.lower]))
        up, lo = self.ratio_to_upper, self.ratio_to_lower
        for q in names:
            if q not in self.counts:
                continue
            lows = [k for k in self.lower if _count_of(k) == q]
            for i, k in enumerate(lows or [None]):
                u = self.upper.get(q) if i == 0 else None
                lines.append(f"{(q if i == 0 else '  ' + k):<24}{self.counts[q] if i == 0 else '':>12}"
                             f"{_fmt(u):>12}{_fmt(up.get(q)) if u is not None else '-':>8}"
                             f"{_fmt(self.lower.get(k)) if k else '-':>12}"
                             f"{_fmt(lo.get(k)) if k else '-':>8}")
        lines += [f"note: {q}: {why}" for q, why in self.flags.items()]
        return "\n".join(lines)


def _count_of(bound_name: str) -> str:
    """The count a lower bound is set beside (``connections_any_depth`` -> ``connections``)."""
    return "connections" if bound_name.startswith("connections") else bound_name


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and not v.is_integer():
        return f"{v:.3g}"
    return f"{int(v)}" if abs(v) < 1e12 else f"{v:.3g}"


def compare(network: Network, X=None, y=None, *, c_O: float = 1, **summary) -> Comparison:
    """Compare ``network`` with its construction's theorem and with the lower bounds.

    The construction and the options it was built with come from
    ``network.meta`` (they choose the theorem's variant:
    :func:`~memorize.bounds.upper.bounds_for`); the data summary from
    ``summary`` keywords (``N, d, C, r, delta``), else ``(X, y)``, else the
    meta. ``c_O`` is the constant given to ``O(.)`` bounds.

    Returns
    -------
    Comparison
        with ``summary()`` and ``to_dict()``; every bound is in the counting
        of the count it is set beside.

    Raises
    ------
    MemorizeError
        if the meta names no construction or the data summary is incomplete.
    """
    meta = network.meta or {}
    name = meta.get("construction")
    if not name:
        raise MemorizeError("the network's meta names no construction; build it with memorize.build")
    values = data_values(network, X, y, **summary)
    options = {k: v for k, v in (meta.get("options") or {}).items() if v is not None}
    tb = bounds_for(name, options)
    counts = network.counts()
    counts["first_layer_width"] = network.layers[0].out_dim
    point = {**values, "c_O": c_O, "L": options.get("depth") or counts["depth"],
             "width": options.get("width") or counts["width"], "n1": counts["first_layer_width"]}
    upper = {}
    for q, expr in tb.layered.items():
        try:
            v = evaluate(expr, **point)
        except (MemorizeError, ZeroDivisionError, TypeError, ValueError):
            continue  # not defined at these values (delta = inf for a single point, say)
        if math.isfinite(v):
            upper[q] = v
    threshold = any(layer.activation == "step" for layer in network.layers)
    low = lower_bounds(counts, values, threshold)
    result = Comparison(name, tb.theorem, tb.exact, options,
                        {k: values[k] for k in ("N", "d", "C", "r", "delta")}, counts, upper, low)
    result.flags = _flags(result, tb)
    return result


def _flags(result: Comparison, tb) -> dict:
    """Why a ratio to an upper bound exceeds 1, or a lower bound says little."""
    flags = {}
    for q, ratio in result.ratio_to_upper.items():
        if ratio > 1:
            flags[q] = (f"{ratio:.3g}x the bound: an O(.) bound drawn with c_O = 1, so the "
                        "construction's constant is larger" if not tb.exact else
                        f"{ratio:.3g}x an exact bound: the network is not the theorem's (check its options)")
    for k, v in result.lower.items():
        if v <= 1:
            flags[f"lower {k}"] = "vacuous here (it asks for no more than 1)"
        elif k == "first_layer_width":
            flags[f"lower {k}"] = "a worst-case bound (points on a great circle); random data can need fewer"
    return flags
