"""The command line's set-up: one-line errors, and logging through rich."""

from __future__ import annotations

import errno
import logging

import click
from rich.logging import RichHandler

from mnistbench._io import cause
from mnistbench.cli._output import CLIError, get_console
from mnistbench.exceptions import MnistbenchError

__all__ = ["Group", "command_line", "dask_output", "quiet_dask", "setup_logging"]


#: Errors of the file system that the user, not mnistbench, can fix: one
#: line naming the path and the cause, wherever they are met.
FILE_SYSTEM_ERRNOS = frozenset(
    {
        errno.ENOSPC,
        errno.EDQUOT,
        errno.EROFS,
        errno.EACCES,
        errno.EPERM,
        errno.ENAMETOOLONG,
        errno.ELOOP,
        errno.EFBIG,
    }
)


class Group(click.Group):
    """Every error mnistbench raises on purpose becomes one line, exit code 2;
    so does a file-system error (a full disk, a name too long) met anywhere.
    Keeps the arguments as typed (:func:`command_line`)."""

    def make_context(self, info_name, args, parent=None, **extra):
        typed = list(args)  # parsing consumes the list
        ctx = super().make_context(info_name, args, parent=parent, **extra)
        ctx.meta["mnistbench.argv"] = typed
        return ctx

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except MnistbenchError as exc:
            raise CLIError(str(exc)) from None
        except OSError as exc:
            if exc.errno not in FILE_SYSTEM_ERRNOS:
                raise
            path = exc.filename if exc.filename is not None else "a file"
            raise CLIError(f"{path}: {cause(path, exc)}") from None


def command_line() -> str:
    """The command being run, as typed (``mnistbench run svm --seed 1``),
    quoted for a POSIX shell: what ``commands.csv`` records."""
    from mnistbench.results import command_text

    ctx = click.get_current_context(silent=True)
    argv = ctx.find_root().meta.get("mnistbench.argv", []) if ctx else []
    return command_text(argv)


def setup_logging(verbose: int) -> None:
    level = (
        logging.WARNING
        if verbose == 0
        else logging.INFO
        if verbose == 1
        else logging.DEBUG
    )
    handler = RichHandler(
        console=get_console(stderr=True), show_time=False, show_path=False
    )
    # Python warnings (a broken plugin, say) become one log line each.
    logging.captureWarnings(True)
    for name in ("mnistbench", "py.warnings"):
        log = logging.getLogger(name)
        log.handlers[:] = [handler]
        log.setLevel(level)
        log.propagate = False
    # pooch announces each download on its own (unregistered) logger; the
    # progress bar already says it.
    import pooch

    pooch.get_logger().setLevel(level if verbose else logging.WARNING)


def dask_output(plan) -> None:
    """What a run on Dask shows: Dask's own logs only at -vv
    (:func:`quiet_dask`); for a local cluster, where its dashboard is, as the
    cluster starts."""
    if plan.on_dask:
        quiet_dask()
    if plan.cluster is not None:
        shown = logging.getLogger("mnistbench.executors.dask")
        shown.setLevel(min(shown.getEffectiveLevel(), logging.INFO))


def quiet_dask() -> None:
    """Dask logs lost connections and dead workers with tracebacks; the run
    reports what they mean in one line (or a row), so show them only at -vv."""
    try:
        import distributed  # noqa: F401  (configures its loggers on import)
    except ImportError:
        return  # the run says how to install it
    ours = logging.getLogger("mnistbench")
    debug = ours.getEffectiveLevel() <= logging.DEBUG
    if not debug:  # each row records its worker's versions
        import warnings

        from distributed.versions import VersionMismatchWarning

        warnings.filterwarnings("ignore", category=VersionMismatchWarning)
    for name in list(logging.root.manager.loggerDict):
        if name.split(".")[0] in ("distributed", "tornado"):
            log = logging.getLogger(name)
            log.handlers[:] = ours.handlers if name == "distributed" else []
            log.setLevel(logging.WARNING if debug else logging.CRITICAL)
            log.propagate = name != "distributed"
