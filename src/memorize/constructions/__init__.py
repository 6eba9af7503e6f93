"""Explicit memorizing networks, one function per theorem, and the registry that names them.

Every construction is a function ``build_xxx(X, y, *, seed=None, **options) -> Network``
that returns a network whose output on ``X[i]`` is exactly ``y[i]``. Each
module also provides the paired ``*_counts`` function with the exact sizes its
docstring promises, so the sizes can be checked (and plotted) without building.

    >>> from memorize.constructions import available
    >>> "relu_two_layer" in available()
    True
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from dataclasses import dataclass
from typing import Callable

import numpy as np

from memorize.errors import ConstructionError
from memorize.seeds import check_seed


@dataclass(frozen=True)
class Construction:
    """A registered construction: its name, builder, one-line description and options."""

    name: str
    builder: Callable
    description: str
    theorem: str

    @property
    def options(self) -> dict[str, inspect.Parameter]:
        """Keyword options of the builder (besides ``seed``), with defaults and annotations."""
        params = inspect.signature(self.builder).parameters
        return {k: p for k, p in params.items()
                if p.kind is inspect.Parameter.KEYWORD_ONLY and k not in ("seed", "progress")}

    def parse_option(self, key: str, text: str):
        """Convert the CLI string ``text`` for option ``key`` to the option's type."""
        opts = self.options
        if key not in opts:
            known = ", ".join(opts) or "none"
            raise ConstructionError(f"{self.name} has no option {key!r}; its options are: {known}")
        ann = opts[key].annotation
        kind = ann if isinstance(ann, type) else str(ann)
        try:
            if kind in (int, "int", "int | None"):
                return None if text.lower() == "none" else int(text)
            if kind in (float, "float", "float | None"):
                return None if text.lower() == "none" else float(text)
            if kind in (bool, "bool"):
                if text.lower() in ("1", "true", "yes", "on"):
                    return True
                if text.lower() in ("0", "false", "no", "off"):
                    return False
                raise ValueError(text)
        except ValueError:
            raise ConstructionError(f"option {key}={text!r} of {self.name}: expected {kind}") from None
        return text


_REGISTRY: dict[str, Construction] = {}


def _annotation(param: inspect.Parameter) -> str:
    ann = param.annotation
    return ann.__name__ if isinstance(ann, type) else str(ann)


def check_option(name: str, key: str, value, param: inspect.Parameter):
    """``value`` if it has the type option ``key`` is annotated with, else a :class:`ConstructionError`.

    ``int`` options take integers only (not ``2.7``, not ``True``), ``float``
    options finite real numbers (not the string ``"0.1"``), ``bool`` options
    ``True`` or ``False`` (not ``"no"``) and ``str`` options strings; ``None``
    where the annotation allows it. Ranges are each builder's to check.

    Examples
    --------
    >>> p = inspect.Parameter("k", inspect.Parameter.KEYWORD_ONLY, annotation="int")
    >>> check_option("demo", "k", 2.7, p)
    Traceback (most recent call last):
    ...
    memorize.errors.ConstructionError: option k of demo must be an integer, got 2.7
    """
    kind = _annotation(param)
    if value is None and kind.endswith("| None"):
        return value
    base = kind.removesuffix(" | None")
    ok = {
        "int": isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)),
        "float": (isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
                  and math.isfinite(value)),
        "bool": isinstance(value, (bool, np.bool_)),
        "str": isinstance(value, str),
    }.get(base, True)
    if not ok:
        what = {"int": "an integer", "float": "a finite number", "bool": "True or False",
                "str": "a string"}[base]
        raise ConstructionError(f"option {key} of {name} must be {what}, got {value!r:.40}")
    return value


def register(name: str, description: str, theorem: str):
    """Decorator that registers a builder under ``name`` for the CLI and scripts.

    The registered builder checks ``seed`` (``None``, an integer in
    ``[0, 2^128)`` or a numpy Generator) and the type of every option before
    it runs, however it is called.
    """

    def deco(fn):
        params = inspect.signature(fn).parameters

        @functools.wraps(fn)
        def checked(X, y, **kwargs):
            for key, value in kwargs.items():
                if key == "seed":
                    check_seed(value, ConstructionError)
                elif key in params and params[key].kind is inspect.Parameter.KEYWORD_ONLY:
                    check_option(name, key, value, params[key])
            return fn(X, y, **kwargs)

        _REGISTRY[name] = Construction(name, checked, description, theorem)
        return checked

    return deco


def available() -> list[str]:
    """Names of the registered constructions."""
    return sorted(_REGISTRY)


def get(name: str) -> Construction:
    """The :class:`Construction` registered as ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ConstructionError(
            f"unknown construction {name!r}; available: {', '.join(available())}"
        ) from None


def build(name: str, X, y, *, seed: int | None = 0, **options):
    """Build the construction ``name`` on ``(X, y)``; see each builder for its options.

    ``seed`` (default 0) makes every random choice reproducible; ``None`` draws fresh entropy.
    """
    c = get(name)
    opts = c.options
    for key in options:
        if key not in opts:
            known = ", ".join(opts) or "none"
            raise ConstructionError(f"{name} has no option {key!r}; its options are: {known}")
    return c.builder(X, y, seed=seed, **options)


# Importing the modules registers their constructions.
from memorize.constructions import (  # noqa: E402,F401
    baum,
    bubeck,
    relu_park,
    sublinear,
    three_layer,
    threshold,
    threshold_instance,
    two_layer,
)
