"""``mnistbench compare``: two result sets, job by job, with a verdict CI can use."""

from __future__ import annotations

import sys

import click
from rich.markup import escape

from mnistbench._text import csv_text
from mnistbench.cli._output import CLIError, get_console
from mnistbench.cli.common_args import data_home_option, format_option

__all__ = ["compare"]

#: The verdict's colour in the table.
STYLE = {
    "slower": "red",
    "less-accurate": "red",
    "failed": "red",
    "faster": "green",
    "more-accurate": "green",
    "definition-changed": "yellow",
}


@click.command()
@click.argument("a", metavar="A")
@click.argument("b", metavar="[B]", required=False)
@click.option(
    "--by",
    metavar="COLUMN[=A,B]",
    default=None,
    help="Compare the rows of one folder A split by this leaderboard column "
    "(engine, cpu, sklearn_version, host, mnistbench_version, ...) or by "
    "machine (host, CPU, cores and GPU together; values M1, M2... as the "
    "report names them); name its two values as COLUMN=A,B [default: the two "
    "it has, in the order they ran].",
)
@click.option(
    "--factor",
    type=float,
    default=1.10,
    show_default=True,
    help="B/A median time ratio beyond which a job may be slower (below "
    "1/FACTOR: faster), if the timings also differ.",
)
@click.option(
    "--fail-on",
    metavar="VERDICT[,VERDICT...]",
    default="",
    help="Exit with code 1 if any job gets one of these verdicts, e.g. "
    "slower,less-accurate.",
)
@format_option
@data_home_option
def compare(a, b, by, factor, fail_on, fmt, data_home) -> None:
    """Compare result folders A and B job by job (or one folder's rows, --by).

    A job (dataset, pipeline, params, seed, training size) on both sides gets
    both accuracies, McNemar's exact test on the stored test predictions
    (Holm-corrected), the share of predictions that changed, the fit and
    predict time ratios B/A, and a verdict: slower or faster (the ratio beyond
    --factor and the timings different: Mann-Whitney with 3+ repeats a side,
    else ranges that do not overlap), less or more accurate, or same. A
    changed pipeline definition is listed, never compared. Exit code 0; 1 with
    --fail-on; 2 for bad input, or for jobs without stored predictions (after
    the table: they are compared on accuracy and time only).
    """
    from mnistbench import compare as compare_lib

    failing = _verdicts(fail_on, compare_lib.VERDICTS)
    column, values = _split(by)
    frame = compare_lib.between(
        a, b, by=column, values=values, factor=factor, data_home=data_home
    )
    if fmt == "csv":
        click.echo(csv_text(frame), nl=False)
    elif fmt == "markdown":
        click.echo(compare_lib.markdown(frame))
    else:
        _print_table(frame, compare_lib)
    missing = frame.attrs.get("missing_predictions", [])
    if missing:
        raise CLIError(
            f"{len(missing)} job(s) have no stored predictions on a side (e.g. "
            f"{missing[0]}): compared on accuracy and time only"
        )
    hit = [v for v in frame["verdict"] if failing & set(v.split(", "))]
    if hit:
        click.echo(
            f"{len(hit)} job(s) with a verdict in --fail-on "
            f"({', '.join(sorted(failing))})",
            err=True,
        )
        sys.exit(1)


def _verdicts(text: str, known) -> set[str]:
    words = {w.strip() for w in text.split(",") if w.strip()}
    unknown = sorted(words - set(known))
    if unknown:
        raise CLIError(
            f"--fail-on {unknown[0]!r}: not a verdict; use {', '.join(known)}"
        )
    return words


def _split(by: str | None) -> tuple[str | None, list[str] | None]:
    """``COLUMN`` or ``COLUMN=A,B`` as the column and its values."""
    if by is None:
        return None, None
    column, sep, values = by.partition("=")
    if not sep:
        return column, None
    parts = _top_level_split(values)
    if len(parts) != 2 or not all(parts):
        raise CLIError(f"--by {by!r}: expected COLUMN or COLUMN=A,B")
    return column, parts


def _top_level_split(text: str) -> list[str]:
    """``text`` split at the commas outside brackets and quotes, so that
    values of ``params`` (JSON) keep theirs."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "{[":
            depth += 1
        elif not quoted and char in "}]":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            parts.append(text[start:i])
            start = i + 1
    return [*parts, text[start:]]


def _print_table(frame, compare_lib) -> None:
    from rich import box
    from rich.table import Table

    table = Table(
        title=escape(f"compare: A {frame.attrs['a']} -> B {frame.attrs['b']}"),
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
    )
    for header in compare_lib.TABLE_HEADERS:
        if header in ("job", "verdict"):
            table.add_column(header, overflow="fold", min_width=8)
        else:  # numbers are never cut
            table.add_column(header, justify="right", no_wrap=True)
    for row in compare_lib.table_rows(frame):
        style = next((STYLE[w] for w in row["verdict"].split(", ") if w in STYLE), None)
        table.add_row(*(escape(row[h]) for h in compare_lib.TABLE_HEADERS), style=style)
    console = get_console()
    console.print(table)
    for line in compare_lib.rules(frame):
        console.print(escape(line), highlight=False)
