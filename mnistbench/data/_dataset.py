"""The Dataset type, ``load`` and the cache of parsed arrays."""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnistbench._io import atomic_write
from mnistbench.data._fetch import ProgressFactory, fetch_files, get_data_home
from mnistbench.data._idx import read_idx, read_idx_header
from mnistbench.data._registry import DatasetSpec, get_spec
from mnistbench.exceptions import DataError

__all__ = ["Dataset", "fetch", "is_cached", "load"]

logger = logging.getLogger(__name__)

IMAGE_SHAPE = (28, 28)
_SPLITS = ("train", "test")
# Bump when the cached arrays' layout changes, so old caches are rebuilt.
_CACHE_FORMAT = 1


@dataclass(frozen=True, eq=False)
class Dataset:
    """An MNIST-style dataset, split into train and test.

    Attributes
    ----------
    name : str
        Registry name (``"mnist"``, ``"fashion-mnist"``, ...).
    X_train, X_test : numpy.ndarray
        float32, shape (n, 784), C-contiguous, values in [0, 1] (pixel / 255),
        each row an image flattened row by row. Copy-on-write memory maps of
        the cache: writable, but writes never reach the file.
    y_train, y_test : numpy.ndarray
        int64 labels in 0..9.
    class_names : tuple of str
        ``class_names[k]`` names label ``k``.
    source : str
        Where the arrays were built from, for logs and provenance.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: str = ""

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def _split(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        if split not in _SPLITS:
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        if split == "train":
            return self.X_train, self.y_train
        return self.X_test, self.y_test

    def images(self, split: str = "train") -> np.ndarray:
        """The ``split``'s images as a (n, 28, 28) float32 view (no copy)."""
        return self._split(split)[0].reshape(-1, *IMAGE_SHAPE)

    def one_hot(self, split: str = "train", dtype=np.float32) -> np.ndarray:
        """The ``split``'s labels one-hot encoded, shape (n, n_classes)."""
        y = self._split(split)[1]
        return np.eye(self.n_classes, dtype=dtype)[y]

    def __repr__(self) -> str:
        return (
            f"Dataset({self.name!r}, train={self.X_train.shape}, "
            f"test={self.X_test.shape}, classes={self.n_classes})"
        )


def _check_pair(images, labels, where_images, where_labels, spec, n_expected):
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE:
        raise DataError(
            f"{where_images}: expected uint8 images of shape (n, 28, 28), "
            f"got {images.dtype} {images.shape}"
        )
    if labels.ndim != 1:
        raise DataError(
            f"{where_labels}: expected 1-D labels, got shape {labels.shape}"
        )
    if len(images) != len(labels):
        raise DataError(
            f"{where_images} holds {len(images)} images but {where_labels} holds "
            f"{len(labels)} labels"
        )
    if n_expected is not None and len(images) != n_expected:
        raise DataError(
            f"{where_images}: {len(images)} images, {spec.name} has {n_expected}"
        )
    n_classes = len(spec.class_names)
    if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):
        bad = labels[(labels < 0) | (labels >= n_classes)]
        raise DataError(
            f"{where_labels}: label {int(bad[0])} outside 0..{n_classes - 1} "
            f"({len(bad)} such labels)"
        )


def _read_checked_idx(path: Path, ndim: int) -> np.ndarray:
    # Reject a wrong header before any payload is decompressed.
    dtype, shape = read_idx_header(path)
    if dtype != np.uint8 or len(shape) != ndim:
        kind = "images" if ndim == 3 else "labels"
        raise DataError(
            f"{path}: expected uint8 {kind} with {ndim} dimension(s), "
            f"header declares {dtype} {shape}"
        )
    return read_idx(path)


def _build_from_files(paths: dict[str, Path], spec: DatasetSpec):
    arrays = {}
    for split, n in (("train", spec.n_train), ("test", spec.n_test)):
        img_path, lbl_path = paths[f"{split}_images"], paths[f"{split}_labels"]
        images = _read_checked_idx(img_path, 3)
        labels = _read_checked_idx(lbl_path, 1)
        _check_pair(images, labels, img_path, lbl_path, spec, n)
        arrays[split] = (images, labels)
    return arrays


def _build_from_builder(spec: DatasetSpec):
    X_train, y_train, X_test, y_test = spec.builder()
    arrays = {}
    for split, images, labels in (
        ("train", X_train, y_train),
        ("test", X_test, y_test),
    ):
        _check_pair(
            images,
            labels,
            f"{spec.name} {split} images",
            f"{spec.name} {split} labels",
            spec,
            None,
        )
        arrays[split] = (images, labels)
    return arrays


def _fingerprint(arrays) -> str:
    h = hashlib.sha256()
    for split in _SPLITS:
        for a in arrays[split]:
            h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


