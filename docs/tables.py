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
Those functions live beside this script, each registered with
``@register(NAME)`` (``_tables_registry.py``): ``_tables_runs.py`` holds the
tables read from leaderboards, ``_tables_bench.py`` those read from
``results/bench/`` and the registries, ``_tables_robustness.py`` those of
the corruptions and the ``--corruptions`` runs, ``_tables_format.py`` their
formatting helpers.

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
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# The table modules beside this script are imported by name: run as a
# script, its folder is sys.path[0] already; loaded by path (as
# tests/test_docs_tables.py does), it is not.
if str(Path(__file__).resolve().parent) not in sys.path:
    sys.path.append(str(Path(__file__).resolve().parent))

import _tables_bench  # noqa: E402, F401  (registers its tables)
import _tables_machines  # noqa: E402, F401  (registers its tables)
import _tables_robustness  # noqa: E402, F401  (registers its tables)
import _tables_runs  # noqa: E402, F401  (registers its tables)
from _tables_registry import TABLES, Skipped, TableError, register  # noqa: E402

from mnistbench._io import atomic_write_text  # noqa: E402
from mnistbench.exceptions import MnistbenchError  # noqa: E402

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


class MarkerError(ValueError):
    """A marker the script cannot follow: an unknown NAME, a block never
    closed, an end marker without a block."""


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


if __name__ == "__main__":
    sys.exit(main())
