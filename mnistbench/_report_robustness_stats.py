"""The statistics of the report's robustness section: the mean over
corruptions per severity with a paired bootstrap interval and the rankings,
and McNemar's exact tests between the pipelines on each corrupted set
(Holm-adjusted per severity, every pair in a CSV beside the report).
"""

from __future__ import annotations

import logging
from collections import Counter
from itertools import combinations

import numpy as np
import pandas as pd

from mnistbench import compare
from mnistbench._doc import NOT_ENOUGH, Doc
from mnistbench._doc import slug as _slug
from mnistbench._io import atomic_write_text, make_folder
from mnistbench._report_robustness_scores import (
    _corruption_order,
    _Scores,
    _set_title,
    _worst,
)
from mnistbench._text import csv_text

logger = logging.getLogger(__name__)

#: Bootstrap resamples of the test images for the mean over corruptions.
N_RESAMPLES = 2000


# ---------------------------------------------------------------- the means


def _summary(doc: Doc, r, s: _Scores) -> None:
    """Per pipeline: clean, the mean over corruptions per severity with its
    interval, the ranks, the most damaging corruption."""
    doc.heading("Mean over corruptions, and the ranking", 4)
    table = pd.DataFrame(
        {
            "pipeline": s.labels,
            "seeds": s.n_seeds.reindex(s.labels).to_numpy(),
            "clean accuracy": [f"{v:.4f}" for v in s.clean],
        }
    )
    ranks = [_ranks(s.clean)]
    left_out = []
    for g in s.groups:
        common = _common(s, g)
        left_out += [f"{c} ({g})" for c in s.columns[g] if c not in common]
        mean = s.table(g)[common].mean(axis=1) if common else s.clean * np.nan
        ranks.append(_ranks(mean))
        interval = _group_intervals(r, s, g, common)
        table[f"{g}: mean of {len(common)} (95% interval)"] = [
            "n/a"
            if np.isnan(mean[label])
            else f"{mean[label]:.4f}"
            + (f" ({interval[label][0]:.4f} – {interval[label][1]:.4f})"
               if label in interval else "")
            for label in s.labels
        ]  # fmt: skip
    short = ["clean", *(g.replace("severity ", "s") for g in s.groups)]
    table[f"rank: {' → '.join(short)}"] = [
        " → ".join(
            "n/a" if np.isnan(rk[label]) else str(int(rk[label])) for rk in ranks
        )
        for label in s.labels
    ]
    table["most damaging corruption"] = [_worst_text(s, label) for label in s.labels]
    doc.table(table)
    doc.para(
        "The mean over corruptions is the mean of a pipeline's accuracies on the "
        "corrupted sets of a severity that every pipeline was scored on (averaged "
        "over seeds as the heatmaps are); its interval is a percentile bootstrap "
        f"95% interval from {N_RESAMPLES:,} resamples of the test images, each "
        "resample drawing the same images for every corruption and every "
        f"pipeline (paired), on the predictions of seed {s.seed}. Ranks: 1 is the "
        "most accurate. The most damaging corruption is the set with the largest "
        "drop from clean."
    )
    if left_out:
        doc.para(
            "Not in the means, as not every pipeline was scored on them: "
            f"{', '.join(left_out)}.",
            cls="note",
        )


def _group_intervals(r, s: _Scores, group: str, common: list[str]) -> dict:
    """label -> the interval of its mean over ``common``, for the pipelines
    with predictions of each of them at the seed paired."""
    having = [
        label
        for label in s.labels
        if common and all(label in s.predictions.get((group, c), {}) for c in common)
    ]
    if not having:
        return {}
    correct = np.array(
        [
            np.mean([s.predictions[(group, c)][label] == r.y_test for c in common], 0)
            for label in having
        ]
    )
    return dict(zip(having, map(tuple, _paired_bootstrap(correct))))


