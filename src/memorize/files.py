"""Bounded reads and atomic writes: how every file the package touches is opened.

Reading refuses what is not a regular file (a directory, a FIFO that would
block, a device such as ``/dev/zero`` that never ends) *before* opening it,
and reads at most ``max_bytes`` (one byte more tells a file that grew past the
limit). Writing goes to a temporary file in the target's folder, renamed over
the target only once complete, so a failed save never leaves a truncated file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def checked_path(path, what: str, error) -> Path:
    """``path`` as a :class:`Path` if it names an existing regular file, else ``error``.

    Examples
    --------
    >>> checked_path("/", "network file", ValueError)
    Traceback (most recent call last):
    ...
    ValueError: network file '/' is a directory, not a regular file
    """
    if path is None or not isinstance(path, (str, os.PathLike)):
        raise error(f"{what}: expected a file path, got {type(path).__name__}")
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise error(f"cannot read {what} {str(path)!r}: not found") from None
    except OSError as exc:
        raise error(f"cannot read {what} {str(path)!r}: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        raise error(f"{what} {str(path)!r} is {_kind(mode)}, not a regular file")
    return path


def read_bounded(path, max_bytes: int, what: str, error) -> bytes:
    """The bytes of the regular file ``path``, or ``error`` if it has more than ``max_bytes``.

    Examples
    --------
    >>> read_bounded("/dev/zero", 10, "data file", ValueError)
    Traceback (most recent call last):
    ...
    ValueError: data file '/dev/zero' is a device, not a regular file
    """
    path = checked_path(path, what, error)
    size = path.stat().st_size
    if size > max_bytes:  # refused unread (a sparse file of gigabytes costs nothing here)
        raise error(f"{what} {str(path)!r} is {size} bytes, above the limit of {max_bytes} bytes")
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise error(f"cannot read {what} {str(path)!r}: {exc.strerror}") from None
    if len(data) > max_bytes:
        raise error(f"{what} {str(path)!r} is above the limit of {max_bytes} bytes")
    return data


def check_writable(path, what: str, error) -> Path:
    """``path`` if a file can be written there: its folder exists and it is not a directory.

    Examples
    --------
    >>> check_writable("/no/such/folder/net.json", "output file", ValueError)
    Traceback (most recent call last):
    ...
    ValueError: output file '/no/such/folder/net.json': folder '/no/such/folder' does not exist
    """
    if path is None or not isinstance(path, (str, os.PathLike)):
        raise error(f"{what}: expected a file path, got {type(path).__name__}")
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise error(f"{what} {str(path)!r}: folder {str(folder)!r} does not exist")
    if path.is_dir():
        raise error(f"{what} {str(path)!r} is a directory; give a file name")
    if path.exists() and not path.is_file():
        raise error(f"{what} {str(path)!r} exists and is not a regular file")
    return path


def write_atomic(path, data: bytes, what: str, error) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    path = check_writable(path, what, error)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise error(f"cannot write {what} {str(path)!r}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates the file private; give it the permissions open() would have
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise error(f"cannot write {what} {str(path)!r}: {exc.strerror}") from None
        raise
