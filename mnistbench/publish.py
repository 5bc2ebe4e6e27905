"""Publishing a results folder: one zip archive a reader checks with nothing else.

The archive holds the folder's tables (``leaderboard.csv``, and
``trials.csv``, ``refits.csv``, ``robustness.csv``, ``commands.csv`` where
there are), every predictions file their rows point to, the test set of
every dataset the rows were scored on (``testsets/NAME.npz``), a report
built from the archive alone (no dataset cache, no network) with a
pull-request-ready copy of its Markdown, the machines (``environment.json``),
the commands that made the rows (``COMMANDS.md``) and a ``README.md`` saying
how to check it. It is staged in a temporary folder (never inside the results
folder) and written whole or not at all.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import pandas as pd

from mnistbench import data, report
from mnistbench._io import WriteError, atomic_write, check_writable, make_folder
from mnistbench._io import cause as _cause
from mnistbench._publish_texts import (
    PR_LIMIT,
    commands_md,
    environment,
    pr_markdown,
    readme,
)
from mnistbench.exceptions import MnistbenchError
from mnistbench.results._commands import COMMANDS
from mnistbench.results._read import read_leaderboard
from mnistbench.results._robustness import ROBUSTNESS, read_robustness
from mnistbench.results._schema import LEADERBOARD
from mnistbench.results._testsets import dataset_of, save_test_set
from mnistbench.results._trials import REFITS, TRIALS

__all__ = ["PR_LIMIT", "PublishError", "Published", "pr_markdown", "publish"]

logger = logging.getLogger(__name__)

_TABLES = (LEADERBOARD, TRIALS, REFITS, ROBUSTNESS, COMMANDS)
#: Already compressed: stored as they are.
_STORED = (".png", ".npz")
#: Every member's time stamp, so that the same files give the same bytes.
_EPOCH = (1980, 1, 1, 0, 0, 0)


class PublishError(MnistbenchError, ValueError):
    """A results folder cannot be published as it is."""


@dataclass(frozen=True)
class Published:
    """What :func:`publish` wrote: the archive, its size in bytes, its files
    (relative to its top folder), the datasets (name -> sha256), the
    machines' labels, the leaderboard rows, and how many runs' commands were
    recorded and how many reconstructed from their rows."""

    zip_path: Path
    size: int
    files: tuple[str, ...]
    datasets: dict[str, str]
    machines: tuple[str, ...]
    n_rows: int
    commands_recorded: int
    commands_reconstructed: int


def publish(
    out: str | os.PathLike,
    zip_path: str | os.PathLike,
    *,
    data_home: str | os.PathLike | None = None,
) -> Published:
    """Pack the results folder ``out`` into the zip archive ``zip_path``.

    Parameters
    ----------
    out : path
        A results folder (``mnistbench run --out``) with at least one ok row.
    zip_path : path
        The archive to write, outside ``out``; its one top folder is named
        after its stem.
    data_home : path, optional
        Where the datasets are cached: their test sets are read from there.

    Returns
    -------
    Published

    Raises
    ------
    PublishError
        ``out`` is not a results folder or has no ok row; ``zip_path`` is a
        folder or inside ``out``; a predictions file is missing or does not
        score as its row says; a dataset cannot be loaded, or is not the one
        the rows were scored on; the report cannot be built from the archive.
    mnistbench._io.WriteError
        The archive could not be written (nothing is left of it).
    """
    out, zip_path = Path(out), Path(zip_path)
    board = _board(out)
    top = _check_target(out, zip_path)
    robustness = read_robustness(out, newest=False)
    files = [t for t in _TABLES if _is_file(out / t)] + _predictions(board, robustness)
    _check_files(out, files)
    ok = board[board["status"] == "ok"]
    sets = {name: _test_set(out, ok, name, data_home) for name in _names(ok)}
    for ds in sets.values():
        _check_scores(out, ok[ok["dataset"] == ds.name], ds)
    with tempfile.TemporaryDirectory(prefix="mnistbench-publish-") as tmp:
        stage = make_folder(Path(tmp) / top)
        for rel in files:
            _copy(out / rel, stage / rel)
        for ds in sets.values():
            save_test_set(stage, ds)
        try:
            report.build(stage, data_home=Path(tmp) / "empty-data-home")
        except MnistbenchError as exc:
            raise PublishError(
                f"the report cannot be built from the archive: {exc}"
            ) from None
        md = (stage / "report.md").read_text(encoding="utf-8")
        _write(stage / "report-pr.md", pr_markdown(md))
        env = environment(board, sets)
        _write(stage / "environment.json", json.dumps(env, indent=2, default=str))
        commands, counts = commands_md(out, board, robustness)
        _write(stage / "COMMANDS.md", commands)
        listed = sorted(_listing(stage) + ["README.md"])
        _write(stage / "README.md", readme(top, board, env, sets, listed))
        _write_zip(zip_path, stage, top, listed)
    size = zip_path.stat().st_size
    logger.info("published %s: %d files, %d bytes", zip_path, len(listed), size)
    return Published(
        zip_path,
        size,
        tuple(listed),
        {name: ds.sha256 for name, ds in sets.items()},
        tuple(m["label"] for m in env["machines"]),
        len(board),
        *counts,
    )


# --- checking the inputs --------------------------------------------------------


def _is_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def _board(out: Path) -> pd.DataFrame:
    if not _is_file(out / LEADERBOARD):
        raise PublishError(
            f"{out}: not a results folder (no {LEADERBOARD}); give the folder "
            "`mnistbench run --out` wrote"
        )
    board = read_leaderboard(out)
    if not (board["status"] == "ok").any():
        raise PublishError(f"{out / LEADERBOARD}: no successful row to publish")
    return board


def _check_target(out: Path, zip_path: Path) -> str:
    """The archive's top folder name; refuses a folder, a path inside
    ``out``, or a place that cannot be written, before anything is done."""
    if zip_path.is_dir():
        raise PublishError(f"{zip_path} is a folder; give the archive's file name")
    top = zip_path.name[:-4] if zip_path.name.lower().endswith(".zip") else ""
    if top in ("", ".", "..") or top.startswith("."):
        raise PublishError(f"{zip_path}: give a file name ending in .zip, as NAME.zip")
    here, target = out.resolve(), Path(os.path.abspath(zip_path)).resolve()
    if here == target or here in target.parents:
        raise PublishError(
            f"{zip_path} is inside {out}; write the archive outside the folder"
        )
    try:
        check_writable(zip_path.parent, zip_path.name, create=False)
    except WriteError as exc:
        raise PublishError(f"cannot write the archive {zip_path}: {exc}") from None
    return top


def _predictions(board: pd.DataFrame, robustness: pd.DataFrame) -> list[str]:
    """Every predictions file the rows point to, once, in their order."""
    paths = [*board["predictions"], *robustness["predictions"]]
    return list(dict.fromkeys(p for p in paths if isinstance(p, str) and p))


def _check_files(out: Path, files: list[str]) -> None:
    here = out.resolve()
    for rel in files:
        pure = PurePosixPath(rel)
        inside = not pure.is_absolute() and ".." not in pure.parts
        if not inside or here not in (out / rel).resolve().parents:
            raise PublishError(
                f"{out}: a row's predictions path {rel!r} points outside the folder"
            )
        if not _is_file(out / rel):
            raise PublishError(
                f"{out / rel}: missing (or not a file), but a row points to it; "
                "restore it or delete the row to publish"
            )


def _names(ok: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(ok["dataset"].dropna()))


def _test_set(out: Path, ok: pd.DataFrame, name: str, data_home) -> data.Dataset:
    """``name``'s dataset (archived in ``out`` where it is, else loaded),
    checked against the hash and test-set size its ok rows recorded."""
    rows = ok[ok["dataset"] == name]
    hashes = sorted(set(rows["data_sha256"].dropna()) - {""})
    if len(hashes) > 1:
        raise PublishError(
            f"the rows of {name} were scored on {len(hashes)} different test sets "
            f"(data_sha256 {', '.join(h[:12] for h in hashes)}); publish them apart"
        )
    sha = hashes[0] if hashes else None
    try:
        ds = dataset_of([out], name, sha, data_home=data_home)
    except MnistbenchError as exc:
        raise PublishError(
            f"cannot load {name}, whose test set the archive needs: {exc}"
        ) from None
    if sha is not None and ds.sha256 != sha:
        raise PublishError(
            f"{name} here (data_sha256 {ds.sha256[:12]}...) is not the dataset the "
            f"rows were scored on ({sha[:12]}...); give the --data-home that has it"
        )
    sizes = set(rows["n_test"].dropna().astype(int)) - {len(ds.y_test)}
    if sizes:
        raise PublishError(
            f"{name} here has {len(ds.y_test):,} test images, the rows scored "
            f"{min(sizes):,}; give the --data-home that has their dataset"
        )
    return ds


def _check_scores(out: Path, rows: pd.DataFrame, ds: data.Dataset) -> None:
    """Each ok row's stored predictions must score its accuracy."""
    n = len(ds.y_test)
    for rel, accuracy in zip(rows["predictions"], rows["accuracy"]):
        if not isinstance(rel, str) or not rel:
            continue
        path = out / rel
        try:
            y_pred = np.load(path, allow_pickle=False)
        except Exception as exc:  # noqa: BLE001 - numpy's header parser raises
            # its own errors on a damaged file
            raise PublishError(f"{path}: not a readable .npy ({exc})") from None
        if y_pred.shape != (n,) or y_pred.dtype.kind not in "iu":
            raise PublishError(
                f"{path}: {y_pred.dtype} {y_pred.shape}, not {n:,} predicted labels "
                f"of {ds.name}"
            )
        scored = float(np.mean(y_pred == ds.y_test))
        if pd.notna(accuracy) and abs(scored - accuracy) > 0.5 / n:
            raise PublishError(
                f"{path} scores {scored:.4f} against {ds.name}'s test labels, its "
                f"row says {accuracy:.4f}: it was scored on other labels"
            )


