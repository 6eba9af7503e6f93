"""Put a built network's counts beside its theorem's upper bound and the lower bounds."""

from __future__ import annotations

import math

from memorize.bounds import lower
from memorize.bounds.symbols import evaluate
from memorize.bounds.upper import bounds_for
from memorize.errors import MemorizeError
from memorize.network import Network


def data_values(network: Network | None = None, X=None, y=None, **summary) -> dict:
    """``{N, d, C, r, delta}`` from ``summary`` keywords, else ``(X, y)``, else the network's meta."""
    values = {}
    if network is not None:
        values.update((network.meta or {}).get("data", {}))
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
    """The lower bounds that apply to a network with ``counts`` built on data ``values``."""
    n, dim, c = int(values["N"]), int(values["d"]), int(values["C"])
    if c < 2:  # one label: a constant network memorizes it
        return {}
    out = {"max_bits": lower.min_bits(n, c, counts["params"])}
    if threshold:
        out["params"] = lower.min_params_threshold(n)
        out["neurons"] = lower.min_neurons_threshold(n, dim)
        first = lower.first_layer_threshold(n, dim, values["delta"], values["r"])
        if first:
            out["first_layer_width"] = first
    else:
        out["params"] = lower.min_params_relu(n, depth=counts["depth"])
        out["params_any_depth"] = lower.min_params_relu(n)
    return out


def compare(network: Network, X=None, y=None, *, c_O: float = 1, **summary) -> dict:
    """Compare ``network`` with its construction's theorem and with the lower bounds.

    The construction and options come from ``network.meta``; the data summary
    from ``summary`` keywords (``N, d, C, r, delta``), else ``(X, y)``, else the
    meta. ``c_O`` is the constant given to ``O(.)`` bounds.

    Returns a dict with ``counts`` (the network's), ``upper`` (the theorem's
    layered bounds evaluated), ``lower``, and ``ratio_to_upper`` /
    ``ratio_to_lower`` (count / bound, per quantity both have).
    """
    meta = network.meta or {}
    name = meta.get("construction")
    if not name:
        raise MemorizeError("the network's meta names no construction; build it with memorize.build")
    values = data_values(network, X, y, **summary)
    tb = bounds_for(name, meta.get("options"))
    counts = network.counts()
    counts["first_layer_width"] = network.layers[0].out_dim
    point = {**values, "c_O": c_O}
    if "depth" in (meta.get("options") or {}) and meta["options"]["depth"]:
        point["L"] = meta["options"]["depth"]
    upper = {}
    for q, expr in tb.layered.items():
        try:
            upper[q] = evaluate(expr, **point)
        except (MemorizeError, ZeroDivisionError):
            continue
        if not math.isfinite(upper[q]):
            del upper[q]
    threshold = any(layer.activation == "step" for layer in network.layers)
    low = lower_bounds(counts, values, threshold)
    return {
        "construction": name,
        "theorem": tb.theorem,
        "exact_constants": tb.exact,
        "data": {k: values[k] for k in ("N", "d", "C", "r", "delta")},
        "counts": counts,
        "upper": upper,
        "lower": low,
        "ratio_to_upper": {q: counts[q] / v for q, v in upper.items() if q in counts and v > 0},
        "ratio_to_lower": {q: counts[q] / v for q, v in low.items() if q in counts and v > 0},
    }
