"""Intensity changes: ``brightness``, ``stripe``, ``contrast`` and ``inverse``.

None of them draws a random number: they depend on the image and the
severity only.
"""

from __future__ import annotations

import numpy as np

from mnistbench.corruptions._base import MNIST_SIZE, builtin

__all__ = ["brightness", "contrast", "inverse", "stripe"]

# added to the value (V of HSV), severity 1..5
_BRIGHTNESS = (0.1, 0.2, 0.3, 0.4, 0.5)
# factor on the distance from the image's mean, severity 1..5
_CONTRAST = (0.4, 0.3, 0.2, 0.1, 0.05)
# inverted columns on each side, in a 28-pixel image, severity 1..5;
# MNIST-C's 7 is severity 3
_STRIPE = (3, 5, 7, 9, 11)


@builtin
def brightness(x, severity, rng):
    """Brighter: a constant added to every pixel, clipped to white.

    Follows ``brightness`` in google-research/mnist-c corruptions.py, line
    422, with ``c`` 0.1, 0.2, 0.3, 0.4, 0.5 for severity 1..5. MNIST-C adds
    ``c`` to the value channel of the image in HSV (grey to RGB to HSV and
    back to grey); a grey pixel has saturation 0 and value equal to its
    intensity, so that is ``min(x + c, 1)``, which is what is computed here
    (equal up to floating-point rounding). No random draw: ``rng`` is
    unused.
    """
    return np.minimum(x + _BRIGHTNESS[severity - 1], 1.0)


@builtin
def stripe(x, severity, rng):
    """Inverted bands at the left and right of the image.

    Follows ``stripe`` in google-research/mnist-c corruptions.py, line
    657, which inverts (``1 - x``) the 7 leftmost and 7 rightmost columns of
    a 28-pixel image, at no severity.

    Differences from MNIST-C: MNIST-C's stripe has no severity; here each
    band is 3, 5, 7, 9, 11 columns of 28 wide for severity 1..5, so
    severity 3 is MNIST-C's. On an image of another width ``w``, a band is
    ``round(k * w / 28)`` columns. No random draw: ``rng`` is unused.
    """
    w = x.shape[2]
    k = min(round(_STRIPE[severity - 1] * w / MNIST_SIZE), w // 2)
    if k:
        x[:, :, :k] = 1.0 - x[:, :, :k]
        x[:, :, w - k :] = 1.0 - x[:, :, w - k :]
    return x


@builtin
def contrast(x, severity, rng):
    """Lower contrast: each pixel pulled towards the image's mean intensity.

    Follows ``contrast`` in google-research/mnist-c corruptions.py, line
    413 (one of MNIST-C's extra corruptions, left out of its 15), with
    factor ``c`` 0.4, 0.3, 0.2, 0.1, 0.05 for severity 1..5:
    ``(x - mean) * c + mean``, the mean over each image's pixels.
    Fashion-MNIST-C (Weiss & Tonella 2022; testingautomated-usi/
    fashion-mnist-c, ``generator.py`` line 23) applies this function at its
    default severity, 4. No random draw: ``rng`` is unused.
    """
    mean = x.mean(axis=(1, 2), keepdims=True)
    return (x - mean) * _CONTRAST[severity - 1] + mean


@builtin
def inverse(x, severity, rng):
    """The negative image (white for black), the same at every severity.

    Follows ``inverse`` in google-research/mnist-c corruptions.py, line 652
    (one of MNIST-C's extra corruptions), which Fashion-MNIST-C
    (testingautomated-usi/fashion-mnist-c, ``generator.py`` line 25) applies
    as it is: it has no severity, so all five severities give the same
    images. No random draw: ``rng`` is unused.
    """
    return 1.0 - x
