"""The paired statistics: McNemar's exact test on two sets of predictions of
the same test images, Holm's correction, a bootstrap interval of an accuracy,
and whether two sets of timings differ (Mann-Whitney U, or their ranges).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ALPHA",
    "McNemar",
    "TimeChange",
    "bootstrap_interval",
    "holm",
    "mcnemar",
    "time_change",
]

#: Significance level of the report's tests (after Holm's correction).
ALPHA = 0.05


@dataclass(frozen=True)
class McNemar:
    """McNemar's exact test of two classifiers on the same test images.

    ``a_only``: images only A classified right; ``b_only``: only B. The
    two-sided p-value is the exact binomial test of ``a_only`` out of
    ``a_only + b_only`` against 1/2 (1.0 when they never disagree).
    """

    a_only: int
    b_only: int
    pvalue: float


def mcnemar(y_true, pred_a, pred_b) -> McNemar:
    """McNemar's exact test between predictions ``pred_a`` and ``pred_b``.

    Only the test images on which the two disagree about being right count:
    under the null hypothesis that A and B are equally accurate, each of
    them is as likely to be one that only A got right as one that only B
    got right.

    Parameters
    ----------
    y_true : array-like of shape (n,)
        The test labels.
    pred_a, pred_b : array-like of shape (n,)
        Two classifiers' predictions of the same test images.

    Returns
    -------
    McNemar
        ``a_only``, ``b_only`` and the two-sided exact ``pvalue`` (1.0 when
        the two are never right on different images).

    Raises
    ------
    ValueError
        The three arrays differ in length.

    See Also
    --------
    pairwise_mcnemar : Every pair of a set of predictions, Holm-corrected.

    Examples
    --------
    >>> import numpy as np
    >>> from mnistbench import compare
    >>> y_true = np.arange(20) % 10
    >>> pred_a = y_true.copy()
    >>> pred_b = y_true.copy()
    >>> pred_b[:6] = 9 - y_true[:6]  # B gets six images wrong that A gets right
    >>> compare.mcnemar(y_true, pred_a, pred_b)
    McNemar(a_only=6, b_only=0, pvalue=0.03125)
    """
    from scipy.stats import binomtest

    y_true, pred_a, pred_b = (np.asarray(v) for v in (y_true, pred_a, pred_b))
    if not (len(y_true) == len(pred_a) == len(pred_b)):
        raise ValueError(
            f"McNemar needs predictions of the same test images: "
            f"{len(y_true)} labels, {len(pred_a)} and {len(pred_b)} predictions"
        )
    right_a, right_b = pred_a == y_true, pred_b == y_true
    a_only = int(np.sum(right_a & ~right_b))
    b_only = int(np.sum(~right_a & right_b))
    n = a_only + b_only
    p = 1.0 if n == 0 else float(binomtest(min(a_only, b_only), n, 0.5).pvalue)
    return McNemar(a_only, b_only, min(p, 1.0))


def holm(pvalues: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values (family-wise error), in input order.

    The ``i``-th smallest of ``m`` p-values is multiplied by ``m - i``
    (``i`` from 0), each kept at least as large as the one before and at
    most 1. Rejecting where the adjusted value is below ``alpha`` keeps the
    chance of any false rejection at most ``alpha``, whatever the
    dependence between the tests.

    Parameters
    ----------
    pvalues : sequence of float
        The raw p-values of a family of tests.

    Returns
    -------
    numpy.ndarray
        The adjusted p-values, in the order given.

    Examples
    --------
    >>> from mnistbench import compare
    >>> compare.holm([0.01, 0.04, 0.03])
    array([0.03, 0.06, 0.06])
    """
    p = np.asarray(pvalues, dtype=float)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    scaled = (m - np.arange(m)) * p[order]
    adjusted = np.minimum(np.maximum.accumulate(scaled), 1.0)
    out = np.empty(m)
    out[order] = adjusted
    return out


