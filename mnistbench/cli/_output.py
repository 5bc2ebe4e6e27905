"""What the command line shows: consoles, one-line errors, result tables,
progress bars. Only the command line prints; the library logs and returns."""

from __future__ import annotations

import click
from rich.console import Console, Group
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

__all__ = [
    "CLIError",
    "Downloads",
    "RunProgress",
    "bench_progress",
    "by_accuracy",
    "get_console",
    "fmt",
    "ratio",
    "results_table",
]


def get_console(stderr: bool = False) -> Console:
    # Made per call, so the width follows the terminal (and $COLUMNS) of now.
    return Console(stderr=stderr)


class CLIError(click.ClickException):
    """A one-line error; exit code 2 like click's usage errors."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


class Downloads:
    """Rich progress bars for pooch's downloads.

    The display starts with the first byte, so a run that downloads nothing
    (or fails before any server answers) prints nothing but its result.
    """

    def __init__(self) -> None:
        self._progress: Progress | None = None

    def bar(self, rf) -> RichBar:
        return RichBar(self, rf.name)

    def add_task(self, description: str, total: int | None):
        if self._progress is None:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=get_console(stderr=True),
                transient=True,
            )
            self._progress.start()
        return self._progress, self._progress.add_task(description, total=total)

    def __enter__(self) -> Downloads:
        return self

    def __exit__(self, *exc) -> None:
        if self._progress is not None:
            self._progress.stop()


class RichBar:
    """The progress-bar protocol pooch expects (total, update, reset, close)."""

    def __init__(self, owner: Downloads, description: str):
        self._owner = owner
        self._description = description
        self._progress: Progress | None = None
        self._task = None
        self._total: int | None = None

    @property
    def total(self) -> int | None:
        return self._total

    @total.setter
    def total(self, value: int) -> None:
        # pooch sets the total once the server answers: only then draw a bar.
        self._total = value or None
        self._progress, self._task = self._owner.add_task(
            self._description, self._total
        )

    def update(self, n: int) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, n)

    def reset(self) -> None:
        if self._progress is not None:
            self._progress.reset(self._task, total=self._total)

    def close(self) -> None:
        pass


def by_accuracy(row) -> float:
    """Sort key: best accuracy first, failed jobs (None or NaN) last."""
    acc = row["accuracy"]
    return -acc if isinstance(acc, float) and acc == acc else 1.0


def fmt(value, spec: str) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    return format(value, spec)


STATUS_STYLE = {
    "ok": "green",
    "error": "red",
    "timeout": "yellow",
    "crashed": "red",
    "recorded": "yellow",
    "rescored": "green",
}


def results_table(rows, title: str):
    """Result rows as rich tables narrow enough for an 80-column terminal:
    one table per dataset (a user's data has long names)."""
    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    if len(datasets) > 1:
        return Group(
            *(
                results_table([r for r in rows if r["dataset"] == d], title)
                for d in datasets
            )
        )
    columns = [
        ("pipeline", "left"),
        ("seed", "right"),
        ("status", "left"),
        ("accuracy", "right"),
        ("F1", "right"),
        ("fit s", "right"),
        ("pred s", "right"),
        ("MB", "right"),
        ("train", "right"),
    ]
    if rows:
        title = escape(f"{title} ({rows[0]['dataset']})")
    table = Table(title=title)
    for name, justify in columns:
        table.add_column(name, justify=justify, no_wrap=True)
    for row in rows:
        style = STATUS_STYLE.get(row["status"], "")
        cells = [
            escape(str(row["pipeline"])),
            str(row["seed"]),
            f"[{style}]{row['status']}[/]" if style else row["status"],
            fmt(row["accuracy"], ".4f"),
            fmt(row["f1_macro"], ".4f"),
            fmt(row["fit_s"], ".2f"),
            fmt(row["predict_s"], ".2f"),
            fmt(row["peak_mem_mb"], ".0f"),
            fmt(row["n_train"], ","),
        ]
        table.add_row(*cells)
    # Where each step ran matters once the engine is not stock scikit-learn.
    ran_on = [
        f"{r['pipeline']} ({r['engine']}): {r['ran_on']}"
        for r in rows
        if r.get("engine", "sklearn") != "sklearn" and isinstance(r.get("ran_on"), str)
    ]
    # Which Dask worker ran what (a local run has no workers).
    by_worker: dict[str, list[str]] = {}
    for r in rows:
        if isinstance(r.get("worker"), str) and r["worker"]:
            by_worker.setdefault(r["worker"], []).append(r["pipeline"])
    captions = []
    if ran_on:
        captions.append("ran on: " + "\n        ".join(ran_on))
    captions += [f"worker {w}: {', '.join(p)}" for w, p in by_worker.items()]
    if captions:
        table.caption = escape("\n".join(captions))
        table.caption_justify = "left"
    return table


def bench_progress(side: str, name: str, row: dict) -> None:
    status = row["status"]
    if status == "ok":
        detail = (
            f"accuracy {row['accuracy']:.4f}, "
            f"fit {row['fit_s']:.1f} s + predict {row['predict_s']:.1f} s"
        )
    else:
        detail = f"{status}: {row['error']}"
    get_console(stderr=True).print(escape(f"{side:>10} {name}: {detail}"))


def ratio(value: float) -> str:
    return "-" if value != value else f"{value:.1f}x"


def corrupted_detail(rows) -> str:
    """``, corrupted: mean 0.7120 over 17 sets`` for a job's robustness rows
    (and how many failed), or nothing."""
    if not rows:
        return ""
    ok = [r["accuracy"] for r in rows if r["status"] == "ok"]
    text = (
        f", corrupted: mean {sum(ok) / len(ok):.4f} over {len(ok)} sets" if ok else ""
    )
    failed = len(rows) - len(ok)
    return text + (f", {failed} corrupted set(s) failed" if failed else "")


class RunProgress:
    """A progress bar over a run's jobs, and one line per finished job."""

    def __init__(self) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total} jobs"),
            TimeElapsedColumn(),
            console=get_console(stderr=True),
        )
        self.task = None

    def on_start(self, jobs) -> None:
        self.progress.start()
        self.task = self.progress.add_task("running", total=len(jobs))

    def on_result(self, job, row: dict) -> None:
        status = row["status"]
        if status == "ok":
            detail = f"accuracy {row['accuracy']:.4f}, fit {row['fit_s']:.1f} s"
            detail += corrupted_detail(row.get("robustness"))
        elif status == "rescored":  # --resume, for missing corrupted sets
            detail = "clean row kept" + corrupted_detail(row.get("robustness"))
        elif "recorded_by" in row:  # another run into the folder was first
            detail = f"recorded by run {row['recorded_by']}; not recorded again"
        else:
            detail = row["error"]
        if str(row.get("warnings") or "").startswith("Retried:"):  # on Dask
            detail += f" ({row['warnings'].split(';')[0].lower()})"
        style = STATUS_STYLE.get(status, "")
        self.progress.console.print(
            f"[{style}]{status:>7}[/] {escape(str(job))}: {escape(str(detail))}"
        )
        self.progress.advance(self.task)

    def __enter__(self) -> RunProgress:
        return self

    def __exit__(self, *exc) -> None:
        if self.task is not None:
            self.progress.stop()
