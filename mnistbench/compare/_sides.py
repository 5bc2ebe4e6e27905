"""Which rows are compared with which: the two sides of a comparison (two
result folders, or one split by a column), one row per job on each, the jobs
paired across them, and the test labels they were scored on, each checked.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mnistbench import results
from mnistbench.exceptions import MnistbenchError

__all__ = [
    "JOB_COLUMNS",
    "CompareError",
    "Side",
    "TestLabels",
    "check_test_sets",
    "pair_jobs",
    "read_side",
    "split_by",
]

#: What makes two rows the same job on both sides. ``tuned`` is not a
#: leaderboard column: it says whether the row is a search's choice
#: (``mnistbench tune``), which may have the default's params.
JOB_COLUMNS = ("dataset", "pipeline", "params", "seed", "n_train", "tuned")
#: Columns a result set cannot be split by: the two sides would share no
#: test set or pipeline, or the column is measured, or differs in every row.
_NOT_SPLITTABLE = {
    "dataset",
    "pipeline",
    "data_sha256",
    "job_key",
    "timestamp_utc",
    "fit_s",
    "predict_s",
    "fit_s_samples",
    "predict_s_samples",
    "warmup_s",
    "cpu_s",
    "accuracy",
    "f1_macro",
    "peak_mem_mb",
    "error",
    "warnings",
    "predictions",
    "n_test",
}


class CompareError(MnistbenchError, ValueError):
    """Two result sets cannot be compared: no leaderboard, no job in common,
    different test sets."""


@dataclass(frozen=True)
class Side:
    """One side of a comparison: a label, the folder its paths are relative
    to, its rows, one per job, and the column the sides were split by."""

    label: str
    folder: Path
    rows: pd.DataFrame
    split: str | None = None

    @property
    def keys(self) -> list[str]:
        """The columns that match its jobs with the other side's: a split
        by params, seed or training size compares across them."""
        return [c for c in JOB_COLUMNS if c != self.split]


def _board(folder: str | os.PathLike) -> pd.DataFrame:
    path = Path(folder) / results.LEADERBOARD
    if not path.is_file():
        raise CompareError(
            f"{folder}: no {results.LEADERBOARD} there; give folders that "
            "`mnistbench run --out` wrote"
        )
    board = results.read_leaderboard(folder)
    if board.empty:
        raise CompareError(f"{path} has no rows")
    return board


def read_side(
    label: str, folder, board: pd.DataFrame | None = None, split: str | None = None
) -> Side:
    """A side: ``folder``'s leaderboard (or ``board``), one row per job."""
    board = _board(folder) if board is None else board
    tuned = board["search_id"].map(lambda v: isinstance(v, str) and v != "")
    board = board.assign(tuned=tuned)
    keys = [c for c in JOB_COLUMNS if c != split]
    return Side(label, Path(folder), _one_per_job(board, label, keys), split)


def split_by(
    folder: str | os.PathLike, by: str, values: Sequence[str] | None = None
) -> tuple[Side, Side]:
    """``folder``'s rows split by column ``by`` into sides A and B.

    ``by="machine"`` splits by the machine each row ran on (host, CPU,
    cores, GPU: :func:`mnistbench.results.machines`), whose values may be
    given by their short names, ``M1``, ``M2``..."""
    if by != "machine" and (by not in results.COLUMNS or by in _NOT_SPLITTABLE):
        usable = [c for c in results.COLUMNS if c not in _NOT_SPLITTABLE]
        raise CompareError(
            f"--by {by!r}: not a column to split by; use machine or one of "
            f"{', '.join(usable)}"
        )
    board = _board(folder).sort_values("timestamp_utc", kind="stable")
    if by == "machine":
        column = results.machine_labels(board)
        names = results.machines(board)
        short = dict(zip(names["machine"], names["label"]))
        if values is not None:
            values = [short.get(str(v), v) for v in values]
    else:
        column = board[by].map(lambda v: "" if pd.isna(v) else str(v))
    present = list(dict.fromkeys(column))
    if values is None:
        if len(present) != 2:
            raise CompareError(
                f"--by {by}: {folder} has {len(present)} value(s) of {by} "
                f"({', '.join(map(repr, present))}); name two: "
                f"--by {by}=A_VALUE,B_VALUE"
            )
        values = present
    values = [str(v) for v in values]
    if len(values) != 2 or values[0] == values[1]:
        raise CompareError(f"--by {by}: give two different values, got {values}")
    for value in values:
        if value not in present:
            raise CompareError(
                f"--by {by}: no row of {folder} has {by}={value!r}; it has "
                f"{', '.join(map(repr, present))}"
            )
    return tuple(
        read_side(f"{by}={value}", folder, board[column == value], by)
        for value in values
    )


