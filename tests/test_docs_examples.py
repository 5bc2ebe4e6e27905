"""Every example in README.md and docs/ runs.

The examples are collected from ``README.md`` and every ``docs/**/*.md``
(except ``docs/_build``, ``docs/generated`` and ``docs/auto_examples``), from
their fenced code blocks, by the block's info string:

Python (default suite, one item per file, ``test_python_examples[FILE]``)
    ```` ```pycon ```` blocks are doctests (``>>> ``, ``... `` and the expected
    output; ELLIPSIS and NORMALIZE_WHITESPACE are on); ```` ```python ````
    blocks are run as plain code. All of a file's blocks run in document order
    in one namespace, in an empty temporary folder (an example may write
    ``results/``), with the test's own empty data home: use ``mnist-sample``,
    which ships with mnistbench. The first failing block fails the item, with
    the file, the line and the doctest's diff or the traceback; the blocks
    after it are not run. A block that needs a download that fails (offline)
    skips the item. Warnings are shown, not raised.

Command line, parsed (default suite, one item per file, ``test_commands_parse``)
    In ```` ```sh ````, ```` ```bash ````, ```` ```console ```` and
    ```` ```shell ```` blocks, each line is split as a shell would (a leading
    ``$ `` is dropped; in a block with ``$ `` prompts, the lines without one
    are output; ``\\`` continues a line; ``# comments`` are dropped), cut at
    ``&&``, ``||``, ``;``, ``|`` and ``&``, and every part whose first word
    (after ``NAME=value`` assignments) is ``mnistbench`` is a command;
    redirections are dropped, every other command (pip, pytest, dask...) is
    ignored. Each command must parse with the real click command tree: an
    unknown command or option, a bad choice or a bad type fails the item, with
    the file, the line and click's message.

Command line, run (marker ``docs``, deselected by default: ``pytest -m docs``)
    One item per command, ``test_command_runs[FILE:LINE]``. A file's commands
    run in document order, each as a new process of the ``mnistbench`` console
    script, in one fresh folder per file that holds a copy of the repository's
    ``results/`` (so nothing in the repository is written), with a data home
    shared by the docs items. Before running, each command is made small:

    - every ``--dataset``/``-d`` value that names a registered dataset becomes
      ``mnist-sample`` (your own data, a PATH, is kept, so an example on a
      user's folder fails: mark it parse-only); a command that trains (it has
      ``--train-size``, ``--search-size`` or ``--sizes``) and names no dataset
      gets ``--dataset mnist-sample``;
    - ``--train-size`` and ``--search-size``, where the command has them, are
      500 (added, or lowered to it); a ``--budget`` above 4, or none, is 4
      (unless ``--budget-cpu`` is given); ``--sizes`` is ``500,1000``; of
      several ``--seed`` values only the first is kept;
    - ``run`` and ``tune`` get ``--resume`` unless they give ``--resume`` or
      ``--force``: once every dataset is the sample, two examples may name the
      same jobs;
    - ``~`` is a fresh empty folder, not your home.

    A command must exit 0 (or as its block's ``exit`` directive says) within
    300 s; a failure shows the command as written, as run, its exit code and
    the end of its output. A command is skipped, with the reason, when it
    needs what is not here: a dataset other than mnist-sample that is not on
    disk (one it names, one ``fetch`` is asked for, or one whose runs
    ``compare`` or ``report`` read), an engine that is not installed, or Dask
    (``--scheduler``, ``--cluster``) without ``distributed``.

Directives: an HTML comment on the line(s) directly above a fenced block::

    <!-- docs-test: parse-only (it needs a running Dask scheduler) -->
        the block's commands are parse-checked, never run (a shell block)
    <!-- docs-test: skip (REASON) -->
        the block is neither run nor parsed (a Python block that cannot run
        here; a shell block that is a synopsis, not a command)
    <!-- docs-test: exit 1 -->
        the block's last command must exit 1 (``exit 0,1``: either)

The REASON is required. A directive that is malformed, unknown, or not
directly above a fenced block that is tested fails both default items of its
file.
"""

from __future__ import annotations

import csv
import dataclasses
import doctest
import functools
import importlib.util
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import click
import pytest
from click.core import ParameterSource
from helpers import mnistbench

