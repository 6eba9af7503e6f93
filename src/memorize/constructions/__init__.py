"""Explicit memorizing networks, one module per theorem, and the registry that names them.

Every construction is a function ``build_NAME(X, y, *, seed=0, **options) -> Network``
in the module ``memorize.constructions.NAME``, registered as ``NAME`` with its
:class:`~memorize.constructions.record.Construction` record (citation, guarantee,
option table, exact counts, bounds). It returns a network whose output on ``X[i]``
is exactly ``y[i]``. The layer-building parts they share are in
:mod:`memorize.constructions.gadgets`.

    >>> from memorize import data, verify
    >>> from memorize.constructions import available, build, get
    >>> "relu_two_layer" in available()
    True
    >>> X, y = data.random_separated(30, 3, delta=0.05, num_classes=3, seed=0)
    >>> net = build("relu_two_layer", X, y)
    >>> verify.is_memorizing(net, X, y), verify.matches_counts(net)
    (True, True)
"""

from __future__ import annotations

from memorize.constructions.record import Construction, Option, available, get, register


def build(name: str, X, y, *, seed: int | None = 0, **options):
    """Build the construction ``name`` on ``(X, y)``; see each builder for its options.

    ``seed`` (default 0) makes every random choice reproducible; ``None`` draws fresh entropy.
    """
    return get(name).builder(X, y, seed=seed, **options)


# Importing the modules registers their constructions.
from memorize.constructions import (  # noqa: E402,F401
    relu_bubeck,
    relu_park,
    relu_sublinear,
    relu_three_layer,
    relu_two_layer,
    threshold_instance,
    threshold_one_hidden,
    threshold_sublinear,
)

__all__ = ["Construction", "Option", "available", "build", "get", "register"]
