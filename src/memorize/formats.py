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
truncated or oversized input with a :class:`~memorize.errors.FormatError`;
the limits below are part of the format (``docs/format.md``).
"""

from __future__ import annotations

import json
import math
from fractions import Fraction

import gmpy2
import numpy as np

from memorize.errors import FormatError, NetworkError
from memorize.files import read_bounded, write_atomic
from memorize.network import ACTIVATIONS, Layer, Network

FORMAT = "memorize-network"
VERSION = 1

MAX_FILE_BYTES = 1 << 28  # default read limit (parsed JSON takes ~15x the bytes); load(..., max_bytes=...)
MAX_NUMBER_HEX_DIGITS = 1 << 22  # 16 Mbit per numerator or denominator
MAX_DIM = 1 << 24  # units of one layer, and the input dimension
MAX_LAYERS = 1 << 16
MAX_META_DEPTH = 32  # nesting of lists and objects inside "meta"

_TOP_KEYS = {"format", "version", "input_dim", "layers", "meta"}
_LAYER_KEYS = {"activation", "out_dim", "weights", "bias", "connections"}
_HEX = frozenset("0123456789abcdefABCDEF")


def encode_number(v) -> str:
    """The ``NUM`` string of an exact rational."""
    if isinstance(v, int):
        return ("-" if v < 0 else "") + hex(abs(v))
    num = ("-" if v.numerator < 0 else "") + hex(abs(v.numerator))
    return num if v.denominator == 1 else f"{num}/{hex(v.denominator)}"


def _hex_digits(text: str, where: str, s: str) -> str:
    if not text or not _HEX.issuperset(text):
        raise FormatError(f"{where}: {s[:40]!r} is not a number like \"0x1f\" or \"-0x3/0x4\"")
    if len(text) > MAX_NUMBER_HEX_DIGITS:
        raise FormatError(f"{where}: number has more than {MAX_NUMBER_HEX_DIGITS} hex digits")
    return text


def decode_number(s, where: str = "number"):
    """Parse a ``NUM`` string to ``int`` or ``Fraction``; :class:`FormatError` if malformed.

    The whole string must be the number (no spaces, no newline); a fraction must
    be reduced and have a denominator above 1. Parsing is linear in the digits
    and the gcd of a fraction is gmpy2's (subquadratic), so no number makes
    loading slow.

    Examples
    --------
    >>> decode_number("-0x3/0x4")
    Fraction(-3, 4)
    >>> decode_number("0x3/0x1")
    Traceback (most recent call last):
    ...
    memorize.errors.FormatError: number: '0x3/0x1' has denominator 1; write the integer '0x3'
    """
    if not isinstance(s, str):
        raise FormatError(f"{where}: expected a hex string like \"0x1f\", got {type(s).__name__} {s!r:.40}")
    body = s[1:] if s.startswith("-") else s
    num, slash, den = body.partition("/")
    if not num.startswith("0x") or (slash and not den.startswith("0x")):
        raise FormatError(f"{where}: {s[:40]!r} is not a number like \"0x1f\" or \"-0x3/0x4\"")
    p = int(_hex_digits(num[2:], where, s), 16)
    if s.startswith("-"):
        p = -p
    if not slash:
        return p
    q = int(_hex_digits(den[2:], where, s), 16)
    if q == 0:
        raise FormatError(f"{where}: zero denominator in {s[:40]!r}")
    if q == 1:
        raise FormatError(f"{where}: {s[:40]!r} has denominator 1; write the integer {num[:40]!r}")
    if gmpy2.gcd(p, q) != 1:
        raise FormatError(f"{where}: fraction {s[:40]!r} is not reduced")
    return _coprime_fraction(p, q)


def _coprime_fraction(p: int, q: int) -> Fraction:
    """``Fraction(p, q)`` for coprime ``p, q > 1`` without Fraction's own (quadratic) gcd."""
    make = getattr(Fraction, "_from_coprime_ints", None)  # Python 3.12+
    return make(p, q) if make is not None else Fraction(p, q, _normalize=False)