from mnistbench import data
from mnistbench.exceptions import DownloadError

ROOT = Path(__file__).resolve().parents[1]
NOT_COLLECTED = ("docs/_build", "docs/generated", "docs/auto_examples")
PYTHON_LANGS = frozenset({"pycon", "python"})
SHELL_LANGS = frozenset({"sh", "bash", "console", "shell"})
OPTIONFLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE

SAMPLE = "mnist-sample"
SMALL = 500  # --train-size, --search-size
BUDGET = 4  # tune's candidates per pipeline
SIZES = "500,1000"  # bench scaling; the sample has 4,000 training images
TIMEOUT = 300  # seconds a command may take
PARALLEL = 3  # files whose commands run side by side
TAIL = 2000  # characters of a failed command's output shown

SEPARATORS = frozenset({"&&", "||", ";", "|", "&", "|&", ";;"})
REDIRECTIONS = frozenset({">", ">>", "<", ">&", "&>", "&>>", "<&", ">|", "<<", "<<<"})
ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
FENCE = re.compile(r"(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)")
DIRECTIVE = re.compile(r"\s*<!--\s*docs-test:(?P<body>.*?)-->\s*")
EXPLAINED = re.compile(r"(?P<what>parse-only|skip)\s*(?:\((?P<reason>.*)\))?")
EXIT = re.compile(r"exit\s+(?P<codes>\d+(?:\s*,\s*\d+)*)")


# --- reading the examples ----------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Block:
    """A fenced block: ``line`` is the file's line of its first content line."""

    lang: str
    line: int
    text: str
    parse_only: str | None = None
    skip: str | None = None
    exit_codes: tuple[int, ...] | None = None


@dataclasses.dataclass(frozen=True)
class Command:
    """``mnistbench ARGV`` at ``doc``'s ``line``, and how it must end."""

    doc: str
    line: int
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()
    exit_codes: tuple[int, ...] = (0,)
    parse_only: str | None = None

    @property
    def written(self) -> str:
        return shell_line(self.argv, dict(self.env))


@dataclasses.dataclass
class Doc:
    """One Markdown file's tested blocks, commands and mistakes."""

    name: str
    path: Path | None = None
    blocks: list[Block] = dataclasses.field(default_factory=list)
    commands: list[Command] = dataclasses.field(default_factory=list)
    errors: list[str] = dataclasses.field(default_factory=list)

    @property
    def python_blocks(self) -> list[Block]:
        return [b for b in self.blocks if b.lang in PYTHON_LANGS]


def shell_line(argv, env=None) -> str:
    words = [f"{k}={shlex.quote(v)}" for k, v in (env or {}).items()]
    return " ".join([*words, shlex.join(["mnistbench", *argv])])


def read_doc(text: str, name: str, path: Path | None = None) -> Doc:
    """The tested blocks of Markdown ``text``, with their directives."""
    doc = Doc(name, path)
    lines = text.splitlines()
    pending: list[tuple[int, str]] = []  # directives waiting for their block
    i = 0
    while i < len(lines):
        opening = FENCE.fullmatch(lines[i])
        fence = opening["fence"] if opening else ""
        if opening and not (fence[0] == "`" and "`" in opening["info"]):
            closing = re.compile(rf" {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*")
            indent = len(opening["indent"])
            body, j = [], i + 1
            while j < len(lines) and not closing.fullmatch(lines[j]):
                line = lines[j]
                body.append(line[min(indent, len(line) - len(line.lstrip(" "))) :])
                j += 1
            info = opening["info"].split()
            lang = info[0].lower() if info else ""
            _add_block(doc, lang, i + 2, "\n".join(body) + "\n", pending)
            pending = []
            i = j + 1
            continue
        directive = DIRECTIVE.fullmatch(lines[i])
        if directive:
            pending.append((i + 1, directive["body"].strip()))
        else:
            if lines[i].lstrip().startswith("<!--") and "docs-test" in lines[i]:
                doc.errors.append(
                    f"{name}:{i + 1}: malformed directive {lines[i].strip()!r}; "
                    "write <!-- docs-test: ... --> alone on its line"
                )
            _orphans(doc, pending)
            pending = []
        i += 1
    _orphans(doc, pending)
    for block in doc.blocks:
        if block.lang in SHELL_LANGS and block.skip is None:
            doc.commands += _commands(doc, block)
    return doc


