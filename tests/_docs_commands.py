"""The docs' ``mnistbench`` commands: parsed with the real click command
tree, made small for the sample, and what they need that may not be here
(the conventions are in ``_docs_examples``' docstring)."""

from __future__ import annotations

import csv
import functools
import importlib.util
from pathlib import Path

import click
from _docs_examples import ROOT, Doc
from click.core import ParameterSource

from mnistbench import data

SAMPLE = "mnist-sample"
SMALL = 500  # --train-size, --search-size
BUDGET = 4  # tune's candidates per pipeline
SIZES = "500,1000"  # bench scaling; the sample has 4,000 training images


# --- parsing the commands ----------------------------------------------------


def _rest(ctx: click.Context) -> list[str]:
    """What a group's context left for its subcommand (click 8.1 and 8.2+)."""
    protected = getattr(ctx, "_protected_args", None)
    if protected is None:  # click < 8.2
        protected = ctx.protected_args
    return [*protected, *ctx.args]


def click_context(argv) -> click.Context:
    """The context of the (sub)command ``mnistbench ARGV`` parses to, as the
    command line would build it, without running anything; click's
    exceptions for what does not parse."""
    from mnistbench.cli import cli

    cmd: click.Command = cli
    name, args, parent = "mnistbench", list(argv), None
    while True:
        ctx = cmd.make_context(name, list(args), parent=parent)
        if not isinstance(cmd, click.Group):
            return ctx
        rest = _rest(ctx)
        if not rest:
            raise click.UsageError("Missing command.", ctx)
        name, sub, args = cmd.resolve_command(ctx, rest)
        cmd, parent = sub, ctx


def parse_error(argv) -> str | None:
    """None if ``mnistbench ARGV`` parses (``--help`` does), else click's error."""
    try:
        click_context(argv)
    except click.exceptions.Exit as exc:
        return None if exc.exit_code == 0 else f"exits {exc.exit_code}"
    except getattr(click.exceptions, "NoArgsIsHelpError", ()):
        return None  # prints the help, as a bare `mnistbench bench` does
    except click.ClickException as exc:
        ctx = getattr(exc, "ctx", None)
        where = ctx.command_path if ctx is not None else "mnistbench"
        return f"{where}: {exc.format_message()}"
    return None


def parse_problems(doc: Doc) -> list[str]:
    problems = []
    for command in doc.commands:
        error = parse_error(command.argv)
        if error:
            problems.append(f"{doc.name}:{command.line}: {command.written}\n  {error}")
    return problems


# --- making a command small, and knowing what it needs -----------------------


def _map_option(argv: list[str], opts, fn) -> list[str]:
    """``argv`` with each value given to one of ``opts`` (``-d V``, ``-dV``,
    ``--dataset V``, ``--dataset=V``) replaced by ``fn(value)``, in the same
    form; ``fn`` returns None to drop the option."""
    longs = [o for o in opts if o.startswith("--")]
    shorts = [o for o in opts if not o.startswith("--")]
    out: list[str] = []
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            out += argv[i:]
            break
        if word in opts and i + 1 < len(argv):
            value, i = argv[i + 1], i + 2
            form = [word, "{}"]
        elif any(word.startswith(f"{o}=") for o in longs):
            option, _, value = word.partition("=")
            i += 1
            form = [option + "={}"]
        elif any(word.startswith(o) and len(word) > len(o) for o in shorts):
            value, i = word[2:], i + 1
            form = [word[:2] + "{}"]
        else:
            out.append(word)
            i += 1
            continue
        new = fn(value)
        if new is not None:
            out += [f.replace("{}", new) for f in form]
    return out


def _set_option(argv: list[str], opts, value: str) -> list[str]:
    """``argv`` with the option ``opts`` given once, as ``value``, last."""
    return [*_map_option(argv, opts, lambda v: None), opts[0], value]


def _given(ctx: click.Context, name: str) -> bool:
    return ctx.get_parameter_source(name) not in (
        None,
        ParameterSource.DEFAULT,
        ParameterSource.DEFAULT_MAP,
    )


