"""Merging results folders made on other machines (or by other engines) into one.

:func:`merge` adds the rows of folders A, B... to folder C, with the
predictions files they point to, so that one report (``mnistbench report
--out C``) covers them all. Every row keeps its columns, its machine's
included; a row already in C is not added again, so merging twice changes
nothing. The tables beside the leaderboard (``trials.csv``, ``refits.csv``,
``robustness.csv``, ``commands.csv``) are merged the same way. Figures
(``plots/``) and reports are not copied: they are drawn again from the rows.
The files are read and written by :mod:`mnistbench.results._merge_io`.
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from mnistbench._io import make_folder
from mnistbench.results._merge_io import (
    TABLES,
    Folder,
    MergeError,
    Placer,
    checked_inputs,
    read_folder,
    unmake,
    write_staged,
)
from mnistbench.results._schema import LEADERBOARD, row_line
from mnistbench.results._write import _locked

__all__ = ["KEEP", "MergeError", "MergeSummary", "merge"]

logger = logging.getLogger(__name__)

#: How a conflict (one job, one machine, other predictions) may be resolved.
KEEP = ("both", "first", "newest")


@dataclass(frozen=True)
class MergeSummary:
    """What :func:`merge` did.

    Attributes
    ----------
    out : pathlib.Path
        The merged folder.
    added : dict
        Input folder (as given) -> leaderboard rows added from it.
    already_present : int
        Input rows that the output (or an earlier input) already had.
    cross_machine : list of tuple
        (dataset, pipeline, seed) of each job that ran on two or more
        machines in the merged folder.
    conflicts_resolved : int
        Jobs that one machine ran with other predictions in two folders,
        resolved by ``keep``.
    dropped : int
        Rows ``keep`` left out (or removed from the output).
    linked, copied : int
        Predictions files hard-linked or copied into the output.
    machines : list of str
        The machines of the merged folder's rows, as
        :func:`~mnistbench.results.machine_labels` names them.
    """

    out: Path
    added: dict[str, int]
    already_present: int = 0
    cross_machine: list[tuple] = field(default_factory=list)
    conflicts_resolved: int = 0
    dropped: int = 0
    linked: int = 0
    copied: int = 0
    machines: list[str] = field(default_factory=list)

    @property
    def rows_added(self) -> int:
        """Leaderboard rows added, from every input."""
        return sum(self.added.values())


def merge(
    inputs: Sequence[str | os.PathLike],
    out: str | os.PathLike,
    *,
    keep: str | None = None,
    link: bool = True,
) -> MergeSummary:
    """Merge the results folders ``inputs`` into ``out``.

    ``out`` is made if need be; if it is a results folder, its rows stay
    and the inputs' are added. The inputs are only read. A row is known by
    its ``run_id`` and ``job_key``: one ``out`` already has is not added
    again. The same job on two machines keeps both rows. The same job run
    twice on one machine keeps both rows if both predicted the same;
    otherwise (or if a predictions file is missing) it is a conflict, which
    only ``keep`` resolves. Each predictions file goes to the same path in
    ``out`` (renamed if another file is there). The merge is whole or
    nothing, under ``out``'s leaderboard lock: a failure leaves ``out`` as
    it was (but for an empty lock file) or, if it was made, removes it.
    Plots and reports are not copied; ``mnistbench report --out OUT`` draws
    them again.

    Parameters
    ----------
    inputs : sequence of str or path-like
        Results folders (each with a ``leaderboard.csv``), in order.
    out : str or path-like
        The merged folder; none of ``inputs``, nor inside one.
    keep : {"both", "first", "newest"}, optional
        How to resolve conflicts: keep both rows; the row of the first
        folder (``out``'s, then the inputs' in order); the row with the
        latest ``timestamp_utc``. Without it a conflict refuses the merge.
    link : bool, default True
        Hard-link predictions files (copied where links fail); False
        copies them.

    Returns
    -------
    MergeSummary

    Raises
    ------
    MergeError
        Nothing to merge, a folder named twice, ``out`` among the inputs, an
        input that is not a results folder, datasets of one name with other
        data, a table of a newer mnistbench, a predictions path outside its
        folder, or conflicts without ``keep``. Nothing is written.
    LeaderboardError
        A table that cannot be read. Nothing is written.
    WriteError
        A file could not be written (the message names it and why).
    """
    if keep not in (None, *KEEP):
        raise ValueError(f"keep={keep!r}: expected one of {KEEP}")
    if isinstance(inputs, str | os.PathLike):
        inputs = [inputs]
    out = Path(out)
    sources = [read_folder(p, i) for i, p in enumerate(checked_inputs(inputs, out), 1)]
    made = [p for p in (out, *out.parents) if not p.exists()]
    if made:  # every refusal comes before the folder is made
        _plan([read_folder(out, 0), *sources], keep, warn=False)
    consequence = f"nothing was merged; {out} is as it was"
    make_folder(out)
    try:
        with _locked(out / LEADERBOARD, consequence):
            folders = [read_folder(out, 0), *sources]
            plan = _plan(folders, keep, warn=True)
            linked, copied = write_staged(
                plan.tables, plan.files, out, link, consequence
            )
    except BaseException:
        unmake(out, made)
        raise
    for folder, n in zip(sources, plan.added):
        logger.info("%s: %d row(s) merged into %s", folder.path, n, out)
    return MergeSummary(
        out=out,
        added={str(f.path): n for f, n in zip(sources, plan.added)},
        already_present=plan.present,
        cross_machine=_cross_machine(plan.kept),
        conflicts_resolved=plan.resolved,
        dropped=plan.dropped,
        linked=linked,
        copied=copied,
        machines=list(dict.fromkeys(r.machine for r in plan.kept)),
    )


def _check_data(folders: list[Folder], warn: bool) -> None:
    """One dataset name, one data: every ``data_sha256`` of a name equal."""
    first: dict[str, tuple[str, Path]] = {}
    for folder in folders:
        unchecked: dict[str, int] = defaultdict(int)
        for rec in folder.rows:
            name, sha = rec["dataset"], rec["data_sha256"]
            if not sha:
                unchecked[name] += 1
                continue
            sha0, where = first.setdefault(name, (sha, folder.path))
            if sha != sha0:
                raise MergeError(
                    f"dataset {name!r} is other data in {where} (sha256 "
                    f"{sha0[:12]}...) than in {folder.path} ({sha[:12]}...); merge "
                    "results of the same data only"
                )
        for name, n in unchecked.items():
            if warn and folder.index:
                logger.warning(
                    "%s: %d row(s) of %s have no data_sha256 (an older "
                    "mnistbench): their data cannot be checked",
                    folder.path,
                    n,
                    name,
                )


class _Row(NamedTuple):
    src: int  # the folder's index
    pos: int  # the row's place in that folder's leaderboard
    rec: dict
    machine: str


@dataclass
class _Plan:
    kept: list[_Row]
    tables: dict[str, list[dict]]  # each table to write whole, leaderboard last
    files: list[tuple[Path, str]]  # (source file, path in the output)
    added: list[int]
    present: int
    resolved: int
    dropped: int


def _plan(folders: list[Folder], keep: str | None, warn: bool) -> _Plan:
    """What merging ``folders`` (the output first) writes; refuses what
    cannot be merged."""
    _check_data(folders, warn)
    rows, seen, present = [], set(), 0
    for folder in folders:
        keys = set()
        for pos, (rec, machine) in enumerate(zip(folder.rows, folder.machines)):
            key = (rec["run_id"], rec["job_key"])
            keys.add(key)
            if folder.index and key in seen:
                present += 1
            else:
                rows.append(_Row(folder.index, pos, rec, machine))
        seen |= keys
    conflicts = _conflicts(rows, folders)
    if conflicts and keep is None:
        raise MergeError(_conflict_text(conflicts, folders))
    drop = _resolve(conflicts, keep)
    kept = [r for r in rows if (r.src, r.pos) not in drop]
    gone = [r for r in rows if (r.src, r.pos) in drop]
    placer = Placer(folders[0].path, warn)
    tables = {}
    for name in TABLES:
        merged = _merge_table(folders, name, gone, kept, placer)
        if merged is not None:
            tables[name] = merged
    if (
        any(r.src for r in kept)
        or any(not r.src for r in gone)
        or not (folders[0].has_board)
    ):
        tables[LEADERBOARD] = [
            placer.place(folders[r.src], r.rec) if r.src else r.rec for r in kept
        ]
    added = [sum(r.src == f.index for r in kept) for f in folders[1:]]
    return _Plan(kept, tables, placer.files, added, present, len(conflicts), len(gone))


def _conflicts(rows: list[_Row], folders: list[Folder]) -> list[list[_Row]]:
    """Ok rows of one job and machine from two or more folders that did not
    all predict the same (or whose predictions cannot be read)."""
    groups = defaultdict(list)
    for row in rows:
        if row.rec["status"] == "ok":
            groups[(row.rec["job_key"], row.machine)].append(row)
    found = []
    for group in groups.values():
        if len({r.src for r in group}) < 2:
            continue
        preds = [_load(folders[r.src].path, r.rec["predictions"]) for r in group]
        if any(p is None for p in preds) or not all(
            np.array_equal(preds[0], p) for p in preds[1:]
        ):
            found.append(group)
    return found


def _load(folder: Path, rel: str | None) -> np.ndarray | None:
    if not rel:
        return None
    try:
        return np.load(folder / rel, allow_pickle=False)
    except Exception:  # noqa: BLE001 - any damage means "cannot be checked"
        return None


def _conflict_text(conflicts: list[list[_Row]], folders: list[Folder]) -> str:
    shown = []
    for group in conflicts[:3]:
        rec = group[0].rec
        where = " and ".join(dict.fromkeys(str(folders[r.src].path) for r in group))
        shown.append(
            f"{rec['dataset']}/{rec['pipeline']} seed {rec['seed']} (job "
            f"{rec['job_key']}) in {where}"
        )
    more = f" and {len(conflicts) - 3} more" if len(conflicts) > 3 else ""
    return (
        f"{len(conflicts)} job(s) ran on the same machine in two folders with "
        f"other (or unreadable) predictions: {'; '.join(shown)}{more}; pass "
        "--keep both|first|newest to merge anyway"
    )


def _resolve(conflicts: list[list[_Row]], keep: str | None) -> set[tuple]:
    """The (folder, position) of the rows ``keep`` leaves out."""
    drop = set()
    for group in conflicts:
        if keep == "first":
            first = min(r.src for r in group)
            drop |= {(r.src, r.pos) for r in group if r.src != first}
        elif keep == "newest":
            win = max(group, key=lambda r: (r.rec["timestamp_utc"] or "", -r.src))
            drop |= {(r.src, r.pos) for r in group if r is not win}
    return drop


def _merge_table(folders, name, gone, kept, placer) -> list[dict] | None:
    """``name``'s rows in the output, or None if they are as they were."""
    schema, ident, owner = TABLES[name]
    owners = {tuple(r.rec.get(c) for c in owner) for r in gone} - {
        tuple(r.rec.get(c) for c in owner) for r in kept
    }
    rows, seen, changed = [], set(), False
    for folder in folders:
        keys = set()
        for rec in folder.tables[name]:
            if tuple(rec[c] for c in owner) in owners:
                changed = changed or not folder.index
                continue
            key = tuple(rec[c] for c in ident) if ident else row_line(rec, schema)
            keys.add(key)
            if folder.index:
                if key in seen:
                    continue
                rec, changed = placer.place(folder, rec), True
            rows.append(rec)
        seen |= keys
    return rows if changed else None


def _cross_machine(rows: list[_Row]) -> list[tuple]:
    """(dataset, pipeline, seed) of each job with ok rows of 2+ machines."""
    machines, names = defaultdict(set), {}
    for r in rows:
        if r.rec["status"] == "ok":
            machines[r.rec["job_key"]].add(r.machine)
            names[r.rec["job_key"]] = tuple(
                r.rec[c] for c in ("dataset", "pipeline", "seed")
            )
    return sorted(
        (names[k] for k, m in machines.items() if len(m) > 1),
        key=lambda t: tuple("" if v is None else str(v) for v in t),
    )
