"""The cache of parsed arrays: float32 images and int64 labels as ``.npy`` files,
memory-mapped on load, with a ``meta.json`` written last.

Registered datasets are cached in ``DATA_HOME/NAME/arrays``; a user's own data
in ``DATA_HOME/own/SHA256`` (its content hash, see :func:`content_sha256`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np

from mnistbench._io import atomic_write, write_error
from mnistbench.data._files import open_regular, regular_file

logger = logging.getLogger(__name__)

# Bump when the cached arrays' layout changes, so old caches are rebuilt.
# 2: meta.json holds the content hash, the image shape and the class names.
CACHE_FORMAT = 2
KEYS = ("X_train", "y_train", "X_test", "y_test")


def unit_float(pixels: np.ndarray) -> np.ndarray:
    """Pixels 0..255 as float32 in [0, 1], one flattened image per row: the
    cached layout. Registered datasets and a user's own data both convert
    here, so the same pixels hash the same (:func:`content_sha256`)."""
    X = pixels.reshape(len(pixels), -1).astype(np.float32)
    X /= 255.0
    return X


def content_sha256(arrays: dict, image_shape, class_names) -> str:
    """SHA-256 of a dataset as mnistbench uses it: the float32 pixels and int64
    labels of both splits, the image shape and the class names. Equal for the
    same data in any file format."""
    h = hashlib.sha256(b"mnistbench dataset 1\n")
    h.update(json.dumps([list(image_shape), list(class_names)]).encode())
    for key in KEYS:
        a = np.ascontiguousarray(arrays[key])
        h.update(f"\n{key} {a.dtype.str} {a.shape}\n".encode())
        h.update(memoryview(a).cast("B"))
    return h.hexdigest()


def read_small(path: Path, limit: int = 1 << 20) -> str:
    """The text of a small file the cache keeps (a regular file, at most
    ``limit`` bytes); FileNotFoundError if it is not there.

    Raises
    ------
    ValueError
        Not a regular file (a DataError), or longer than ``limit``.
    """
    if not regular_file(path):
        raise FileNotFoundError(path)
    with open_regular(path) as f:
        content = f.read(limit + 1)
    if len(content) > limit:
        raise ValueError(f"{path}: more than {limit} bytes")
    return content.decode("utf-8")


def read(folder: Path) -> tuple[dict, dict] | None:
    """The arrays (copy-on-write memory maps) and meta of ``folder``, or None
    if it holds no complete cache of this format."""
    try:
        meta = json.loads(read_small(folder / "meta.json"))
        if meta.get("format") != CACHE_FORMAT:
            return None
        arrays = {}
        for key in KEYS:
            path = folder / f"{key}.npy"
            if not regular_file(path):
                raise FileNotFoundError(path)
            arrays[key] = np.load(path, mmap_mode="c")
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:  # DataError: a FIFO or a device
        logger.warning(
            "ignoring a damaged array cache in %s (%s); rebuilding", folder, exc
        )
        return None
    n_features = int(np.prod(meta.get("image_shape") or [0]))
    for split in ("train", "test"):
        X, y = arrays[f"X_{split}"], arrays[f"y_{split}"]
        if (
            X.dtype != np.float32
            or X.ndim != 2
            or X.shape[1] != n_features
            or y.dtype != np.int64
            or len(X) != len(y)
        ):
            logger.warning(
                "ignoring an inconsistent array cache in %s; rebuilding", folder
            )
            return None
    return arrays, meta


def write(folder: Path, arrays: dict, meta: dict, *, required: str = "") -> bool:
    """Write ``arrays`` (float32 images, int64 labels) and ``meta`` atomically;
    False, with a warning, if the folder is not writable.

    ``required`` says why the cache cannot be done without (the job processes
    read arrays from Python only there): then a failure raises
    :class:`~mnistbench._io.WriteError`, one line ending with it.
    """
    target = folder
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for key in KEYS:
            value = arrays[key]
            target = folder / f"{key}.npy"
            atomic_write(target, lambda f, v=value: np.save(f, v))
        text = json.dumps({"format": CACHE_FORMAT, **meta}, indent=1).encode()
        # meta.json last: its presence means the arrays beside it are complete.
        target = folder / "meta.json"
        atomic_write(target, lambda f: f.write(text))
    except OSError as exc:
        if required:
            raise write_error(target, exc, required) from None
        logger.warning(
            "cannot cache arrays in %s (%s); loading from source", folder, exc
        )
        return False
    return True