def jsonable(obj, depth: int = 0):
    """``obj`` as JSON values: numpy scalars as numbers, Fractions as ``NUM``, non-finite floats as strings.

    Raises :class:`NetworkError` for values JSON cannot hold (a set, say) and
    for nesting deeper than :data:`MAX_META_DEPTH`.

    Examples
    --------
    >>> jsonable({"r": float("inf"), "q": Fraction(1, 3), "n": np.int64(2)})
    {'r': 'inf', 'q': '0x1/0x3', 'n': 2}
    """
    if depth > MAX_META_DEPTH:
        raise NetworkError(f"meta is nested deeper than {MAX_META_DEPTH} levels")
    if isinstance(obj, dict):
        return {str(k): jsonable(v, depth + 1) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v, depth + 1) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, Fraction):
        return encode_number(obj)
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    if obj is None or isinstance(obj, (str, int, float)):
        return obj
    raise NetworkError(
        f"meta holds a {type(obj).__name__} ({obj!r:.40}), which JSON cannot store; "
        "use lists, dicts, strings and numbers"
    )


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
        if layer.connections != layer.nonzero_params:  # placed zeros: say how many were placed
            layers[-1]["connections"] = layer.connections
    return {"format": FORMAT, "version": VERSION, "input_dim": net.input_dim,
            "layers": layers, "meta": jsonable(net.meta)}


def _int_field(obj: dict, key: str, where: str, lo: int = 1, hi: int = MAX_DIM) -> int:
    v = obj.get(key)
    if not isinstance(v, int) or isinstance(v, bool) or not lo <= v <= hi:
        raise FormatError(f"{where}: '{key}' must be an integer in [{lo}, {hi}], got {v!r:.40}")
    return v


def _check_keys(obj: dict, allowed: set, where: str) -> None:
    extra = sorted(set(obj) - allowed)
    if extra:
        raise FormatError(f"{where}: unknown field {extra[0]!r:.40}; allowed: {', '.join(sorted(allowed))}")


def _check_depth(value, limit: int, where: str) -> None:
    """Iteratively (no recursion) check that lists and objects nest at most ``limit`` deep."""
    stack = [(value, 0)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, (dict, list)):
            if depth >= limit:
                raise FormatError(f"{where} is nested deeper than {limit} levels")
            stack.extend((c, depth + 1) for c in (v.values() if isinstance(v, dict) else v))


def _layer_entries(weights: list, out_dim: int, prev: int, where: str) -> list:
    entries, seen = [], set()
    for k, e in enumerate(weights):
        if (not isinstance(e, list) or len(e) != 3 or type(e[0]) is not int or type(e[1]) is not int):
            raise FormatError(f"{where}: weight {k} must be [row, col, NUM], got {e!r:.60}")
        if not (0 <= e[0] < out_dim and 0 <= e[1] < prev):
            raise FormatError(
                f"{where}: weight {k} at ({e[0]}, {e[1]}) is outside the {out_dim} x {prev} matrix"
            )
        if (e[0], e[1]) in seen:
            raise FormatError(f"{where}: weight {k} gives position ({e[0]}, {e[1]}) twice; list each position once")
        seen.add((e[0], e[1]))
        entries.append((e[0], e[1], decode_number(e[2], f"{where} weight {k}")))
    return entries


