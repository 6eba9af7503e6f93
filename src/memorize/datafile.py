"""Data files: ``.npz`` archives holding arrays ``X`` and ``y``, read within a size limit.

An ``.npz`` file is a zip archive of ``.npy`` arrays, possibly compressed, so
a small file can expand to gigabytes. Each array's header (dtype and shape)
is read first and its size checked against ``max_bytes`` before any of its
data is; object arrays (pickles) are refused. Only a regular file is opened.
"""

from __future__ import annotations

import zipfile
import zlib

import numpy as np

from memorize.data import validate
from memorize.errors import DataError
from memorize.files import checked_path

MAX_DATA_BYTES = 1 << 30  # default limit on the file and on each array once decompressed
_HINT = "save the data with np.savez(path, X=X, y=y)"
# What zipfile raises on damaged archives (RuntimeError: an encrypted member;
# NotImplementedError: an unknown zip version or compression method).
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError,
               RuntimeError)


def _read_member(archive: zipfile.ZipFile, name: str, path, max_bytes: int) -> np.ndarray:
    fmt = np.lib.format
    with archive.open(name) as fh:
        try:
            version = fmt.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = fmt.read_array_header_1_0(fh)
            else:
                shape, fortran, dtype = fmt.read_array_header_2_0(fh)
        except ValueError as exc:
            raise DataError(f"{path}: array {name[:-4]} has a malformed header ({exc}); {_HINT}") from None
        if dtype.hasobject:
            raise DataError(f"{path}: array {name[:-4]} holds Python objects (a pickle), which is "
                            f"never loaded; store numbers only ({_HINT})")
        size = dtype.itemsize
        for s in shape:
            size *= s
        if size > max_bytes:
            raise DataError(f"{path}: array {name[:-4]} of shape {shape} and dtype {dtype} takes {size} "
                            f"bytes, above the limit of {max_bytes}")
        data = fh.read(size + 1)
    if len(data) != size:
        raise DataError(f"{path}: array {name[:-4]} is truncated or has trailing bytes; {_HINT}")
    array = np.frombuffer(data, dtype=dtype)
    return array.reshape(shape[::-1]).T if fortran else array.reshape(shape)


def load_data(path, *, max_bytes: int = MAX_DATA_BYTES) -> tuple[np.ndarray, np.ndarray]:
    """``X`` and ``y`` from an ``.npz`` file, validated (:func:`memorize.data.validate`).

    Parameters
    ----------
    path : str or path-like
    max_bytes : int
        The largest file, and the largest array once decompressed, that is read.

    Raises
    ------
    DataError
        if the file is missing, not a regular file, not an ``.npz`` archive with
        arrays ``X`` and ``y``, too large, or holds invalid data.

    Examples
    --------
    >>> load_data("/dev/zero")
    Traceback (most recent call last):
    ...
    memorize.errors.DataError: data file '/dev/zero' is a device, not a regular file
    """
    path = checked_path(path, "data file", DataError)
    if path.stat().st_size > max_bytes:
        raise DataError(f"data file {str(path)!r} is above the limit of {max_bytes} bytes")
    with open(path, "rb") as fh:
        magic = fh.read(6)
    if magic == b"\x93NUMPY":
        raise DataError(f"{path} is a single .npy array; the data file must be an .npz archive: {_HINT}")
    try:
        archive = zipfile.ZipFile(path)
    except _ZIP_ERRORS as exc:
        raise DataError(f"{path} is not an .npz archive ({exc}); {_HINT}") from None
    with archive:
        names = set(archive.namelist())
        missing = [k for k in ("X", "y") if f"{k}.npy" not in names]
        if missing:
            raise DataError(f"{path}: missing array(s) {', '.join(missing)}; {_HINT}")
        try:
            X, y = (_read_member(archive, f"{k}.npy", path, max_bytes) for k in ("X", "y"))
        except DataError:
            raise
        except _ZIP_ERRORS as exc:
            raise DataError(f"{path} is a damaged .npz archive ({exc}); {_HINT}") from None
    return validate(X, y)

