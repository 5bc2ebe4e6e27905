"""The texts of a published archive: its README, COMMANDS.md (recorded and
reconstructed command lines), environment.json, and the Markdown report made
paste-ready for a pull request."""

from __future__ import annotations

import json
import os
import re
import shlex
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from mnistbench import __version__, envinfo
from mnistbench._text import json_cell, md_escape
from mnistbench.results._commands import read_commands
from mnistbench.results._machines import machine_labels, machines
from mnistbench.results._schema import LEADERBOARD
from mnistbench.results._trials import read_trials

__all__ = ["PR_LIMIT", "commands_md", "environment", "pr_markdown", "readme"]

#: The longest body GitHub takes for a pull request or a comment.
PR_LIMIT = 65_536
#: What makes two rows the same job (as ``mnistbench compare`` pairs them).
_JOB = ("dataset", "pipeline", "params", "seed", "n_train")
#: Why a run's command is reconstructed: not in commands.csv, or recorded
#: without a command line.
_RECONSTRUCTED = (
    "Reconstructed from the rows (this run predates recorded commands)",
    "Reconstructed from the rows (this run was started from Python, not the "
    "command line)",
)


_IMAGE = re.compile(
    r"^!\[(?P<alt>(?:\\.|[^\]\\])*)\]\((?P<path>report_files/[^)\s]+)\)\s*$"
)
_HEADING = re.compile(r"^#{2,6} ")


def pr_markdown(markdown: str, limit: int = PR_LIMIT) -> str:
    """``report.md`` made paste-ready for a GitHub pull request: each figure
    line becomes an italic line naming the figure and its file in the
    archive; over ``limit`` characters, whole sections are cut from the end
    and a last line says so."""
    lines = []
    for line in markdown.splitlines():
        found = _IMAGE.match(line)
        if found:
            line = f"*Figure: {found['alt']} (`{found['path']}` in the archive)*"
        lines.append(line)
    text = "\n".join(lines) + "\n"
    if len(text) <= limit:
        return text
    for cut in reversed([i for i, line in enumerate(lines) if _HEADING.match(line)]):
        body = "\n".join(lines[:cut]).rstrip() + "\n"
        heading = lines[cut].lstrip("#").strip()
        note = (
            f"\n*Cut to fit GitHub's {limit:,}-character limit: the sections from "
            f'"{heading}" on are in report.md in the archive.*\n'
        )
        if len(body) + len(note) <= limit:
            return body + note
    note = (
        f"\n*Cut to fit GitHub's {limit:,}-character limit: the rest is in "
        "report.md in the archive.*\n"
    )
    return text[: limit - len(note)].rstrip() + "\n" + note


def _py(value):
    """A cell as plain Python (numpy and pandas scalars as Python's, missing
    values as None), for JSON."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def _str(value) -> str:
    return value if isinstance(value, str) else ""


def _values(rows: pd.DataFrame, column: str) -> list:
    """``column``'s values in ``rows``, each once, in the order they ran."""
    rows = rows.sort_values("timestamp_utc", kind="stable", na_position="first")
    return [
        v for v in dict.fromkeys(_py(v) for v in rows[column]) if v not in ("", None)
    ]


def environment(board: pd.DataFrame, sets: dict) -> dict:
    labels = machine_labels(board)
    listed = []
    for m in machines(board).to_dict("records"):
        rows = board[labels == m["label"]]
        first = rows.iloc[0]
        listed.append(
            {
                "machine": m["machine"],
                "label": m["label"],
                **{c: _py(first[c]) for c in ("host", "cpu", "n_cores", "gpu")},
                **{
                    c: _values(rows, c)
                    for c in (
                        "blas",
                        "python_version",
                        "numpy_version",
                        "sklearn_version",
                        "mnistbench_version",
                        "engine",
                    )
                },
                "rows": len(rows),
                "ok_rows": int((rows["status"] == "ok").sum()),
                "first_utc": min(rows["timestamp_utc"].dropna(), default=None),
                "last_utc": max(rows["timestamp_utc"].dropna(), default=None),
            }
        )
    return {
        "machines": listed,
        "datasets": {
            name: {"sha256": ds.sha256, "n_test": len(ds.y_test)}
            for name, ds in sets.items()
        },
        "published": {
            "utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "mnistbench_version": __version__,
            "host": os.uname().nodename if hasattr(os, "uname") else "",
            **envinfo.environment(),
        },
    }


