"""Reader and writer of the IDX format of LeCun's MNIST files.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
dimensions), one big-endian uint32 per dimension, then the values, big-endian, in
C order. Files named ``*.gz`` are gzip-compressed.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from pathlib import Path

import numpy as np

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


def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


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
            with open(path, "rb") as f:
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


@_guard
def read_idx_header(path: str | os.PathLike) -> tuple[np.dtype, tuple[int, ...]]:
    """Return the dtype and shape an IDX file declares, reading only its header."""
    with _open(path) as f:
        return _header(f, path)


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
        header, a truncated or non-gzip ``.gz`` file.
    """
    with _open(path) as f:
        dtype, shape = _header(f, path)
        n_bytes = math.prod(shape) * dtype.itemsize
        on_disk = path.stat().st_size
        limit = on_disk * _MAX_DEFLATE_RATIO if path.suffix == ".gz" else on_disk
        if n_bytes > limit:
            raise DataError(
                f"{path}: header declares shape {shape} ({n_bytes} bytes of data), "
                f"more than a {on_disk}-byte file can hold"
            )
        data = f.read(n_bytes)
        if len(data) < n_bytes:
            raise DataError(
                f"{path}: header declares shape {shape} ({n_bytes} bytes of data) "
                f"but the file holds only {len(data)}"
            )
        if f.read(1):
            raise DataError(
                f"{path}: file is longer than its header declares (shape {shape})"
            )
    array = np.frombuffer(data, dtype).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)


def write_idx(array: np.ndarray, path: str | os.PathLike) -> Path:
    """Write ``array`` as an IDX file; a name ending in ``.gz`` is compressed.

    The gzip header carries no timestamp, so equal arrays give equal bytes.
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
    if path.suffix == ".gz":
        with (
            open(path, "wb") as raw,
            gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as f,
        ):
            f.write(header + body)
    else:
        path.write_bytes(header + body)
    return path
