"""Optional dependencies, imported only where a feature needs them.

torch (``memorize[torch]``) and scikit-learn (``memorize[examples]``) are not
needed by the core. A function that needs one imports it through
:func:`require`, so a missing package is a :class:`MissingExtraError` that
names the extra to install, not an ``ImportError`` from deep inside.
"""

from __future__ import annotations

import importlib

from memorize.errors import MemorizeError


class MissingExtraError(MemorizeError, ImportError):
    """An optional dependency is not installed; the message names the extra that provides it."""


def require(module: str, extra: str, feature: str):
    """Import and return ``module``, or raise :class:`MissingExtraError` naming ``extra``."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(
            f"{feature} needs the package {module!r}, which is not installed; "
            f"install it with: pip install 'memorize[{extra}]'"
        ) from None