def _orphans(doc: Doc, pending) -> None:
    for line, body in pending:
        doc.errors.append(
            f"{doc.name}:{line}: directive {body!r} is not directly above "
            "a fenced block"
        )


def _add_block(doc: Doc, lang: str, line: int, text: str, directives) -> None:
    tested = lang in PYTHON_LANGS or lang in SHELL_LANGS
    found: dict[str, object] = {}
    for at, body in directives:
        where = f"{doc.name}:{at}"
        explained, exits = EXPLAINED.fullmatch(body), EXIT.fullmatch(body)
        if not tested:
            doc.errors.append(
                f"{where}: directive {body!r} is above a ```{lang} block, which "
                "is not tested (only pycon, python, sh, bash, console, shell)"
            )
            continue
        if explained:
            what, reason = explained["what"], (explained["reason"] or "").strip()
            if not reason:
                doc.errors.append(
                    f"{where}: {what} needs a reason: "
                    f"<!-- docs-test: {what} (REASON) -->"
                )
                continue
            key = what.replace("-", "_")
        elif exits:
            key, reason = "exit", tuple(int(c) for c in exits["codes"].split(","))
        else:
            doc.errors.append(
                f"{where}: unknown directive {body!r}; expected "
                "parse-only (REASON), skip (REASON) or exit N"
            )
            continue
        if key in found:
            doc.errors.append(f"{where}: a second {body.split()[0]} directive")
        found[key] = reason
    if lang in PYTHON_LANGS and found.keys() & {"parse_only", "exit"}:
        doc.errors.append(
            f"{doc.name}:{line - 1}: parse-only and exit are for shell blocks; "
            "a Python block that cannot run takes skip (REASON)"
        )
    elif len(found) > 1:
        doc.errors.append(
            f"{doc.name}:{line - 1}: one of parse-only, skip and exit per block"
        )
    if tested:
        doc.blocks.append(
            Block(
                lang,
                line,
                text,
                parse_only=found.get("parse_only"),
                skip=found.get("skip"),
                exit_codes=found.get("exit"),
            )
        )


def _logical_lines(block: Block):
    """(file line, text) of each command line: prompts and output handled,
    continuations joined."""
    raw = block.text.splitlines()
    prompted = any(ln.lstrip().startswith("$ ") for ln in raw)
    i = 0
    while i < len(raw):
        start, line = block.line + i, raw[i]
        stripped = line.lstrip()
        if prompted and not stripped.startswith("$ "):
            i += 1  # output
            continue
        if stripped.startswith("$ "):
            line = stripped[2:]
        while line.endswith("\\") and i + 1 < len(raw):
            i += 1
            line = line[:-1] + raw[i]
        yield start, line
        i += 1


def _words(line: str) -> list[str]:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    return list(lexer)


def _commands(doc: Doc, block: Block) -> list[Command]:
    found = []
    for line, text in _logical_lines(block):
        try:
            words = _words(text)
        except ValueError as exc:
            doc.errors.append(f"{doc.name}:{line}: cannot split {text!r}: {exc}")
            continue
        part: list[str] = []
        for word in [*words, ";"]:
            if word in SEPARATORS:
                if command := _command(doc, line, part, block):
                    found.append(command)
                part = []
            else:
                part.append(word)
    if found and block.exit_codes is not None:
        found[-1] = dataclasses.replace(found[-1], exit_codes=block.exit_codes)
    elif block.exit_codes is not None:
        doc.errors.append(
            f"{doc.name}:{block.line - 1}: exit directive above a block "
            "without a mnistbench command"
        )
    return found


def _command(doc: Doc, line: int, words: list[str], block: Block) -> Command | None:
    kept: list[str] = []
    skip_next = False
    for word in words:
        if skip_next:
            skip_next = False
        elif word in REDIRECTIONS:
            skip_next = True  # its target
            if kept and kept[-1] in {"0", "1", "2"}:
                kept.pop()  # 2>&1 splits as 2, >&, 1
        else:
            kept.append(word)
    env = []
    while kept and ASSIGNMENT.match(kept[0]):
        name, _, value = kept.pop(0).partition("=")
        env.append((name, value))
    if not kept or kept[0] != "mnistbench":
        return None
    return Command(
        doc.name, line, tuple(kept[1:]), tuple(env), parse_only=block.parse_only
    )


