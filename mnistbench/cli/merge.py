"""``mnistbench merge``: result folders of several machines (or engines) as one."""

from __future__ import annotations

import click
from rich.markup import escape

from mnistbench.cli._output import get_console
from mnistbench.cli.common_args import data_home_option

__all__ = ["merge"]

#: :data:`mnistbench.results._merge.KEEP`, repeated so that the command line
#: starts without importing pandas (a test keeps the two equal).
KEEP = ("both", "first", "newest")


@click.command()
@click.argument("inputs", nargs=-1, metavar="A [B ...]")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="The merged results folder: made if need be; if it holds results, "
    "they stay and the inputs' rows are added.",
)
@click.option(
    "--keep",
    type=click.Choice(KEEP),
    default=None,
    help="When one machine ran a job in two folders and the predictions "
    "differ: keep both rows, the first folder's row (OUT's, then the inputs' "
    "in order) or the newest row [default: refuse to merge].",
)
@click.option(
    "--copy",
    is_flag=True,
    help="Copy the predictions files instead of hard-linking them.",
)
@click.option(
    "--no-plots",
    is_flag=True,
    help="Do not draw OUT/plots/ again from the merged rows.",
)
@data_home_option
def merge(inputs, out, keep, copy, no_plots, data_home) -> None:
    """Merge results folders A, B... (e.g. from other machines) into OUT.

    Every row keeps its columns, the machine it ran on included; a row OUT
    already has is not added again, so merging twice changes nothing. A job
    that ran on two machines keeps both rows, for `mnistbench report` and
    `mnistbench compare --by machine`. The predictions files are hard-linked
    into OUT (copied across file systems); the inputs are only read. Each
    dataset must be the same data everywhere (its sha256). The merge is
    whole or nothing. The inputs' figures are not copied: OUT/plots/ is
    drawn again from the merged rows (the accuracy-vs-time figure once per
    machine), where the datasets are here; run `mnistbench report --out OUT`
    afterwards.
    """
    from mnistbench.results._merge import merge as merge_lib

    done = merge_lib(inputs, out, keep=keep, link=not copy)
    console = get_console()

    def say(text: str) -> None:
        console.print(escape(text), highlight=False, soft_wrap=True)

    parts = ", ".join(f"{n} from {name}" for name, n in done.added.items())
    say(f"merged {done.rows_added} row(s) into {out}: {parts}")
    if done.already_present:
        say(f"{done.already_present} row(s) were there already")
    say(f"machines ({len(done.machines)}): {'; '.join(done.machines) or 'none'}")
    if done.cross_machine:
        shown = ", ".join(f"{d}/{p} seed {s}" for d, p, s in done.cross_machine[:5])
        more = ", ..." if len(done.cross_machine) > 5 else ""
        say(
            f"cross-machine pairs: {len(done.cross_machine)} job(s) ran on two "
            f"or more machines ({shown}{more})"
        )
    if done.conflicts_resolved:
        say(
            f"conflicts: {done.conflicts_resolved} resolved (--keep {keep}), "
            f"{done.dropped} row(s) left out"
        )
    say(f"predictions: {done.linked} file(s) hard-linked, {done.copied} copied")
    if done.rows_added and not no_plots:
        from mnistbench._io import WriteError
        from mnistbench.plots import redraw_folder

        try:
            drawn, skipped = redraw_folder(out, data_home=data_home)
        except WriteError as exc:
            raise WriteError(
                f"{exc}; the rows are merged into {out}, only its plots/ figures "
                f"are missing (`mnistbench report --out {out}` draws the report's "
                "once there is room)"
            ) from None
        say(f"plots: {len(drawn)} figure(s) drawn in {out}/plots/")
        for name, why in skipped.items():
            say(f"plots of {name} not drawn ({why})")
    say(f"next: mnistbench report --out {out}")
