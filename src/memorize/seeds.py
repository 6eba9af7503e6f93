"""Random seeds: what every seeded function of the package accepts."""

from __future__ import annotations

import numbers

import numpy as np

MAX_SEED = (1 << 128) - 1  # numpy's SeedSequence takes any non-negative int; this bounds its cost


def check_seed(seed, error=ValueError):
    """Return ``seed`` if it is ``None``, an integer in ``[0, 2^128)`` or a numpy ``Generator``.

    Parameters
    ----------
    seed : object
        The value to check.
    error : type
        The exception class raised (a :class:`~memorize.errors.MemorizeError` subclass).

    Examples
    --------
    >>> check_seed(3)
    3
    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    ValueError: seed must be None or an integer in [0, 2^128), got -1
    """
    if seed is None or isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, numbers.Integral) and not isinstance(seed, (bool, np.bool_)) and 0 <= seed <= MAX_SEED:
        return int(seed)
    raise error(f"seed must be None or an integer in [0, 2^128), got {seed!r:.40}")