def bootstrap_interval(
    y_true,
    y_pred,
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the accuracy, resampling test images.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,)
        The test labels and one classifier's predictions.
    confidence : float, default 0.95
        The interval's confidence level.
    n_resamples : int, default 2000
        Bootstrap resamples of the test images.
    seed : int, default 0
        Seed of the resampling: the same inputs give the same interval.

    Returns
    -------
    (float, float)
        The interval's low and high ends; both the accuracy (1.0 or 0.0)
        when every prediction is right, or every one wrong.

    See Also
    --------
    accuracy_intervals : The accuracy and its interval for each of a set
        of predictions.

    Examples
    --------
    >>> import numpy as np
    >>> from mnistbench import compare
    >>> y_true = np.arange(1000) % 10
    >>> wrong = np.random.default_rng(0).random(1000) < 0.1
    >>> y_pred = np.where(wrong, (y_true + 1) % 10, y_true)
    >>> float(np.mean(y_pred == y_true))
    0.911
    >>> low, high = compare.bootstrap_interval(y_true, y_pred)
    >>> round(low, 3), round(high, 3)
    (0.893, 0.928)
    """
    from scipy.stats import bootstrap

    correct = (np.asarray(y_pred) == np.asarray(y_true)).astype(float)
    if correct.min() == correct.max():  # all right or all wrong: no spread
        return float(correct[0]), float(correct[0])
    res = bootstrap(
        (correct,),
        np.mean,
        confidence_level=confidence,
        n_resamples=n_resamples,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


#: With fewer timing samples than this on either side, two timings differ
#: only if their ranges do not overlap; with this many, Mann-Whitney U decides.
MIN_REPEATS_FOR_TEST = 3


@dataclass(frozen=True)
class TimeChange:
    """How B's times compare with A's (:func:`time_change`).

    ``ratio`` is B's median over A's; ``rule`` the check that decided whether
    the samples differ (``"mann-whitney"`` or ``"ranges"``); ``pvalue`` the
    one-sided Mann-Whitney p-value (NaN for ``"ranges"``); ``change`` is
    ``"slower"``, ``"faster"`` or ``"same"``.
    """

    ratio: float
    rule: str
    pvalue: float
    change: str


def time_change(
    a: Sequence[float], b: Sequence[float], *, factor: float = 1.10, alpha=ALPHA
) -> TimeChange:
    """Whether times ``b`` are slower or faster than times ``a``.

    B is *slower* when the ratio of medians B/A is above ``factor`` and the
    samples really differ; *faster* when it is below ``1 / factor`` and they
    differ; otherwise *same*. With at least :data:`MIN_REPEATS_FOR_TEST`
    samples on each side they differ when the exact Mann-Whitney U test,
    one-sided in the ratio's direction, gives p <= ``alpha`` (with 3 against
    3 the smallest p is 1/20 = 0.05: every B beyond every A); with fewer,
    when the ranges do not overlap (with one sample each, the ratio decides).
    Like asv's ``--factor``, the ratio guards against differences too small
    to matter, the test against noise.
    """
    from scipy.stats import mannwhitneyu

    a, b = [float(x) for x in a], [float(x) for x in b]
    if not a or not b:
        raise ValueError("time_change needs at least one time on each side")
    ratio = statistics.median(b) / statistics.median(a)
    up = ratio > 1
    if min(len(a), len(b)) >= MIN_REPEATS_FOR_TEST:
        rule = "mann-whitney"
        alternative = "greater" if up else "less"
        pvalue = float(mannwhitneyu(b, a, alternative=alternative).pvalue)
        differ = pvalue <= alpha + 1e-12  # 1/20 is exactly 0.05
    else:
        rule, pvalue = "ranges", float("nan")
        differ = min(b) > max(a) if up else max(b) < min(a)
    if differ and ratio > factor:
        change = "slower"
    elif differ and ratio < 1 / factor:
        change = "faster"
    else:
        change = "same"
    return TimeChange(ratio, rule, pvalue, change)