def from_dict(doc) -> Network:
    """Rebuild a :class:`Network` from the dict of a ``memorize-network`` file.

    Enforces ``docs/format.md`` exactly: the fields and only them, ``version``
    the integer 1, each weight position at most once, canonical numbers, and
    the size limits (:data:`MAX_DIM` units per layer, :data:`MAX_LAYERS` layers,
    ``meta`` nested at most :data:`MAX_META_DEPTH` deep).
    """
    if not isinstance(doc, dict):
        raise FormatError("a memorize-network file must hold a JSON object")
    if doc.get("format") != FORMAT:
        raise FormatError(f"not a {FORMAT} file (format field is {doc.get('format')!r:.40})")
    if type(doc.get("version")) is not int or doc["version"] != VERSION:
        raise FormatError(
            f"unsupported {FORMAT} version {doc.get('version')!r:.20}; this memorize reads version {VERSION}"
        )
    _check_keys(doc, _TOP_KEYS, "file")
    prev = _int_field(doc, "input_dim", "file")
    layers_doc = doc.get("layers")
    if not isinstance(layers_doc, list) or not layers_doc:
        raise FormatError("file: 'layers' must be a non-empty list")
    if len(layers_doc) > MAX_LAYERS:
        raise FormatError(f"file: {len(layers_doc)} layers, above the limit of {MAX_LAYERS}")
    meta = doc.get("meta", {})
    if not isinstance(meta, dict):
        raise FormatError("file: 'meta' must be an object")
    _check_depth(meta, MAX_META_DEPTH, "file: 'meta'")
    layers = []
    for i, ld in enumerate(layers_doc):
        where = f"layer {i}"
        if not isinstance(ld, dict):
            raise FormatError(f"{where}: must be an object")
        _check_keys(ld, _LAYER_KEYS, where)
        act = ld.get("activation")
        if not isinstance(act, str) or act not in ACTIVATIONS:
            raise FormatError(f"{where}: activation {act!r:.20} is not one of {', '.join(ACTIVATIONS)}")
        out_dim = _int_field(ld, "out_dim", where)
        weights, bias = ld.get("weights"), ld.get("bias")
        if not isinstance(weights, list):
            raise FormatError(f"{where}: 'weights' must be a list of [row, col, NUM]")
        if not isinstance(bias, list) or len(bias) != out_dim:
            raise FormatError(f"{where}: 'bias' must be a list of out_dim = {out_dim} numbers")
        entries = _layer_entries(weights, out_dim, prev, where)
        b = [decode_number(v, f"{where} bias {k}") for k, v in enumerate(bias)]
        placed = _int_field(ld, "connections", where, 0, 1 << 62) if "connections" in ld else None
        try:
            layers.append(Layer.from_entries(prev, out_dim, entries, b, act, placed))
        except NetworkError as exc:
            raise FormatError(f"{where}: {exc}") from None
        prev = out_dim
    return Network(doc["input_dim"], tuple(layers), meta)


def _no_duplicates(pairs: list) -> dict:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        dup = next(k for i, k in enumerate(keys) if k in keys[:i])
        raise FormatError(f"key {dup!r:.40} appears twice in one JSON object")
    return dict(pairs)


def _no_constant(name: str):
    raise FormatError(f"{name} is not a JSON value (write non-finite numbers as strings)")


def save(net: Network, path) -> None:
    """Write ``net`` to ``path`` as a ``memorize-network`` v1 JSON file, atomically.

    The file is written to a temporary file in the same folder and renamed, so
    an error (an unwritable folder, a ``meta`` value JSON cannot hold) never
    leaves a truncated file behind.
    """
    if not isinstance(net, Network):
        raise NetworkError(f"expected a memorize Network, got {type(net).__name__}")
    text = json.dumps(to_dict(net), separators=(",", ":"), allow_nan=False) + "\n"
    write_atomic(path, text.encode("ascii"), "network file", FormatError)


def load(path, *, max_bytes: int = MAX_FILE_BYTES) -> Network:
    """Read a ``memorize-network`` file; :class:`FormatError` if it is malformed or too large.

    Only a regular file is opened (never a directory, FIFO or device), and at
    most ``max_bytes`` bytes are read.

    Examples
    --------
    >>> load("/dev/zero")
    Traceback (most recent call last):
    ...
    memorize.errors.FormatError: network file '/dev/zero' is a device, not a regular file
    """
    raw = read_bounded(path, max_bytes, "network file", FormatError)
    name = str(path)
    try:
        doc = json.loads(raw, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise FormatError(
            f"network file {name!r} is not valid JSON (truncated?): {exc.msg} at char {exc.pos}"
        ) from None
    except RecursionError:
        raise FormatError(f"network file {name!r} nests lists or objects too deeply") from None
    except FormatError as exc:
        raise FormatError(f"network file {name!r}: {exc}") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormatError(f"network file {name!r} is not valid JSON: {exc}") from None
    return from_dict(doc)
