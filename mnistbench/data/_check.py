"""Checking and normalising a dataset as read: pixels to float32 in [0, 1],
labels to 0..k-1 with names, the image shape, and a stratified test set
split off when there is none. Every fault is a one-line :class:`DataError`
naming the file (or array) and what is wrong, raised before anything is
written."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from mnistbench.data._cache import unit_float
from mnistbench.data._memory import check_memory
from mnistbench.data._raw import Raw
from mnistbench.exceptions import DataError

__all__ = [
    "DEFAULT_TEST_FRACTION",
    "build",
    "fraction_of",
    "parse_image_shape",
    "pixels_need",
]

#: MNIST's own ratio: 10,000 test images for 60,000 training images.
DEFAULT_TEST_FRACTION = 1 / 7
SPLIT_SEED = 0
MIN_CLASSES, MAX_CLASSES = 2, 1000
MAX_SIDE = 4096
_FLOAT32 = np.dtype(np.float32).itemsize


def pixels_need(n_values: int, *, split: bool) -> int:
    """Bytes :func:`build` allocates for ``n_values`` pixels beside the
    arrays as read: their float32 copy, and as much again when a test set is
    split off them (both sides are copies)."""
    return _FLOAT32 * n_values * (2 if split else 1)


def _pixels(X, where: str) -> tuple[np.ndarray, tuple[int, int] | None]:
    """``X`` as float32 rows in [0, 1], and the image shape it shows."""
    if not isinstance(X, np.ndarray):
        try:
            X = np.asarray(X)
        except ValueError as exc:  # ragged nested lists
            raise DataError(f"{where}: not a rectangular array ({exc})") from None
    if X.dtype.kind in "USVO":
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
    check_memory(pixels_need(X.size, split=False), f"{where}: the images as float32")
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
        out = unit_float(flat)
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
        if not (np.isfinite(y).all() and _whole(y)):
            bad = y[~np.isfinite(y) | (y != np.round(y))][0]
            raise DataError(f"{where}: label {bad} is not a whole number")
        y = y.astype(np.int64)
    if y.dtype.kind not in "iuU":
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
    from mnistbench.preprocessing import image_shape  # imports scikit-learn

    try:
        return image_shape(n_features)
    except ValueError:
        raise DataError(
            f"{where}: {n_features} values per image are not a square image; give "
            "the image shape (--image-shape HxW)"
        ) from None


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


def fraction_of(value) -> float:
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
    low, k = int(present[np.argmin(counts[present])]), len(present)
    if counts[low] < 2:
        raise DataError(
            f"{where}: class {names[low]!r} has {counts[low]} image; a stratified "
            "split needs at least 2 per class"
        )
    if not k <= n_test <= len(y) - k:
        raise DataError(
            f"{where}: a test set of {n_test} of {len(y)} images ({fraction:.3g}) "
            f"leaves fewer than one image of each of the {k} classes on one side; "
            "change --test-fraction"
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


def _size(shape, X) -> str:
    """An image size for messages: ``HxW``, or the feature count."""
    return f"{shape[0]}x{shape[1]}" if shape else f"{X.shape[1]} values"


def build(raw: Raw, *, test_fraction, image_shape, class_names=None):
    """Check ``raw`` and normalise it: the arrays, shape, class names, split."""
    where = raw.where
    X_train, found = _pixels(raw.X_train, where["X_train"])
    y_train = _labels(raw.y_train, where["y_train"], len(X_train))
    shape = _shape(X_train.shape[1], found, image_shape, where["X_train"])
    if raw.X_test is not None:
        X_test, test_shape = _pixels(raw.X_test, where["X_test"])
        y_test = _labels(raw.y_test, where["y_test"], len(X_test))
        if X_test.shape[1] != X_train.shape[1] or (
            test_shape and found and test_shape != found
        ):
            raise DataError(
                f"{where['X_test']}: images of {_size(test_shape, X_test)}, the "
                f"training images {_size(found, X_train)}"
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
            X_train, y_train, fraction_of(test_fraction), names, where["y_train"]
        )
    else:
        y_test = np.searchsorted(found_classes, y_test).astype(np.int64)
    arrays = dict(X_train=X_train, y_train=y_train, X_test=X_test, y_test=y_test)
    return arrays, shape, names, note
