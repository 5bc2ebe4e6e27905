"""The files of a merge (:mod:`mnistbench.results._merge`): reading each
folder's tables, strictly, and writing the merged ones whole or not at all.

Every new or changed file is first written to a hidden folder inside the
output, then moved into place, the tables last (the leaderboard the very
last); a failure at any step undoes the steps before it, so the output is
left as it was.
"""

from __future__ import annotations

import csv
import filecmp
import hashlib
import logging
import math
import os
import re
import secrets
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath, PureWindowsPath

from mnistbench import __version__
from mnistbench._io import WriteError, cause, make_folder, write_error
from mnistbench.exceptions import MnistbenchError
from mnistbench.results._commands import COMMAND_SCHEMA, COMMANDS
from mnistbench.results._machines import machine_labels
from mnistbench.results._read import read_leaderboard
from mnistbench.results._robustness import ROBUSTNESS, ROBUSTNESS_SCHEMA
from mnistbench.results._schema import (
    COLUMNS,
    LEADERBOARD,
    OLDER_HEADERS,
    SCHEMA,
    _format,
    _header,
    _none,
    row_line,
)
from mnistbench.results._trials import REFIT_SCHEMA, REFITS, TRIAL_SCHEMA, TRIALS, _read

__all__ = [
    "TABLES",
    "Folder",
    "MergeError",
    "Placer",
    "checked_inputs",
    "read_folder",
    "unmake",
    "write_staged",
]

logger = logging.getLogger(__name__)

#: The tables beside the leaderboard: name -> (schema, the columns that tell
#: rows apart, None for the whole row; the columns of the leaderboard rows
#: that own a row, which go with them when ``keep`` drops them).
TABLES = {
    TRIALS: (TRIAL_SCHEMA, None, ("run_id", "search_id")),
    REFITS: (REFIT_SCHEMA, None, ("run_id", "search_id")),
    ROBUSTNESS: (
        ROBUSTNESS_SCHEMA,
        ("run_id", "job_key", "corruption", "severity", "source"),
        ("run_id", "job_key"),
    ),
    COMMANDS: (COMMAND_SCHEMA, None, ("run_id",)),
}
_SCHEMAS = {**{name: t[0] for name, t in TABLES.items()}, LEADERBOARD: SCHEMA}


class MergeError(MnistbenchError, ValueError):
    """Folders that cannot be merged; the message says why, in one line."""


def checked_inputs(inputs, out: Path) -> list[Path]:
    """``inputs`` as paths, each a results folder, none twice, none ``out``."""
    if not inputs:
        raise MergeError("no folder to merge: name one or more results folders")
    if out.exists() and not out.is_dir():
        raise MergeError(f"{out} is not a folder")
    real_out, seen = Path(os.path.realpath(out)), {}
    for path in map(Path, inputs):
        real = Path(os.path.realpath(path))
        if real == real_out:
            raise MergeError(
                f"{out} is the output; it is merged into already, do not list "
                "it as an input"
            )
        if not path.is_dir():
            why = "not a folder" if path.exists() else "no such folder"
            raise MergeError(f"{path}: {why}")
        if not (path / LEADERBOARD).is_file():
            raise MergeError(f"{path}: not a results folder (no {LEADERBOARD})")
        if real in seen:
            raise MergeError(
                f"{seen[real]} and {path} are the same folder; name each once"
            )
        if real in real_out.parents or real_out in real.parents:
            raise MergeError(
                f"{path} and the output {out} are one inside the other; merge "
                "into a folder outside the inputs"
            )
        seen[real] = path
    return list(seen.values())


@dataclass
class Folder:
    """A results folder's rows, as :func:`read_folder` reads them."""

    path: Path
    index: int  # 0: the output
    rows: list[dict]
    machines: list[str]
    tables: dict[str, list[dict]]
    has_board: bool


def read_folder(path: Path, index: int) -> Folder:
    """The rows of the results folder ``path`` (none if it does not exist),
    read strictly; ``index`` is its place in the merge, 0 the output. An
    input's predictions paths must stay inside it."""
    path = Path(path)
    _check_version(path / LEADERBOARD, {COLUMNS, *OLDER_HEADERS})
    for name, (schema, *_) in TABLES.items():
        _check_version(path / name, {tuple(schema)})
    frame = read_leaderboard(path)
    tables = {name: _records(_read(path, name, t[0])) for name, t in TABLES.items()}
    folder = Folder(
        path,
        index,
        _records(frame),
        list(machine_labels(frame)),
        tables,
        (path / LEADERBOARD).exists(),
    )
    for rec in (*folder.rows, *(r for t in tables.values() for r in t)):
        rel = rec.get("predictions")
        if index and rel and not _inside(rel):
            raise MergeError(
                f"{path}: the row of job {rec.get('job_key')} (run "
                f"{rec.get('run_id')}) points outside its folder ({rel!r}); fix "
                "or delete that row"
            )
    return folder


def _records(frame) -> list[dict]:
    """The rows of ``frame`` as dicts, missing values None."""
    return [
        {
            c: None if isinstance(v, float) and math.isnan(v) else _none(v)
            for c, v in rec.items()
        }
        for rec in frame.to_dict("records")
    ]


def _inside(rel: str) -> bool:
    """Whether the relative path ``rel`` stays inside its folder."""
    posix = PurePosixPath(rel)
    return not (
        posix.is_absolute()
        or PureWindowsPath(rel).drive
        or "\\" in rel
        or ".." in posix.parts
    )


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text)[:3])


