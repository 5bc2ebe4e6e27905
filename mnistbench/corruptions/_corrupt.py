"""Running a corruption by name, and reading the names and severities a
user typed (the command line's ``--corruptions`` and ``--severity``)."""

from __future__ import annotations

import zlib
from collections.abc import Iterable

import numpy as np

from mnistbench.corruptions._base import SEVERITIES, CorruptionError, check_severity
from mnistbench.corruptions._registry import available, get, unknown

__all__ = ["corrupt", "select", "severities"]


def _pieces(spec) -> list:
    """``"a,b"`` or a sequence of such strings -> the non-empty parts."""
    items = [spec] if isinstance(spec, str) or not isinstance(spec, Iterable) else spec
    parts = []
    for item in items:
        if isinstance(item, str):
            parts += [p.strip() for p in item.split(",") if p.strip()]
        else:
            parts.append(item)
    return parts


def select(names: str | Iterable[str]) -> tuple[str, ...]:
    """Registered corruption names from what a user typed.

    Parameters
    ----------
    names : str or sequence of str
        ``"all"``, a name, ``"shear,rotate"``, or a sequence of those.

    Returns
    -------
    tuple of str
        The names, each once, in the order given (``"all"`` in
        :func:`available`'s order).

    Raises
    ------
    CorruptionError
        A name is not registered, or there is none.

    Examples
    --------
    >>> from mnistbench import corruptions
    >>> corruptions.select("shear, rotate,shear")
    ('shear', 'rotate')
    >>> len(corruptions.select("all"))
    17
    """
    valid = available()
    chosen: list[str] = []
    for part in _pieces(names):
        if part == "all":
            chosen += valid
        elif part in valid:
            chosen.append(part)
        else:
            raise unknown(part)
    if not chosen:
        raise CorruptionError(
            f"no corruption given; valid names: {', '.join(valid)}, or all"
        )
    return tuple(dict.fromkeys(chosen))


def severities(spec) -> tuple[int, ...]:
    """Severities from what a user typed.

    Parameters
    ----------
    spec : str, int or sequence
        ``"all"``, ``3``, ``"3"``, ``"1,3,5"``, or a sequence of those.

    Returns
    -------
    tuple of int
        Each once, in the order given (``"all"`` is 1 to 5).

    Raises
    ------
    CorruptionError
        A severity is not a whole number from 1 to 5, or there is none.

    Examples
    --------
    >>> from mnistbench import corruptions
    >>> corruptions.severities("all"), corruptions.severities("5,1")
    ((1, 2, 3, 4, 5), (5, 1))
    >>> corruptions.severities(7)
    Traceback (most recent call last):
        ...
    mnistbench.corruptions.CorruptionError: severity must be ... got '7'
    """
    chosen: list[int] = []
    for part in _pieces(spec):
        if part == "all":
            chosen += SEVERITIES
        else:
            chosen.append(check_severity(part))
    if not chosen:
        raise CorruptionError("severity must be a whole number from 1 to 5, or all")
    return tuple(dict.fromkeys(chosen))


def _check_images(images) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim not in (2, 3):
        raise CorruptionError(
            f"images must be a batch (n, height, width) or one image; got shape "
            f"{images.shape}"
        )
    if images.dtype == np.uint8:
        return images
    if not np.issubdtype(images.dtype, np.floating):
        raise CorruptionError(
            f"images must be uint8 (0..255) or floating (0..1); got {images.dtype}"
        )
    if images.size and not (images.min() >= 0 and images.max() <= 1):
        raise CorruptionError(
            "floating images must lie in [0, 1] (uint8 ones in 0..255); got values "
            f"from {images.min()} to {images.max()}"
        )
    return images


def _rng(name: str, severity: int, seed) -> np.random.Generator:
    if isinstance(seed, bool | np.bool_) or not isinstance(seed, int | np.integer):
        raise CorruptionError(f"seed must be a non-negative integer; got {seed!r}")
    if seed < 0:
        raise CorruptionError(f"seed must be a non-negative integer; got {seed}")
    # one stream per (name, severity, seed): a severity or a corruption added
    # to a run leaves the images of the others as they were
    entropy = [int(seed), severity, zlib.crc32(name.encode())]
    return np.random.default_rng(np.random.SeedSequence(entropy))


def corrupt(images, name: str, severity, seed: int = 0) -> np.ndarray:
    """``images`` under the corruption ``name`` at ``severity``.

    The random draws come from a generator of their own for each
    ``(name, severity, seed)``:
    ``numpy.random.default_rng(SeedSequence([seed, severity, crc32(name)]))``,
    so the same arguments give the same images on every machine, and adding
    a corruption or a severity to a run changes none of the others. The
    built-in corruptions draw for the images in the batch's order, so an
    image's corruption depends on its place in the batch: the same batch
    gives the same images.

    Parameters
    ----------
    images : array-like
        A batch ``(n, height, width)`` (or one image ``(height, width)``),
        uint8 in 0..255 or floating in [0, 1]; any size (MNIST-C's 28-pixel
        constants scale with it, see :mod:`mnistbench.corruptions`). Never
        modified.
    name : str
        A registered corruption (see :func:`available`).
    severity : int
        1 (mildest) to 5.
    seed : int, default 0
        Non-negative.

    Returns
    -------
    numpy.ndarray
        New, of the shape and dtype of ``images``, in the same range; the
        built-in corruptions round floating results to the nearest 1/255,
        as MNIST-C's uint8 files are.

    Raises
    ------
    CorruptionError
        Unknown name; severity not 1 to 5; bad seed; images not a batch of
        uint8 or [0, 1] floats; or the function returned another shape or
        dtype.

    See Also
    --------
    available, register

    Examples
    --------
    >>> from mnistbench import corruptions, data
    >>> ds = data.load("mnist-sample")
    >>> images = ds.images("test")[:8]
    >>> sheared = corruptions.corrupt(images, "shear", 3, seed=0)
    >>> sheared.shape, sheared.dtype, images.shape
    ((8, 28, 28), dtype('float32'), (8, 28, 28))
    >>> bool((sheared == corruptions.corrupt(images, "shear", 3, seed=0)).all())
    True
    >>> bool(sheared.min() >= 0 and sheared.max() <= 1)
    True
    >>> corruptions.corrupt(images, "shere", 3)
    Traceback (most recent call last):
        ...
    mnistbench.corruptions.CorruptionError: unknown corruption 'shere'; ...
    """
    func = get(name)
    level = check_severity(severity)
    images = _check_images(images)
    rng = _rng(name, level, seed)
    batch = images[np.newaxis] if images.ndim == 2 else images
    view = batch.view()
    view.flags.writeable = False  # a corruption that writes to it fails loudly
    out = np.asarray(func(view, level, rng))
    if out.shape != batch.shape or out.dtype != batch.dtype:
        raise CorruptionError(
            f"corruption {name!r} returned {out.dtype} {out.shape}, not "
            f"{batch.dtype} {batch.shape}"
        )
    if out is batch or np.shares_memory(out, batch):
        out = out.copy()  # a corruption that returned its input, or a view of it
    return out[0] if images.ndim == 2 else out