def _fence(text: str) -> str:
    """A code fence longer than any run of backticks in ``text``."""
    longest = max((len(r) for r in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def commands_md(
    out: Path, board: pd.DataFrame, robustness: pd.DataFrame
) -> tuple[str, tuple[int, int]]:
    """COMMANDS.md, and how many runs' commands were recorded and how many
    reconstructed."""
    recorded = {r["run_id"]: r for r in read_commands(out).to_dict("records")}
    trials = read_trials(out)
    stamps = pd.concat(
        [board[["run_id", "timestamp_utc"]], trials[["run_id", "timestamp_utc"]]]
    ).sort_values("timestamp_utc", kind="stable", na_position="first")
    runs = list(dict.fromkeys(stamps["run_id"].fillna("")))
    lines = [
        "# The commands that made these results",
        "",
        "Each run of leaderboard.csv, in the order they ran: the command line "
        "recorded in commands.csv, or, for a run that predates recorded "
        "commands (mnistbench < 0.17) or was started from Python, an equivalent "
        "command reconstructed from its rows. Reconstructed commands write into "
        "a new folder, `rerun`, to compare with this one: `mnistbench compare "
        "FOLDER rerun`.",
    ]
    counts = [0, 0]
    for run in runs:
        rows = board[board["run_id"].fillna("") == run]
        row = recorded.get(run) or {}
        when = _str(row.get("timestamp_utc")) or min(
            rows["timestamp_utc"].dropna(), default=""
        )
        lines += ["", f"## Run {md_escape(run or '(no run id)')}", ""]
        rows_text = f"{len(rows)} row{'s' if len(rows) != 1 else ''}"
        lines.append(f"Started {md_escape(when or '?')}; {rows_text}.")
        command = row.get("command")
        if isinstance(command, str) and command:
            counts[0] += 1
            text, why = command, "Recorded in commands.csv:"
        else:
            counts[1] += 1
            runs_robust = robustness[robustness["run_id"].fillna("") == run]
            text = "\n".join(_reconstructed(rows, runs_robust)) or (
                "# no leaderboard row: its trials are in trials.csv (mnistbench tune)"
            )
            why = f"**{_RECONSTRUCTED[run in recorded]}**:"
        fence = _fence(text)
        lines += ["", why, "", f"{fence}sh", text, fence]
    return "\n".join(lines) + "\n", (counts[0], counts[1])


def _reconstructed(rows: pd.DataFrame, robustness: pd.DataFrame) -> list[str]:
    """``mnistbench run`` commands that make ``rows`` again: one per dataset,
    engine, training size, params and repeats, and set of seeds."""
    groups: dict[tuple, dict[str, set]] = {}
    for r in rows.to_dict("records"):
        key = (
            _str(r["dataset"]),
            _str(r["engine"]),
            _py(r["n_train"]),
            _str(r["params"]),
            _repeats(r["fit_s_samples"]),
            _str(r["search_id"]),
        )
        seed = _py(r["seed"])
        groups.setdefault(key, {}).setdefault(r["pipeline"], set()).add(seed)
    commands = []
    for key in sorted(groups, key=lambda k: tuple(map(str, k))):
        dataset, engine, n_train, params, repeat, search = key
        by_seeds: dict[tuple, list[str]] = {}
        for pipeline, seeds in groups[key].items():
            by_seeds.setdefault(tuple(sorted(seeds, key=str)), []).append(pipeline)
        for seeds, pipelines in sorted(by_seeds.items(), key=lambda kv: str(kv)):
            if search:
                commands.append(f"# the choice of search {search} (mnistbench tune):")
            args = ["mnistbench", "run", *sorted(pipelines), "--dataset", dataset]
            args += [a for s in seeds if s is not None for a in ("--seed", str(s))]
            if engine and engine != "sklearn":
                args += ["--engine", engine]
            if n_train is not None:
                args += ["--train-size", str(n_train)]
            for name, value in json_cell(params).items():
                args += ["--param", f"{name}={json.dumps(value)}"]
            if repeat > 1:
                args += ["--repeat", str(repeat)]
            args += _corruption_args(robustness[robustness["dataset"] == dataset])
            commands.append(shlex.join([*args, "--out", "rerun"]))
    return commands


def _repeats(samples) -> int:
    """How many times a row's job was fitted (its ``fit_s_samples``)."""
    try:
        found = json.loads(samples) if isinstance(samples, str) and samples else []
    except ValueError:
        return 0
    return len(found) if isinstance(found, list) else 0


def _corruption_args(robustness: pd.DataFrame) -> list[str]:
    generated = robustness[robustness["severity"].notna()]
    args = []
    if len(generated):
        args += ["--corruptions", ",".join(_values(generated, "corruption"))]
        args += ["--severity", ",".join(map(str, _values(generated, "severity")))]
    for source in _values(robustness[robustness["severity"].isna()], "source"):
        args += ["--corruptions-from", source]
    return args


def _compare_commands(board: pd.DataFrame, top: str) -> list[str]:
    """``mnistbench compare`` split by each column whose values (the first
    two that share a job, where more) have ok jobs in common."""
    board = board.sort_values("timestamp_utc", kind="stable", na_position="first")
    short = dict(zip(*(machines(board)[c] for c in ("label", "machine"))))
    ok = board["status"] == "ok"
    columns = {
        "engine": board["engine"],
        "machine": machine_labels(board).map(short),
        "mnistbench_version": board["mnistbench_version"],
        "sklearn_version": board["sklearn_version"],
        "seed": board["seed"],
    }
    found = []
    for column, values in columns.items():
        text = values.map(lambda v: "" if _py(v) is None else str(_py(v)))
        keys = [c for c in _JOB if c != column]

        def jobs(value, text=text, keys=keys) -> set:
            rows = board.loc[ok & (text == value), keys].astype(str)
            return set(rows.itertuples(index=False))

        present = [v for v in dict.fromkeys(text[ok]) if v]
        pairs = [(a, b) for i, a in enumerate(present) for b in present[i + 1 :]]
        shared = next(((a, b) for a, b in pairs if jobs(a) & jobs(b)), None)
        if shared is None:
            continue
        by = column if len(present) == 2 else f"{column}={shared[0]},{shared[1]}"
        found.append(shlex.join(["mnistbench", "compare", top, "--by", by]))
    return found


def readme(top: str, board, env: dict, sets: dict, files: list[str]) -> str:
    ok = board[board["status"] == "ok"]
    names = ", ".join(md_escape(n) for n in sets)
    compares = _compare_commands(board, top) or [
        f"mnistbench compare {top} rerun   # after a command of COMMANDS.md"
    ]
    shown: dict[str, int] = {}
    for rel in files:
        head = rel.split("/")[0] + ("/" if "/" in rel else "")
        shown[head] = shown.get(head, 0) + 1
    what = {
        LEADERBOARD: "one row per job: scores, times, machine, versions",
        "predictions/": "each row's predicted test labels (.npy)",
        "testsets/": "the test sets the rows were scored on",
        "report.html": "the report, self-contained, built from this folder alone",
        "report.md": "the same report in Markdown (figures in report_files/)",
        "report-pr.md": "the Markdown report, ready to paste into a pull request",
        "report_files/": "the report's figures",
        "environment.json": "the machines that ran the rows, and the one that "
        "published them",
        "COMMANDS.md": "the commands that made the rows",
        "README.md": "this file",
    }
    lines = [
        f"# {md_escape(top)}: mnistbench results, published",
        "",
        f"{len(board)} rows ({len(ok)} successful) of mnistbench runs on {names}, "
        f"packed by `mnistbench publish` (mnistbench {__version__}) with "
        "everything needed to check every number: the rows, every stored "
        "prediction, and the test sets they were scored on. Checking them needs "
        "neither the datasets nor the network.",
        "",
        "## How to check",
        "",
        "```sh",
        f"pip install mnistbench=={__version__}",
        f"unzip {top}.zip",
        f"mnistbench report --out {top}   # rebuilds report.html and report.md",
        *compares,
        "```",
        "",
        "## Files",
        "",
        *(
            f"- `{head}`"
            + (f" ({n} files)" if n > 1 else "")
            + (f": {what[head]}" if head in what else "")
            for head, n in shown.items()
        ),
        "",
        "## Machines",
        "",
        "| machine | host, CPU, cores, GPU | rows | first | last |",
        "|---|---|---:|---|---|",
        *(
            f"| {m['machine']} | {md_escape(m['label'])} | {m['rows']} | "
            f"{md_escape(m['first_utc'] or '')} | {md_escape(m['last_utc'] or '')} |"
            for m in env["machines"]
        ),
        "",
        "## Datasets",
        "",
        "| dataset | test images | SHA-256 (mnistbench's content hash) |",
        "|---|---:|---|",
        *(
            f"| {md_escape(name)} | {len(ds.y_test):,} | `{ds.sha256}` |"
            for name, ds in sets.items()
        ),
    ]
    return "\n".join(lines) + "\n"
