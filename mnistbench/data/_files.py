"""What kind of thing a path names, found with ``stat`` alone, and opening
only regular files.

A FIFO blocks ``open()`` until something writes to it, a character device
such as ``/dev/zero`` reads without end, a socket cannot be read as a file:
none of them is ever opened. Symbolic links are followed, so a link to a
regular file (or folder) is as good as the file.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from mnistbench.exceptions import DataError

__all__ = ["describe_kind", "kind", "open_regular", "regular_file"]

_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def describe_kind(mode: int) -> str:
    """``st_mode`` in words: ``"a FIFO (named pipe)"``, ``"a folder"``..."""
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISDIR(mode):
        return "a folder"
    for test, words in _KINDS:
        if test(mode):
            return words
    return "neither a file nor a folder"


def _unreadable(path: Path, exc: OSError) -> DataError:
    reason = (exc.strerror or str(exc)).lower()
    return DataError(f"{path}: cannot read ({reason})")


def kind(path: str | os.PathLike) -> str | None:
    """``"file"`` (regular), ``"folder"``, or None if nothing is there.

    Raises
    ------
    DataError
        ``path`` is something else (a FIFO, a socket, a device), named by its
        kind, or cannot be looked at (a permission, a symbolic link loop).
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return None
        raise _unreadable(path, exc) from None
    except ValueError:  # a NUL byte in the name
        return None
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "folder"
    raise DataError(f"{path}: {describe_kind(mode)}, not a file or folder")


def regular_file(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a regular file; False if nothing is there.

    Raises
    ------
    DataError
        Something that is not a regular file has the name (a folder, a FIFO,
        a device...), where the caller expects a file.
    """
    found = kind(path)
    if found == "folder":
        raise DataError(f"{path}: a folder, not a file")
    return found == "file"


def open_regular(path: str | os.PathLike) -> BinaryIO:
    """Open ``path`` for binary reading, if it is a regular file.

    The kind is checked with ``stat`` first, so a FIFO or a device is never
    opened; a file swapped for one between the check and the open is still
    caught: the open does not wait (``O_NONBLOCK``) and the opened file is
    checked again.

    Raises
    ------
    DataError
        ``path`` is missing, not a regular file, or cannot be read.
    """
    path = Path(path)
    if not regular_file(path):
        raise DataError(f"{path}: no such file")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _unreadable(path, exc) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise DataError(f"{path}: {describe_kind(mode)}, not a file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
