"""Noise: ``shot_noise`` and ``impulse_noise``."""

from __future__ import annotations

from mnistbench.corruptions._base import builtin

__all__ = ["impulse_noise", "shot_noise"]

# photons per unit intensity, severity 1..5 (fewer photons, more noise)
_SHOT_PHOTONS = (60, 25, 12, 5, 3)
# fraction of pixels set to black or white, severity 1..5
_IMPULSE_AMOUNT = (0.03, 0.06, 0.09, 0.17, 0.27)


@builtin
def shot_noise(x, severity, rng):
    """Poisson (photon) noise: each pixel a Poisson count of photons, rescaled.

    Follows ``shot_noise`` in google-research/mnist-c corruptions.py, line
    223: with ``c`` photons per unit intensity (60, 25, 12, 5, 3 for
    severity 1..5), a pixel of intensity ``v`` becomes
    ``clip(Poisson(c * v) / c, 0, 1)``.

    Differences from MNIST-C: only the pixels above 0 are drawn (a Poisson
    count of mean 0 is always 0, so the distribution is the same; the
    random stream differs), which makes it several times faster on digits.
    """
    c = _SHOT_PHOTONS[severity - 1]
    lit = x > 0
    x[lit] = rng.poisson(x[lit] * c) / c
    return x


@builtin
def impulse_noise(x, severity, rng):
    """Salt-and-pepper noise: a fraction of pixels set to white or black.

    Follows ``impulse_noise`` in google-research/mnist-c corruptions.py,
    line 231, which calls ``skimage.util.random_noise(mode="s&p",
    amount=c)``: each pixel independently, with probability ``c`` (0.03,
    0.06, 0.09, 0.17, 0.27 for severity 1..5), becomes black or white, each
    half the time.

    Differences from MNIST-C: one uniform draw per pixel decides both
    whether and which (``u < c/2`` black, ``c/2 <= u < c`` white), where
    scikit-image draws twice: the same distribution, another random stream.
    """
    c = _IMPULSE_AMOUNT[severity - 1]
    u = rng.random(x.shape)
    x[u < c / 2] = 0.0
    x[(u >= c / 2) & (u < c)] = 1.0
    return x
