"""A user's own data: files on disk (:func:`load_path`) or arrays in Python
(:func:`from_arrays`), checked strictly and given the :class:`Dataset`
contract: float32 pixels in [0, 1], labels 0..k-1 with names.

A dataset that is not registered is named by its folder or file stem and a
short hash of its content (``mydigits@3fa2c1d0``) and cached in
``DATA_HOME/own/SHA256``. A second load of the same files hashes their bytes
and memory-maps the cached arrays, without parsing anything.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
from fractions import Fraction
from pathlib import Path

import numpy as np

from mnistbench.data import _cache
from mnistbench.data._dataset import DataRef, Dataset
from mnistbench.data._fetch import get_data_home
from mnistbench.data._formats import CLASSES_FILE, Raw, find_files, read
from mnistbench.exceptions import DataError

__all__ = [
    "DEFAULT_TEST_FRACTION",
    "OWN_NAME",
    "from_arrays",
    "load_own",
    "load_path",
    "load_ref",
    "store",
]

logger = logging.getLogger(__name__)

#: MNIST's own ratio: 10,000 test images for 60,000 training images.
DEFAULT_TEST_FRACTION = 1 / 7
SPLIT_SEED = 0
MIN_CLASSES, MAX_CLASSES = 2, 1000
MAX_SIDE = 4096
#: ``name@hash8``: how a dataset that is not registered is called.
OWN_NAME = re.compile(r"^[A-Za-z0-9._-]+@[0-9a-f]{8}$")
_CHUNK = 1 << 22


# --- checks and normalisation ---------------------------------------------------


def _pixels(X, where: str) -> tuple[np.ndarray, tuple[int, int] | None]:
    """``X`` as float32 rows in [0, 1], and the image shape it shows."""
    if not isinstance(X, np.ndarray):
        try:
            X = np.asarray(X)
        except ValueError as exc:  # ragged nested lists
            raise DataError(f"{where}: not a rectangular array ({exc})") from None
    if X.dtype == object or X.dtype.kind in "USVO":
        raise DataError(
            f"{where}: {X.dtype} array (strings or Python objects); pixels must be "
            "numbers"
        )
    if X.dtype.kind not in "biuf":
        raise DataError(f"{where}: pixels of type {X.dtype}, expected numbers")
    shape = None
    if X.ndim == 4 and X.shape[3] == 1:
        X = X[..., 0]  # Keras's channel axis
    if X.ndim == 3:
        shape = (int(X.shape[1]), int(X.shape[2]))
    elif X.ndim != 2:
        raise DataError(
            f"{where}: shape {X.shape}; expected (n, height, width), "
            "(n, height, width, 1) or (n, features)"
        )
    if len(X) == 0 or X[0].size == 0:
        raise DataError(f"{where}: no images")
    flat = X.reshape(len(X), -1)
    if X.dtype.kind == "f":
        finite = np.isfinite(flat)
        if not finite.all():
            row, col = (int(v[0]) for v in np.nonzero(~finite))
            raise DataError(
                f"{where}: {flat[row, col]} pixel (image {row}, pixel {col}); "
                "pixels must be finite"
            )
    lo, hi = flat.min(), flat.max()
    if X.dtype.kind == "f" and lo >= 0 and hi <= 1:
        out = flat.astype(np.float32)
    elif lo >= 0 and hi <= 255 and (X.dtype.kind != "f" or _whole(flat)):
        out = flat.astype(np.float32)
        out /= 255.0
    else:
        bad = flat[(flat < 0) | (flat > (255 if X.dtype.kind != "f" else 1))]
        scale = "0..255" if X.dtype.kind != "f" else "[0, 1] (or whole 0..255)"
        raise DataError(
            f"{where}: pixel value {bad.flat[0]} outside {scale}; the values run "
            f"{lo}..{hi}"
        )
    return np.ascontiguousarray(out), shape


def _whole(values: np.ndarray) -> bool:
    return bool((values == np.round(values)).all())


def _labels(y, where: str, n_images: int) -> np.ndarray:
    if not isinstance(y, np.ndarray):
        try:
            y = np.asarray(y)
        except ValueError as exc:
            raise DataError(f"{where}: not a rectangular array ({exc})") from None
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DataError(f"{where}: labels of shape {y.shape}; expected one per image")
    if y.dtype == object:
        kinds = {type(v) for v in y[:1000]}
        if not all(issubclass(k, str) for k in kinds):
            raise DataError(
                f"{where}: labels of mixed Python types "
                f"({', '.join(sorted(k.__name__ for k in kinds))}); use integers or "
                "strings"
            )
        y = y.astype(str)
    if y.dtype.kind == "f":
        if not np.isfinite(y).all() or (y != np.round(y)).any():
            bad = y[~np.isfinite(y) | (y != np.round(y))][0]
            raise DataError(f"{where}: label {bad} is not a whole number")
        y = y.astype(np.int64)
    if y.dtype.kind == "b" or y.dtype.kind not in "iuU":
        raise DataError(f"{where}: labels of type {y.dtype}; use integers or strings")
    if y.dtype.kind in "iu" and len(y) and y.min() < 0:
        raise DataError(f"{where}: label {y.min()} is negative")
    if len(y) != n_images:
        raise DataError(f"{where}: {len(y)} labels for {n_images} images")
    return y


def _classes(y_train, y_test, where: dict, names) -> tuple[np.ndarray, tuple]:
    """The label values, sorted, and their names."""
    found = np.unique(y_train)
    if y_test is not None:
        absent = np.setdiff1d(np.unique(y_test), found)
        if len(absent):
            raise DataError(
                f"{where['y_test']}: class {absent[0]!s} is in the test set but not "
                "in the training set"
            )
    if len(found) < MIN_CLASSES:
        raise DataError(
            f"{where['y_train']}: {len(found)} class; a classifier needs at least "
            f"{MIN_CLASSES}"
        )
    if names is None:
        if len(found) > MAX_CLASSES:
            raise DataError(
                f"{where['y_train']}: {len(found):,} classes, more than {MAX_CLASSES:,}"
            )
        return found, tuple(str(v) for v in found)
    if y_train.dtype.kind not in "iu":
        raise DataError(
            f"{where['names']}: class names for labels that are strings; string "
            "labels name themselves"
        )
    k = len(names)
    if k > MAX_CLASSES:
        raise DataError(f"{where['names']}: {k:,} classes, more than {MAX_CLASSES:,}")
    if found[-1] >= k:
        raise DataError(
            f"{where['y_train']}: label {found[-1]} outside 0..{k - 1} "
            f"({k} classes in {where['names']})"
        )
    return np.arange(k), tuple(names)


def _shape(n_features: int, found, given, where: str) -> tuple[int, int]:
    if given is not None:
        given = parse_image_shape(given)
        if found is not None and given != found:
            raise DataError(
                f"{where}: images of {found[0]}x{found[1]}, but the image shape given "
                f"is {given[0]}x{given[1]}"
            )
        if given[0] * given[1] != n_features:
            raise DataError(
                f"{where}: {n_features} values per image do not fit the image "
                f"shape {given[0]}x{given[1]}"
            )
        return given
    if found is not None:
        return found
    side = math.isqrt(n_features)
    if side * side != n_features:
        raise DataError(
            f"{where}: {n_features} values per image are not a square image; give "
            "the image shape (--image-shape HxW)"
        )
    return side, side


def parse_image_shape(value) -> tuple[int, int]:
    """``"HxW"`` or (H, W) as two positive ints, or a one-line error."""
    text = value if isinstance(value, str) else None
    try:
        if text is not None:
            h, w = (int(v) for v in text.lower().replace("×", "x").split("x"))
        else:
            h, w = (int(v) for v in value)
    except (TypeError, ValueError):
        raise DataError(f"image shape must be HxW, e.g. 28x28, got {value!r}") from None
    if not (0 < h <= MAX_SIDE and 0 < w <= MAX_SIDE):
        raise DataError(f"image shape {h}x{w}: each side must be 1 to {MAX_SIDE}")
    return h, w


def _fraction(value) -> float:
    if value is None:
        return DEFAULT_TEST_FRACTION
    try:
        f = float(Fraction(value)) if isinstance(value, str) else float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        raise DataError(f"test fraction must be a number, got {value!r}") from None
    if not 0 < f < 1:
        raise DataError(f"test fraction must be between 0 and 1, got {value}")
    return f


def _split(X, y, fraction: float, names, where: str):
    counts = np.bincount(y, minlength=len(names))
    present = np.flatnonzero(counts)
    n_test = int(np.ceil(fraction * len(y)))
    low = int(present[np.argmin(counts[present])])
    k = len(present)
    if counts[low] < 2 or n_test < k or len(y) - n_test < k:
        raise DataError(
            f"{where}: class {names[low]!r} has {counts[low]} image(s); a stratified "
            f"split ({fraction:.3g} for testing) needs at least 2 per class and "
            f"{k} images on each side"
        )
    from sklearn.model_selection import train_test_split

    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=n_test, stratify=y, random_state=SPLIT_SEED
    )
    note = (
        f"test set: {n_test:,} of {len(y):,} training images ({fraction:.4g}), "
        f"split off stratified by class, seed {SPLIT_SEED}"
    )
    return X_train, y_train, X_test, y_test, note


def _build(raw: Raw, name: str, *, test_fraction, image_shape, class_names=None):
    """Check ``raw`` and normalise it: the arrays, shape, class names, split."""
    where = raw.where
    X_train, found = _pixels(raw.X_train, where["X_train"])
    y_train = _labels(raw.y_train, where["y_train"], len(X_train))
    found = found or raw.image_shape
    shape = _shape(X_train.shape[1], found, image_shape, where["X_train"])
    if raw.X_test is not None:
        X_test, test_shape = _pixels(raw.X_test, where["X_test"])
        y_test = _labels(raw.y_test, where["y_test"], len(X_test))
        if X_test.shape[1] != X_train.shape[1] or (
            test_shape and found and test_shape != found
        ):
            raise DataError(
                f"{where['X_test']}: images of {test_shape or X_test.shape[1]}, the "
                f"training images {found or X_train.shape[1]}"
            )
        if (y_test.dtype.kind == "U") != (y_train.dtype.kind == "U"):
            kind = "strings" if y_test.dtype.kind == "U" else "numbers"
            raise DataError(
                f"{where['y_test']}: labels are {kind}, the training labels are not"
            )
    else:
        X_test = y_test = None
    names = class_names if class_names is not None else raw.class_names
    where = {**where, "names": raw.names_file}
    found_classes, names = _classes(y_train, y_test, where, names)
    y_train = np.searchsorted(found_classes, y_train).astype(np.int64)
    note = ""
    if X_test is None:
        X_train, y_train, X_test, y_test, note = _split(
            X_train, y_train, _fraction(test_fraction), names, where["y_train"]
        )
    else:
        y_test = np.searchsorted(found_classes, y_test).astype(np.int64)
    arrays = dict(X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test)
    return arrays, shape, names, note


# --- identity and cache ---------------------------------------------------------


def _own_dir(home: Path, sha256: str) -> Path:
    return home / "own" / sha256


def _stem(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "data"
    return stem[:60]


def _dataset(arrays: dict, meta: dict, origin: DataRef | None) -> Dataset:
    return Dataset(
        meta["name"],
        arrays["X_train"],
        arrays["y_train"],
        arrays["X_test"],
        arrays["y_test"],
        tuple(meta["class_names"]),
        meta.get("source", ""),
        image_shape=tuple(meta["image_shape"]),
        sha256=meta["sha256"],
        split=meta.get("split", ""),
        origin=origin,
    )


def _make(arrays, shape, names, note, stem: str, source: str, origin_of) -> tuple:
    sha = _cache.content_sha256(arrays, shape, names)
    meta = {
        "name": f"{_stem(stem)}@{sha[:8]}",
        "source": source,
        "sha256": sha,
        "image_shape": list(shape),
        "class_names": list(names),
        "split": note,
    }
    return meta, origin_of(meta)


def _store(home: Path, arrays: dict, meta: dict, origin) -> Dataset:
    folder = _own_dir(home, meta["sha256"])
    found = _cache.read(folder)
    if found is None and _cache.write(folder, arrays, meta):
        found = _cache.read(folder)
    if found is not None:
        arrays, cached_meta = found
        meta = {**cached_meta, "name": meta["name"], "source": meta["source"]}
    return _dataset(arrays, meta, origin)


def from_arrays(
    X_train,
    y_train,
    X_test=None,
    y_test=None,
    *,
    name: str,
    image_shape=None,
    class_names=None,
    test_fraction: float | None = None,
) -> Dataset:
    """A :class:`Dataset` from arrays, checked as strictly as files are.

    Parameters
    ----------
    X_train, X_test : array-like
        Images: (n, height, width), (n, height, width, 1) or (n, features);
        uint8 (or whole numbers) in 0..255, or floats in [0, 1].
    y_train, y_test : array-like
        One label per image: integers or strings. Without ``X_test`` and
        ``y_test``, a stratified, seeded test set of ``test_fraction``
        (default 1/7) is split off the training set.
    name : str
        Letters, digits, ``.``, ``_`` and ``-``; the dataset is called
        ``name@HASH8``, HASH8 starting its content's SHA-256.
    image_shape : (int, int) or "HxW", optional
        Needed for flat images whose feature count is not a square.
    class_names : sequence of str, optional
        Names of integer labels 0..k-1 (strings name themselves).

    Returns
    -------
    Dataset
        In memory; :func:`mnistbench.runner.run` accepts it as a dataset
        (it is cached in the data home for the job processes).
    """
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9._-]{1,60}", name):
        raise DataError(
            f"dataset name {name!r}: use 1 to 60 letters, digits, '.', '_' or '-'"
        )
    if (X_test is None) != (y_test is None):
        raise DataError(f"{name}: give both X_test and y_test, or neither")
    raw = Raw(
        X_train,
        y_train,
        X_test,
        y_test,
        where={k: f"{name} {k}" for k in ("X_train", "y_train", "X_test", "y_test")},
        files=(),
        names_file=f"{name} class_names",
    )
    if class_names is not None:
        class_names = tuple(str(c) for c in class_names)
        if len(set(class_names)) != len(class_names):
            raise DataError(f"{name} class_names: a class name appears twice")
    arrays, shape, names, note = _build(
        raw,
        name,
        test_fraction=test_fraction,
        image_shape=image_shape,
        class_names=class_names,
    )
    meta, origin = _make(
        arrays,
        shape,
        names,
        note,
        name,
        f"arrays from Python ({name})",
        lambda m: DataRef(m["name"], m["sha256"]),
    )
    return _dataset(arrays, meta, origin)


def store(ds: Dataset, data_home=None) -> Dataset:
    """Cache ``ds`` (from :func:`from_arrays`) in the data home, where job
    processes find it by its content hash; return it memory-mapped."""
    home = get_data_home(data_home)
    meta = {
        "name": ds.name,
        "source": ds.source,
        "sha256": ds.sha256,
        "image_shape": list(ds.image_shape),
        "class_names": list(ds.class_names),
        "split": ds.split,
    }
    arrays = {k: getattr(ds, k) for k in _cache.KEYS}
    return _store(home, arrays, meta, ds.origin)


def _source_key(files, fmt: str, test_fraction, image_shape) -> str:
    """SHA-256 of the files' bytes and of the options that shape the arrays."""
    h = hashlib.sha256(
        json.dumps([fmt, test_fraction, image_shape, _cache.CACHE_FORMAT]).encode()
    )
    for path in files:
        h.update(f"\n{path.name}\n".encode())
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
    return h.hexdigest()


