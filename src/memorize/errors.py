"""One exception family for every user-facing error.

Each message says what is wrong and how to fix it; the CLI prints it on one
line and exits with status 2.
"""


class MemorizeError(Exception):
    """Base class of every error this package raises on bad input."""


class DataError(MemorizeError, ValueError):
    """The data set (X, y) is malformed or violates a construction's assumptions."""


class NetworkError(MemorizeError, ValueError):
    """A network is malformed: bad shapes, unknown activation, non-rational weight."""


class FormatError(MemorizeError, ValueError):
    """A network file is malformed, truncated, of an unknown version or too large."""


class ConstructionError(MemorizeError, ValueError):
    """A construction cannot be built: unknown name, bad option, or a precondition fails."""


class ArgumentError(MemorizeError, ValueError):
    """A function argument is of the wrong type or out of range (a callback that is not callable, say)."""


class WorkerError(MemorizeError, RuntimeError):
    """Parallel verification could not finish: a worker died or a scheduler is unreachable.

    No verdict is given then; the message says which points were left unchecked.
    """
