"""Reader and writer of the IDX format of LeCun's MNIST files.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
dimensions), one big-endian uint32 per dimension, then the values, big-endian, in
C order. Files named ``*.gz`` are gzip-compressed.
"""

from __future__ import annotations

import contextlib
import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

from mnistbench._io import atomic_write
from mnistbench.data._files import open_regular
from mnistbench.data._memory import check_memory
from mnistbench.exceptions import DataError

__all__ = ["IDX_DTYPES", "read_idx", "read_idx_header", "write_idx"]

#: IDX type code -> numpy dtype (big-endian, as stored in the file).
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}

# deflate cannot expand data more than ~1032:1, so a header that declares more
# than this many bytes per compressed byte lies, whatever the gzip says.
_MAX_DEFLATE_RATIO = 1100
# Payloads are read in pieces of this size into an array allocated once.
_CHUNK = 1 << 22


@contextlib.contextmanager
def _open(path: Path):
    """``path`` (a regular file, never a FIFO or device) for reading, through
    gzip if named ``.gz``; also its size on disk."""
    with open_regular(path) as raw:
        size = os.fstat(raw.fileno()).st_size
        if path.suffix != ".gz":
            yield raw, size
            return
        with gzip.GzipFile(fileobj=raw, mode="rb") as f:
            yield f, size


def _header(f, path: Path) -> tuple[np.dtype, tuple[int, ...]]:
    magic = f.read(4)
    if not magic:
        raise DataError(f"{path}: empty file")
    if len(magic) == 4 and magic[2:] == b"\0\0" and magic[1] in IDX_DTYPES:
        raise DataError(
            f"{path}: little-endian IDX header (magic bytes {magic.hex()}); IDX "
            "stores the magic number and dimensions big-endian"
        )
    if len(magic) < 4 or magic[0] != 0 or magic[1] != 0 or magic[3] == 0:
        raise DataError(
            f"{path}: not an IDX file (magic bytes {magic.hex() or 'none'})"
        )
    code, ndim = magic[2], magic[3]
    if code not in IDX_DTYPES:
        raise DataError(f"{path}: unknown IDX type code 0x{code:02x}")
    raw = f.read(4 * ndim)
    if len(raw) < 4 * ndim:
        raise DataError(f"{path}: IDX header cut short ({ndim} dimensions declared)")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4"))
    if shape and max(shape) >= 1 << 24 and max(np.frombuffer(raw, "<u4")) < 1 << 24:
        raise DataError(
            f"{path}: little-endian IDX dimensions (read big-endian: {shape}); IDX "
            "stores them big-endian"
        )
    return IDX_DTYPES[code], shape


def _guard(func):
    """Turn the gzip module's errors into one-line DataErrors naming the file."""

    def wrapper(path, *args, **kwargs):
        path = Path(path)
        try:
            return func(path, *args, **kwargs)
        except gzip.BadGzipFile:
            with open_regular(path) as f:
                start = f.read(16)
            raise DataError(
                f"{path}: not a gzip file although named .gz (starts with {start!r})"
            ) from None
        except EOFError:
            raise DataError(
                f"{path}: truncated gzip (the stream ends before its end marker)"
            ) from None
        except zlib.error as exc:
            raise DataError(f"{path}: corrupt gzip data ({exc})") from None
        except OSError as exc:
            raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None

    wrapper.__doc__ = func.__doc__
    wrapper.__name__ = func.__name__
    return wrapper


def _declared(f, path: Path, on_disk: int) -> tuple[np.dtype, tuple[int, ...], int]:
    """The header's dtype and shape, and the bytes of data they declare: no
    more than the file can hold (deflate expands ~1032:1 at most)."""
    dtype, shape = _header(f, path)
    n_bytes = math.prod(shape) * dtype.itemsize
    limit = on_disk * _MAX_DEFLATE_RATIO if path.suffix == ".gz" else on_disk
    if n_bytes > limit:
        raise DataError(
            f"{path}: header declares shape {shape} ({n_bytes} bytes of data), "
            f"more than a {on_disk}-byte file can hold"
        )
    return dtype, shape, n_bytes


@_guard
def read_idx_header(path: str | os.PathLike) -> tuple[np.dtype, tuple[int, ...]]:
    """Return the dtype and shape an IDX file declares, reading only its header
    (a shape more than the file can hold is refused)."""
    with _open(path) as (f, on_disk):
        return _declared(f, path, on_disk)[:2]


@_guard
def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed) into a numpy array.

    Decompression stops at the size the header declares, so a small file that
    inflates without end (a gzip bomb) cannot fill memory.

    Parameters
    ----------
    path : str or path-like
        The file; a name ending in ``.gz`` is decompressed.

    Returns
    -------
    numpy.ndarray
        The values, in native byte order, with the declared shape.

    Raises
    ------
    DataError
        Wrong magic number or type code, a length that does not match the
        header, a truncated or non-gzip ``.gz`` file, data that do not fit in
        the memory available (refused before any is read), a path that is not
        a regular file.
    """
    with _open(path) as (f, on_disk):
        dtype, shape, n_bytes = _declared(f, path, on_disk)
        swap = dtype.itemsize > 1 and not dtype.isnative
        check_memory(n_bytes * (2 if swap else 1), f"{path}: the data of shape {shape}")
        data = _read_exactly(f, n_bytes)
        if len(data) < n_bytes:
            raise DataError(
                f"{path}: header declares shape {shape} ({n_bytes} bytes of data) "
                f"but the file holds only {len(data)}"
            )
        # One byte more: gzip inflates at most a buffer's worth past the end.
        if f.read(1):
            raise DataError(
                f"{path}: file is longer than its header declares (shape {shape})"
            )
    array = data.view(dtype).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)


def _read_exactly(f, n_bytes: int) -> np.ndarray:
    """Up to ``n_bytes`` of ``f`` into one array allocated up front (no
    second copy), never reading past them."""
    out = np.empty(n_bytes, np.uint8)
    view = memoryview(out)
    got = 0
    while got < n_bytes:
        n = f.readinto(view[got : got + _CHUNK])
        if not n:
            return out[:got]
        got += n
    return out


def write_idx(array: np.ndarray, path: str | os.PathLike) -> Path:
    """Write ``array`` as an IDX file; a name ending in ``.gz`` is compressed.

    The gzip header carries no timestamp, so equal arrays give equal bytes.
    The file is written whole or not at all (a temporary file beside it,
    then renamed).

    Raises
    ------
    DataError
        A dtype or a dimension count that IDX cannot store.
    mnistbench._io.WriteError
        The file cannot be written (one line: the path and the cause).
    """
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _CODES:
        raise DataError(f"{path}: IDX cannot store dtype {array.dtype}")
    if array.ndim == 0 or array.ndim > 255:
        raise DataError(f"{path}: IDX needs 1 to 255 dimensions, got {array.ndim}")
    code = _CODES[native]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    body = np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    path = Path(path)
    content = header + body
    if path.suffix == ".gz":

        def write(raw):
            with gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as f:
                f.write(content)

    else:

        def write(raw):
            raw.write(content)

    atomic_write(path, write)
    return path
