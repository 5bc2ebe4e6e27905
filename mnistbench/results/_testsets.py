"""A dataset's test set kept inside a results folder: ``testsets/NAME.npz``.

A published archive (:func:`mnistbench.publish.publish`) carries the test set
of every dataset its rows were scored on, so that its report and comparisons
are checked with nothing else: no dataset cache, no network. The file holds
the test images as 8-bit pixels (``uint8``, or ``float32`` in [0, 1] for
data that is not 8-bit), the labels, the class names, the image shape and the
dataset's content hash as recorded where it was loaded (``Dataset.sha256``
covers the training set too, which is not kept, so the hash is stored, not
recomputed).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mnistbench import data
from mnistbench._io import atomic_write, make_folder
from mnistbench.data._cache import unit_float
from mnistbench.data._files import open_regular, regular_file
from mnistbench.exceptions import DataError

__all__ = [
    "TESTSETS",
    "archived_dataset",
    "archived_path",
    "dataset_of",
    "save_test_set",
]

#: The folder of a results folder that holds its archived test sets.
TESTSETS = "testsets"
#: Bump when the file's keys change.
_FORMAT = 1
_KEYS = ("format", "name", "labels", "class_names", "image_shape", "sha256")
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")


def archived_path(folder: str | os.PathLike, name: str) -> Path:
    """Where ``name``'s test set is kept in ``folder``: ``testsets/NAME.npz``
    (a name that is not a plain file name, a path given to ``--dataset``,
    gets a slug and a hash of it instead)."""
    if _SAFE.fullmatch(name) and not name.endswith("."):
        stem = name
    else:
        digest = hashlib.sha256(name.encode()).hexdigest()[:12]
        slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[-40:] or "dataset"
        stem = f"{slug}-{digest}"
    return Path(folder) / TESTSETS / f"{stem}.npz"


def _pixels(ds: data.Dataset) -> dict[str, np.ndarray]:
    """The test images as uint8 if that keeps them exactly, else float32."""
    images = np.asarray(ds.images("test"), dtype=np.float32)
    as_bytes = np.rint(np.clip(images, 0.0, 1.0) * 255).astype(np.uint8)
    if np.array_equal(unit_float(as_bytes), ds.X_test.reshape(len(images), -1)):
        return {"images": as_bytes}
    return {"pixels": images}


def save_test_set(folder: str | os.PathLike, ds: data.Dataset) -> Path:
    """Write ``ds``'s test set to ``folder/testsets/NAME.npz``, whole or not
    at all; return its path.

    Raises
    ------
    mnistbench._io.WriteError
        The file could not be written; one line naming it and why.
    """
    path = archived_path(folder, ds.name)
    make_folder(path.parent)
    arrays = {
        "format": np.array(_FORMAT),
        "name": np.array(ds.name),
        **_pixels(ds),
        "labels": np.asarray(ds.y_test, dtype=np.int64),
        "class_names": np.array(list(ds.class_names), dtype=str),
        "image_shape": np.array(ds.image_shape, dtype=np.int64),
        "sha256": np.array(ds.sha256),
    }
    atomic_write(path, lambda f: np.savez_compressed(f, **arrays))
    return path


def _read(path: Path, name: str) -> dict:
    """The arrays of the test-set file at ``path``, each checked; DataError,
    one line naming the file, for anything else."""
    try:
        with open_regular(path) as f, np.load(f, allow_pickle=False) as z:
            found = {key: z[key] for key in z.files}
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - zipfile, zlib and numpy's
        # header parser each raise their own errors on a damaged file
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise DataError(f"{path}: not a readable test set ({reason})") from None

    def bad(what: str) -> DataError:
        return DataError(f"{path}: damaged test set ({what})")

    missing = [k for k in _KEYS if k not in found]
    if missing or ("images" in found) == ("pixels" in found):
        raise bad(f"no {', '.join(missing) or 'images'}")
    version = found["format"]
    if version.shape != () or version.dtype.kind not in "iu" or version != _FORMAT:
        raise bad(f"format {version}, this mnistbench reads {_FORMAT}")
    if str(found["name"]) != name:
        raise bad(f"it holds {str(found['name'])!r}, not {name!r}")
    shape = found["image_shape"]
    if shape.shape != (2,) or shape.dtype.kind not in "iu" or (shape < 1).any():
        raise bad(f"image shape {shape.tolist()}")
    images = found.get("images", found.get("pixels"))
    labels, classes = found["labels"], found["class_names"]
    expected = np.uint8 if "images" in found else np.float32
    if images.dtype != expected or images.shape[1:] != tuple(shape):
        raise bad(f"images of {images.dtype} {images.shape}")
    if labels.dtype != np.int64 or labels.shape != (len(images),):
        raise bad(f"{labels.shape} labels of {labels.dtype} for {len(images)} images")
    if classes.ndim != 1 or classes.dtype.kind != "U" or not len(classes):
        raise bad("no class names")
    if len(labels) and (labels.min() < 0 or labels.max() >= len(classes)):
        raise bad(f"a label outside 0..{len(classes) - 1}")
    if (
        expected is np.float32
        and len(images)
        and not (images.min() >= 0.0 and images.max() <= 1.0)
    ):
        raise bad("pixels outside [0, 1]")
    if not re.fullmatch(r"[0-9a-f]{64}|", str(found["sha256"])):
        raise bad("a sha256 that is not one")
    return found


def archived_dataset(
    folder: str | os.PathLike, name: str, sha256: str | None = None
) -> data.Dataset | None:
    """``name``'s test set as kept in ``folder`` (:func:`save_test_set`), or
    None if the folder keeps none.

    Parameters
    ----------
    folder : path
        A results folder, or a published archive unpacked.
    name : str
        The dataset's name, as in the rows.
    sha256 : str, optional
        The content hash the rows recorded: the archived one must be it.

    Returns
    -------
    mnistbench.data.Dataset or None
        The test set (``X_test`` float32 in [0, 1], flattened; ``y_test``;
        ``images("test")``), with empty training arrays of the right shape,
        the recorded ``sha256``, and a ``source`` naming the file.

    Raises
    ------
    DataError
        The file is damaged, or holds another test set than ``sha256``.
    """
    path = archived_path(folder, name)
    if not regular_file(path):
        return None
    found = _read(path, name)
    stored = str(found["sha256"])
    if isinstance(sha256, str) and sha256 and stored != sha256:
        raise DataError(
            f"{path} holds {name} with data_sha256 {stored[:12] or '?'}..., the "
            f"rows scored {sha256[:12]}...: not the test set they were scored on"
        )
    height, width = (int(v) for v in found["image_shape"])
    if "images" in found:
        X_test = unit_float(found["images"])
    else:
        X_test = np.ascontiguousarray(found["pixels"].reshape(len(found["pixels"]), -1))
    return data.Dataset(
        name,
        np.empty((0, height * width), dtype=np.float32),
        np.empty(0, dtype=np.int64),
        X_test,
        found["labels"],
        tuple(str(c) for c in found["class_names"]),
        source=f"test set archived in {path}",
        image_shape=(height, width),
        sha256=stored,
    )


def dataset_of(
    folders: Sequence[str | os.PathLike],
    name: str,
    sha256: str | None = None,
    *,
    data_home=None,
    download: bool = True,
) -> data.Dataset:
    """``name`` as the rows of ``folders`` were scored on it: the test set
    the first of them keeps (:func:`archived_dataset`, checked against
    ``sha256`` where given), else the dataset loaded from the data home
    (:func:`mnistbench.data.load`, downloaded if ``download``).

    Raises
    ------
    DataError, UnknownDatasetError, DownloadError
        An archived test set that is damaged or not ``sha256``'s, or a
        dataset that cannot be loaded.
    """
    for folder in folders:
        ds = archived_dataset(folder, name, sha256)
        if ds is not None:
            return ds
    return data.load(name, data_home=data_home, download=download)