def load_path(
    path: str | os.PathLike,
    *,
    test_fraction: float | None = None,
    image_shape=None,
    data_home: str | os.PathLike | None = None,
) -> Dataset:
    """Load an IDX folder, a ``.npz`` or CSV file(s) as a :class:`Dataset`
    (see :func:`mnistbench.data.load`)."""
    path = Path(path).expanduser()
    fmt, files = find_files(path)
    fraction = None if test_fraction is None else _fraction(test_fraction)
    shape_given = None if image_shape is None else parse_image_shape(image_shape)
    home = get_data_home(data_home)
    all_files = [*files.values()]
    classes = next(iter(files.values())).parent / CLASSES_FILE
    if classes.is_file():
        all_files.append(classes)
    try:
        key = _source_key(all_files, fmt, fraction, shape_given)
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    first = next(iter(files.values()))
    stem = path.name if path.is_dir() else first.stem
    where = ",".join(str(p.resolve()) for p in files.values() if fmt == "csv")
    where = where or str(path.resolve())

    def origin_of(meta):
        return DataRef(meta["name"], meta["sha256"], where, fraction, shape_given)

    source = ", ".join(str(p) for p in all_files)
    index = home / "own" / "sources" / f"{key}.json"
    try:
        sha = json.loads(index.read_text())["sha256"]
        found = _cache.read(_own_dir(home, sha))
    except (OSError, ValueError, KeyError):
        found = None
    if found is not None:
        arrays, meta = found
        name = f"{_stem(stem)}@{meta['sha256'][:8]}"
        meta = {**meta, "name": name, "source": source}
        logger.debug("%s: loaded from the array cache %s", path, index)
        return _dataset(arrays, meta, origin_of(meta))
    raw = read(fmt, files)
    arrays, shape, names, note = _build(
        raw, stem, test_fraction=fraction, image_shape=shape_given
    )
    meta, origin = _make(arrays, shape, names, note, stem, source, origin_of)
    ds = _store(home, arrays, meta, origin)
    try:
        index.parent.mkdir(parents=True, exist_ok=True)
        index.write_text(json.dumps({"sha256": meta["sha256"], "path": str(path)}))
    except OSError as exc:
        logger.warning("cannot cache %s (%s)", index, exc)
    return ds