def doc_paths(root: Path = ROOT) -> list[Path]:
    paths = [root / "README.md"] if (root / "README.md").is_file() else []
    for path in sorted((root / "docs").rglob("*.md")):
        rel = path.relative_to(root).as_posix()
        if not any(rel.startswith(f"{prefix}/") for prefix in NOT_COLLECTED):
            paths.append(path)
    return paths


def load_doc(path: Path, root: Path = ROOT) -> Doc:
    name = path.relative_to(root).as_posix()
    return read_doc(path.read_text(encoding="utf-8"), name, path)


DOCS = [load_doc(p) for p in doc_paths()]


# --- running the Python examples ---------------------------------------------


class _Runner(doctest.DocTestRunner):
    """A doctest runner that keeps the exceptions the examples raised."""

    def __init__(self):
        super().__init__(optionflags=OPTIONFLAGS)
        self.raised: list[BaseException] = []

    def report_unexpected_exception(self, out, test, example, exc_info):
        self.raised.append(exc_info[1])
        super().report_unexpected_exception(out, test, example, exc_info)


def run_python(doc: Doc) -> str | None:
    """Run ``doc``'s Python blocks in order in one namespace in the current
    folder: None if they all pass, else what the first failing block did.
    Skips (pytest.skip) when a block needs a download that fails."""
    namespace: dict = {"__name__": "__docs__"}
    runner = _Runner()
    parser = doctest.DocTestParser()
    blocks = [b for b in doc.python_blocks if b.skip is None]
    for n, block in enumerate(blocks):
        later = len(blocks) - n - 1
        after = f"\n({later} later Python block(s) of {doc.name} not run)" * bool(later)
        where = f"{doc.name}:{block.line}: ```{block.lang} block"
        if block.lang == "pycon":
            try:
                test = parser.get_doctest(
                    block.text, namespace, doc.name, doc.name, block.line - 1
                )
            except ValueError as exc:  # ">>>x", or output indented less
                return f"{where} is not a doctest: {exc}{after}"
            out: list[str] = []
            runner.raised.clear()
            with warnings.catch_warnings():
                warnings.simplefilter("default")
                result = runner.run(test, out=out.append, clear_globs=False)
            namespace = test.globs
            _skip_offline(where, runner.raised)
            if result.failed:
                return f"{where} failed:\n{''.join(out)}{after}"
        else:
            filename = str(doc.path) if doc.path else doc.name
            try:
                code = compile("\n" * (block.line - 1) + block.text, filename, "exec")
                with warnings.catch_warnings():
                    warnings.simplefilter("default")
                    exec(code, namespace)
            except Exception as exc:
                _skip_offline(where, [exc])
                shown = traceback.format_exception(
                    type(exc), exc, exc.__traceback__.tb_next
                )
                return f"{where} raised:\n{''.join(shown)}{after}"
    return None


def _skip_offline(where: str, raised) -> None:
    for exc in raised:
        if isinstance(exc, DownloadError):
            pytest.skip(f"{where} needs a download that failed here: {exc}")


def _fail_on_doc_errors(doc: Doc) -> None:
    if doc.errors:
        pytest.fail("\n".join(doc.errors), pytrace=False)


DOC_PARAMS = [pytest.param(doc, id=doc.name) for doc in DOCS]


@pytest.mark.parametrize("doc", DOC_PARAMS)
def test_python_examples(doc, tmp_path, monkeypatch):
    _fail_on_doc_errors(doc)
    if not doc.python_blocks:
        pytest.skip("no Python example")
    if all(b.skip for b in doc.python_blocks):
        pytest.skip("every Python example opts out: " + doc.python_blocks[0].skip)
    monkeypatch.chdir(tmp_path)
    failure = run_python(doc)
    if failure:
        pytest.fail(failure, pytrace=False)


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


