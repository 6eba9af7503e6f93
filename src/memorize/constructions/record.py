"""One record per construction: builder, citation, guarantee, options, counts and bounds.

A construction module defines its builder and registers it with :func:`register`,
giving everything a reader, the CLI and the tests need about it in one place:

* the citation (paper) and the theorem (its number in the paper), written once;
  the network's ``meta["theorem"]`` and ``memorize info`` read them from here;
* the guarantee in one sentence;
* the options as a declarative table of :class:`Option` (type, range or choices,
  default, meaning). The same table checks every call (however the builder is
  reached), parses the CLI's ``--set key=value``, prints ``memorize info NAME``
  and generates the bad-option tests;
* ``counts(meta)``: the exact sizes of a built network from what it recorded
  (:meth:`Construction.expected_counts`; :func:`memorize.verify.matches_counts`);
* its bounds: :meth:`Construction.bounds` asks :func:`memorize.bounds.bounds_for`,
  the only place that picks a theorem's variant from the options.

Examples
--------
>>> from memorize.constructions import get
>>> rec = get("relu_sublinear")
>>> rec.option("width").check(rec.name, 3)
Traceback (most recent call last):
...
memorize.errors.ConstructionError: option width of relu_sublinear must be at least 4, got 3
>>> rec.parse_option("width", "16")
16
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from memorize.bounds.upper import bounds_for
from memorize.errors import ConstructionError
from memorize.seeds import check_seed

_KINDS = {int: "an integer", float: "a finite number", bool: "True or False", str: "a string"}


def _power(v) -> str:
    """``2^31`` for large powers of two, else the number (for messages and ``info``)."""
    if isinstance(v, int) and v >= 1 << 16 and v & (v - 1) == 0:
        return f"2^{v.bit_length() - 1}"
    return repr(v)


@dataclass(frozen=True)
class Option:
    """One keyword option of a builder: its type, allowed values, default and meaning.

    ``low`` / ``high`` are inclusive bounds, or exclusive where ``open_low`` /
    ``open_high`` say so; ``choices`` lists the allowed strings; ``none``
    allows ``None`` (the builder then chooses).
    """

    name: str
    kind: type
    default: Any
    doc: str
    low: Any = None
    high: Any = None
    open_low: bool = False
    open_high: bool = False
    choices: tuple = ()
    none: bool = False

    def __post_init__(self):
        if self.kind not in _KINDS:
            raise TypeError(f"option {self.name}: kind must be one of int, float, bool, str")

    def allowed(self) -> str:
        """The allowed values in words: ``"int in [4, 2^31] or None"``."""
        text = self.kind.__name__
        if self.choices:
            text = "one of " + ", ".join(repr(c) for c in self.choices)
        elif self.low is not None or self.high is not None:
            lo = "-inf" if self.low is None else _power(self.low)
            hi = "inf" if self.high is None else _power(self.high)
            text += f" in {'(' if self.open_low else '['}{lo}, {hi}{')' if self.open_high else ']'}"
        return text + (" or None" if self.none else "")

    def check(self, owner: str, value):
        """``value`` if allowed, else a :class:`ConstructionError` that says what is allowed."""
        if value is None and self.none:
            return value
        where = f"option {self.name} of {owner}"
        is_bool = isinstance(value, (bool, np.bool_))
        ok = {
            int: isinstance(value, numbers.Integral) and not is_bool,
            float: isinstance(value, numbers.Real) and not is_bool and math.isfinite(value),
            bool: is_bool,
            str: isinstance(value, str),
        }[self.kind]
        if not ok:
            what = _KINDS[self.kind] + (" or None" if self.none else "")
            raise ConstructionError(f"{where} must be {what}, got {value!r:.40}")
        if self.choices and value not in self.choices:
            raise ConstructionError(f"{where} must be {self.allowed()}, got {value!r:.40}")
        if self.low is not None and (value <= self.low if self.open_low else value < self.low):
            word = "greater than" if self.open_low else "at least"
            raise ConstructionError(f"{where} must be {word} {_power(self.low)}, got {value!r}")
        if self.high is not None and (value >= self.high if self.open_high else value > self.high):
            word = "less than" if self.open_high else "at most"
            raise ConstructionError(f"{where} must be {word} {_power(self.high)}, got {value!r}")
        return bool(value) if self.kind is bool else value

    def parse(self, owner: str, text: str):
        """The value of the command-line string ``text`` (``--set name=text``), checked."""
        if self.none and text.lower() == "none":
            return None
        try:
            if self.kind is bool:
                words = {"1": True, "true": True, "yes": True, "on": True,
                         "0": False, "false": False, "no": False, "off": False}
                value = words[text.lower()]
            else:
                value = self.kind(text)
        except (ValueError, KeyError):
            raise ConstructionError(
                f"option {self.name}={text!r} of {owner}: expected {self.allowed()}") from None
        return self.check(owner, value)

    def invalid(self) -> list:
        """Values this option refuses (a wrong type, and each side of its range): what the
        generated bad-option tests pass."""
        bad = ["x" if self.kind is not str else 1.5]
        if not self.none:
            bad.append(None)
        if self.low is not None:
            bad.append(self.low if self.open_low else
                       (self.low - 1 if self.kind is int else self.low - abs(self.low) - 1))
        if self.high is not None:
            bad.append(self.high if self.open_high else
                       (self.high + 1 if self.kind is int else self.high + abs(self.high) + 1))
        if self.choices:
            bad.append("not-" + str(self.choices[0]))
        return bad


@dataclass(frozen=True)
class Construction:
    """A registered construction (see the module docstring); get one with
    :func:`memorize.constructions.get`."""

    name: str
    builder: Callable
    summary: str
    citation: str
    theorem: str
    guarantee: str
    counts: Callable[[dict], dict]
    options: tuple = field(default_factory=tuple)

    @property
    def reference(self) -> str:
        """``citation, theorem``: what ``meta["theorem"]`` of a built network says."""
        return f"{self.citation}, {self.theorem}"

    @property
    def docs(self) -> str:
        """The page with the construction's proof sketch and departures, relative to the
        repository root."""
        return f"docs/theorems/{self.name}.md"

    def option(self, key: str) -> Option:
        """The :class:`Option` called ``key``."""
        for opt in self.options:
            if opt.name == key:
                return opt
        known = ", ".join(o.name for o in self.options) or "none"
        raise ConstructionError(f"{self.name} has no option {key!r}; its options are: {known}")

    def parse_option(self, key: str, text: str):
        """The value of ``--set key=text`` on the command line, checked."""
        return self.option(key).parse(self.name, text)

    def check_options(self, options: dict) -> dict:
        """``options`` checked against the table (unknown keys, types, ranges)."""
        return {key: self.option(key).check(self.name, value) for key, value in options.items()}

    def defaults(self) -> dict:
        """Every option at its default."""
        return {o.name: o.default for o in self.options}

    def expected_counts(self, meta: dict) -> dict:
        """The exact sizes of a network this construction built, from its ``meta``: the
        keys of :meth:`memorize.Network.counts` that the construction's formulas give."""
        if meta.get("construction") != self.name:
            raise ConstructionError(
                f"these counts are {self.name}'s; the network was built by "
                f"{meta.get('construction')!r}")
        return self.counts(meta)

    def bounds(self, options: dict | None = None):
        """The :class:`~memorize.bounds.TheoremBounds` for a network built with ``options``."""
        return bounds_for(self.name, options)


