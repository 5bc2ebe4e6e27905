"""Writing files so that a failure leaves the old file or none, never a part.

Every file mnistbench writes goes through :func:`atomic_write` (or
:func:`atomic_write_text`): a unique temporary file beside the target, flushed
to disk, then renamed over it. Every failure to write becomes a
:class:`WriteError`, one line naming the path and the cause (a full disk, a
read-only file system, a permission, a quota, a name too long), which the
command line prints as is (exit code 2).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from mnistbench.exceptions import MnistbenchError

__all__ = [
    "WriteError",
    "atomic_write",
    "atomic_write_text",
    "cause",
    "check_writable",
    "make_folder",
    "mount_point",
    "write_error",
]


class WriteError(MnistbenchError, OSError):
    """A file or folder could not be written; the message names it and why.

    Also an :class:`OSError` (with the original ``errno``), so code that
    degrades gracefully on an unwritable cache still catches it.
    """


def mount_point(path: str | os.PathLike) -> Path:
    """The mount point of the file system holding ``path`` (or what of it
    exists): the "device" a full disk is named by. Bind mounts count (Linux:
    the longest mount point in ``/proc/self/mounts`` above the path)."""
    p = Path(os.path.abspath(path))
    while not p.exists() and p != p.parent:
        p = p.parent
    p = Path(os.path.realpath(p))
    mounts = _mount_points()
    if mounts:
        for candidate in (p, *p.parents):
            if candidate in mounts:
                return candidate
    while not os.path.ismount(p) and p != p.parent:
        p = p.parent
    return p


def _mount_points() -> set[Path]:
    try:
        with open("/proc/self/mounts", encoding="utf-8", errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return set()
    points = set()
    for line in lines:
        fields = line.split()
        if len(fields) > 1:  # octal escapes: "\040" is a space
            text = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), fields[1])
            points.add(Path(text))
    return points


def cause(path: str | os.PathLike, exc: OSError) -> str:
    """What ``exc``, met at ``path``, means, in a few words: ``no space left
    on /mnt/data``, ``read-only file system (/mnt/ro)``, ``file name too
    long``..."""
    code = exc.errno
    if code == errno.ENOSPC:
        return f"no space left on {mount_point(path)}"
    if code == errno.EDQUOT:
        return f"disk quota exceeded on {mount_point(path)}"
    if code == errno.EROFS:
        return f"read-only file system ({mount_point(path)})"
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if code == errno.ENAMETOOLONG:
        return "file name too long"
    if code == errno.EFBIG:
        return "file too large (a file size limit)"
    return (exc.strerror or str(exc) or type(exc).__name__).lower()


def write_error(
    path: str | os.PathLike, exc: OSError, consequence: str = ""
) -> WriteError:
    """``exc``, raised writing ``path``, as one line: ``CAUSE writing PATH``,
    then ``; consequence`` if given."""
    path = Path(path)
    if isinstance(exc, WriteError):  # already names its path and cause
        text = str(exc)
    else:
        text = f"{cause(path, exc)} writing {path}"
    error = WriteError(f"{text}; {consequence}" if consequence else text)
    error.errno = exc.errno
    return error


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], object]) -> None:
    """Write through a unique temporary file beside ``path``, then rename it.

    ``write(f)`` writes the content into the binary file ``f``. The temporary
    file is flushed to disk before the rename, so readers (and a machine that
    loses power) see the old file or the whole new one, never a part, and
    concurrent writers of the same content are harmless. Unlike mkstemp,
    ``open(..., "xb")`` honours the umask, so a folder shared between users
    stays readable.

    Raises
    ------
    WriteError
        The file could not be written whole (the temporary file is removed
        and ``path`` is as it was).
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        if exc.errno is None:  # numpy: "1000 requested and 0 written"
            exc = _why_short(tmp, exc)
        _remove(tmp)
        raise write_error(path, exc) from None
    except BaseException:
        _remove(tmp)
        raise


def _why_short(tmp: Path, exc: OSError) -> OSError:
    """The errno of a short write that a library reported without one, found
    from the file system and this process's limits while the partial file is
    still there; ``exc`` as it was where nothing explains it."""
    try:
        fs = os.statvfs(tmp.parent)
        size = os.stat(tmp).st_size
    except OSError:
        return exc
    free = fs.f_bfree if hasattr(os, "geteuid") and os.geteuid() == 0 else fs.f_bavail
    code = None
    if fs.f_flag & getattr(os, "ST_RDONLY", 1):
        code = errno.EROFS
    elif free == 0:
        code = errno.ENOSPC
    else:
        try:
            import resource

            limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        except (ImportError, OSError, ValueError):
            limit = -1
        if limit not in (-1, getattr(resource, "RLIM_INFINITY", -1)) and (
            size >= limit
        ):
            code = errno.EFBIG
    return exc if code is None else OSError(code, os.strerror(code))


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` with :func:`atomic_write`."""
    data = text.encode("utf-8")
    atomic_write(path, lambda f: f.write(data))


def make_folder(folder: str | os.PathLike) -> Path:
    """Make ``folder`` and its parents, where need be.

    Raises
    ------
    WriteError
        One line: a file stands where a folder must, or the cause.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise WriteError(f"{_first_file(folder)} is not a folder") from None
    except OSError as exc:
        raise write_error(folder, exc) from None
    return folder


def _first_file(folder: Path) -> Path:
    """The first of ``folder`` and its parents that exists (and, in a
    ``FileExistsError`` from ``mkdir``, is not a folder)."""
    for p in (folder, *folder.parents):
        if p.exists():
            return p
    return folder


def _remove(tmp: Path) -> None:
    # the folder itself may have gone read-only: nothing more to do then
    with contextlib.suppress(OSError):
        tmp.unlink(missing_ok=True)


def check_writable(folder: str | os.PathLike, *files: str, create: bool = True) -> None:
    """Check that a file can be created in ``folder``, and that each of
    ``files`` (names in it) that exists can be written; nothing is left
    behind but ``folder`` itself, made (with its parents) if ``create``.
    Without ``create``, a folder that does not exist yet is judged by the
    nearest one above it that does, where it would be made.

    Raises
    ------
    WriteError
        One line naming the folder or file and the cause.
    """
    folder = Path(folder)
    if create:
        make_folder(folder)
    where = folder
    try:
        while not where.exists() and where != where.parent:
            where = where.parent
    except OSError as exc:  # a name too long, a loop of links
        raise write_error(folder, exc) from None
    if not where.is_dir():
        raise WriteError(f"{where} is not a folder")
    probe = where / f".write-test-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        with open(probe, "xb") as f:
            f.write(b"\n")
            f.flush()
            os.fsync(f.fileno())
    except OSError as exc:
        _remove(probe)
        raise write_error(where, exc) from None
    _remove(probe)
    for name in files:
        path = folder / name
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise write_error(path, exc) from None
        if stat.S_ISDIR(mode):
            check_writable(path, create=False)
            continue
        if not stat.S_ISREG(mode):
            raise WriteError(f"{path} is not a regular file")
        try:
            # O_APPEND writes nothing and changes no time stamp: it only asks
            # the kernel whether this process may write the file.
            fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        except OSError as exc:
            raise write_error(path, exc) from None
        os.close(fd)
