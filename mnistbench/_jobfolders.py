"""Job folders: where each job's files lie, and the ones killed processes left.

Each job's files (its payload, result and stderr) lie in a folder of its own
in the temporary folder, ``mnistbench-job-*``, removed when the job ends
(:func:`job_folder`). The folder of a process killed meanwhile (``kill -9``
of a run or of a Dask worker) stays: it names its owner (``owner.json``), so
that the first job a later process starts removes the folders of owners that
no longer live (:func:`remove_stale_job_folders`).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from mnistbench._io import atomic_write_text

__all__ = [
    "JOB_FOLDER_PREFIX",
    "OWNER_FILE",
    "UNRECORDED_AGE_S",
    "job_folder",
    "remove_stale_job_folders",
]

logger = logging.getLogger(__name__)

#: How the name of every job folder begins (in the temporary folder).
JOB_FOLDER_PREFIX = "mnistbench-job-"
#: The file of a job folder that names the process that made it.
OWNER_FILE = "owner.json"
#: A job folder without an owner record (made by an older mnistbench) counts
#: as left behind when nothing in it changed for this many seconds: a day, 24
#: times the default timeout.
UNRECORDED_AGE_S = 86400.0

_swept = False
_sweep_lock = threading.Lock()


def _process(pid: int) -> tuple[bool | None, int | None]:
    """Whether process ``pid`` lives (None: cannot tell), and when it
    started, in clock ticks after boot, where ``/proc`` says (field 22 of
    ``/proc/PID/stat``). A zombie no longer lives."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except FileNotFoundError:
        if os.path.isdir("/proc/self"):
            return False, None
    except OSError:
        pass
    else:
        # Field 2, the command's name, may hold spaces and parentheses.
        fields = stat[stat.rfind(b")") + 2 :].split()
        try:
            return fields[0] not in (b"Z", b"X"), int(fields[19])
        except (IndexError, ValueError):
            return True, None
    if os.name == "nt":  # there os.kill(pid, 0) sends Ctrl-C, probes nothing
        return None, None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False, None
    except OSError:  # another user's process
        pass
    return True, None


def _read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def _owner() -> dict:
    """What identifies this process among all that may share the temporary
    folder: its pid and start time, and where a pid means something (the
    machine, its boot, the pid namespace), each None where unknown."""
    pid = os.getpid()
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = None
    return {
        "pid": pid,
        "start": _process(pid)[1],
        "host": platform.node(),
        "boot": _read("/proc/sys/kernel/random/boot_id"),
        "pid_ns": namespace,
    }


def _gone(owner: dict, here: dict) -> bool:
    """Whether the process ``owner`` names has ended, as far as this process
    (``here``, its :func:`_owner`) can tell; False where it cannot."""
    if owner.get("host") != here["host"]:
        return False  # another machine's processes are out of sight
    boots = owner.get("boot"), here["boot"]
    if None not in boots and boots[0] != boots[1]:
        return True  # the machine restarted since: nothing of before lives
    if owner.get("pid_ns") != here["pid_ns"]:
        return False  # another container's pids are out of sight
    lives, start = _process(owner["pid"])
    if lives is None:
        return False
    if not lives:
        return True
    # The same pid, started at another time: the system gave it to a new
    # process since.
    recorded = owner.get("start")
    return None not in (recorded, start) and recorded != start


def _read_owner(folder: str) -> dict | None:
    """The owner record of job folder ``folder``; None if it has none."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(os.path.join(folder, OWNER_FILE), flags)
        with open(fd, "rb") as f:
            owner = json.loads(f.read(4096))
    except (OSError, ValueError, RecursionError):
        return None
    pid = owner.get("pid") if isinstance(owner, dict) else None
    # (0 and negative pids name process groups to os.kill)
    return owner if type(pid) is int and 0 < pid < 2**31 else None


def _last_change(folder: str) -> float:
    """When ``folder`` or a file in it last changed (seconds after the epoch)."""
    latest = os.lstat(folder).st_mtime
    with os.scandir(folder) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):
                latest = max(latest, entry.stat(follow_symlinks=False).st_mtime)
    return latest


def remove_stale_job_folders(folder: str | os.PathLike | None = None) -> int:
    """Remove the job folders left in ``folder`` (default: the temporary
    folder) by processes that have ended; return how many.

    Each job folder's ``owner.json`` names the process that made it: its
    pid and, on Linux, its start time, machine, boot and pid namespace. A
    folder goes when that process has ended: no process has its pid, or a
    zombie, or one that started at another time (the pid was given to a new
    process since), or the machine has restarted since. It stays wherever
    that cannot be told: made on another machine or in another pid namespace,
    or, where no start time can be read (not Linux), any process has its
    pid. A folder without an owner record (made by an older mnistbench)
    goes once nothing in it changed for :data:`UNRECORDED_AGE_S` seconds.

    Only this user's folders whose names begin with
    :data:`JOB_FOLDER_PREFIX` are looked at, and links are never followed.
    """
    folder = tempfile.gettempdir() if folder is None else os.fspath(folder)
    here = _owner()
    uid = os.getuid() if hasattr(os, "getuid") else None
    now = time.time()
    removed = 0
    try:
        with os.scandir(folder) as scan:
            entries = [e for e in scan if e.name.startswith(JOB_FOLDER_PREFIX)]
    except OSError:
        return 0
    for entry in entries:
        try:
            info = entry.stat(follow_symlinks=False)
            if not entry.is_dir(follow_symlinks=False) or (
                uid is not None and info.st_uid != uid
            ):
                continue
            owner = _read_owner(entry.path)
            if owner is None:
                stale = now - _last_change(entry.path) > UNRECORDED_AGE_S
            else:
                stale = _gone(owner, here)
            if stale:
                # rmtree refuses a link, and follows none inside
                shutil.rmtree(entry.path)
                removed += 1
        except OSError as exc:  # gone meanwhile, or not ours to remove
            logger.debug("left job folder %s: %s", entry.path, exc)
    if removed:
        logger.info(
            "removed %d job folder(s) left in %s by processes that ended",
            removed,
            folder,
        )
    return removed


def _remove_stale_once() -> None:
    """:func:`remove_stale_job_folders`, the first time this process starts
    a job."""
    global _swept
    with _sweep_lock:
        if _swept:
            return
        _swept = True
        try:
            remove_stale_job_folders()
        except Exception as exc:  # tidying up never stops a job
            logger.debug("cannot remove job folders left behind", exc_info=exc)


@contextlib.contextmanager
def job_folder() -> Iterator[Path]:
    """A new job folder, its owner recorded, removed on leaving (the first
    one of a process first removes those that ended processes left)."""
    _remove_stale_once()
    # Cleaning up must not turn a job's result into an exception (a file
    # held open on NFS, say): a folder left behind goes once this process
    # has ended, at the first job of a later one.
    with tempfile.TemporaryDirectory(
        prefix=JOB_FOLDER_PREFIX, ignore_cleanup_errors=True
    ) as tmp:
        tmp = Path(tmp)
        atomic_write_text(tmp / OWNER_FILE, json.dumps(_owner()))
        yield tmp