_REGISTRY: dict[str, Construction] = {}


def _check_signature(name: str, fn: Callable, options: tuple) -> None:
    """The builder's keyword options are exactly the table's, with the same defaults (a
    developer's mistake otherwise, caught at import)."""
    params = {k: p for k, p in inspect.signature(fn).parameters.items()
              if p.kind is inspect.Parameter.KEYWORD_ONLY and k not in ("seed", "progress")}
    table = {o.name: o.default for o in options}
    found = {k: p.default for k, p in params.items()}
    if found != table:
        raise TypeError(f"{name}: builder options {found} differ from the option table {table}")


def register(name: str, *, summary: str, citation: str, theorem: str, guarantee: str,
             counts: Callable[[dict], dict], options: tuple = ()):
    """Decorator: register the builder below as construction ``name`` with its record.

    The builder returned checks ``seed`` (``None``, an integer in ``[0, 2^128)``
    or a numpy Generator) and every option against the table before it runs,
    however it is called, so builders do not repeat these checks.
    """
    options = tuple(options)

    def deco(fn):
        _check_signature(name, fn, options)

        @functools.wraps(fn)
        def checked(X, y, **kwargs):
            if "seed" in kwargs:
                check_seed(kwargs["seed"], ConstructionError)
            for key, value in kwargs.items():
                if key not in ("seed", "progress"):
                    record.option(key).check(name, value)
            return fn(X, y, **kwargs)

        record = Construction(name, checked, summary, citation, theorem, guarantee, counts, options)
        _REGISTRY[name] = record
        return checked

    return deco


def available() -> list[str]:
    """Names of the registered constructions.

    >>> "relu_two_layer" in available()
    True
    """
    return sorted(_REGISTRY)


def get(name: str) -> Construction:
    """The :class:`Construction` registered as ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConstructionError(
            f"unknown construction {name!r}; available: {', '.join(available())}"
        ) from None
