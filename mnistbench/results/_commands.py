"""``commands.csv``: the command line of each run that wrote a results folder.

A run started from the command line (``mnistbench run``, ``mnistbench
tune``) appends one row, before its first job's row, whole or not at all
under a file lock as the leaderboard's rows: its ``run_id``, when it started,
the command as typed (arguments quoted for a POSIX shell), the machine and
the mnistbench version. Rows of runs started from Python say so
(``command`` empty). :func:`mnistbench.results.publish` writes the commands
beside the rows they made, so that a reader can run them again.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence

import pandas as pd

from mnistbench.results._trials import _append, _read

__all__ = [
    "COMMANDS",
    "COMMAND_SCHEMA",
    "append_command",
    "command_text",
    "read_commands",
]

COMMANDS = "commands.csv"

COMMAND_SCHEMA: dict[str, type] = {
    "run_id": str,
    "timestamp_utc": str,
    "command": str,
    "host": str,
    "cpu": str,
    "mnistbench_version": str,
}


def command_text(argv: Sequence[str], prog: str = "mnistbench") -> str:
    """``prog`` and ``argv`` as one line a POSIX shell runs as they were."""
    return shlex.join([prog, *map(str, argv)])


def append_command(out: str | os.PathLike, row: dict) -> None:
    """Append one run's row to ``out/commands.csv``, whole or not at all."""
    _append(
        out, COMMANDS, COMMAND_SCHEMA, row, f"the command of run {row.get('run_id')}"
    )


def read_commands(out: str | os.PathLike) -> pd.DataFrame:
    """Every run's command recorded in ``out/commands.csv`` (empty if none),
    one row per run (a run recorded twice keeps its first row)."""
    frame = _read(out, COMMANDS, COMMAND_SCHEMA)
    return frame.drop_duplicates("run_id").reset_index(drop=True)