@pytest.mark.parametrize("doc", DOC_PARAMS)
def test_commands_parse(doc):
    _fail_on_doc_errors(doc)
    if not doc.commands:
        pytest.skip("no mnistbench command")
    problems = parse_problems(doc)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


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
    """``argv`` as the run check runs it: on mnist-sample, small (see the
    module's docstring)."""
    ctx = click_context(argv)
    params = {p.name: p for p in ctx.command.params if isinstance(p, click.Option)}
    out = list(argv)
    trains = params.keys() & {"train_size", "search_size", "sizes"}
    dataset = next((p for p in params.values() if "--dataset" in p.opts), None)
    if dataset is not None:
        registered, seen = set(data.available()), set()

        def to_sample(value):
            new = SAMPLE if value in registered else value
            if dataset.multiple and new in seen:
                return None  # -d mnist -d fashion-mnist: the sample once
            seen.add(new)
            return new

        out = _map_option(out, [*dataset.opts, *dataset.secondary_opts], to_sample)
        if trains and not _given(ctx, dataset.name):
            out += ["--dataset", SAMPLE]
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
    resumable = {"resume", "force"} <= params.keys()
    if resumable and not (ctx.params["resume"] or ctx.params["force"]):
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


def _expand_home(word: str, home: Path) -> str:
    if word == "~" or word.startswith("~/"):
        return str(home) + word[1:]
    return word


# --- running the commands ----------------------------------------------------