def _as_float(images: np.ndarray) -> np.ndarray:
    X = images.reshape(len(images), -1).astype(np.float32)
    X /= 255.0
    return X


def _cache_dir(spec: DatasetSpec, home: Path) -> Path:
    return home / spec.name / "arrays"


def _read_cache(folder: Path, spec: DatasetSpec) -> dict | None:
    meta_path = folder / "meta.json"
    try:
        meta = json.loads(meta_path.read_text())
        if meta.get("format") != _CACHE_FORMAT or meta.get("name") != spec.name:
            return None
        out = {
            k: np.load(folder / f"{k}.npy", mmap_mode="c")
            for k in ("X_train", "y_train", "X_test", "y_test")
        }
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        logger.warning(
            "ignoring a damaged array cache in %s (%s); rebuilding", folder, exc
        )
        return None
    for split in _SPLITS:
        X, y = out[f"X_{split}"], out[f"y_{split}"]
        if (
            X.dtype != np.float32
            or X.ndim != 2
            or X.shape[1] != 784
            or len(X) != len(y)
        ):
            logger.warning(
                "ignoring an inconsistent array cache in %s; rebuilding", folder
            )
            return None
    out["source"] = meta.get("source", "")
    return out


def _write_cache(folder: Path, spec: DatasetSpec, arrays, source: str) -> bool:
    """Write the float32 arrays atomically; False if the folder is not writable."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for split in _SPLITS:
            images, labels = arrays[split]
            for key, value in (
                (f"X_{split}", _as_float(images)),
                (f"y_{split}", labels.astype(np.int64)),
            ):
                atomic_write(folder / f"{key}.npy", lambda f, v=value: np.save(f, v))
        meta = {
            "format": _CACHE_FORMAT,
            "name": spec.name,
            "source": source,
            "sha256": _fingerprint(arrays),
        }
        text = json.dumps(meta, indent=1).encode()
        # meta.json last: its presence means the arrays beside it are complete.
        atomic_write(folder / "meta.json", lambda f: f.write(text))
    except OSError as exc:
        logger.warning(
            "cannot cache arrays in %s (%s); loading from source", folder, exc
        )
        return False
    return True


def _dataset(spec: DatasetSpec, d: dict) -> Dataset:
    return Dataset(
        spec.name,
        d["X_train"],
        d["y_train"],
        d["X_test"],
        d["y_test"],
        spec.class_names,
        d.get("source", ""),
    )


def is_cached(name: str, *, data_home: str | os.PathLike | None = None) -> bool:
    """Whether ``name``'s parsed arrays are in the cache (loading is instant)."""
    spec = get_spec(name)
    return _read_cache(_cache_dir(spec, get_data_home(data_home)), spec) is not None


def load(
    name: str,
    *,
    data_home: str | os.PathLike | None = None,
    download: bool = True,
    progress: ProgressFactory | None = None,
) -> Dataset:
    """Load an MNIST-style dataset, downloading and caching it if needed.

    Parameters
    ----------
    name : str
        A registered name: ``mnist``, ``fashion-mnist``, ``kmnist``,
        ``mnist-sample`` (see :func:`available`).
    data_home : str or path-like, optional
        Cache folder; default ``$MNISTBENCH_DATA_HOME`` or the user cache dir.
    download : bool, default True
        If False, never touch the network: use the cache and system folders.
    progress : callable, optional
        Called with each file to download; returns a pooch progress bar.

    Returns
    -------
    Dataset

    Raises
    ------
    UnknownDatasetError, DownloadError, DataError
        With a one-line message naming the file and the problem.
    """
    spec = get_spec(name)
    home = get_data_home(data_home)
    folder = _cache_dir(spec, home)
    cached = _read_cache(folder, spec)
    if cached is not None:
        logger.debug("%s: loaded from the array cache %s", name, folder)
        return _dataset(spec, cached)

    if spec.builder is not None:
        arrays = _build_from_builder(spec)
        source = f"{spec.name} builder ({spec.description})"
    else:
        paths = fetch_files(spec, data_home=home, download=download, progress=progress)
        arrays = _build_from_files(paths, spec)
        source = ", ".join(str(p) for p in paths.values())
    if _write_cache(folder, spec, arrays, source):
        cached = _read_cache(folder, spec)
        if cached is not None:
            return _dataset(spec, cached)
    d = {f"X_{s}": _as_float(arrays[s][0]) for s in _SPLITS}
    d |= {f"y_{s}": arrays[s][1].astype(np.int64) for s in _SPLITS}
    return _dataset(spec, {**d, "source": source})


def fetch(
    name: str,
    *,
    data_home: str | os.PathLike | None = None,
    progress: ProgressFactory | None = None,
) -> Path:
    """Download (if needed), verify and cache ``name``; return its cache folder."""
    load(name, data_home=data_home, download=True, progress=progress)
    return get_data_home(data_home) / name
