"""Reading a user's own files: an IDX folder, a folder of ``.npy`` files
(MNIST-C's layout), a NumPy ``.npz``, CSV files.

Each reader returns a :class:`Raw`: the arrays as they are in the files, not
yet checked or normalised (that is :mod:`mnistbench.data._own`'s work), and
the files read, whose bytes key the cache. Here: finding the files and their
format, and reading IDX; NumPy's files are read by
:mod:`mnistbench.data._npy`, CSV files by :mod:`mnistbench.data._csv`.

Only regular files are read (a FIFO or a device found where a file belongs is
refused by its kind, never opened), and only once what their headers declare
is known to fit in the memory available, as read and as float32.
"""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from mnistbench.data._check import MAX_CLASSES, pixels_need
from mnistbench.data._csv import read_csv
from mnistbench.data._files import kind, open_regular, regular_file
from mnistbench.data._idx import read_idx, read_idx_header
from mnistbench.data._memory import check_memory
from mnistbench.data._npy import map_npy, read_npy, read_npz
from mnistbench.data._raw import CLASSES_FILE, Raw
from mnistbench.exceptions import DataError

__all__ = [
    "FMNIST_C_IDX",
    "IDX_FMNIST_C",
    "IDX_MNIST",
    "LAYOUTS",
    "NPY_FMNIST_C",
    "NPY_MNIST_C",
    "NPY_ROLES",
    "Layout",
    "Raw",
    "find_files",
    "find_layout",
    "map_npy",
    "read",
]

#: The IDX files of a folder, by role; each may be spelled -idx3-ubyte or
#: .idx3-ubyte (7-zip's), raw or .gz.
IDX_ROLES = {
    "train_images": ("train-images", 3),
    "train_labels": ("train-labels", 1),
    "test_images": ("t10k-images", 3),
    "test_labels": ("t10k-labels", 1),
}
ROLES = tuple(IDX_ROLES)
#: Fashion-MNIST-C's names of the IDX roles (its repository's
#: ``generated/ubyte/``), raw or .gz.
FMNIST_C_IDX = {
    "train_images": "fmnist-c-train-ubyte",
    "train_labels": "fmnist-c-train-labels-ubyte",
    "test_images": "fmnist-c-test-ubyte",
    "test_labels": "fmnist-c-test-labels-ubyte",
}
#: The ``.npy`` files of a folder, by role: MNIST-C's names (in each
#: corruption's folder), and Fashion-MNIST-C's (its ``generated/npy/``).
NPY_ROLES = {
    "train_images": ("train_images.npy", "fmnist-c-train.npy"),
    "train_labels": ("train_labels.npy", "fmnist-c-train-labels.npy"),
    "test_images": ("test_images.npy", "fmnist-c-test.npy"),
    "test_labels": ("test_labels.npy", "fmnist-c-test-labels.npy"),
}
#: Far more than MAX_CLASSES names of any sensible length.
MAX_CLASSES_BYTES = 1 << 20


def _idx_names(prefix: str, ndim: int) -> list[str]:
    return [
        f"{prefix}{sep}idx{ndim}-ubyte{gz}" for sep in ("-", ".") for gz in ("", ".gz")
    ]


class Layout(NamedTuple):
    """One way of naming a dataset's files in a folder: its format, whose
    names they are, and the names each role may have."""

    fmt: str
    names: str
    names_of: Callable[[str], list[str]]


IDX_MNIST = Layout("idx", "MNIST's IDX names", lambda r: _idx_names(*IDX_ROLES[r]))
IDX_FMNIST_C = Layout(
    "idx",
    "Fashion-MNIST-C's IDX names",
    lambda r: [FMNIST_C_IDX[r], f"{FMNIST_C_IDX[r]}.gz"],
)
NPY_MNIST_C = Layout("npy", "MNIST-C's .npy names", lambda r: [NPY_ROLES[r][0]])
NPY_FMNIST_C = Layout(
    "npy", "Fashion-MNIST-C's .npy names", lambda r: [NPY_ROLES[r][1]]
)
#: Every folder layout, by file names; a folder holds one of them.
LAYOUTS = (IDX_MNIST, IDX_FMNIST_C, NPY_MNIST_C, NPY_FMNIST_C)


