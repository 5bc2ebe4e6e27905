"""Reading a user's own files: an IDX folder, a NumPy ``.npz``, CSV files.

Each reader returns a :class:`Raw`: the arrays as they are in the files, not
yet checked or normalised (that is :mod:`mnistbench.data._own`'s work), and
the files read, whose bytes key the cache.
"""

from __future__ import annotations

import difflib
import itertools
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnistbench.data._idx import read_idx, read_idx_header
from mnistbench.exceptions import DataError

__all__ = ["Raw", "find_files", "read"]

#: The IDX files of a folder, by role; each may be spelled -idx3-ubyte or
#: .idx3-ubyte (7-zip's), raw or .gz.
IDX_ROLES = {
    "train_images": ("train-images", 3),
    "train_labels": ("train-labels", 1),
    "test_images": ("t10k-images", 3),
    "test_labels": ("t10k-labels", 1),
}
CLASSES_FILE = "classes.txt"
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
LABEL_COLUMN = "label"


@dataclass
class Raw:
    """Arrays as read; ``X_test``/``y_test`` are None when there is no test set.

    ``where`` names each array's file for error messages.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray | None
    y_test: np.ndarray | None
    where: dict[str, str]
    class_names: tuple[str, ...] | None = None
    names_file: str = CLASSES_FILE


def _idx_names(prefix: str, ndim: int) -> list[str]:
    return [
        f"{prefix}{sep}idx{ndim}-ubyte{gz}" for sep in ("-", ".") for gz in ("", ".gz")
    ]


def _nearest(folder: Path, wanted: list[str], used=()) -> str:
    """The files of ``folder`` nearest to the ``wanted`` names (not those
    ``used`` for another role), for an error message."""
    used = {p.name for p in used}
    names = sorted(p.name for p in folder.iterdir() if p.is_file())
    names = [n for n in names if n not in used]
    near = [n for w in wanted for n in difflib.get_close_matches(w, names, 3, 0.6)]
    if near:
        return f"; nearest found: {', '.join(dict.fromkeys(near))}"
    return f"; found: {', '.join(names[:8]) or 'no files'}"


def _csv_pair(folder: Path) -> tuple[Path, Path | None] | None:
    for pattern in ("train.csv", "*_train.csv"):
        trains = sorted(folder.glob(pattern))
        if len(trains) > 1:
            names = ", ".join(p.name for p in trains)
            raise DataError(
                f"{folder}: more than one training CSV ({names}); pass the files "
                "as TRAIN.csv,TEST.csv"
            )
        if trains:
            t = trains[0]
            sibling = t.with_name(t.name[: -len("train.csv")] + "test.csv")
            return t, sibling if sibling.is_file() else None
    return None


def find_files(path: Path) -> tuple[str, dict[str, Path]]:
    """The format of ``path`` and its files by role, with a ``classes.txt``
    beside them as ``"classes"``; a one-line error if nothing readable is
    there."""
    fmt, files = _find_data(path)
    classes = next(iter(files.values())).parent / CLASSES_FILE
    if classes.is_file():
        files["classes"] = classes
    return fmt, files


def _find_data(path: Path) -> tuple[str, dict[str, Path]]:
    if "," in str(path) and not path.exists():
        train, _, test = str(path).partition(",")
        files = {"train": Path(train), "test": Path(test)}
        for p in files.values():
            if not p.is_file():
                raise DataError(f"{p}: no such file")
        return "csv", files
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    if path.is_file():
        suffix = path.suffix.lower()
        if suffix == ".npz":
            return "npz", {"npz": path}
        if suffix == ".csv":
            return "csv", {"train": path}
        raise DataError(
            f"{path}: not a dataset file; give a .npz, a .csv, or a folder of IDX "
            "or CSV files"
        )
    files = {}
    for role, (prefix, ndim) in IDX_ROLES.items():
        found = [path / n for n in _idx_names(prefix, ndim) if (path / n).is_file()]
        if len(found) > 1:
            raise DataError(
                f"{path}: both {found[0].name} and {found[1].name}; keep one"
            )
        if found:
            files[role] = found[0]
    if files:
        if "train_images" not in files or "train_labels" not in files:
            role = "train_images" if "train_images" not in files else "train_labels"
            wanted = _idx_names(*IDX_ROLES[role])
            raise DataError(
                f"{path}: no {role.replace('_', ' ')} file; expected one of "
                f"{', '.join(wanted)}{_nearest(path, wanted, files.values())}"
            )
        if ("test_images" in files) != ("test_labels" in files):
            role = "test_images" if "test_images" not in files else "test_labels"
            wanted = _idx_names(*IDX_ROLES[role])
            raise DataError(
                f"{path}: no {role.replace('_', ' ')} file beside "
                f"{files.get('test_labels', files.get('test_images')).name}; expected "
                f"one of {', '.join(wanted)}{_nearest(path, wanted, files.values())}"
            )
        return "idx", files
    pair = _csv_pair(path)
    if pair is not None:
        train, test = pair
        return "csv", {"train": train} | ({"test": test} if test else {})
    wanted = [n for p, d in IDX_ROLES.values() for n in _idx_names(p, d)[:1]]
    wanted += ["train.csv", "test.csv"]
    raise DataError(
        f"{path}: no dataset files; expected the IDX files {', '.join(wanted[:4])} "
        f"(raw or .gz), or train.csv and test.csv{_nearest(path, wanted)}"
    )


def _classes_txt(path: Path) -> tuple[str, ...]:
    names = tuple(
        line.strip() for line in path.read_text(encoding="utf-8").splitlines()
    )
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
        raw = _read_idx({r: files[r] for r in IDX_ROLES if r in files})
    elif fmt == "npz":
        raw = _read_npz(files["npz"])
    else:
        raw = _read_csv(files["train"], files.get("test"))
    if "classes" in files:
        raw.class_names = _classes_txt(files["classes"])
        raw.names_file = str(files["classes"])
    return raw


# --- IDX ------------------------------------------------------------------------


def _read_idx(files: dict[str, Path]) -> Raw:
    arrays = {}
    for role, path in files.items():
        ndim = IDX_ROLES[role][1]
        _, shape = read_idx_header(path)
        if len(shape) != ndim:
            kind = "images (3 dimensions)" if ndim == 3 else "labels (1 dimension)"
            held = "labels" if len(shape) == 1 else f"{len(shape)}-D data {shape}"
            raise DataError(
                f"{path}: holds {held} where {kind} belong (IDX header: {shape})"
            )
        arrays[role] = read_idx(path)
    return Raw(
        arrays["train_images"],
        arrays["train_labels"],
        arrays.get("test_images"),
        arrays.get("test_labels"),
        where={
            "X_train": str(files["train_images"]),
            "y_train": str(files["train_labels"]),
            "X_test": str(files.get("test_images")),
            "y_test": str(files.get("test_labels")),
        },
    )


# --- .npz -----------------------------------------------------------------------


def _read_npz(path: Path) -> Raw:
    try:
        with np.load(path, allow_pickle=False) as npz:
            keys = set(npz.files)
            missing = [k for k in ("x_train", "y_train") if k not in keys]
            if missing or (("x_test" in keys) != ("y_test" in keys)):
                raise DataError(
                    f"{path}: expected the arrays {', '.join(NPZ_KEYS)} (Keras's "
                    f"mnist.npz layout; the test pair may be left out), found "
                    f"{', '.join(sorted(keys)) or 'none'}"
                )
            arrays = {k: npz[k] for k in NPZ_KEYS if k in keys}
    except DataError:
        raise
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise DataError(
                f"{path}: holds pickled Python objects, which mnistbench does not "
                "load (they can run code); save plain numeric arrays"
            ) from None
        raise DataError(f"{path}: not a readable .npz ({exc})") from None
    except (zipfile.BadZipFile, EOFError, OSError) as exc:
        raise DataError(f"{path}: not a readable .npz ({exc})") from None
    return Raw(
        arrays["x_train"],
        arrays["y_train"],
        arrays.get("x_test"),
        arrays.get("y_test"),
        where={k.replace("x_", "X_"): f"{path} ({k})" for k in NPZ_KEYS},
    )


# --- CSV ------------------------------------------------------------------------

_NUMBER = re.compile(
    r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$|\s*(nan|inf)\s*$", re.I
)


def _first_line(path: Path) -> list[str]:
    with open(path, encoding="utf-8", errors="replace") as f:
        line = f.readline()
    if not line.strip():
        raise DataError(f"{path}: " + ("line 1 is empty" if line else "empty file"))
    return [c.strip().strip('"') for c in line.rstrip("\r\n").split(",")]


def _line(path: Path, number: int) -> str:
    with open(path, encoding="utf-8", errors="replace") as f:
        text = next(itertools.islice(f, number - 1, None), "")
    return text.rstrip("\r\n")


def _read_table(path: Path):
    """The CSV as a DataFrame, the label column's name and the header flag."""
    import pandas as pd

    first = _first_line(path)
    header = not all(_NUMBER.match(c) for c in first)
    try:
        frame = pd.read_csv(
            path, header=0 if header else None, engine="c", skipinitialspace=True
        )
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if m:
            raise DataError(
                f"{path}: line {m[2]} has {m[3]} fields, the lines before it {m[1]}"
            ) from None
        raise DataError(f"{path}: not a readable CSV ({exc})") from None
    except (UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: not a readable CSV ({exc})") from None
    if header:
        names = [str(c).strip() for c in frame.columns]
        label = LABEL_COLUMN if LABEL_COLUMN in names else names[0]
        frame.columns = names
    else:
        label = frame.columns[0]
    return frame, label, header


def _check_fields(path: Path, frame, header: bool) -> None:
    """Short lines read as missing values: find the first, give its number."""
    missing = frame.isna().to_numpy()
    rows = np.flatnonzero(missing.any(axis=1))
    if not len(rows):
        return
    number = int(rows[0]) + 1 + int(header)
    fields = _line(path, number).split(",")
    if len(fields) != frame.shape[1] + 1:  # the label column is popped
        raise DataError(
            f"{path}: line {number} has {len(fields)} fields, the other lines "
            f"{frame.shape[1] + 1}"
        )
    col = int(np.flatnonzero(missing[rows[0]])[0])
    raise DataError(
        f"{path}: line {number}, column {col + 2}: missing or not-a-number value "
        f"{fields[col].strip()!r}"
    )


def _numeric(path: Path, frame, header: bool) -> np.ndarray:
    import pandas as pd

    bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        column = frame[bad[0]]
        parsed = pd.to_numeric(column, errors="coerce")
        bad_rows = parsed.isna().to_numpy() & column.notna().to_numpy()
        row = int(np.flatnonzero(bad_rows)[0])
        raise DataError(
            f"{path}: line {row + 1 + int(header)}, column "
            f"{list(frame.columns).index(bad[0]) + 2}: non-numeric pixel "
            f"{str(column.iloc[row])[:40]!r}"
        )
    return frame.to_numpy()


def _read_one_csv(path: Path, train_columns: int | None = None, label_name=None):
    """Pixels and labels of one CSV. For a test file, ``train_columns`` and
    ``label_name`` say what the training file had, to name a test file
    without labels as such."""
    frame, label, header = _read_table(path)
    unlabelled = train_columns is not None and (
        frame.shape[1] == train_columns - 1
        or (header and label_name == LABEL_COLUMN and label != LABEL_COLUMN)
    )
    if unlabelled:
        raise DataError(
            f"{path}: test file without labels ({frame.shape[1]} columns, the "
            f"training file {train_columns}); pass the training file alone to split "
            "a test set off it (--test-fraction)"
        )
    if train_columns is not None and frame.shape[1] != train_columns:
        raise DataError(
            f"{path}: {frame.shape[1]} columns, the training file has {train_columns}"
        )
    n_columns = frame.shape[1]
    labels = frame.pop(label)
    _check_fields(path, frame, header)
    if labels.isna().any():
        row = int(np.flatnonzero(labels.isna().to_numpy())[0])
        raise DataError(f"{path}: line {row + 1 + int(header)}: no label")
    pixels = _numeric(path, frame, header)
    return pixels, labels.to_numpy(), n_columns, label


def _read_csv(train: Path, test: Path | None) -> Raw:
    X_train, y_train, n_columns, label = _read_one_csv(train)
    X_test = y_test = None
    if test is not None:
        X_test, y_test, _, _ = _read_one_csv(test, n_columns, label)
    return Raw(
        X_train,
        y_train,
        X_test,
        y_test,
        where={
            "X_train": str(train),
            "y_train": f"{train} (labels)",
            "X_test": str(test),
            "y_test": f"{test} (labels)",
        },
    )
