"""The ``memorize-network`` file format, version 1: lossless JSON with hexadecimal numbers.

See ``docs/format.md`` for the specification. In short::

    {"format": "memorize-network", "version": 1, "input_dim": d,
     "layers": [{"activation": "relu", "out_dim": m,
                 "weights": [[row, col, NUM], ...], "bias": [NUM, ...]}, ...],
     "meta": {...}}

``NUM`` is a string: ``"0x1f"``, ``"-0x3/0x4"`` (hex integer, optional ``-``,
optional ``/`` positive hex denominator of a reduced fraction). Hex, because
Python 3.11+ caps int <-> decimal string conversion of huge integers.

Loading parses JSON only (never executes code) and rejects malformed,
truncated or oversized input with a :class:`~memorize.errors.FormatError`.
"""

from __future__ import annotations

import json
import math
import os
import re
from fractions import Fraction
from pathlib import Path

import numpy as np

from memorize.errors import FormatError, NetworkError
from memorize.network import ACTIVATIONS, Layer, Network

FORMAT = "memorize-network"
VERSION = 1

MAX_FILE_BYTES = 4 << 30
MAX_NUMBER_HEX_DIGITS = 1 << 22  # 16 Mbit per number
MAX_DIM = 1 << 27

_NUM = re.compile(r"^(-?)0x([0-9a-fA-F]+)(?:/0x([0-9a-fA-F]+))?$")


def encode_number(v) -> str:
    """The ``NUM`` string of an exact rational."""
    if isinstance(v, int):
        return ("-" if v < 0 else "") + hex(abs(v))
    num = ("-" if v.numerator < 0 else "") + hex(abs(v.numerator))
    return num if v.denominator == 1 else f"{num}/{hex(v.denominator)}"


def decode_number(s, where: str = "number"):
    """Parse a ``NUM`` string to ``int`` or ``Fraction``; :class:`FormatError` if malformed."""
    if not isinstance(s, str):
        raise FormatError(f"{where}: expected a hex string like \"0x1f\", got {type(s).__name__} {s!r:.40}")
    m = _NUM.match(s)
    if not m:
        raise FormatError(f"{where}: {s[:40]!r} is not a number like \"0x1f\" or \"-0x3/0x4\"")
    sign, num, den = m.groups()
    if len(num) > MAX_NUMBER_HEX_DIGITS or (den and len(den) > MAX_NUMBER_HEX_DIGITS):
        raise FormatError(f"{where}: number has more than {MAX_NUMBER_HEX_DIGITS} hex digits")
    p = int(num, 16)
    if sign:
        p = -p
    if den is None:
        return p
    q = int(den, 16)
    if q == 0:
        raise FormatError(f"{where}: zero denominator in {s[:40]!r}")
    if math.gcd(p, q) != 1:
        raise FormatError(f"{where}: fraction {s[:40]!r} is not reduced")
    return p if q == 1 else Fraction(p, q)


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, Fraction):
        return encode_number(obj)
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    return obj


def to_dict(net: Network) -> dict:
    """The JSON-ready dict of ``net``."""
    layers = []
    for layer in net.layers:
        layers.append({
            "activation": layer.activation,
            "out_dim": layer.out_dim,
            "weights": [[r, c, encode_number(v)]
                        for r, c, v in zip(layer.rows.tolist(), layer.cols.tolist(), layer.values)],
            "bias": [encode_number(b) for b in layer.bias],
        })
    return {"format": FORMAT, "version": VERSION, "input_dim": net.input_dim,
            "layers": layers, "meta": _jsonable(net.meta)}


def _int_field(obj: dict, key: str, where: str, lo: int = 1, hi: int = MAX_DIM) -> int:
    v = obj.get(key)
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        raise FormatError(f"{where}: '{key}' must be an integer in [{lo}, {hi}], got {v!r:.40}")
    return v


def from_dict(doc) -> Network:
    """Rebuild a :class:`Network` from the dict of a ``memorize-network`` file."""
    if not isinstance(doc, dict):
        raise FormatError("a memorize-network file must hold a JSON object")
    if doc.get("format") != FORMAT:
        raise FormatError(f"not a {FORMAT} file (format field is {doc.get('format')!r:.40})")
    if doc.get("version") != VERSION:
        raise FormatError(
            f"unsupported {FORMAT} version {doc.get('version')!r:.20}; this memorize reads version {VERSION}"
        )
    prev = _int_field(doc, "input_dim", "file")
    layers_doc = doc.get("layers")
    if not isinstance(layers_doc, list) or not layers_doc:
        raise FormatError("file: 'layers' must be a non-empty list")
    meta = doc.get("meta", {})
    if not isinstance(meta, dict):
        raise FormatError("file: 'meta' must be an object")
    layers = []
    for i, ld in enumerate(layers_doc):
        where = f"layer {i}"
        if not isinstance(ld, dict):
            raise FormatError(f"{where}: must be an object")
        act = ld.get("activation")
        if act not in ACTIVATIONS:
            raise FormatError(f"{where}: activation {act!r:.20} is not one of {', '.join(ACTIVATIONS)}")
        out_dim = _int_field(ld, "out_dim", where)
        weights, bias = ld.get("weights"), ld.get("bias")
        if not isinstance(weights, list):
            raise FormatError(f"{where}: 'weights' must be a list of [row, col, NUM]")
        if not isinstance(bias, list) or len(bias) != out_dim:
            raise FormatError(f"{where}: 'bias' must be a list of out_dim = {out_dim} numbers")
        entries = []
        for k, e in enumerate(weights):
            if (not isinstance(e, list) or len(e) != 3 or not isinstance(e[0], int)
                    or not isinstance(e[1], int) or isinstance(e[0], bool) or isinstance(e[1], bool)):
                raise FormatError(f"{where}: weight {k} must be [row, col, NUM], got {e!r:.60}")
            if not (0 <= e[0] < out_dim and 0 <= e[1] < prev):
                raise FormatError(
                    f"{where}: weight {k} at ({e[0]}, {e[1]}) is outside the {out_dim} x {prev} matrix"
                )
            entries.append((e[0], e[1], decode_number(e[2], f"{where} weight {k}")))
        b = [decode_number(v, f"{where} bias {k}") for k, v in enumerate(bias)]
        try:
            layers.append(Layer.from_entries(prev, out_dim, entries, b, act))
        except NetworkError as exc:
            raise FormatError(f"{where}: {exc}") from None
        prev = out_dim
    return Network(doc["input_dim"], tuple(layers), meta)


def save(net: Network, path) -> None:
    """Write ``net`` to ``path`` as a ``memorize-network`` v1 JSON file."""
    with open(path, "w") as fh:
        json.dump(to_dict(net), fh, separators=(",", ":"))
        fh.write("\n")


def load(path, *, max_bytes: int = MAX_FILE_BYTES) -> Network:
    """Read a ``memorize-network`` file; :class:`FormatError` if it is malformed or too large."""
    path = Path(path)
    try:
        size = os.path.getsize(path)
    except OSError as exc:
        raise FormatError(f"cannot read network file {str(path)!r}: {exc.strerror}") from None
    if size > max_bytes:
        raise FormatError(f"network file {str(path)!r} is {size} bytes, above the limit of {max_bytes}")
    try:
        with open(path, "rb") as fh:
            doc = json.loads(fh.read())
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"network file {str(path)!r} is not valid JSON (truncated?): {exc.msg} at char {exc.pos}"
        ) from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormatError(f"network file {str(path)!r} is not valid JSON: {exc}") from None
    return from_dict(doc)