def load_own(name: str, data_home=None) -> Dataset | None:
    """A dataset loaded before, by its ``name@hash8``, from the cache."""
    stem, _, short = name.rpartition("@")
    own = get_data_home(data_home) / "own"
    for folder in sorted(own.glob(f"{short}*")):
        found = _cache.read(folder)
        if found is not None:
            arrays, meta = found
            meta = {**meta, "name": name}
            return _dataset(arrays, meta, DataRef(name, meta["sha256"]))
    return None


def load_ref(ref: DataRef, data_home=None) -> Dataset:
    """The dataset ``ref`` points to: from the cache by its content hash, else
    read again from its path, which must hold the same content."""
    found = _cache.read(_own_dir(get_data_home(data_home), ref.sha256))
    if found is not None:
        arrays, meta = found
        return _dataset(arrays, {**meta, "name": ref.name}, ref)
    if not ref.path:
        raise DataError(
            f"{ref.name}: made from arrays in Python and not in the data home "
            f"{get_data_home(data_home)}; give it as a file or folder instead"
        )
    ds = load_path(
        ref.path,
        test_fraction=ref.test_fraction,
        image_shape=ref.image_shape,
        data_home=data_home,
    )
    if ds.sha256 != ref.sha256:
        raise DataError(
            f"{ref.path} holds other data here (sha256 {ds.sha256[:12]}...) than "
            f"{ref.name} (sha256 {ref.sha256[:12]}...)"
        )
    return ds