def run_process(args, cwd, env, timeout: float) -> tuple[int | None, str, float]:
    """(exit code or None after a timeout, stdout and stderr, seconds); on a
    timeout the whole process group (its job processes too) is killed."""
    start = time.monotonic()
    proc = subprocess.Popen(
        args,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        output, _ = proc.communicate()
        code = None
    return code, output, time.monotonic() - start


@dataclasses.dataclass
class Outcome:
    """What running one command gave: a reason it was skipped, or its exit
    code (None: it ran out of time) and output, as run, where."""

    skipped: str | None = None
    code: int | None = None
    output: str = ""
    argv: list[str] = dataclasses.field(default_factory=list)
    cwd: Path | None = None


class DocsRuns:
    """The state the run items of one session share: a folder per file (a
    copy of results/), a data home, a home for ``~``, and each command's
    outcome.

    The files' command sequences run side by side, ``PARALLEL`` at a time,
    each file's commands in document order: a command spends much of its time
    starting Pythons and waiting for its jobs, so two cores run three files
    in about half the time of one after the other."""

    def __init__(self, factory: pytest.TempPathFactory):
        self.factory = factory
        self.data_home = factory.mktemp("docs-data-home")
        self.home = factory.mktemp("docs-home")
        self.folders: dict[str, Path] = {}
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._futures: dict[str, Future] = {}

    def folder(self, doc: str) -> Path:
        with self._lock:
            if doc not in self.folders:
                name = "docs-" + re.sub(r"\W+", "-", doc)
                folder = self.factory.mktemp(name)
                if (ROOT / "results").is_dir():
                    shutil.copytree(ROOT / "results", folder / "results")
                self.folders[doc] = folder
            return self.folders[doc]

    def outcome(self, command) -> Outcome:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(PARALLEL)
            # the files with most commands first, so that none starts last
            for doc in sorted(DOCS, key=lambda d: -len(d.commands)):
                if doc.commands:
                    self._futures[doc.name] = self._pool.submit(self._run_doc, doc)
        doc = next(d for d in DOCS if d.name == command.doc)
        place = next(i for i, c in enumerate(doc.commands) if c is command)
        return self._futures[command.doc].result()[place]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def _run_doc(self, doc) -> list[Outcome]:
        return [self._run(c) for c in doc.commands]

    def _run(self, command) -> Outcome:
        if command.parse_only:
            return Outcome(skipped=f"parse-only ({command.parse_only})")
        if parse_error(command.argv):
            return Outcome()  # the item says why
        cwd = self.folder(command.doc)
        argv = [_expand_home(w, self.home) for w in for_the_sample(command.argv)]
        reason = missing_here(argv, cwd, self.data_home)
        if reason:
            return Outcome(skipped=f"{command.doc}:{command.line}: {reason}")
        env = {**os.environ, "MNISTBENCH_DATA_HOME": str(self.data_home)}
        env.update((k, _expand_home(v, self.home)) for k, v in command.env)
        code, output, _ = run_process(mnistbench(*argv), cwd, env, TIMEOUT)
        return Outcome(code=code, output=output, argv=argv, cwd=cwd)


@pytest.fixture(scope="module")
def docs_runs(tmp_path_factory):
    runs = DocsRuns(tmp_path_factory)
    yield runs
    runs.close()


def _run_ids():
    cases, seen = [], {}
    for doc in DOCS:
        for command in doc.commands:
            key = f"{command.doc}:{command.line}"
            seen[key] = seen.get(key, 0) + 1
            suffix = f"-{seen[key]}" if seen[key] > 1 else ""
            cases.append(pytest.param(command, id=key + suffix))
    return cases


@pytest.mark.docs
@pytest.mark.parametrize("command", _run_ids())
def test_command_runs(command, docs_runs):
    where = f"{command.doc}:{command.line}: {command.written}"
    error = parse_error(command.argv)
    if error:
        pytest.fail(f"{where}\ndoes not parse: {error}", pytrace=False)
    ran = docs_runs.outcome(command)
    if ran.skipped:
        pytest.skip(ran.skipped)
    if ran.code in command.exit_codes:
        return
    ended = (
        f"exit code {ran.code}" if ran.code is not None else f"no end in {TIMEOUT} s"
    )
    expected = " or ".join(map(str, command.exit_codes))
    message = [
        where,
        f"as run: {shell_line(ran.argv, dict(command.env))}",
        f"in {ran.cwd} (a copy of the repository's results/)",
        f"{ended}, expected {expected}",
        f"--- the last {TAIL:,} characters of its output ---",
        ran.output[-TAIL:],
    ]
    pytest.fail("\n".join(message), pytrace=False)


# --- the collector's own tests -----------------------------------------------


def _doc(tmp_path, text: str, name: str = "guide.md") -> Doc:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_doc(path, tmp_path)


def test_the_docs_are_collected():
    names = [doc.name for doc in DOCS]
    if not names:
        pytest.skip("no README.md here (an installed copy of the tests)")
    assert names[0] == "README.md"
    assert not [n for n in names if n.startswith(NOT_COLLECTED)]


def test_shell_lines_are_split_as_a_shell_would(tmp_path):
    doc = _doc(
        tmp_path,
        "# Title\n"
        "```sh\n"
        "# a comment\n"
        "pip install . && mnistbench run --all -d mnist  # 2 min\n"
        "mnistbench leaderboard \\\n"
        "    --format markdown; pytest -q\n"
        "MNISTBENCH_DATA_HOME=/x mnistbench info 2>&1 > info.txt\n"
        "python -m pip list | mnistbench pipelines svm\n"
        "```\n"
        "\n"
        "```console\n"
        "$ mnistbench datasets\n"
        "mnistbench says this\n"
        "```\n"
        "```toml\n"
        "mnistbench = 1\n"
        "```\n",
    )
    assert [(c.line, c.argv) for c in doc.commands] == [
        (4, ("run", "--all", "-d", "mnist")),
        (5, ("leaderboard", "--format", "markdown")),
        (7, ("info",)),
        (8, ("pipelines", "svm")),
        (12, ("datasets",)),
    ]
    assert doc.commands[2].env == (("MNISTBENCH_DATA_HOME", "/x"),)
    assert doc.commands[2].written == "MNISTBENCH_DATA_HOME=/x mnistbench info"
    assert not doc.errors


def test_a_wrong_option_choice_type_or_command_is_caught(tmp_path):
    doc = _doc(
        tmp_path,
        "```sh\n"
        "mnistbench run --all -d mnist-sample\n"
        "mnistbench run --al\n"
        "mnistbench run --engine sklearn-intelex\n"
        "mnistbench run --seed one\n"
        "mnistbench bench peers\n"
        "mnistbench bench\n"
        "mnistbench --help\n"
        "```\n",
    )
    problems = parse_problems(doc)
    assert len(problems) == 4, problems
    assert problems[0].startswith("guide.md:3: mnistbench run --al\n")
    assert "No such option" in problems[0] and "--al" in problems[0]
    assert "'sklearn-intelex' is not one of" in problems[1]
    assert (
        "guide.md:5:" in problems[2] and "'one' is not a valid integer" in problems[2]
    )
    assert "No such command 'peers'" in problems[3]


def test_directives_need_a_reason_and_a_block(tmp_path):
    doc = _doc(
        tmp_path,
        "<!-- docs-test: parse-only -->\n"
        "```sh\n"
        "mnistbench run --scheduler tcp://HOST:8786\n"
        "```\n"
        "<!-- docs-test: skip () -->\n"
        "```python\n"
        "1 / 0\n"
        "```\n"
        "<!-- docs-test: parse-only (needs a cluster) -->\n"
        "\n"
        "```sh\n"
        "mnistbench info\n"
        "```\n"
        "<!-- docs-test: sometimes -->\n"
        "```sh\n"
        "mnistbench info\n"
        "```\n"
        "<!--docs-test parse-only (x)-->\n"
        "<!-- docs-test: skip (a synopsis) -->\n"
        "```toml\n"
        "x = 1\n"
        "```\n",
    )
    errors = "\n".join(doc.errors)
    assert "guide.md:1: parse-only needs a reason" in errors
    assert "guide.md:5: skip needs a reason" in errors
    assert "guide.md:9: directive 'parse-only (needs a cluster)' is not directly" in (
        errors
    )
    assert "guide.md:14: unknown directive 'sometimes'" in errors
    assert "guide.md:18: malformed directive" in errors
    assert "guide.md:19: directive 'skip (a synopsis)' is above a ```toml" in errors
    assert len(doc.errors) == 6
    with pytest.raises(pytest.fail.Exception, match="needs a reason"):
        _fail_on_doc_errors(doc)


def test_directives_apply_to_their_block(tmp_path):
    doc = _doc(
        tmp_path,
        "<!-- docs-test: parse-only (it needs a Dask scheduler) -->\n"
        "```sh\n"
        "mnistbench run --scheduler tcp://HOST:8786\n"
        "```\n"
        "<!-- docs-test: exit 0,1 -->\n"
        "```sh\n"
        "mnistbench run -d mnist-sample --out a\n"
        "mnistbench compare a a --fail-on same\n"
        "```\n"
        "<!-- docs-test: skip (a synopsis) -->\n"
        "```sh\n"
        "mnistbench run [PIPELINE ...] [--engine sklearn|cuml]\n"
        "```\n"
        "* Mark it with `<!-- docs-test: skip (REASON) -->` in prose:\n"
        "  comment before it: `<!-- docs-test: parse-only (REASON) -->`; done\n",
    )
    assert not doc.errors
    first, run, compare = doc.commands
    assert first.parse_only == "it needs a Dask scheduler"
    assert (run.exit_codes, compare.exit_codes) == ((0,), (0, 1))
    assert doc.blocks[2].skip == "a synopsis"
    assert parse_problems(doc) == []


def test_commands_are_made_small_for_the_sample():
    def small(line):
        return " ".join(for_the_sample(line.split()))

    assert small("run --all -d fashion-mnist -d mnist --out r") == (
        "run --all -d mnist-sample --out r --train-size 500 --resume"
    )
    assert small("run svm --dataset=kmnist -d ~/qmnist --train-size 200 --force") == (
        "run svm --dataset=mnist-sample -d ~/qmnist --train-size 200 --force"
    )
    assert small("run --all --train-size 20000 --resume") == (
        "run --all --resume --dataset mnist-sample --train-size 500"
    )
    assert small("tune --all -d mnist-sample --budget 10") == (
        "tune --all -d mnist-sample --search-size 500 --budget 4 --resume"
    )
    assert small("tune svm --budget 3 --search-size 300") == (
        "tune svm --budget 3 --search-size 300 --dataset mnist-sample --resume"
    )
    assert small("run knn --seed 0 --seed 1 --seed 2 -d mnist --n-jobs 1") == (
        "run knn -d mnist-sample --n-jobs 1 --train-size 500 --seed 0 --resume"
    )
    assert small("bench peer --out results/bench") == (
        "bench peer --out results/bench --dataset mnist-sample --train-size 500"
    )
    assert small("bench scaling svm -dfashion-mnist") == (
        "bench scaling svm -dmnist-sample --sizes 500,1000"
    )
    assert small("leaderboard --out r -d fashion-mnist") == (
        "leaderboard --out r -d mnist-sample"
    )
    assert small("compare a b --fail-on slower") == "compare a b --fail-on slower"
    for line in ("run --all", "tune svm", "bench scaling", "bench engines knn"):
        assert parse_error(for_the_sample(shlex.split(line))) is None


def test_what_a_command_needs_here(tmp_path):
    board = tmp_path / "r" / "leaderboard.csv"
    board.parent.mkdir()
    board.write_text("dataset,pipeline\nkmnist,svm\nmy-data@1234,svm\n")
    home = tmp_path / "data_home"
    if _on_disk("kmnist", str(home)):
        pytest.skip("KMNIST is on disk here")
    assert missing_here(["run", "-d", "mnist-sample"], tmp_path, home) is None
    assert missing_here(["leaderboard", "--out", "r"], tmp_path, home) is None
    for argv in (["compare", "r", "--by", "engine"], ["report", "--out", "r"]):
        assert missing_here(argv, tmp_path, home) == (
            "dataset kmnist is not on disk here (offline)"
        )
    assert missing_here(["report", "--out", "r", "-d", "x"], tmp_path, home) is None
    assert "kmnist" in missing_here(["fetch", "kmnist"], tmp_path, home)
    if "cuml" not in _engines_here():
        reason = missing_here(["run", "--engine", "cuml"], tmp_path, home)
        assert reason == "engine cuml is not installed here"


def test_python_examples_share_a_namespace_and_report_their_line(tmp_path):
    ok = _doc(
        tmp_path,
        "```python\n"
        "from mnistbench import data\n"
        "ds = data.load('mnist-sample')\n"
        "```\n"
        "<!-- docs-test: skip (it needs your own folder) -->\n"
        "```python\n"
        "data.load('~/data/qmnist')\n"
        "```\n"
        "```pycon\n"
        ">>> ds.name, ds.X_train.shape\n"
        "('mnist-sample', (4000, 784))\n"
        ">>> print('a   long' , 'line...')  # doctest spacing\n"
        "a long ...\n"
        "```\n",
    )
    assert run_python(ok) is None
    bad = _doc(
        tmp_path,
        "Text.\n"
        "```pycon\n"
        ">>> x = 2\n"
        ">>> x + 1\n"
        "4\n"
        "```\n"
        "```python\n"
        "print('never run')\n"
        "```\n",
        name="bad.md",
    )
    failure = run_python(bad)
    assert failure.startswith("bad.md:3: ```pycon block failed:")
    assert 'File "bad.md", line 4' in failure
    assert "Expected:\n    4\nGot:\n    3" in failure
    assert "(1 later Python block(s) of bad.md not run)" in failure
    raising = _doc(tmp_path, "```python\nx = 1\ny = x / 0\n```\n", name="r.md")
    failure = run_python(raising)
    assert failure.startswith("r.md:2: ```python block raised:")
    assert f'File "{tmp_path / "r.md"}", line 3' in failure
    assert "y = x / 0" in failure and "ZeroDivisionError" in failure
    broken = _doc(tmp_path, "```pycon\n>>>x = 1\n```\n```python\nx = (\n```\n")
    assert "guide.md:2: ```pycon block is not a doctest" in run_python(broken)
    broken = _doc(tmp_path, "```python\nx = (\n```\n")
    failure = run_python(broken)
    assert failure.startswith("guide.md:2: ```python block raised")
    assert "SyntaxError" in failure and "line 2" in failure


def test_a_failed_download_skips(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise DownloadError("mnist: cannot resolve host (no network?)")

    monkeypatch.setattr(data, "load", offline)
    doc = _doc(tmp_path, "```python\nfrom mnistbench import data\ndata.load()\n```\n")
    with pytest.raises(pytest.skip.Exception, match="guide.md:2: .*no network"):
        run_python(doc)


def test_a_command_that_hangs_is_killed_with_its_children(tmp_path):
    code, output, seconds = run_process(
        [sys.executable, "-c", "print('up', flush=True); import time; time.sleep(60)"],
        tmp_path,
        os.environ,
        timeout=1,
    )
    assert code is None and output == "up\n" and seconds < 30
    code, output, _ = run_process(mnistbench("--version"), tmp_path, os.environ, 60)
    assert code == 0 and "mnistbench" in output