def _one_per_job(board: pd.DataFrame, label: str, keys: list[str]) -> pd.DataFrame:
    """The latest ok row of each job (the latest row if none is ok); refuses
    a side where one job ran under several engines."""
    engines = board.groupby(keys, dropna=False)["engine"].nunique()
    if (engines > 1).any():
        job = dict(zip(keys, engines[engines > 1].index[0]))
        raise CompareError(
            f"{label} has {job['dataset']}/{job['pipeline']} under several "
            f"engines ({', '.join(sorted(set(board['engine'])))}); compare them "
            "with --by engine"
        )
    ranked = board.assign(_ok=board["status"] == "ok").sort_values(
        ["_ok", "timestamp_utc"], kind="stable"
    )
    return ranked.drop_duplicates(keys, keep="last").drop(columns="_ok")


def pair_jobs(side_a: Side, side_b: Side) -> pd.DataFrame:
    """Each job's row on side A beside its row on side B (columns ``_a`` and
    ``_b``; ``_merge`` says where it is). The split column, if a job column,
    is left empty: the sides' labels name its values."""
    frame = pd.merge(
        side_a.rows,
        side_b.rows,
        on=side_a.keys,
        how="outer",
        suffixes=("_a", "_b"),
        indicator=True,
    )
    if not (frame["_merge"] == "both").any():
        raise CompareError(
            f"no job in common between {side_a.label} and {side_b.label}: a job "
            "is the same dataset, pipeline, params, seed and training size; A "
            f"has {_jobs_of(side_a.rows)}, B {_jobs_of(side_b.rows)}"
        )
    if side_a.split in JOB_COLUMNS:
        frame[side_a.split] = None
    return frame.sort_values(side_a.keys, kind="stable").reset_index(drop=True)


def _jobs_of(rows: pd.DataFrame) -> str:
    names = sorted({f"{d}/{p}" for d, p in zip(rows["dataset"], rows["pipeline"])})
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    return ", ".join(names[:3]) + more


def check_test_sets(frame: pd.DataFrame, side_a: Side, side_b: Side) -> None:
    """Every dataset on both sides must be the same test set: same size, and
    the same content hash where the rows recorded one."""
    both = frame[frame["_merge"] == "both"]
    for name, rows in both.groupby("dataset"):
        sizes = {
            side: set(rows[f"n_test_{side}"].dropna().astype(int)) for side in "ab"
        }
        hashes = {side: set(rows[f"data_sha256_{side}"].dropna()) for side in "ab"}
        for what, found in (("test set size", sizes), ("data_sha256", hashes)):
            if len(found["a"] | found["b"]) > 1:
                shown = {s: ", ".join(map(str, sorted(v))) for s, v in found.items()}
                raise CompareError(
                    f"dataset {name} differs between the sides: {what} "
                    f"{shown['a'] or '?'} in {side_a.label}, {shown['b'] or '?'} "
                    f"in {side_b.label}; compare runs of the same test set"
                )


class TestLabels:
    """The test labels of each dataset, loaded once: from the first of
    ``folders`` that keeps its test set (a published archive's
    ``testsets/``), else from the data home."""

    def __init__(self, data_home, folders: Sequence[str | os.PathLike] = ()):
        self.data_home = data_home
        self.folders = tuple(folders)
        self.loaded: dict[str, np.ndarray] = {}

    def get(self, name: str, n_test, sha256) -> np.ndarray:
        """``name``'s test labels, which must be those the rows were scored
        on: ``n_test`` of them, of the dataset with content hash ``sha256``
        (where the rows recorded one)."""
        if name not in self.loaded:
            try:
                wanted = sha256 if isinstance(sha256, str) else None
                ds = results.dataset_of(
                    self.folders, name, wanted, data_home=self.data_home
                )
            except MnistbenchError as exc:
                raise CompareError(
                    f"cannot load the test labels of {name}: {exc}"
                ) from None
            if isinstance(sha256, str) and sha256 != ds.sha256:
                raise CompareError(
                    f"dataset {name} here (data_sha256 {ds.sha256[:12]}...) is not "
                    f"the one the runs scored ({sha256[:12]}...)"
                )
            self.loaded[name] = np.asarray(ds.y_test)
        y_test = self.loaded[name]
        if pd.notna(n_test) and int(n_test) != len(y_test):
            raise CompareError(
                f"dataset {name} here has {len(y_test):,} test images, the runs "
                f"scored {int(n_test):,}"
            )
        return y_test
