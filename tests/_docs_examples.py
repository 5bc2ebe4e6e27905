"""The collector of the docs' examples (``tests/test_docs_examples.py``
checks that every example in README.md and docs/ runs), and its conventions.

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

Command line, run (marker ``docs``, deselected by default: ``pytest -m docs -n 0``)
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
    - ``run`` and ``tune`` get ``--resume``, unless they give ``--resume`` or
      ``--force``, when a dataset became the sample (two examples may then
      name the same jobs) or when they write into a committed results folder
      (which holds those jobs already); otherwise they run as written, so a
      sequence of examples that a reader could not run one after the other
      fails;
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

import dataclasses
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOT_COLLECTED = ("docs/_build", "docs/generated", "docs/auto_examples")
PYTHON_LANGS = frozenset({"pycon", "python"})
SHELL_LANGS = frozenset({"sh", "bash", "console", "shell"})
SEPARATORS = frozenset({"&&", "||", ";", "|", "&", "|&", ";;"})
REDIRECTIONS = frozenset({">", ">>", "<", ">&", "&>", "&>>", "<&", ">|", "<<", "<<<"})
ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
FENCE = re.compile(r"(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)")
DIRECTIVE = re.compile(r"\s*<!--\s*docs-test:(?P<body>.*?)-->\s*")
EXPLAINED = re.compile(r"(?P<what>parse-only|skip)\s*(?:\((?P<reason>.*)\))?")
EXIT = re.compile(r"exit\s+(?P<codes>\d+(?:\s*,\s*\d+)*)")


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
