"""memorize: explicit memorizing networks, checked exactly.

Build a network that outputs ``y[i]`` on ``X[i]`` for every point, count it,
verify it in exact integer arithmetic and compare it with its theorem::

    >>> import memorize
    >>> X, y = memorize.data.random_separated(50, 3, delta=0.1, num_classes=4, seed=0)
    >>> net = memorize.build("relu_two_layer", X, y)
    >>> memorize.verify.verify(net, X, y).ok
    True
"""

from memorize import data, formats
from memorize.constructions import available, build, get
from memorize.errors import (
    ArgumentError,
    ConstructionError,
    DataError,
    FormatError,
    MemorizeError,
    NetworkError,
)
from memorize.network import Layer, Network
from memorize import verify

__all__ = [
    "ArgumentError",
    "ConstructionError",
    "DataError",
    "FormatError",
    "Layer",
    "MemorizeError",
    "Network",
    "NetworkError",
    "available",
    "build",
    "data",
    "formats",
    "get",
    "verify",
]
__version__ = "0.1.0"
