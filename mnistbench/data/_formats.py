"""Reading a user's own files: an IDX folder, a NumPy ``.npz``, CSV files.

Each reader returns a :class:`Raw`: the arrays as they are in the files, not
yet checked or normalised (that is :mod:`mnistbench.data._own`'s work), and
the files read, whose bytes key the cache.

Only regular files are read (a FIFO or a device found where a file belongs is
refused by its kind, never opened), and only once what their headers declare
is known to fit in the memory available, as read and as float32.
"""

from __future__ import annotations

import difflib
import math
import zipfile
import zlib
from pathlib import Path

import numpy as np

from mnistbench.data._check import MAX_CLASSES, pixels_need
from mnistbench.data._csv import read_csv
from mnistbench.data._files import kind, open_regular, regular_file
from mnistbench.data._idx import read_idx, read_idx_header
from mnistbench.data._memory import check_memory
from mnistbench.data._raw import CLASSES_FILE, Raw
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
NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")
#: Far more than MAX_CLASSES names of any sensible length.
MAX_CLASSES_BYTES = 1 << 20


def _idx_names(prefix: str, ndim: int) -> list[str]:
    return [
        f"{prefix}{sep}idx{ndim}-ubyte{gz}" for sep in ("-", ".") for gz in ("", ".gz")
    ]


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
        raise DataError(
            f"{path}: not a dataset file; give a .npz, a .csv, or a folder of IDX "
            "or CSV files"
        )
    files = {}
    for role, (prefix, ndim) in IDX_ROLES.items():
        names = _idx_names(prefix, ndim)
        found = [path / n for n in names if _is_file(path / n)]
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
        raw = _read_idx({r: files[r] for r in IDX_ROLES if r in files})
    elif fmt == "npz":
        raw = _read_npz(files["npz"])
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


def _npy_header(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: str):
    """The dtype and shape a member's ``.npy`` header declares, read before
    its data, and checked against the member's size and for pickles."""
    with zf.open(info) as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            raise DataError(f"{where}: .npy format version {version} not supported")
        offset = member.tell()
    if dtype.hasobject:
        raise DataError(
            f"{where}: holds pickled Python objects, which mnistbench does not "
            "load (they can run code); save plain numeric arrays"
        )
    n_bytes = math.prod(shape) * dtype.itemsize
    if offset + n_bytes > info.file_size:
        raise DataError(
            f"{where}: header declares shape {shape} ({n_bytes} bytes of data) but "
            f"the member holds only {max(0, info.file_size - offset)}"
        )
    return dtype, shape


def _read_npz(path: Path) -> Raw:
    """Every member's header first: what they declare must fit in memory, as
    read and as float32, before any array is read."""
    try:
        with open_regular(path) as f, zipfile.ZipFile(f) as zf:
            members = {}
            for info in zf.infolist():
                name = info.filename
                members.setdefault(name[:-4] if name.endswith(".npy") else name, info)
            keys = set(members)
            missing = [k for k in ("x_train", "y_train") if k not in keys]
            if missing or (("x_test" in keys) != ("y_test" in keys)):
                raise DataError(
                    f"{path}: expected the arrays {', '.join(NPZ_KEYS)} (Keras's "
                    f"mnist.npz layout; the test pair may be left out), found "
                    f"{', '.join(sorted(keys)) or 'none'}"
                )
            keys = [k for k in NPZ_KEYS if k in keys]
            need = 0
            for key in keys:
                dtype, shape = _npy_header(zf, members[key], f"{path} ({key})")
                need += math.prod(shape) * dtype.itemsize
                if key.startswith("x_"):
                    need += pixels_need(math.prod(shape), split="x_test" not in keys)
            check_memory(need, f"{path}: the arrays")
            arrays = {}
            for key in keys:
                with zf.open(members[key]) as member:
                    arrays[key] = np.lib.format.read_array(member, allow_pickle=False)
    except DataError:
        raise
    except (ValueError, zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
        raise DataError(f"{path}: not a readable .npz ({exc})") from None
    return Raw(
        arrays["x_train"],
        arrays["y_train"],
        arrays.get("x_test"),
        arrays.get("y_test"),
        where={k.replace("x_", "X_"): f"{path} ({k})" for k in NPZ_KEYS},
    )
