"""The published corrupted test sets: MNIST-C and Fashion-MNIST-C, as
downloaded, for measuring a model trained on the clean data.

MNIST-C (Mu and Gilmer 2019, google-research/mnist-c; ``mnist_c.zip`` on
Zenodo) is a folder ``mnist_c/`` with one folder per corruption, each
holding ``train_images.npy`` (60000, 28, 28, 1) uint8, ``train_labels.npy``,
``test_images.npy`` (10000, 28, 28, 1) and ``test_labels.npy``: the test
images are MNIST's, in MNIST's order, corrupted one way.

Fashion-MNIST-C (testingautomated-usi/fashion-mnist-c) ships one test set,
``fmnist-c-test-ubyte.gz`` and ``fmnist-c-test-labels-ubyte.gz`` (IDX, and
the same as ``fmnist-c-test.npy`` and ``fmnist-c-test-labels.npy``), beside
the training files: each image of Fashion-MNIST's test set corrupted by one
corruption drawn at random (of 16) at a random severity. Which one is not
released, so it is one set, ``fmnist-c``.

Only the test files are read, and only when a set is loaded: one set in
memory at a time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnistbench.data._cache import unit_float
from mnistbench.data._dataset import Dataset
from mnistbench.data._files import kind
from mnistbench.data._formats import (
    IDX_FMNIST_C,
    NPY_FMNIST_C,
    NPY_MNIST_C,
    find_layout,
)
from mnistbench.data._idx import read_idx, read_idx_header
from mnistbench.data._memory import check_memory
from mnistbench.data._npy import map_npy
from mnistbench.exceptions import DataError

__all__ = [
    "FMNIST_C",
    "MNIST_C_CORRUPTIONS",
    "PublishedSet",
    "check_matches",
    "published_corruptions",
    "published_set",
]

#: MNIST-C's corruptions, in the order of its paper and release.
MNIST_C_CORRUPTIONS = (
    "identity",
    "shot_noise",
    "impulse_noise",
    "glass_blur",
    "motion_blur",
    "shear",
    "scale",
    "rotate",
    "brightness",
    "translate",
    "stripe",
    "fog",
    "spatter",
    "dotted_line",
    "zigzag",
    "canny_edges",
)
#: The name of Fashion-MNIST-C's one test set (its images' corruptions are
#: not released).
FMNIST_C = "fmnist-c"

_TEST = ("test_images", "test_labels")
# MNIST-C's .npy names, Fashion-MNIST-C's IDX and .npy names (not MNIST's
# IDX names: a folder of those is a dataset, not a published corrupted set).
_PUBLISHED = (NPY_MNIST_C, IDX_FMNIST_C, NPY_FMNIST_C)
_EXPECTED = (
    "expected MNIST-C (the mnist_c folder of a folder per corruption, or one of "
    "them, holding test_images.npy and test_labels.npy) or Fashion-MNIST-C (a "
    "folder holding fmnist-c-test-ubyte.gz and fmnist-c-test-labels-ubyte.gz)"
)


def _test_files(folder: Path, layouts=_PUBLISHED) -> tuple[str, Path, Path] | None:
    """The format, test images and test labels of the set in ``folder``;
    None if it holds neither; a one-line error if one without the other."""
    found = find_layout(folder, _TEST, layouts)
    if found is None:
        return None
    layout, files = found
    if len(files) < 2:
        (have,) = files.values()
        (other,) = (r for r in _TEST if r not in files)
        raise DataError(
            f"{have}: no {other.replace('_', ' ')} beside it; expected "
            f"{' or '.join(layout.names_of(other))} in {folder}"
        )
    return layout.fmt, files["test_images"], files["test_labels"]


@dataclass(frozen=True)
class PublishedSet:
    """One published corrupted test set, read only when loaded.

    Attributes
    ----------
    name : str
        The corruption: the name of its MNIST-C folder (``"shear"``,
        ``"identity"``...), or ``"fmnist-c"`` for Fashion-MNIST-C, whose
        release does not say which corruption each image got.
    path : pathlib.Path
        The folder it comes from.

    See Also
    --------
    published_corruptions : The sets of an MNIST-C or Fashion-MNIST-C folder.
    """

    name: str
    path: Path

    def _files(self) -> tuple[str, Path, Path]:
        found = _test_files(self.path)
        if found is None:
            raise DataError(f"{self.path}: no published test set; {_EXPECTED}")
        return found

    def _inspect(self) -> tuple[str, Path, Path, int, tuple[int, int]]:
        """The files, the image count and shape, from the headers alone:
        uint8 images, integer labels, one label per image."""
        fmt, images, labels = self._files()
        if fmt == "npy":
            (x_dtype, x_shape), (y_dtype, y_shape) = (
                (h.dtype, h.shape) for h in (map_npy(images)[1], map_npy(labels)[1])
            )
        else:
            (x_dtype, x_shape), (y_dtype, y_shape) = (
                read_idx_header(images),
                read_idx_header(labels),
            )
        if x_dtype != np.uint8 or not (
            len(x_shape) == 3 or (len(x_shape) == 4 and x_shape[3] == 1)
        ):
            raise DataError(
                f"{images}: {x_dtype} array of shape {x_shape}; expected uint8 images "
                "of shape (n, height, width) or (n, height, width, 1)"
            )
        if np.dtype(y_dtype).kind not in "ui" or len(y_shape) != 1:
            raise DataError(
                f"{labels}: {y_dtype} array of shape {y_shape}; expected labels, "
                "integers of shape (n,)"
            )
        if x_shape[0] != y_shape[0]:
            raise DataError(
                f"{labels}: {y_shape[0]} labels for {x_shape[0]} images in "
                f"{images.name}"
            )
        return fmt, images, labels, x_shape[0], (x_shape[1], x_shape[2])

    @property
    def image_shape(self) -> tuple[int, int]:
        """(height, width) of the images, from the header."""
        return self._inspect()[4]

    def labels(self) -> np.ndarray:
        """The test labels as int64, reading nothing else.

        Returns
        -------
        numpy.ndarray
            int64, shape (n,).

        Raises
        ------
        DataError
            A file is missing, malformed or truncated (one line naming it).
        """
        fmt, _, labels, _, _ = self._inspect()
        y = map_npy(labels)[0] if fmt == "npy" else read_idx(labels)
        return np.array(y, dtype=np.int64)

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        """The test images and labels.

        Returns
        -------
        X : numpy.ndarray
            float32, shape (n, height * width), pixel / 255 in [0, 1] (as
            every dataset's, :func:`mnistbench.data._cache.unit_float`).
        y : numpy.ndarray
            int64, shape (n,).

        Raises
        ------
        DataError
            A file is missing, malformed or truncated, or the float32 images
            would not fit in the memory available (refused before any is
            read): one line naming the file.
        """
        fmt, images, _, n, (h, w) = self._inspect()
        # A memory map, or the IDX payload read once; then one float32 copy.
        raw = n * h * w if fmt == "idx" else 0
        check_memory(raw + n * h * w * 4 + n * 8, f"{images}: the images as float32")
        pixels = map_npy(images)[0] if fmt == "npy" else read_idx(images)
        return unit_float(pixels), self.labels()

    def check_matches(self, dataset: Dataset) -> None:
        """Refuse this set unless it is ``dataset``'s test set, corrupted:
        the same image size, and the same labels in the same order (only
        the labels and the images' header are read).

        Raises
        ------
        DataError
            One line naming this set's folder and the first difference.
        """
        shape = self.image_shape
        theirs = tuple(dataset.image_shape)
        not_copies = "these are not its corrupted copies"
        if shape != theirs:
            raise DataError(
                f"{self.path}: images of {shape[0]}x{shape[1]}, {dataset.name}'s are "
                f"{theirs[0]}x{theirs[1]}; {not_copies}"
            )
        y, y_test = self.labels(), np.asarray(dataset.y_test)
        if len(y) != len(y_test):
            raise DataError(
                f"{self.path}: {len(y)} test labels, {dataset.name}'s test set has "
                f"{len(y_test)} images; {not_copies}"
            )
        differ = np.flatnonzero(y != y_test)
        if differ.size:
            raise DataError(
                f"{self.path}: its {len(y)} test labels are not those of "
                f"{dataset.name}'s test set (first difference at index {differ[0]}); "
                f"{not_copies}"
            )


def _order(s: PublishedSet) -> tuple:
    if s.name in MNIST_C_CORRUPTIONS:
        return (0, MNIST_C_CORRUPTIONS.index(s.name), "")
    return (1, 0, s.name)


def published_corruptions(path: str | os.PathLike) -> list[PublishedSet]:
    """The published corrupted test sets at ``path``, not yet read.

    Parameters
    ----------
    path : str or path-like
        One of:

        - MNIST-C's root folder (``mnist_c/``): each sub-folder that holds
          ``test_images.npy`` and ``test_labels.npy`` is a set, named by the
          folder, in MNIST-C's order (``identity``, ``shot_noise``, ...,
          ``canny_edges``), other names after them in alphabetical order;
        - one of its corruption folders (``mnist_c/shear``);
        - Fashion-MNIST-C's folder, with ``fmnist-c-test-ubyte.gz`` and
          ``fmnist-c-test-labels-ubyte.gz`` (raw or ``.gz``; or its
          ``fmnist-c-test.npy`` and ``fmnist-c-test-labels.npy``): one set,
          ``fmnist-c``, as the release does not say which corruption each
          image got.

        Only the test files are needed: the training files may be absent.

    Returns
    -------
    list of PublishedSet
        Their headers checked (uint8 images, integer labels, one label per
        image), their data not read.

    Raises
    ------
    DataError
        A missing path, a file, a folder with no such set, a test file
        without its pair, or a malformed header: one line naming the path
        and what was expected.

    See Also
    --------
    check_matches : Refuse sets that are not a dataset's corrupted test set.

    Examples
    --------
    MNIST-C's layout, written here from ``mnist-sample``'s test set:

    >>> import tempfile
    >>> from pathlib import Path
    >>> import numpy as np
    >>> from mnistbench import data
    >>> ds = data.load("mnist-sample")
    >>> root = Path(tempfile.mkdtemp()) / "mnist_c"
    >>> pixels = np.round(ds.images("test", channels=True) * 255).astype(np.uint8)
    >>> for name, images in (("shear", pixels), ("identity", pixels)):
    ...     (root / name).mkdir(parents=True)
    ...     np.save(root / name / "test_images.npy", images)
    ...     np.save(root / name / "test_labels.npy", ds.y_test.astype(np.uint8))
    >>> sets = data.published_corruptions(root)
    >>> [s.name for s in sets]
    ['identity', 'shear']
    >>> data.check_matches(sets, ds)  # ds's test set, in its order
    >>> X, y = sets[1].load()
    >>> X.shape, X.dtype, bool((X == ds.X_test).all()), y.dtype
    ((1000, 784), dtype('float32'), True, dtype('int64'))
    """
    path = Path(path).expanduser()
    what = kind(path)
    if what is None:
        raise DataError(f"{path}: no such file or folder; {_EXPECTED}")
    if what == "file":
        raise DataError(f"{path}: a file; {_EXPECTED}")
    found = _test_files(path)
    if found is not None:
        images = found[1]
        mnist_c = images.name == NPY_MNIST_C.names_of("test_images")[0]
        sets = [PublishedSet(path.name if mnist_c else FMNIST_C, path)]
    else:
        try:
            with os.scandir(path) as entries:
                subs = sorted(Path(e.path) for e in entries if e.is_dir())
        except OSError as exc:
            raise DataError(f"{path}: cannot list ({exc.strerror or exc})") from None
        sets = [
            PublishedSet(sub.name, sub)
            for sub in subs
            if _test_files(sub, (NPY_MNIST_C,)) is not None
        ]
        if not sets:
            raise DataError(f"{path}: no published corrupted test sets; {_EXPECTED}")
        sets.sort(key=_order)
    for s in sets:
        s._inspect()
    return sets


def published_set(path: str | os.PathLike, name: str) -> PublishedSet:
    """The published set ``name`` of ``path`` (see
    :func:`published_corruptions`); a one-line ``DataError`` if ``path``
    holds none of that name."""
    for found in published_corruptions(path):
        if found.name == name:
            return found
    raise DataError(f"{path}: holds no published set named {name!r}")


def check_matches(sets: PublishedSet | list[PublishedSet], dataset: Dataset) -> None:
    """Refuse published sets that are not ``dataset``'s test set, corrupted.

    Each set's images must have ``dataset``'s image size, and its labels
    must be ``dataset.y_test``, in the same order: MNIST-C's sets match
    ``mnist``, Fashion-MNIST-C's ``fashion-mnist``. Only the labels and the
    images' headers are read.

    Parameters
    ----------
    sets : PublishedSet or list of PublishedSet
        From :func:`published_corruptions`.
    dataset : Dataset
        The clean dataset the models are trained on.

    Raises
    ------
    DataError
        The first set that does not match, in one line: ``PATH: its 10000
        test labels are not those of mnist's test set (first difference at
        index 12); these are not its corrupted copies`` (or the count, or the
        image size, that differs).
    """
    for s in [sets] if isinstance(sets, PublishedSet) else sets:
        s.check_matches(dataset)