def _nearest(folder: Path, wanted: list[str], used=()) -> str:
    """The files of ``folder`` nearest to the ``wanted`` names (not those
    ``used`` for another role), for an error message."""
    used = {p.name for p in used}
    try:
        names = sorted(p.name for p in folder.iterdir() if p.is_file())
    except OSError as exc:
        raise DataError(f"{folder}: cannot list ({exc.strerror or exc})") from None
    names = [n for n in names if n not in used]
    near = [n for w in wanted for n in difflib.get_close_matches(w, names, 3, 0.6)]
    if near:
        return f"; nearest found: {', '.join(dict.fromkeys(near))}"
    return f"; found: {', '.join(names[:8]) or 'no files'}"


def _is_file(path: Path) -> bool:
    """Whether a file of the dataset is at ``path``: a folder of that name is
    passed over, as before (Kaggle's MNIST has folders named like the IDX
    files beside them); a FIFO, a socket or a device is refused."""
    return kind(path) == "file"


def _csv_pair(folder: Path) -> tuple[Path, Path | None] | None:
    for pattern in ("train.csv", "*_train.csv"):
        trains = sorted(p for p in folder.glob(pattern) if _is_file(p))
        if len(trains) > 1:
            names = ", ".join(p.name for p in trains)
            raise DataError(
                f"{folder}: more than one training CSV ({names}); pass the files "
                "as TRAIN.csv,TEST.csv"
            )
        if trains:
            t = trains[0]
            sibling = t.with_name(t.name[: -len("train.csv")] + "test.csv")
            return t, sibling if _is_file(sibling) else None
    return None


def find_files(path: Path) -> tuple[str, dict[str, Path]]:
    """The format of ``path`` and its files by role, with a ``classes.txt``
    beside them as ``"classes"``; a one-line error if nothing readable is
    there, or if a FIFO, a socket or a device stands where a file of the
    dataset belongs (found with ``stat``, never opened)."""
    fmt, files = _find_data(path)
    classes = next(iter(files.values())).parent / CLASSES_FILE
    if _is_file(classes):
        files["classes"] = classes
    return fmt, files


def _find_data(path: Path) -> tuple[str, dict[str, Path]]:
    what = kind(path)
    if "," in str(path) and what is None:
        train, _, test = str(path).partition(",")
        files = {"train": Path(train), "test": Path(test)}
        for p in files.values():
            if not regular_file(p):
                raise DataError(f"{p}: no such file")
        return "csv", files
    if what is None:
        raise DataError(f"{path}: no such file or folder")
    if what == "file":
        suffix = path.suffix.lower()
        if suffix == ".npz":
            return "npz", {"npz": path}
        if suffix == ".csv":
            return "csv", {"train": path}
        if suffix == ".npy":
            names = [n[0] for n in NPY_ROLES.values()]
            raise DataError(
                f"{path}: one .npy file; give the folder that holds {', '.join(names)}"
            )
        raise DataError(
            f"{path}: not a dataset file; give a .npz, a .csv, or a folder of IDX, "
            ".npy or CSV files"
        )
    found = find_layout(path)
    if found is not None:
        layout, files = found
        _check_complete(path, layout, files)
        return layout.fmt, files
    pair = _csv_pair(path)
    if pair is not None:
        train, test = pair
        return "csv", {"train": train} | ({"test": test} if test else {})
    corruptions = _corruption_folders(path)
    if corruptions:
        raise DataError(
            f"{path}: a folder of MNIST-C's corruptions ({', '.join(corruptions[:4])}"
            f"{', ...' if len(corruptions) > 4 else ''}), not one dataset; give one "
            f"of them, e.g. {path / corruptions[0]}"
        )
    wanted = [n for p, d in IDX_ROLES.values() for n in _idx_names(p, d)[:1]]
    npy = [names[0] for names in NPY_ROLES.values()]
    raise DataError(
        f"{path}: no dataset files; expected the IDX files {', '.join(wanted)} "
        f"(raw or .gz), MNIST-C's {', '.join(npy)}, or train.csv and test.csv"
        f"{_nearest(path, [*wanted, *npy, 'train.csv', 'test.csv'])}"
    )


