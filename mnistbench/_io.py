"""File helpers shared by the data cache and the results folder."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write through a unique temporary file beside ``path``, then rename it.

    Readers never see a half-written file, and concurrent writers of the same
    content are harmless. Unlike mkstemp, ``open(..., "xb")`` honours the umask,
    so a folder shared between users stays readable.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