def _check_version(path: Path, known: set[tuple]) -> None:
    """Refuse a table of a newer mnistbench by name; any other unknown header
    is left to the reader, whose error says what is wrong."""
    try:
        if not path.is_file() or _header(path) in known:
            return
        with open(path, newline="", encoding="utf-8-sig", errors="replace") as f:
            reader = csv.reader(f)
            header = next(reader, [])
            if "mnistbench_version" not in header:
                return
            at = header.index("mnistbench_version")
            found = {row[at] for row in reader if len(row) > at and row[at]}
    except (OSError, csv.Error):
        return
    newest = max(found, key=_version, default="")
    if newest and _version(newest) > _version(__version__):
        raise MergeError(
            f"{path}: written by mnistbench {newest}, newer than this one "
            f"({__version__}); upgrade mnistbench to merge it"
        )


class Placer:
    """Where each input's predictions files go in the output: the same path,
    unless another file is there (then a name with the file's hash)."""

    def __init__(self, out: Path, warn: bool):
        self.out, self.warn = out, warn
        self.files: list[tuple[Path, str]] = []
        self.taken: dict[str, Path] = {}
        self.done: dict[tuple, str | None] = {}

    def place(self, folder: Folder, rec: dict) -> dict:
        rel = rec.get("predictions")
        if not rel:
            return rec
        if (folder.index, rel) not in self.done:
            self.done[folder.index, rel] = self._dest(folder.path / rel, rel)
        return {**rec, "predictions": self.done[folder.index, rel]}

    def _dest(self, src: Path, rel: str) -> str | None:
        if not src.is_file():
            if self.warn:
                logger.warning("%s: no such file; its row is merged without it", src)
            return None
        candidate, n = rel, 0
        while True:
            there = self.taken.get(candidate)
            if there is None and os.path.lexists(self.out / candidate):
                there = self.out / candidate
            if there is None:
                self.taken[candidate] = src
                self.files.append((src, candidate))
                return candidate
            if _same_bytes(src, there):
                return candidate
            n += 1
            path = PurePosixPath(rel)
            tag = _sha256(src)[:8] + (f"-{n}" if n > 1 else "")
            candidate = path.with_name(f"{path.stem}-{tag}{path.suffix}").as_posix()


def _same_bytes(a: Path, b: Path) -> bool:
    try:
        return filecmp.cmp(a, b, shallow=False)
    except OSError:
        return False


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise MergeError(f"{path}: cannot read ({cause(path, exc)})") from None


def write_staged(
    tables: dict[str, list[dict]],
    files: Sequence[tuple[Path, str]],
    out: Path,
    link: bool,
    consequence: str,
) -> tuple[int, int]:
    """Write ``tables`` (name -> every row, in the order they are placed) and
    the predictions ``files`` ((source, path in ``out``)) into ``out``: each
    staged in a hidden folder there, then moved into place, the tables last;
    any failure undoes what was placed and raises (``consequence`` ends a
    write error's message). Returns how many files were linked and copied."""
    if not files and not tables:
        return 0, 0
    stage = out / f".merge-{os.getpid()}-{secrets.token_hex(4)}"
    undo: list[Callable[[], object]] = []
    counts = [0, 0]
    try:
        make_folder(stage)
        staged = []
        for n, (src, rel) in enumerate(files):
            counts[_link_or_copy(src, stage / f"{n}.npy", link)] += 1
            staged.append((stage / f"{n}.npy", out / rel))
        for name, rows in tables.items():
            schema = _SCHEMAS[name]
            data = _format(schema) + b"".join(row_line(r, schema) for r in rows)
            with open(stage / name, "xb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        for tmp, dest in staged:
            undo += _make_parents(dest.parent, out)
            if os.path.lexists(dest):
                raise WriteError(f"{dest} appeared while merging")
            os.replace(tmp, dest)
            undo.append(partial(os.unlink, dest))
        for name in tables:
            dest, was = out / name, stage / f"{name}.was"
            if os.path.lexists(dest):
                _link_or_copy(dest, was, True)
                undo.append(partial(os.replace, was, dest))
            else:
                undo.append(partial(os.unlink, dest))
            os.replace(stage / name, dest)
    except BaseException as exc:
        for step in reversed(undo):
            try:
                step()
            except OSError as why:
                logger.error("merge into %s: could not undo a step (%s)", out, why)
        if isinstance(exc, OSError):
            raise write_error(exc.filename or out, exc, consequence) from None
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return counts[0], counts[1]


def _link_or_copy(src: Path, dst: Path, link: bool) -> int:
    """Hard-link (0) or, where that fails or ``link`` is false, copy (1)."""
    if link:
        try:
            os.link(src, dst)
            return 0
        except OSError:
            pass  # another file system, or one without hard links
    try:
        source = open(src, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise MergeError(f"{src}: cannot read ({cause(src, exc)})") from None
    with source, open(dst, "xb") as f:
        shutil.copyfileobj(source, f)
        f.flush()
        os.fsync(f.fileno())
    return 1


def _make_parents(folder: Path, out: Path) -> list[Callable[[], object]]:
    """Make ``folder`` (inside ``out``) and its missing parents; return how
    to remove them again."""
    undo = []
    for path in reversed([folder, *folder.parents]):
        if out not in path.parents or path.is_dir():
            continue
        if os.path.lexists(path):
            raise WriteError(f"{path} is not a folder")
        path.mkdir()
        undo.append(partial(os.rmdir, path))
    return undo


def unmake(out: Path, made: list[Path]) -> None:
    """Remove the output folder (and its parents) that a failed merge made."""
    if not made:
        return
    try:
        (out / (LEADERBOARD + ".lock")).unlink(missing_ok=True)
        for path in made:
            path.rmdir()
    except OSError:
        pass  # something else wrote there meanwhile: leave it