def for_the_sample(argv) -> list[str]:
    """``argv`` as the run check runs it: on mnist-sample, small (see
    ``_docs_examples``' docstring)."""
    ctx = click_context(argv)
    params = {p.name: p for p in ctx.command.params if isinstance(p, click.Option)}
    out = list(argv)
    trains = params.keys() & {"train_size", "search_size", "sizes"}
    dataset = next((p for p in params.values() if "--dataset" in p.opts), None)
    moved = False  # a dataset became the sample: examples may now share jobs
    if dataset is not None:
        registered, seen = set(data.available()), set()

        def to_sample(value):
            nonlocal moved
            new = SAMPLE if value in registered else value
            moved = moved or new != value
            if dataset.multiple and new in seen:
                return None  # -d mnist -d fashion-mnist: the sample once
            seen.add(new)
            return new

        out = _map_option(out, [*dataset.opts, *dataset.secondary_opts], to_sample)
        if trains and not _given(ctx, dataset.name):
            out += ["--dataset", SAMPLE]
            moved = True
    for name in ("train_size", "search_size"):
        value = ctx.params.get(name)
        if name in params and (value is None or value > SMALL):
            out = _set_option(out, params[name].opts, str(SMALL))
    if "budget" in params and not ctx.params.get("budget_cpu"):
        value = ctx.params["budget"]
        if value is None or value > BUDGET:
            out = _set_option(out, params["budget"].opts, str(BUDGET))
    if "sizes" in params:
        out = _set_option(out, params["sizes"].opts, SIZES)
    seeds = ctx.params.get("seeds") if "seeds" in params else None
    if seeds and len(seeds) > 1:
        # one seed shows the command works; the others repeat its path
        out = _set_option(out, params["seeds"].opts, str(seeds[0]))
    # A run into a committed results folder records what is there already; so
    # may one whose dataset became the sample. Otherwise the command runs as
    # written: a sequence of examples that a reader could not run one after
    # the other (the second refusing the first one's jobs) fails here too.
    folder = ctx.params.get("out")
    committed = folder is not None and (ROOT / folder / "leaderboard.csv").is_file()
    resumable = {"resume", "force"} <= params.keys()
    given = resumable and (ctx.params["resume"] or ctx.params["force"])
    if resumable and not given and (moved or committed):
        out.append("--resume")
    return out


def _leaderboard_datasets(folder: Path) -> set[str]:
    path = folder / "leaderboard.csv" if folder.is_dir() else folder
    if not path.is_file():
        return set()  # the command says so itself
    with path.open(newline="", encoding="utf-8") as f:
        return {row.get("dataset", "") for row in csv.DictReader(f)}


def _datasets_needed(ctx: click.Context, cwd: Path) -> set[str]:
    params, path = ctx.params, ctx.command_path.split()[1:]
    names: set[str] = set()
    for key in ("dataset", "datasets"):
        value = params.get(key)
        names.update([value] if isinstance(value, str) else value or ())
    if path == ["fetch"]:
        names.update(params.get("names") or ())
    if path == ["compare"]:
        for side in ("a", "b"):
            if params.get(side):
                names |= _leaderboard_datasets(cwd / params[side])
    if path == ["report"]:
        found = _leaderboard_datasets(cwd / params["out"])
        names |= found & set(params["datasets"]) if params["datasets"] else found
    return names & set(data.available())


@functools.cache
def _on_disk(name: str, data_home: str) -> bool:
    spec = data.get_spec(name)
    if spec.builder is not None or data.is_cached(name, data_home=data_home):
        return True
    return data.has_local_files(spec, data_home)


@functools.cache
def _engines_here() -> frozenset[str]:
    from mnistbench import engines

    return frozenset(engines.available())


def missing_here(argv, cwd: Path, data_home: Path) -> str | None:
    """Why ``mnistbench ARGV`` (already small) cannot run here, or None."""
    ctx = click_context(argv)
    params = ctx.params
    wanted: list[str] = []
    for key in ("engine", "engine_names", "peer"):
        value = params.get(key)
        wanted += [value] if isinstance(value, str) else list(value or ())
    missing = sorted(set(wanted) - _engines_here())
    if missing:
        return f"engine {', '.join(missing)} is not installed here"
    dask = params.get("scheduler") or params.get("cluster")
    if dask and importlib.util.find_spec("distributed") is None:
        return "Dask's distributed is not installed here"
    absent = sorted(
        name
        for name in _datasets_needed(ctx, cwd)
        if not _on_disk(name, str(data_home))
    )
    if absent:
        return f"dataset {', '.join(absent)} is not on disk here (offline)"
    return None