def _paired_bootstrap(correct: np.ndarray) -> np.ndarray:
    """Percentile 95% intervals of each row's mean of ``correct`` (pipelines ×
    test images), the same resamples of the test images for every row:
    ``scipy.stats.bootstrap`` along the images, as
    :func:`mnistbench.compare.bootstrap_interval` does for one row."""
    from scipy.stats import bootstrap

    rows, n = correct.shape
    res = bootstrap(
        (correct,),
        np.mean,
        axis=-1,
        n_resamples=N_RESAMPLES,
        method="percentile",
        batch=max(1, 4_000_000 // max(rows * n, 1)),  # about 32 MB at a time
        rng=np.random.default_rng(0),
    )
    return np.column_stack([res.confidence_interval.low, res.confidence_interval.high])


def _ranks(values: pd.Series) -> pd.Series:
    """1 for the largest value, ties broken by the label."""
    order = sorted(values.dropna().index, key=lambda label: (-values[label], label))
    return pd.Series(range(1, len(order) + 1), index=order).reindex(values.index)


def _common(scores: _Scores, group: str) -> list[str]:
    """The sets of ``group`` every pipeline was scored on."""
    return list(scores.table(group).dropna(axis=1).columns)


def _worst_text(s: _Scores, label: str) -> str:
    worst = _worst(s, label)
    if worst is None:
        return "n/a"
    group, column, drop = worst
    return f"{_set_title(group, column)}: drop {drop:.1f} points"


# ---------------------------------------------------------------- the tests


def _significance(doc: Doc, r, s: _Scores) -> None:
    """McNemar between every pair on each set, Holm over each severity."""
    doc.heading("Which differences are real under corruption: paired tests", 4)
    tests, excluded = _pair_tests(r, s)
    if tests.empty:
        doc.para(
            f"{NOT_ENOUGH}: paired tests need at least two pipelines with stored "
            f"predictions of the same corrupted images (seed {s.seed}).",
            cls="note",
        )
        return
    name = f"robustness-tests-{_slug(r.name)}.csv"
    path = make_folder(doc.files) / name
    atomic_write_text(path, csv_text(tests))
    logger.info("report: %s (%d paired tests)", path, len(tests))
    counts = [
        f"{int(t['significant'].sum())} of {len(t)} at {g}"
        for g, t in tests.groupby("group", sort=False)
    ]
    doc.para(
        "McNemar's exact test between every pair of pipelines on each corrupted "
        f"set (the predictions of seed {s.seed}, the same corrupted images for "
        "all), with Holm's correction over all the tests of a severity; "
        f"significant means adjusted p < {compare.ALPHA}. Significant: "
        f"{'; '.join(counts)}. Each cell ranks the pipelines by their accuracy "
        "on the set, best first: “>” between two neighbours means they differ "
        "significantly, “≈” that they do not. Every pair's test is in "
        f"{doc.files.name}/{name}."
    )
    doc.table(_ranking_table(s, tests))
    for text in excluded:
        doc.para(text, cls="note")


def _pair_tests(r, s: _Scores) -> tuple[pd.DataFrame, list[str]]:
    """Every pair's test on every set, Holm-adjusted within each group; and
    notes on the predictions left out (of other images)."""
    frames, excluded = [], []
    for g in s.groups:
        rows = []
        for column in s.columns[g]:
            found = s.predictions.get((g, column), {})
            shas = s.shas.get((g, column), {})
            usual = Counter(shas.values()).most_common(1)
            same = [
                label
                for label in s.labels
                if label in found and usual and shas[label] == usual[0][0]
            ]
            other = [label for label in found if label not in same]
            if other:
                excluded.append(
                    f"{', '.join(other)} on {_set_title(g, column)}: other corrupted "
                    "images than the rest (images_sha256), left out of its tests."
                )
            info = s.sets[(g, column)]
            for a, b in combinations(same, 2):
                test = compare.mcnemar(r.y_test, found[a], found[b])
                rows.append(
                    {
                        "dataset": r.name, "group": g, "set": column,
                        "corruption": info["corruption"],
                        "severity": info["severity"], "source": info["source"],
                        "seed": s.seed, "a": a, "b": b,
                        "accuracy_a": float(np.mean(found[a] == r.y_test)),
                        "accuracy_b": float(np.mean(found[b] == r.y_test)),
                        "a_only": test.a_only, "b_only": test.b_only,
                        "pvalue": test.pvalue,
                    }
                )  # fmt: skip
        if rows:
            frame = pd.DataFrame(rows)
            frame["pvalue_holm"] = compare.holm(frame["pvalue"])
            frame["significant"] = frame["pvalue_holm"] < compare.ALPHA
            frames.append(frame)
    tests = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return tests, excluded


def _ranking_table(s: _Scores, tests: pd.DataFrame) -> pd.DataFrame:
    """A row per corrupted set, a column per group: the pipelines in order of
    accuracy, "a > b" where neighbours differ significantly, "a ≈ b" not."""
    order = _corruption_order()
    names = sorted({c for g in s.groups for c in s.columns[g]}, key=order)
    table = pd.DataFrame({"corrupted set": names})
    for g in s.groups:
        cells = []
        for name in names:
            one = tests[(tests["group"] == g) & (tests["set"] == name)]
            cells.append(_ranking_text(one) if len(one) else "n/a")
        table[g] = cells
    return table


def _ranking_text(tests: pd.DataFrame) -> str:
    accuracy = {
        **dict(zip(tests["a"], tests["accuracy_a"])),
        **dict(zip(tests["b"], tests["accuracy_b"])),
    }
    first = list(dict.fromkeys([*tests["a"], *tests["b"]]))  # best clean first
    ranked = sorted(first, key=lambda label: -accuracy[label])
    differ = {
        frozenset(p): bool(sig)
        for *p, sig in zip(tests["a"], tests["b"], tests["significant"])
    }
    text = ranked[0]
    for a, b in zip(ranked, ranked[1:]):
        text += (" > " if differ[frozenset((a, b))] else " ≈ ") + b
    return text
