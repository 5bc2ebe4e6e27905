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
import os
import re
from pathlib import Path

from mnistbench._io import atomic_write_text
from mnistbench.data import _cache
from mnistbench.data._check import (
    build,
    fraction_of,
    parse_image_shape,
)
from mnistbench.data._dataset import DataRef, Dataset
from mnistbench.data._fetch import file_sha256, get_data_home
from mnistbench.data._formats import find_files, read
from mnistbench.data._raw import Raw
from mnistbench.exceptions import DataError

__all__ = [
    "OWN_NAME",
    "from_arrays",
    "load_own",
    "load_path",
    "load_ref",
    "store",
]

logger = logging.getLogger(__name__)

#: ``name@hash8``: how a dataset that is not registered is called.
OWN_NAME = re.compile(r"^[A-Za-z0-9._-]+@[0-9a-f]{8}$")


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


def _meta(arrays, shape, names, note, stem: str, source: str) -> dict:
    """The cache's meta of checked arrays, named by ``stem`` and their hash."""
    sha = _cache.content_sha256(arrays, shape, names)
    return {
        "name": f"{_stem(stem)}@{sha[:8]}",
        "source": source,
        "sha256": sha,
        "image_shape": list(shape),
        "class_names": list(names),
        "split": note,
    }


def _store(home: Path, arrays: dict, meta: dict, origin, required: str = "") -> Dataset:
    folder = _own_dir(home, meta["sha256"])
    found = _cache.read(folder)
    if found is None and _cache.write(folder, arrays, meta, required=required):
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

    The arrays get the :class:`Dataset` contract (float32 pixels in [0, 1],
    labels 0..k-1 with names) and a name with a short hash of their
    content, as a user's files do. The dataset is not written anywhere: a
    run stores it in the data home for its job processes.

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

    Raises
    ------
    DataError
        A bad ``name``, ``X_test`` without ``y_test`` (or the reverse), a
        class name given twice, or arrays that do not make a dataset (one
        line naming the array and the problem).

    See Also
    --------
    load : A dataset from a user's files, or a registered one.

    Examples
    --------
    >>> import numpy as np
    >>> from mnistbench import data
    >>> rng = np.random.default_rng(0)
    >>> X = rng.integers(0, 256, size=(70, 8, 8), dtype=np.uint8)
    >>> y = np.arange(70) % 10
    >>> ds = data.from_arrays(X, y, name="tiny")
    >>> ds
    Dataset('tiny@...', train=(60, 64), test=(10, 64), image=8x8, classes=10)
    >>> print(ds.split)
    test set: 10 of 70 training images (0.1429), split off stratified by class,
    seed 0

    String labels name their classes, in sorted order:

    >>> parity = np.array(["even", "odd"])[y % 2]
    >>> data.from_arrays(X, parity, name="parity").class_names
    ('even', 'odd')
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
        names_file=f"{name} class_names",
    )
    if class_names is not None:
        class_names = tuple(str(c) for c in class_names)
        if len(set(class_names)) != len(class_names):
            raise DataError(f"{name} class_names: a class name appears twice")
    arrays, shape, names, note = build(
        raw,
        test_fraction=test_fraction,
        image_shape=image_shape,
        class_names=class_names,
    )
    meta = _meta(arrays, shape, names, note, name, f"arrays from Python ({name})")
    return _dataset(arrays, meta, DataRef(meta["name"], meta["sha256"]))


def store(ds: Dataset, data_home=None) -> Dataset:
    """Cache ``ds`` (from :func:`from_arrays`) in the data home, where job
    processes find it by its content hash; return it memory-mapped.

    Raises
    ------
    mnistbench._io.WriteError
        The data home cannot be written: one line naming the file and why.
    """
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
    why = "job processes read arrays from Python only from the data home"
    return _store(home, arrays, meta, ds.origin, required=why)


def _source_key(files, fmt: str, test_fraction, image_shape) -> str:
    """SHA-256 of the files' bytes and of the options that shape the arrays."""
    hashes = [(path.name, file_sha256(path)) for path in files]
    key = [fmt, test_fraction, image_shape, _cache.CACHE_FORMAT, hashes]
    return hashlib.sha256(json.dumps(key).encode()).hexdigest()


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
    fraction = None if test_fraction is None else fraction_of(test_fraction)
    shape_given = None if image_shape is None else parse_image_shape(image_shape)
    home = get_data_home(data_home)
    try:
        key = _source_key(files.values(), fmt, fraction, shape_given)
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    stem = path.name if path.is_dir() else next(iter(files.values())).stem
    # Where a job reads the data again: the CSV files themselves (a pair has
    # no single path), else the folder or file given.
    csv = [files[r].resolve() for r in ("train", "test") if fmt == "csv" and r in files]
    where = ",".join(map(str, csv)) or str(path.resolve())

    def origin_of(meta):
        return DataRef(meta["name"], meta["sha256"], where, fraction, shape_given)

    source = ", ".join(str(p.resolve()) for p in files.values())
    index = home / "own" / "sources" / f"{key}.json"
    try:
        sha = json.loads(_cache.read_small(index))["sha256"]
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
    arrays, shape, names, note = build(
        raw, test_fraction=fraction, image_shape=shape_given
    )
    meta = _meta(arrays, shape, names, note, stem, source)
    ds = _store(home, arrays, meta, origin_of(meta))
    try:
        index.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"sha256": meta["sha256"], "path": str(path)})
        atomic_write_text(index, text)
    except OSError as exc:
        logger.warning("cannot cache %s (%s)", index, exc)
    return ds


def load_own(name: str, data_home=None) -> Dataset | None:
    """A dataset loaded before, by its ``name@hash8``, from the cache."""
    short = name.rpartition("@")[2]
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