# --- staging --------------------------------------------------------------------


def _copy(src: Path, dst: Path) -> None:
    try:
        content = src.read_bytes()
    except OSError as exc:
        raise PublishError(f"{src}: cannot read ({_cause(src, exc)})") from None
    _write(dst, content)


def _write(path: Path, content: str | bytes) -> None:
    """Write a staged file (the stage is thrown away: no need for atomicity)."""
    make_folder(path.parent)
    try:
        if isinstance(content, str):
            content = content.encode("utf-8")
        path.write_bytes(content)
    except OSError as exc:
        raise WriteError(
            f"{_cause(path, exc)} writing {path} (the archive's staging folder)"
        ) from None


def _listing(stage: Path) -> list[str]:
    return [p.relative_to(stage).as_posix() for p in stage.rglob("*") if p.is_file()]


def _write_zip(zip_path: Path, stage: Path, top: str, files: list[str]) -> None:
    """Write the archive through a temporary file beside it, then rename it;
    folders made for it are removed again if it fails."""
    made = [p for p in (zip_path.parent, *zip_path.parent.parents) if not p.exists()]

    def write(f) -> None:
        with zipfile.ZipFile(f, "w") as zf:
            for rel in files:
                info = zipfile.ZipInfo(f"{top}/{rel}", date_time=_EPOCH)
                info.external_attr = 0o644 << 16
                info.compress_type = (
                    zipfile.ZIP_STORED
                    if rel.endswith(_STORED)
                    else zipfile.ZIP_DEFLATED
                )
                zf.writestr(info, (stage / rel).read_bytes())

    try:
        make_folder(zip_path.parent)
        atomic_write(zip_path, write)
    except BaseException:
        for folder in made:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


# --- what the archive says ------------------------------------------------------
