"""The Dataset type, and loading a registered dataset through the array cache."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnistbench.data import _cache
from mnistbench.data._fetch import ProgressFactory, fetch_files, get_data_home
from mnistbench.data._idx import read_idx, read_idx_header
from mnistbench.data._registry import DatasetSpec, get_spec
from mnistbench.exceptions import DataError

__all__ = ["DataRef", "Dataset", "is_cached", "load_registered"]

logger = logging.getLogger(__name__)

IMAGE_SHAPE = (28, 28)
_SPLITS = ("train", "test")


@dataclass(frozen=True)
class DataRef:
    """How a job process, or a Dask worker, finds a dataset that is not
    registered: by its content hash in the cache, else from ``path`` read
    with the same options (and checked against ``sha256``)."""

    name: str
    sha256: str
    path: str = ""
    test_fraction: float | None = None
    image_shape: tuple[int, int] | None = None


@dataclass(frozen=True, eq=False)
class Dataset:
    """An MNIST-style dataset, split into train and test.

    Attributes
    ----------
    name : str
        Registry name (``"mnist"``, ``"fashion-mnist"``, ...), or for a user's
        own data its name and a short content hash (``"mydigits@3fa2c1d0"``).
    X_train, X_test : numpy.ndarray
        float32, shape (n, height * width), C-contiguous, values in [0, 1]
        (pixel / 255), each row an image flattened row by row. Copy-on-write
        memory maps of the cache: writable, but writes never reach the file.
    y_train, y_test : numpy.ndarray
        int64 labels in 0..n_classes - 1.
    class_names : tuple of str
        ``class_names[k]`` names label ``k``.
    source : str
        Where the arrays were built from, for logs and provenance.
    image_shape : (int, int)
        (height, width) of each image.
    sha256 : str
        SHA-256 of the content (pixels, labels, image shape, class names),
        the same whatever file format it was read from.
    split : str
        How the test set was made, when it was split off the training set
        ("" otherwise).
    origin : DataRef or None
        For data that is not registered, how to find it again.
    n_classes : int
        The number of classes, ``len(class_names)``.
    n_features : int
        Pixels per image, height * width.

    See Also
    --------
    load : Load a registered dataset, or a user's own files.
    from_arrays : A dataset from arrays in Python.

    Examples
    --------
    >>> from mnistbench import data
    >>> ds = data.load("mnist-sample")
    >>> ds.name, ds.n_classes, ds.n_features, ds.image_shape
    ('mnist-sample', 10, 784, (28, 28))
    >>> ds.X_train.shape, ds.y_train.shape, ds.y_train.dtype
    ((4000, 784), (4000,), dtype('int64'))
    >>> ds.class_names
    ('0', '1', '2', '3', '4', '5', '6', '7', '8', '9')

    The arrays fit scikit-learn as they are:

    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> model = KNeighborsClassifier().fit(ds.X_train, ds.y_train)
    >>> model.score(ds.X_test, ds.y_test)
    0.92...
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    source: str = ""
    image_shape: tuple[int, int] = IMAGE_SHAPE
    sha256: str = ""
    split: str = ""
    origin: DataRef | None = None

    @property
    def n_classes(self) -> int:
        """The number of classes, ``len(class_names)``."""
        return len(self.class_names)

    @property
    def n_features(self) -> int:
        """Pixels per image, height * width."""
        return self.X_train.shape[1]

    def _split(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        if split not in _SPLITS:
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        if split == "train":
            return self.X_train, self.y_train
        return self.X_test, self.y_test

    def images(self, split: str = "train", *, channels: bool = False) -> np.ndarray:
        """The ``split``'s images as a (n, height, width) float32 view (no copy).

        Parameters
        ----------
        split : {"train", "test"}, default "train"
            Which images.
        channels : bool, default False
            Give them a last axis of one channel, (n, height, width, 1), as
            Keras has it.

        Returns
        -------
        numpy.ndarray
            A view of ``X_train`` or ``X_test``, pixels in [0, 1].

        Raises
        ------
        ValueError
            ``split`` is neither "train" nor "test".

        Examples
        --------
        >>> from mnistbench import data
        >>> ds = data.load("mnist-sample")
        >>> ds.images("test").shape
        (1000, 28, 28)
        >>> ds.images(channels=True).shape
        (4000, 28, 28, 1)
        """
        shape = (*self.image_shape, 1) if channels else self.image_shape
        return self._split(split)[0].reshape(-1, *shape)

    def one_hot(self, split: str = "train", dtype=np.float32) -> np.ndarray:
        """The ``split``'s labels one-hot encoded, shape (n, n_classes).

        Parameters
        ----------
        split : {"train", "test"}, default "train"
            Which labels.
        dtype : data-type, default numpy.float32
            The type of the result.

        Returns
        -------
        numpy.ndarray
            Row ``i`` is 1 in column ``y[i]`` and 0 elsewhere.

        Raises
        ------
        ValueError
            ``split`` is neither "train" nor "test".

        Examples
        --------
        >>> from mnistbench import data
        >>> ds = data.load("mnist-sample")
        >>> Y = ds.one_hot("test")
        >>> Y.shape, Y.dtype
        ((1000, 10), dtype('float32'))
        >>> bool((Y.argmax(axis=1) == ds.y_test).all())
        True
        """
        y = self._split(split)[1]
        return np.eye(self.n_classes, dtype=dtype)[y]

    def counts(self, split: str = "train") -> np.ndarray:
        """Images per class in ``split``.

        Parameters
        ----------
        split : {"train", "test"}, default "train"
            Which images.

        Returns
        -------
        numpy.ndarray
            ``counts[k]`` images of class ``k``, one count per class.

        Raises
        ------
        ValueError
            ``split`` is neither "train" nor "test".

        Examples
        --------
        >>> from mnistbench import data
        >>> data.load("mnist-sample").counts("test")
        array([100, 100, 100, 100, 100, 100, 100, 100, 100, 100])
        """
        return np.bincount(self._split(split)[1], minlength=self.n_classes)

    def __repr__(self) -> str:
        shape = "x".join(map(str, self.image_shape))
        return (
            f"Dataset({self.name!r}, train={self.X_train.shape}, "
            f"test={self.X_test.shape}, image={shape}, classes={self.n_classes})"
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


def _normalised(arrays) -> dict[str, np.ndarray]:
    out = {}
    for split in _SPLITS:
        images, labels = arrays[split]
        out[f"X_{split}"] = _cache.unit_float(images)
        out[f"y_{split}"] = labels.astype(np.int64)
    return out


def _cache_dir(spec: DatasetSpec, home: Path) -> Path:
    return home / spec.name / "arrays"


def _read_cache(folder: Path, spec: DatasetSpec) -> dict | None:
    found = _cache.read(folder)
    if found is None or found[1].get("name") != spec.name:
        return None
    arrays, meta = found
    return {**arrays, "source": meta.get("source", ""), "sha256": meta["sha256"]}


def _dataset(spec: DatasetSpec, d: dict) -> Dataset:
    return Dataset(
        spec.name,
        d["X_train"],
        d["y_train"],
        d["X_test"],
        d["y_test"],
        spec.class_names,
        d.get("source", ""),
        image_shape=IMAGE_SHAPE,
        sha256=d["sha256"],
    )


def is_cached(name: str, *, data_home: str | os.PathLike | None = None) -> bool:
    """Whether ``name``'s parsed arrays are in the cache (loading is instant)."""
    spec = get_spec(name)
    return _read_cache(_cache_dir(spec, get_data_home(data_home)), spec) is not None


def load_registered(
    name: str,
    *,
    data_home: str | os.PathLike | None = None,
    download: bool = True,
    progress: ProgressFactory | None = None,
) -> Dataset:
    """Load a registered dataset (see :func:`mnistbench.data.load`)."""
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
    d = _normalised(arrays)
    sha = _cache.content_sha256(d, IMAGE_SHAPE, spec.class_names)
    meta = {
        "name": spec.name,
        "source": source,
        "sha256": sha,
        "image_shape": list(IMAGE_SHAPE),
        "class_names": list(spec.class_names),
    }
    if _cache.write(folder, d, meta):
        cached = _read_cache(folder, spec)
        if cached is not None:
            return _dataset(spec, cached)
    return _dataset(spec, {**d, "source": source, "sha256": sha})
