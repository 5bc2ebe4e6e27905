"""Reading NumPy's files: a folder of ``.npy`` files (MNIST-C's layout) and a
``.npz`` (Keras's ``mnist.npz`` layout), with their shared header parsing.

Each ``.npy`` header is read and checked before its data: against the file's
(or the member's) size, and for pickled objects, which are never loaded.
What the headers declare must fit in the memory available, as read and as
float32, before any array is read; ``.npy`` files are memory-mapped.
"""

from __future__ import annotations

import math
import os
import tokenize
import zipfile
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np

from mnistbench.data._check import pixels_need
from mnistbench.data._files import open_regular
from mnistbench.data._memory import check_memory
from mnistbench.data._raw import Raw
from mnistbench.exceptions import DataError

__all__ = ["NPZ_KEYS", "NpyHeader", "map_npy", "read_npy", "read_npz"]

#: The arrays of a ``.npz``, Keras's ``mnist.npz`` names.
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


# --- .npy files ------------------------------------------------------------------


class NpyHeader(NamedTuple):
    """What a ``.npy`` header declares, and where its data starts."""

    dtype: np.dtype
    shape: tuple[int, ...]
    fortran_order: bool
    offset: int

    @property
    def n_bytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


def _npy_header(f, size: int, where: str, holder: str = "file") -> NpyHeader:
    """The header of the ``.npy`` that starts at ``f``, ``size`` bytes long:
    read before its data, checked against its size and for pickles."""
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise DataError(f"{where}: .npy format version {version} not supported")
    except (ValueError, SyntaxError, TypeError, tokenize.TokenError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{where}: not a readable .npy ({reason})") from None
    header = NpyHeader(dtype, tuple(shape), fortran, f.tell())
    if dtype.hasobject:
        raise DataError(
            f"{where}: holds pickled Python objects, which mnistbench does not "
            "load (they can run code); save plain numeric arrays"
        )
    if header.offset + header.n_bytes > size:
        raise DataError(
            f"{where}: header declares shape {header.shape} ({header.n_bytes} bytes "
            f"of data) but the {holder} holds only {max(0, size - header.offset)}"
        )
    return header


def map_npy(path: Path) -> tuple[np.ndarray, NpyHeader]:
    """The array of the ``.npy`` file ``path``, memory-mapped read-only (no
    pickles, nothing read but the header), and its header.

    Raises
    ------
    DataError
        Not a ``.npy``, pickled objects, data shorter or longer than the
        header declares, a path that is not a regular file.
    """
    try:
        with open_regular(path) as f:
            size = os.fstat(f.fileno()).st_size
            header = _npy_header(f, size, str(path))
            if header.offset + header.n_bytes < size:
                raise DataError(
                    f"{path}: file is longer than its header declares (shape "
                    f"{header.shape})"
                )
            if header.n_bytes == 0:  # mmap cannot map nothing
                return np.empty(header.shape, header.dtype), header
            mapped = np.memmap(
                f,
                dtype=header.dtype,
                mode="r",
                offset=header.offset,
                shape=header.shape,
                order="F" if header.fortran_order else "C",
            )
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return np.asarray(mapped), header


def _check_npy(role: str, path: Path, a: np.ndarray) -> None:
    if role.endswith("images"):
        if a.dtype.kind not in "uif" or not (
            a.ndim == 3 or (a.ndim == 4 and a.shape[3] == 1)
        ):
            raise DataError(
                f"{path}: {a.dtype} array of shape {a.shape}; expected images, "
                "numbers (uint8) of shape (n, height, width) or (n, height, width, 1)"
            )
    elif a.dtype.kind not in "ui" or a.ndim != 1:
        raise DataError(
            f"{path}: {a.dtype} array of shape {a.shape}; expected labels, integers "
            "of shape (n,)"
        )


def read_npy(files: dict[str, Path]) -> Raw:
    """The arrays memory-mapped, their headers checked, and their float32
    copies judged against the memory available before any is made: mapped
    pages are the file's (the page cache's), never a second copy."""
    arrays = {role: map_npy(path)[0] for role, path in files.items()}
    need = 0
    for role, a in arrays.items():
        _check_npy(role, files[role], a)
        if role.endswith("labels"):
            images = arrays[role.replace("labels", "images")]
            if len(a) != len(images):
                name = files[role.replace("labels", "images")].name
                raise DataError(
                    f"{files[role]}: {len(a)} labels for {len(images)} images in {name}"
                )
            need += len(a) * np.dtype(np.int64).itemsize
        else:
            need += pixels_need(a.size, split="test_images" not in files)
    check_memory(need, f"{files['train_images']}: the images")
    return Raw.by_role(arrays, files)


# --- .npz -----------------------------------------------------------------------


def _member_header(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str):
    """The dtype and shape a member's ``.npy`` header declares."""
    with zf.open(info) as member:
        header = _npy_header(member, info.file_size, where, holder="member")
    return header.dtype, header.shape


def read_npz(path: Path) -> Raw:
    """Every member's header first: what they declare must fit in memory, as
    read and as float32, before any array is read."""
    try:
        with open_regular(path) as f, zipfile.ZipFile(f) as zf:
            members = {}
            for info in zf.infolist():
                name = info.filename
                members.setdefault(name[:-4] if name.endswith(".npy") else name, info)
            keys = set(members)
            missing = [k for k in ("x_train", "y_train") if k not in keys]
            if missing or (("x_test" in keys) != ("y_test" in keys)):
                raise DataError(
                    f"{path}: expected the arrays {', '.join(NPZ_KEYS)} (Keras's "
                    f"mnist.npz layout; the test pair may be left out), found "
                    f"{', '.join(sorted(keys)) or 'none'}"
                )
            keys = [k for k in NPZ_KEYS if k in keys]
            need = 0
            for key in keys:
                dtype, shape = _member_header(zf, members[key], f"{path} ({key})")
                need += math.prod(shape) * dtype.itemsize
                if key.startswith("x_"):
                    need += pixels_need(math.prod(shape), split="x_test" not in keys)
            check_memory(need, f"{path}: the arrays")
            arrays = {}
            for key in keys:
                with zf.open(members[key]) as member:
                    arrays[key] = np.lib.format.read_array(member, allow_pickle=False)
    except DataError:
        raise
    except (ValueError, zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
        raise DataError(f"{path}: not a readable .npz ({exc})") from None
    return Raw(
        arrays["x_train"],
        arrays["y_train"],
        arrays.get("x_test"),
        arrays.get("y_test"),
        where={k.replace("x_", "X_"): f"{path} ({k})" for k in NPZ_KEYS},
    )
