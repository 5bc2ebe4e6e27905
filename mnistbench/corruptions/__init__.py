"""Corrupted images: the corruptions of MNIST-C and Fashion-MNIST-C, by name.

Each corruption is a function ``func(images, severity, rng) -> images`` of a
batch ``(n, height, width)``, uint8 in 0..255 or floating in [0, 1], a
severity from 1 (mildest) to 5 and a ``numpy.random.Generator``; it returns
new images of the same shape, dtype and range (the built-in ones round
floating results to the nearest 1/255, as the released uint8 data sets
are). :func:`corrupt` runs one by name with a random stream of its own for
each name, severity and seed:

>>> from mnistbench import corruptions, data
>>> ds = data.load("mnist-sample")
>>> images = corruptions.corrupt(ds.images("test")[:4], "fog", 5, seed=1)
>>> images.shape, images.dtype
((4, 28, 28), dtype('float32'))

The built-in corruptions are MNIST-C's 15, in its order:

``shot_noise``
    Poisson noise: each pixel a photon count, fewer photons at higher severity.
``impulse_noise``
    Salt and pepper: a fraction of the pixels set to black or white.
``glass_blur``
    Frosted glass: blur, shuffle neighbouring pixels, blur again.
``motion_blur``
    A one-sided Gaussian streak at a random angle within 45 degrees of
    horizontal.
``shear``
    Rows slid sideways in proportion to their height, either way.
``scale``
    The image shrunk towards its centre (to 90% down to 50%).
``rotate``
    Rotation about the centre by 0.2 to 1 radian, either way.
``brightness``
    A constant added to every pixel.
``translate``
    A shift by 1 to 5 pixels along both axes, in random directions.
``stripe``
    The columns at the left and right edges inverted.
``fog``
    A fractal (diamond-square) haze added.
``spatter``
    Blots of grey mud from thresholded, blurred noise.
``dotted_line``
    A dashed line across the image.
``zigzag``
    A zigzag line across the image.
``canny_edges``
    The Canny edge map instead of the image.

then the two that Fashion-MNIST-C adds to them (from MNIST-C's code):

``contrast``
    Each pixel pulled towards the image's mean.
``inverse``
    The negative image (the same at every severity).

Each follows its function in ``corruptions.py`` of MNIST-C (Mu & Gilmer,
"MNIST-C: A Robustness Benchmark for Computer Vision", 2019,
arXiv:1906.02337; https://github.com/google-research/mnist-c) with that
file's parameters for severity 1 to 5; its docstring names the function and
line and every deliberate difference. Fashion-MNIST-C (Weiss & Tonella,
"Simple Techniques Work Surprisingly Well for Neural Network Test
Prioritization and Active Learning", ISSTA 2022;
https://github.com/testingautomated-usi/fashion-mnist-c) applies MNIST-C's
``contrast`` and ``inverse`` at their default settings (severity 4 for
``contrast``). MNIST-C's ``stripe``, ``dotted_line``, ``zigzag``,
``canny_edges`` and ``inverse`` have no severity; here the first four get
one, with MNIST-C's own setting at severity 3, and ``inverse`` ignores it.

The images may be of any size. MNIST-C's constants are for 28 x 28 pixels;
on an image ``h`` x ``w`` a length along the rows scales by ``h / 28``, one
along the columns by ``w / 28``, and one in no particular direction (a
sigma, a blur's radius) by ``sqrt(h * w) / 28``; positions that MNIST-C
draws in its 28-pixel frame are mapped to the image keeping its centre and
edges. Angles, shear and scale factors do not change.

:func:`register` adds a corruption of one's own; third-party packages add
theirs through the entry-point group ``mnistbench.corruptions``, each entry
point a function as :func:`register` takes it, named by the entry point.
"""

from __future__ import annotations

from mnistbench.corruptions._base import SEVERITIES, CorruptionError
from mnistbench.corruptions._blur import glass_blur, motion_blur
from mnistbench.corruptions._corrupt import corrupt, select, severities
from mnistbench.corruptions._edges import canny_edges
from mnistbench.corruptions._geometric import rotate, scale, shear, translate
from mnistbench.corruptions._intensity import brightness, contrast, inverse, stripe
from mnistbench.corruptions._lines import dotted_line, zigzag
from mnistbench.corruptions._noise import impulse_noise, shot_noise
from mnistbench.corruptions._registry import (
    ENTRY_POINT_GROUP,
    CorruptionInfo,
    available,
    get,
    info,
    register,
    unregister,
)
from mnistbench.corruptions._weather import fog, spatter

__all__ = [
    "ENTRY_POINT_GROUP",
    "SEVERITIES",
    "CorruptionError",
    "CorruptionInfo",
    "available",
    "brightness",
    "canny_edges",
    "contrast",
    "corrupt",
    "dotted_line",
    "fog",
    "get",
    "glass_blur",
    "impulse_noise",
    "info",
    "inverse",
    "motion_blur",
    "register",
    "rotate",
    "scale",
    "select",
    "severities",
    "shear",
    "shot_noise",
    "spatter",
    "stripe",
    "translate",
    "unregister",
    "zigzag",
]

_MNIST_C = (
    shot_noise,
    impulse_noise,
    glass_blur,
    motion_blur,
    shear,
    scale,
    rotate,
    brightness,
    translate,
    stripe,
    fog,
    spatter,
    dotted_line,
    zigzag,
    canny_edges,
)
_FASHION_MNIST_C = (contrast, inverse)

for _func in _MNIST_C + _FASHION_MNIST_C:
    _name = _func.__name__
    _reference = f"MNIST-C corruptions.py {_name}"
    if _func in _FASHION_MNIST_C:
        _reference = f"Fashion-MNIST-C ({_reference})"
    register(_name, _func, source="built-in", reference=_reference)
del _func, _name, _reference