def find_layout(
    folder: Path, roles=ROLES, layouts=LAYOUTS
) -> tuple[Layout, dict[str, Path]] | None:
    """The layout of ``folder`` and its files of ``roles``, or None if it
    holds none of them: not yet known to be complete.

    Raises
    ------
    DataError
        Two names for one role (``train-images-idx3-ubyte`` and its
        ``.gz``), files of two layouts, or a FIFO or a device under a name
        of the dataset.
    """
    found = []
    for layout in layouts:
        files = {}
        for role in roles:
            paths = [folder / n for n in layout.names_of(role) if _is_file(folder / n)]
            if len(paths) > 1:
                raise DataError(
                    f"{folder}: both {paths[0].name} and {paths[1].name}; keep one"
                )
            if paths:
                files[role] = paths[0]
        if files:
            found.append((layout, files))
    if len(found) > 1:
        (a, a_files), (b, b_files) = found[:2]
        raise DataError(
            f"{folder}: both {next(iter(a_files.values())).name} ({a.names}) and "
            f"{next(iter(b_files.values())).name} ({b.names}); keep one dataset "
            "per folder"
        )
    return found[0] if found else None


def _check_complete(folder: Path, layout: Layout, files: dict[str, Path]) -> None:
    """A training pair, and a test pair or none."""

    def missing(role: str, beside: str = "") -> DataError:
        wanted = layout.names_of(role)
        return DataError(
            f"{folder}: no {role.replace('_', ' ')} file{beside}; expected "
            f"{'one of ' if len(wanted) > 1 else ''}{', '.join(wanted)}"
            f"{_nearest(folder, wanted, files.values())}"
        )

    for role in ("train_images", "train_labels"):
        if role not in files:
            raise missing(role)
    if ("test_images" in files) != ("test_labels" in files):
        role = "test_images" if "test_images" not in files else "test_labels"
        other = files.get("test_labels", files.get("test_images"))
        raise missing(role, f" beside {other.name}")


def _corruption_folders(folder: Path) -> list[str]:
    """The sub-folders of ``folder`` that hold MNIST-C's ``.npy`` files."""
    try:
        with os.scandir(folder) as entries:
            subs = sorted(e.name for e in entries if e.is_dir())
    except OSError:
        return []
    names = [n for role in ROLES for n in NPY_ROLES[role][:1]]
    return [s for s in subs if any(os.path.isfile(folder / s / n) for n in names)]


def _classes_txt(path: Path) -> tuple[str, ...]:
    with open_regular(path) as f:
        content = f.read(MAX_CLASSES_BYTES + 1)
    if len(content) > MAX_CLASSES_BYTES:
        raise DataError(
            f"{path}: more than {MAX_CLASSES_BYTES // (1 << 20)} MB; expected at most "
            f"{MAX_CLASSES:,} class names, one per line"
        )
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason})") from None
    names = tuple(line.strip() for line in text.splitlines())
    while names and not names[-1]:
        names = names[:-1]
    if not names or not all(names):
        raise DataError(f"{path}: expected one class name per line, no blank lines")
    if len(set(names)) != len(names):
        raise DataError(f"{path}: a class name appears twice")
    return names


def read(fmt: str, files: dict[str, Path]) -> Raw:
    """Read the files :func:`find_files` found."""
    if fmt == "idx":
        raw = _read_idx({r: files[r] for r in ROLES if r in files})
    elif fmt == "npy":
        raw = read_npy({r: files[r] for r in ROLES if r in files})
    elif fmt == "npz":
        raw = read_npz(files["npz"])
    else:
        raw = read_csv(files["train"], files.get("test"))
    if "classes" in files:
        raw.class_names = _classes_txt(files["classes"])
        raw.names_file = str(files["classes"])
    return raw


# --- IDX ------------------------------------------------------------------------


def _read_idx(files: dict[str, Path]) -> Raw:
    """Every header first: what they declare must fit in memory, as read and
    as float32, before any payload is read."""
    need = 0
    for role, path in files.items():
        ndim = IDX_ROLES[role][1]
        dtype, shape = read_idx_header(path)
        if len(shape) != ndim:
            belong = "images (3 dimensions)" if ndim == 3 else "labels (1 dimension)"
            held = "labels" if len(shape) == 1 else f"{len(shape)}-D data {shape}"
            raise DataError(
                f"{path}: holds {held} where {belong} belong (IDX header: {shape})"
            )
        need += math.prod(shape) * dtype.itemsize
        if ndim == 3:
            need += pixels_need(math.prod(shape), split="test_images" not in files)
    check_memory(need, f"{files['train_images']}: the images")
    arrays = {role: read_idx(path) for role, path in files.items()}
    return Raw.by_role(arrays, files)
