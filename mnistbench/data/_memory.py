"""How much memory this process may still take, so that data too big for it
is refused in one line before anything is allocated.

What is available is the smallest of what limits the process: the memory
the kernel can give (``MemAvailable`` in ``/proc/meminfo``), the limit of its
control group (cgroup v2 ``memory.max`` minus ``memory.current``, v1
``memory.limit_in_bytes`` minus ``memory.usage_in_bytes``, on every level
up to the root, the group's reclaimable file cache counted as free), and
its address space and data segment limits (``RLIMIT_AS``, ``RLIMIT_DATA``)
minus what it already uses. Other systems report their available physical
memory through psutil where installed, else the physical memory.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import NamedTuple

from mnistbench.exceptions import DataError

__all__ = ["Available", "available_memory", "check_memory", "gb"]

# cgroup v1 writes "no limit" as a huge number (PAGE_COUNTER_MAX pages).
_NO_LIMIT = 1 << 60


class Available(NamedTuple):
    """Bytes this process may still allocate, and what limits them."""

    bytes: int
    limit: str


def gb(n: float) -> str:
    """Bytes in words for a message: ``"10.5 GB"``, ``"820 MB"``."""
    if n >= 1e9:
        return f"{n / 1e9:.1f} GB"
    if n >= 1e6:
        return f"{n / 1e6:.0f} MB"
    return f"{n / 1e3:.0f} kB"


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except (OSError, ValueError):
        return None


def _fields(text: str | None) -> dict[str, int]:
    """``key value [kB]`` lines (meminfo, status, memory.stat) as bytes."""
    out = {}
    for line in (text or "").splitlines():
        parts = line.replace(":", " ").split()
        if len(parts) >= 2 and parts[1].isdigit():
            unit = 1024 if len(parts) > 2 and parts[2] == "kB" else 1
            out[parts[0]] = int(parts[1]) * unit
    return out


def _meminfo(proc: Path) -> Available | None:
    info = _fields(_read(proc / "meminfo"))
    if "MemAvailable" in info:
        return Available(info["MemAvailable"], "MemAvailable")
    if "MemFree" in info:  # kernels before 3.14
        return Available(info["MemFree"] + info.get("Cached", 0), "MemFree")
    return None


def _cgroup_left(folder: Path, v2: bool) -> int | None:
    names = (
        ("memory.max", "memory.current", "inactive_file")
        if v2
        else ("memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file")
    )
    limit = (_read(folder / names[0]) or "").strip()
    if not limit.isdigit() or int(limit) >= _NO_LIMIT:
        return None  # "max", absent, or v1's "unlimited"
    used = (_read(folder / names[1]) or "").strip()
    if not used.isdigit():
        return None
    cache = _fields(_read(folder / "memory.stat")).get(names[2], 0)
    return max(0, int(limit) - max(0, int(used) - cache))


def _cgroup_base(root: Path, v2: bool) -> Path | None:
    """Where the hierarchy is mounted: v1's memory controller, or v2 alone
    or beside v1 (the hybrid layout's ``unified``)."""
    if not v2:
        return root / "memory" if (root / "memory").is_dir() else None
    for base in (root, root / "unified"):
        if (base / "cgroup.controllers").exists():
            return base
    return None


def _cgroup(proc: Path, root: Path) -> Available | None:
    """The tightest memory limit of this process's control groups, less what
    each group uses."""
    best = None
    for line in (_read(proc / "self" / "cgroup") or "").splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        v2 = parts[1] == ""
        if not v2 and "memory" not in parts[1].split(","):
            continue
        base = _cgroup_base(root, v2)
        if base is None:
            continue
        # Walk from the group up to the root: a parent's limit binds too. In
        # a container the group's path may not exist from inside: then the
        # mounted root (the container's own group) is what there is.
        folder = base / parts[2].strip().strip("/")
        folders = [folder, *folder.parents] if folder.is_dir() else [base]
        for f in folders:
            left = _cgroup_left(f, v2)
            if left is not None and (best is None or left < best.bytes):
                best = Available(left, "cgroup memory limit")
            if f == base:
                break
    return best


def _rlimits(proc: Path) -> list[Available]:
    try:
        import resource
    except ImportError:  # Windows
        return []
    status = _fields(_read(proc / "self" / "status"))
    used_as, used_data = status.get("VmSize"), status.get("VmData")
    if used_as is None:
        try:
            import psutil

            used_as = psutil.Process().memory_info().vms
        except Exception:  # noqa: BLE001 (not installed, or not permitted)
            used_as = 0
    out = []
    for name, used in (("RLIMIT_AS", used_as), ("RLIMIT_DATA", used_data)):
        which = getattr(resource, name, None)
        if which is None:
            continue
        soft = resource.getrlimit(which)[0]
        if soft != resource.RLIM_INFINITY and soft >= 0:
            out.append(Available(max(0, soft - (used or 0)), name))
    return out


def _elsewhere() -> Available | None:
    """Available memory where there is no ``/proc/meminfo``."""
    try:
        import psutil

        return Available(int(psutil.virtual_memory().available), "available memory")
    except Exception:  # noqa: BLE001 (not installed, or not permitted)
        pass
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    return Available(pages, "physical memory") if pages > 0 else None


def available_memory(
    proc: str | os.PathLike = "/proc", cgroup_root: str | os.PathLike = "/sys/fs/cgroup"
) -> Available | None:
    """The memory this process may still allocate, and what limits it (see
    the module's docstring); None if nothing can tell."""
    proc, root = Path(proc), Path(cgroup_root)
    found = [_meminfo(proc)] if sys.platform.startswith("linux") else []
    if not any(found):
        found = [_elsewhere()]
    found += [_cgroup(proc, root), *_rlimits(proc)]
    found = [a for a in found if a is not None]
    return min(found, key=lambda a: a.bytes) if found else None


def check_memory(need: int, what: str) -> None:
    """Refuse, in one line, ``need`` bytes that this process cannot allocate.

    ``what`` starts the message: ``"PATH: the images"`` gives ``"PATH: the
    images need 10.5 GB in memory, 3.1 GB is available (MemAvailable)"``.

    Raises
    ------
    DataError
        ``need`` is more than :func:`available_memory`.
    """
    free = available_memory()
    if free is not None and need > free.bytes:
        raise DataError(
            f"{what} need {gb(need)} in memory, {gb(free.bytes)} is available "
            f"({free.limit})"
        )
