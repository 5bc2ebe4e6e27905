"""What a run writes as each job finishes: its leaderboard row and its rows
in ``robustness.csv`` (:class:`Recorder`), and the figures (:class:`Plots`),
each confusion matrix as soon as its jobs are in."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from mnistbench import results
from mnistbench._io import WriteError
from mnistbench.jobs import Job

__all__ = ["Plots", "Recorder", "command_row"]

logger = logging.getLogger(__name__)


@dataclass
class Recorder:
    """Records each (job, result) of a run as it comes: its leaderboard row
    and its rows in ``robustness.csv``; for a job that ``--resume`` fitted
    again for its missing corrupted sets (its key in ``rescored``), those
    rows only. Keeps this run's rows and the jobs another run recorded."""

    out: Path
    base_row: dict
    known_runs: dict
    rescored: set[str]
    loaded: dict
    #: the command line that started the run ("" from Python)
    command: str = ""
    rows: list[dict] = field(default_factory=list)
    scored: list[dict] = field(default_factory=list)
    elsewhere: list[tuple[Job, str]] = field(default_factory=list)
    _said: bool = False

    def record(self, job: Job, result: dict) -> dict:
        """What ``on_result`` is told of ``job``: its row, with its
        robustness rows under ``"robustness"``."""
        if not self._said:
            self._said = True
            results.append_command(self.out, command_row(self.base_row, self.command))
        if job.key in self.rescored:
            status = result.get("status", "error")
            return {
                "status": status if status != "ok" else "rescored",
                "error": result.get("error", ""),
                "job_key": job.key,
                "robustness": self._corrupted(job, result),
            }
        n_test = len(self.loaded[job.dataset].y_test)
        try:
            row = results.record_job(
                self.out,
                job,
                result,
                self.base_row,
                n_test,
                known_runs=self.known_runs,
            )
        except results.AlreadyRecorded as exc:
            logger.info("%s", exc)
            self.elsewhere.append((job, exc.run_id))
            return {"status": "recorded", "recorded_by": exc.run_id}
        self.rows.append(row)
        return {**row, "robustness": self._corrupted(job, result)}

    def _corrupted(self, job: Job, result: dict) -> list[dict]:
        """``job``'s rows in ``robustness.csv``, after its clean row."""
        if result.get("status") != "ok" or not result.get("corrupted"):
            return []
        written = results.record_corrupted(
            self.out, job, result["corrupted"], self.base_row
        )
        self.scored.extend(written)
        return written


def command_row(base_row: dict, command: str) -> dict:
    """The run's row of ``commands.csv``: its id, when, the command line, and
    the machine that started it."""
    return {
        "run_id": base_row["run_id"],
        "timestamp_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "command": command,
        **{c: base_row.get(c) for c in ("host", "cpu", "mnistbench_version")},
    }


class Plots:
    """A run's figures, each confusion matrix drawn as soon as the last job of
    its (dataset, pipeline, engine) is in, while the other jobs run; the
    accuracy-vs-time figures, which need every row, at the end."""

    def __init__(self, out: Path, todo: list[Job], loaded: dict):
        self.out, self.loaded = out, loaded
        self.pending = Counter((j.dataset, j.pipeline, j.engine) for j in todo)
        self.later: set[tuple] = set()
        self.made: list[Path] = []

    def finished(self, job: Job) -> None:
        group = (job.dataset, job.pipeline, job.engine)
        self.pending[group] -= 1
        if self.pending[group]:
            return
        try:
            self._draw(job.dataset, {group[1:]}, summary=False)
        except Exception:  # noqa: BLE001 - never stop running jobs for a figure
            self.later.add(group)  # drawn again at the end, failing there

    def finish(self) -> list[Path]:
        try:
            for name in dict.fromkeys(d for d, *_ in self.pending):
                again = {g[1:] for g in self.later if g[0] == name}
                self._draw(name, again, summary=True)
        except WriteError as exc:
            raise WriteError(
                f"{exc}; every job's row and predictions are recorded, only "
                "figures are missing"
            ) from None
        return self.made

    def _draw(self, dataset: str, only: set, summary: bool) -> None:
        from mnistbench.plots import save_dataset_plots

        board = results.read_leaderboard(self.out)
        self.made += save_dataset_plots(
            self.out, board, self.loaded[dataset], only=only, summary=summary
        )
