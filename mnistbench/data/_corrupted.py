"""Corrupted copies of a dataset's test set (``mnistbench run --corruptions``):
generated once per dataset, corruption, severity and seed, then cached in
the data home beside the datasets' arrays, so that every pipeline and engine
of a run (and of later runs) is scored on the same images.

The cache is ``DATA_HOME/corrupted/SHA/NAME-sSEVERITY-seedSEED-TAG.npy``:
``SHA`` the first 16 hex digits of the dataset's content hash, ``TAG`` the
mnistbench version for the built-in corruptions (a release may change how
one is generated) or a hash of the function's code for a user's. Each file
is float32 ``(n_test, n_features)`` in [0, 1], written whole or not at all.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from mnistbench._io import atomic_write
from mnistbench.data._fetch import get_data_home
from mnistbench.data._files import regular_file

__all__ = [
    "GENERATED",
    "CorruptedSet",
    "corrupted_cache_path",
    "corrupted_test_set",
    "generation_tag",
    "images_sha256",
]

logger = logging.getLogger(__name__)

#: The ``source`` of a set made by :func:`mnistbench.corruptions.corrupt`.
GENERATED = "generated"


class CorruptedSet(NamedTuple):
    """One corrupted copy of a test set a job is scored on.

    ``corruption`` is a registered corruption's name and ``severity`` 1 to 5
    for a set generated from the job's seed (``source`` ``"generated"``);
    for a published set (MNIST-C, Fashion-MNIST-C) ``source`` is the folder
    it is read from and ``severity`` None. ``tag`` is the generation's
    version (:func:`generation_tag`), taken where the run starts: a job
    finds the set the runner made in the cache by it, even where the
    corruption is not registered (one registered in the caller's script).
    """

    corruption: str
    severity: int | None
    source: str = GENERATED
    tag: str = ""

    @property
    def generated(self) -> bool:
        return self.source == GENERATED

    def __str__(self) -> str:
        if self.generated:
            return f"{self.corruption} (severity {self.severity})"
        return f"{self.corruption} ({self.source})"


def generation_tag(name: str) -> str:
    """What tells one version of corruption ``name``'s generation from
    another: the mnistbench version for a built-in one, a hash of the
    function's code for a user's."""
    from mnistbench import __version__, corruptions

    info = corruptions.info(name)
    if info.source == "built-in":
        return f"v{__version__}"
    code = getattr(info.func, "__code__", None)
    ident = f"{info.func.__module__}:{getattr(info.func, '__qualname__', '')}"
    h = hashlib.sha256(ident.encode())
    if code is not None:
        h.update(code.co_code)
        h.update(repr(code.co_consts).encode())
    return h.hexdigest()[:12]


def corrupted_cache_path(
    ds, corruption: str, severity: int, seed: int, data_home=None, tag: str = ""
) -> Path:
    """Where :func:`corrupted_test_set` caches ``ds``'s corrupted test set
    (``tag`` default :func:`generation_tag`)."""
    folder = get_data_home(data_home) / "corrupted" / ds.sha256[:16]
    tag = tag or generation_tag(corruption)
    return folder / f"{corruption}-s{severity}-seed{seed}-{tag}.npy"


def _read(path: Path, shape: tuple) -> np.ndarray | None:
    if not regular_file(path):
        return None
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        logger.warning("ignoring a damaged corrupted set %s (%s)", path, exc)
        return None
    if arr.dtype != np.float32 or arr.shape != shape:
        logger.warning("ignoring an inconsistent corrupted set %s", path)
        return None
    return arr


def corrupted_test_set(
    ds,
    corruption: str,
    severity: int,
    seed: int,
    *,
    data_home: str | os.PathLike | None = None,
    cache: bool = True,
    tag: str = "",
) -> np.ndarray:
    """``ds``'s test images under ``corruption`` at ``severity``, from ``seed``.

    Read from the cache in the data home if there, else made with
    :func:`mnistbench.corruptions.corrupt` on ``ds.images("test")`` and
    cached (``cache=False`` keeps it in memory only; an unwritable data home
    is a warning, not an error).

    Parameters
    ----------
    ds : Dataset
        The dataset whose test set is corrupted; its image shape is used.
    corruption : str
        A registered corruption (:func:`mnistbench.corruptions.available`).
    severity : int
        1 to 5.
    seed : int
        Seeds the corruption's random draws.
    data_home : path, optional
        The data home (default: ``$MNISTBENCH_DATA_HOME`` or the user's cache).
    cache : bool, default True
        Read and write the cache.
    tag : str, optional
        The generation's version in the cache's file name; default
        :func:`generation_tag` of ``corruption``.

    Returns
    -------
    numpy.ndarray
        float32 ``(n_test, n_features)`` in [0, 1], in the test set's order
        (read-only when it comes from the cache).

    Examples
    --------
    >>> import tempfile
    >>> from mnistbench import data
    >>> ds = data.load("mnist-sample")
    >>> home = tempfile.mkdtemp()
    >>> X = data.corrupted_test_set(ds, "shear", 3, seed=0, data_home=home)
    >>> X.shape, X.dtype, bool(X.min() >= 0 and X.max() <= 1)
    ((1000, 784), dtype('float32'), True)
    >>> again = data.corrupted_test_set(ds, "shear", 3, seed=0, data_home=home)
    >>> bool((again == X).all())
    True
    """
    from mnistbench import corruptions

    shape = ds.X_test.shape
    path = None
    if cache:
        path = corrupted_cache_path(ds, corruption, severity, seed, data_home, tag)
        found = _read(path, shape)
        if found is not None:
            return found
    images = corruptions.corrupt(ds.images("test"), corruption, severity, seed)
    X = np.ascontiguousarray(images.reshape(shape), dtype=np.float32)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, lambda f: np.save(f, X))
        except OSError as exc:
            logger.warning(
                "cannot cache the corrupted test set in %s (%s); each job makes "
                "its own",
                path.parent,
                getattr(exc, "strerror", None) or exc,
            )
    return X


def images_sha256(X: np.ndarray) -> str:
    """SHA-256 of a set's float32 pixels: equal for the same images."""
    h = hashlib.sha256(f"{X.dtype.str} {X.shape}\n".encode())
    h.update(memoryview(np.ascontiguousarray(X)).cast("B"))
    return h.hexdigest()
