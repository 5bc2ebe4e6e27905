"""What every built-in corruption shares: the error type, the severities, the
conversion between the caller's dtype and the float images the corruptions
work on, and how MNIST-C's 28-pixel constants scale to other image sizes."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from mnistbench.exceptions import MnistbenchError

__all__ = [
    "CHUNK_PIXELS",
    "MNIST_SIZE",
    "SEVERITIES",
    "CorruptionError",
    "builtin",
    "check_severity",
    "from_frame",
    "pixel_scale",
]

SEVERITIES = (1, 2, 3, 4, 5)

#: The side of the images MNIST-C's constants (pixels, widths, sigmas) are for.
MNIST_SIZE = 28

#: Pixels of a chunk of a batch the built-in corruptions work on at once
#: (256 MNIST images: 1.6 MB an array of float64).
CHUNK_PIXELS = 256 * MNIST_SIZE * MNIST_SIZE

#: A corruption's working form: float64 images (n, h, w) in [0, 1] -> same.
Core = Callable[[np.ndarray, int, np.random.Generator], np.ndarray]


class CorruptionError(MnistbenchError, ValueError):
    """A corruption name, severity, seed or batch of images that is not valid."""

    # where users find it, and what tracebacks name
    __module__ = "mnistbench.corruptions"


def check_severity(severity) -> int:
    """``severity`` as an int from 1 to 5, or a :class:`CorruptionError`."""
    value = _whole(severity)
    if value not in SEVERITIES:
        raise CorruptionError(
            "severity must be a whole number from 1 to 5, or all; "
            f"got {str(severity)!r}"
        )
    return value


def _whole(value) -> int | None:
    """``value`` as an int when it is a whole number (``3``, ``3.0``, ``"3"``)."""
    if isinstance(value, bool | np.bool_):
        return None  # True is an int to Python, never a severity to a reader
    if isinstance(value, str):
        text = value.strip()
        return int(text) if text.isdigit() else None
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return int(value)
    return None


def pixel_scale(shape: tuple[int, ...]) -> tuple[float, float, float]:
    """How much larger than MNIST's 28 pixels an image of ``shape`` is.

    Returns ``(rows, cols, both)``: ``h / 28``, ``w / 28`` and their geometric
    mean. A length along one axis (a translation, a stripe's width) scales
    with that axis's factor; a length in no one direction (a blur's sigma, a
    motion blur's radius) with ``both``. All three are 1 for 28 x 28 images,
    where MNIST-C's constants apply as they are.
    """
    rows, cols = shape[-2] / MNIST_SIZE, shape[-1] / MNIST_SIZE
    return rows, cols, float(np.sqrt(rows * cols))


def from_frame(u, size: int):
    """A coordinate ``u`` of MNIST-C's 28-pixel frame on an axis of ``size``.

    ``(u + 0.5) * size / 28 - 0.5``: pixel centres map to pixel centres with
    the image's edges kept in place, so the frame's middle (13.5) is the
    image's, and for ``size == 28`` nothing changes.
    """
    return (np.asarray(u, dtype=np.float64) + 0.5) * (size / MNIST_SIZE) - 0.5


def _to_float(images: np.ndarray) -> np.ndarray:
    if images.dtype == np.uint8:
        return images / 255.0
    # a copy, whatever the dtype: the cores may work in place on it
    return np.array(images, dtype=np.float64)


def _from_float(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    # MNIST-C's released images are uint8: float results land on the same
    # 1/255 grid, so they compare with the published sets pixel for pixel
    levels = np.clip(x, 0.0, 1.0, out=x if x.dtype == np.float64 else None)
    levels *= 255.0
    np.rint(levels, out=levels)
    if dtype == np.uint8:
        return levels.astype(np.uint8)
    levels /= 255.0
    return levels.astype(dtype)


def builtin(core: Core | None = None, *, chunk_pixels: int = CHUNK_PIXELS):
    """A corruption of the public contract from ``core``, which works on float64.

    The corruption takes a batch ``(n, h, w)``, uint8 in 0..255 or floating
    in [0, 1], a severity from 1 to 5 and a ``numpy.random.Generator``, and
    returns a new array of the same shape and dtype: ``core`` gets the
    images as float64 in [0, 1] (a copy it may change) and its result is
    clipped to [0, 1] and rounded to the nearest 1/255.

    ``core`` sees the batch in chunks of about ``chunk_pixels`` pixels (at
    least one image), in order, drawing from the one ``rng``: a chunk's
    arrays stay in the processor's cache, which makes most corruptions
    several times faster than on a batch of 10,000 images at once. A core
    with a cost per call (a Python loop over pixels) takes larger chunks.
    """
    if core is None:
        return functools.partial(builtin, chunk_pixels=chunk_pixels)

    @functools.wraps(core)
    def corruption(images, severity, rng):
        images = np.asarray(images)
        level = check_severity(severity)
        if images.ndim != 3:
            raise CorruptionError(
                f"images must be a batch (n, height, width); got shape {images.shape}"
            )
        n, h, w = images.shape
        out = np.empty_like(images)
        if out.size == 0:
            return out
        step = max(1, chunk_pixels // (h * w))
        for start in range(0, n, step):
            part = _to_float(images[start : start + step])
            out[start : start + step] = _from_float(core(part, level, rng), out.dtype)
        return out

    return corruption
