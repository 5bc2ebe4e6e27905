"""The report's robustness section (``mnistbench run --corruptions``).

Built from ``robustness.csv``, the predictions its rows point to and the
clean rows of the same jobs in the leaderboard: heatmaps of the accuracy on
each corrupted test set and of the drop from clean; a table of the mean over
corruptions with a paired bootstrap interval and the rankings; McNemar's
exact tests between the pipelines on each corrupted set (Holm-adjusted per
severity, every pair in a CSV beside the report); one test image under each
corruption; and, per pipeline, images its most damaging corruption cost it.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

from mnistbench import compare, data, results
from mnistbench._doc import NOT_ENOUGH, Doc
from mnistbench._doc import slug as _slug
from mnistbench._io import atomic_write_text, make_folder
from mnistbench._text import csv_text
from mnistbench.exceptions import DataError

__all__ = ["SECTION", "robustness_section"]

logger = logging.getLogger(__name__)

SECTION = "Robustness: corrupted test sets"
#: The group of the published sets (they have no severity).
PUBLISHED = "published"
#: Bootstrap resamples of the test images for the mean over corruptions.
N_RESAMPLES = 2000
#: Images shown per pipeline that its most damaging corruption cost it.
N_LOST = 8
#: The test image the gallery shows under each corruption.
EXAMPLE = 0


@dataclass
class _Scores:
    """One dataset's corrupted-set scores, every list best clean first."""

    cells: pd.DataFrame  # label, group, column: accuracy, drop (points), n_seeds
    clean: pd.Series  # label -> clean accuracy of the same jobs (mean over seeds)
    n_seeds: pd.Series  # label -> seeds scored on corrupted sets
    groups: list[str]  # "severity 1", ..., "published"
    columns: dict[str, list[str]]  # group -> its sets, in order
    sets: dict[tuple[str, str], dict]  # (group, column) -> corruption, severity...
    seed: int  # the seed whose predictions are paired
    predictions: dict = field(default_factory=dict)  # (group, column) -> label -> y
    shas: dict = field(default_factory=dict)  # (group, column) -> label -> sha256
    clean_predictions: dict = field(default_factory=dict)  # label -> y (at seed)
    notes: list[str] = field(default_factory=list)
    same_images: bool = True  # each set and seed's images_sha256 agree

    @property
    def labels(self) -> list[str]:
        return list(self.clean.index)

    def table(self, group: str, value: str = "accuracy") -> pd.DataFrame:
        """``value`` per pipeline (rows) and set (columns) of ``group``."""
        cells = self.cells[self.cells["group"] == group]
        wide = cells.pivot(index="label", columns="column", values=value)
        return wide.reindex(index=self.labels, columns=self.columns[group])


def robustness_section(doc: Doc, r) -> None:
    """Robustness on corrupted test sets (``mnistbench run --corruptions``);
    nothing where the folder holds no ok corrupted-set row of the dataset.

    ``r`` is the report's dataset results (``ds``, ``board``, ``out``, and
    ``data_home`` where the report was given one)."""
    scores = _gather(r)
    if scores is None:
        return
    doc.heading(SECTION, 3)
    doc.para(_intro(r, scores))
    for note in scores.notes:
        doc.para(note, cls="note")
    _heatmaps(doc, r, scores)
    _summary(doc, r, scores)
    _significance(doc, r, scores)
    images = _Images(r)
    _gallery(doc, r, scores, images)
    _lost(doc, r, scores, images)


# ---------------------------------------------------------------- the numbers


def _gather(r) -> _Scores | None:
    """The dataset's ok corrupted-set rows joined to their jobs' clean rows,
    averaged over seeds, and the predictions of the seed paired."""
    rob = results.read_robustness(r.out)
    rob = rob[rob["dataset"] == r.name]
    ok = rob[rob["status"] == "ok"].copy()
    if ok.empty:
        return None
    notes = []
    failed = rob[rob["status"] != "ok"]
    if len(failed):
        notes.append(
            f"Left out: {_n(len(failed), 'row')} of {results.ROBUSTNESS} that did "
            f"not score (status {', '.join(sorted(set(failed['status'])))})."
        )
    ok = _join_clean(r, ok)
    orphans = int(ok["label"].isna().sum())
    if orphans:
        notes.append(
            f"Left out: {_n(orphans, 'row')} of {results.ROBUSTNESS} whose job has "
            f"no ok clean row in {results.LEADERBOARD} (or is a tuned refit)."
        )
        ok = ok[ok["label"].notna()]
    if ok.empty:
        return None
    ok["drop"] = (ok["clean_accuracy"] - ok["accuracy"]) * 100
    ok["group"] = [
        PUBLISHED if pd.isna(s) else f"severity {int(s)}" for s in ok["severity"]
    ]
    ok["column"] = _set_names(ok)
    cells = (
        ok.groupby(["label", "group", "column"], sort=False)
        .agg(
            accuracy=("accuracy", "mean"),
            drop=("drop", "mean"),
            n_seeds=("seed", "nunique"),
        )
        .reset_index()
    )
    jobs = ok.drop_duplicates(["label", "job_key"])
    clean = jobs.groupby("label")["clean_accuracy"].mean()
    clean = clean.loc[sorted(clean.index, key=lambda label: (-clean[label], label))]
    groups = sorted(set(ok["group"]), key=_group_order)
    order = _corruption_order()
    columns = {
        g: sorted(set(ok.loc[ok["group"] == g, "column"]), key=order) for g in groups
    }
    sets = {
        (rec.group, rec.column): {
            "corruption": rec.corruption,
            "severity": None if pd.isna(rec.severity) else int(rec.severity),
            "source": rec.source,
        }
        for rec in ok.itertuples()
    }
    seeds = ok.groupby("seed")["label"].nunique()
    seed = int(max(seeds.index, key=lambda s: (seeds[s], -s)))
    scores = _Scores(
        cells, clean, ok.groupby("label")["seed"].nunique(), groups, columns, sets,
        seed, notes=notes,
    )  # fmt: skip
    shas = ok.groupby(["group", "column", "seed"])["images_sha256"].nunique()
    scores.same_images = bool((shas <= 1).all())
    _load_predictions(r, ok[ok["seed"] == seed], scores)
    return scores


def _join_clean(r, ok: pd.DataFrame) -> pd.DataFrame:
    """``ok`` with each row's pipeline ``label`` (as the leaderboard names
    it), and its job's clean ``clean_accuracy`` and ``clean_predictions``
    (the row of the same run, else the job's newest); no label where the
    job has no ok clean row."""
    board = r.board
    clean = board[(board["status"] == "ok") & (board["dataset"] == r.name)]
    clean = clean.sort_values("timestamp_utc", kind="stable")
    same_run = clean.drop_duplicates(["job_key", "run_id"], keep="last")
    same_run = same_run.set_index(["job_key", "run_id"])
    newest = clean.drop_duplicates("job_key", keep="last").set_index("job_key")
    found = []
    for key, run in zip(ok["job_key"], ok["run_id"]):
        if (key, run) in same_run.index:
            found.append(same_run.loc[(key, run)])
        else:
            found.append(newest.loc[key] if key in newest.index else None)
    # the leaderboard's labels: a configuration (pipeline, engine, training
    # size, params) of the default rows has exactly one
    reps = compare.representative_rows(board, r.name)
    plain = reps[reps["search_id"].fillna("").astype(str) == ""]
    labels = {
        (p, e, int(n), params): label
        for p, e, n, params, label in zip(
            plain["pipeline"],
            plain["engine"],
            plain["n_train"],
            plain["params"],
            plain["label"],
        )
    }
    return ok.assign(
        label=[
            None if row is None else labels.get((p, e, int(n), params))
            for row, p, e, n, params in zip(
                found, ok["pipeline"], ok["engine"], ok["n_train"], ok["params"]
            )
        ],
        clean_accuracy=[np.nan if row is None else row["accuracy"] for row in found],
        clean_predictions=[
            None if row is None else row["predictions"] for row in found
        ],
    )


def _set_names(ok: pd.DataFrame) -> list[str]:
    """Each row's set as a column: its corruption; a published set's name
    with its folder's where two folders hold sets of the same name."""
    published = ok[ok["group"] == PUBLISHED]
    folders = published.groupby("corruption")["source"].nunique()
    return [
        f"{c} ({Path(str(s)).name})" if g == PUBLISHED and folders[c] > 1 else c
        for c, s, g in zip(ok["corruption"], ok["source"], ok["group"])
    ]


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _group_order(group: str) -> tuple[int, int]:
    return (1, 0) if group == PUBLISHED else (0, int(group.split()[-1]))


def _corruption_order():
    """A sort key of corruption names: ``corruptions.available()``'s order,
    then the names it does not know, alphabetically."""
    try:
        from mnistbench import corruptions

        known = list(corruptions.available())
    except (ImportError, AttributeError):  # not installed, or half-written
        known = []
    rank = {name: i for i, name in enumerate(known)}
    return lambda name: (rank.get(name, len(rank)), name)


def _load_predictions(r, at_seed: pd.DataFrame, scores: _Scores) -> None:
    """The stored predictions of the seed paired, on each set and clean."""
    for rec in at_seed.itertuples():
        where = (rec.group, rec.column)
        y_pred = compare.load_prediction(
            r.out / str(rec.predictions), r.n_test, f"{rec.label} on {rec.column}"
        )
        if y_pred is not None:
            scores.predictions.setdefault(where, {})[rec.label] = y_pred
            sha = rec.images_sha256 if isinstance(rec.images_sha256, str) else ""
            scores.shas.setdefault(where, {})[rec.label] = sha  # "": not recorded
        if rec.label not in scores.clean_predictions:
            y_clean = compare.load_prediction(
                r.out / str(rec.clean_predictions), r.n_test, rec.label
            )
            if y_clean is not None:
                scores.clean_predictions[rec.label] = y_clean
    missing = [label for label in scores.labels if label not in set(at_seed["label"])]
    if missing:
        scores.notes.append(
            f"{', '.join(missing)} ran no corrupted set with seed {scores.seed}: "
            "in the heatmaps and the means, not in the paired tests, intervals "
            "and images."
        )


def _paired_bootstrap(correct: np.ndarray) -> np.ndarray:
    """Percentile 95% intervals of each row's mean of ``correct`` (pipelines ×
    test images), the same resamples of the test images for every row."""
    rng = np.random.default_rng(0)
    rows, n = correct.shape
    stats = np.empty((N_RESAMPLES, rows))
    chunk = max(1, min(N_RESAMPLES, 4_000_000 // max(n, 1)))
    for start in range(0, N_RESAMPLES, chunk):
        k = min(chunk, N_RESAMPLES - start)
        drawn = rng.integers(0, n, size=(k, n)) + n * np.arange(k)[:, None]
        counts = np.bincount(drawn.ravel(), minlength=k * n).reshape(k, n)
        stats[start : start + k] = counts @ correct.T / n
    return np.quantile(stats, [0.025, 0.975], axis=0).T


def _ranks(values: pd.Series) -> pd.Series:
    """1 for the largest value, ties broken by the label."""
    order = sorted(values.dropna().index, key=lambda label: (-values[label], label))
    return pd.Series(range(1, len(order) + 1), index=order).reindex(values.index)


def _common(scores: _Scores, group: str) -> list[str]:
    """The sets of ``group`` every pipeline was scored on."""
    return list(scores.table(group).dropna(axis=1).columns)


# ---------------------------------------------------------------- the text


def _intro(r, s: _Scores) -> str:
    sizes = [
        f"{len(s.columns[g])} at {g}"
        if g != PUBLISHED
        else _n(len(s.columns[g]), "published set")
        for g in s.groups
    ]
    how = (
        " The pipelines of a seed were scored on the same images of each set "
        "(their images_sha256 agree), so their predictions are paired, image by "
        "image, with each other's and with the clean test set's."
        if s.same_images
        else " Some pipelines of a seed were scored on other images of a set "
        "than the rest (their images_sha256 differ); the paired tests leave "
        "them out."
    )
    return (
        f"{_n(len(s.labels), 'pipeline')} scored on corrupted copies of the "
        f"{r.n_test:,} test images ({'; '.join(sizes)}), as stored in "
        f"{results.ROBUSTNESS}; the clean accuracies are those of the same jobs "
        f"in {results.LEADERBOARD}.{how}"
    )


def _heatmaps(doc: Doc, r, s: _Scores) -> None:
    from mnistbench import _robustness_plots

    doc.heading("Accuracy on each corrupted test set", 4)
    accuracy, drop = [], []
    for g in s.groups:
        name = "published sets" if g == PUBLISHED else g
        table = s.table(g)
        table.insert(0, "clean", s.clean, allow_duplicates=True)
        accuracy.append((name, table))
        drop.append((name, s.table(g, "drop")))
    most = int(s.cells["n_seeds"].max())
    seeds = "one seed each" if most == 1 else f"mean over up to {most} seeds"
    doc.figure(
        _robustness_plots.heatmap_figure(
            accuracy,
            kind="accuracy",
            title=f"{r.name}: accuracy on corrupted sets",
            first_apart=True,
        ),
        _slug(r.name, "robustness-accuracy"),
        f"{r.name}: test accuracy (%) of each pipeline (rows, best clean accuracy "
        "first) on the clean test set (first column) and on each corrupted set, "
        f"one panel per severity ({seeds})",
    )
    doc.figure(
        _robustness_plots.heatmap_figure(
            drop, kind="drop", title=f"{r.name}: drop from clean accuracy"
        ),
        _slug(r.name, "robustness-drop"),
        f"{r.name}: clean accuracy minus accuracy on each corrupted set, in "
        f"percentage points, of the same jobs ({seeds}); red: worse under the "
        "corruption, blue: better",
    )


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


def _worst(s: _Scores, label: str):
    """The (group, column) of ``label``'s largest drop from clean, and it."""
    cells = s.cells[(s.cells["label"] == label) & s.cells["drop"].notna()]
    if cells.empty:
        return None
    rank = {g: i for i, g in enumerate(s.groups)}
    cells = cells.assign(
        _g=cells["group"].map(rank),
        _c=[s.columns[g].index(c) for g, c in zip(cells["group"], cells["column"])],
    ).sort_values(["drop", "_g", "_c"], ascending=[False, True, True], kind="stable")
    best = cells.iloc[0]
    return best["group"], best["column"], float(best["drop"])


def _set_title(group: str, column: str) -> str:
    return f"{column} (published)" if group == PUBLISHED else f"{column}, {group}"


def _worst_text(s: _Scores, label: str) -> str:
    worst = _worst(s, label)
    if worst is None:
        return "n/a"
    group, column, drop = worst
    return f"{_set_title(group, column)}: drop {drop:.1f} points"


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


# ---------------------------------------------------------------- the images


def _corrupted_test_set(ds, corruption, severity, seed, *, data_home=None):
    """The corrupted test images, float32 (n, n_features) in [0, 1], as the
    jobs scored them: from the data home's cache, else made the same way."""
    return data.corrupted_test_set(ds, corruption, severity, seed, data_home=data_home)


def _published_set(source: str, name: str) -> np.ndarray:
    """The images of the published set ``name`` in the folder ``source``."""
    folder = Path(source)
    if not folder.is_dir():
        raise DataError(f"the folder {source} is gone")
    find = getattr(data, "published_corruptions", None)
    if find is None:
        raise DataError("this mnistbench cannot read published corrupted sets")
    for found in find(folder):
        if found.name == name:
            return found.load()[0]
    raise DataError(f"{source} holds no set named {name}")


class _Images:
    """The corrupted test sets' images; None, and the reason in
    ``problems``, for one that cannot be made or read (tried once)."""

    def __init__(self, r):
        self.ds = r.ds
        self.data_home = getattr(r, "data_home", None)
        self._kept: dict[tuple, np.ndarray | None] = {}
        self.problems: dict[str, str] = {}  # set's title -> why not

    def get(
        self, info: dict, seed: int, title: str, keep: bool = False
    ) -> np.ndarray | None:
        """The set's images, (n, height, width); ``keep`` them for the next
        call (a set of full MNIST is 31 MB: the gallery keeps none)."""
        if title in self.problems:
            return None
        key = (info["corruption"], info["severity"], info["source"], seed)
        if key in self._kept:
            return self._kept[key]
        images = self._make(info, seed, title)
        if keep:
            self._kept[key] = images
        return images

    def _make(self, info: dict, seed: int, title: str) -> np.ndarray | None:
        try:
            if info["severity"] is None:
                flat = _published_set(info["source"], info["corruption"])
            else:
                flat = _corrupted_test_set(
                    self.ds, info["corruption"], info["severity"], seed,
                    data_home=self.data_home,
                )  # fmt: skip
            images = np.asarray(flat, dtype=np.float32)
            images = images.reshape(len(images), *self.ds.image_shape)
            if len(images) != len(self.ds.y_test):
                raise DataError(
                    f"{len(images)} images, the test set has {len(self.ds.y_test)}"
                )
        except Exception as exc:  # noqa: BLE001 - a report is built whatever
            # stops the images (a missing module, a folder gone, a bad file)
            reason = (str(exc).splitlines() or [""])[0][:200]
            self.problems[title] = f"{type(exc).__name__}: {reason}".rstrip(": ")
            logger.warning("report: no images of %s (%s)", title, self.problems[title])
            return None
        return images


def _why(problems) -> str:
    reasons = list(dict.fromkeys(problems))
    more = f" (and {len(reasons) - 3} other reasons)" if len(reasons) > 3 else ""
    return "; ".join(reasons[:3]) + more


def _gallery(doc: Doc, r, s: _Scores, images: _Images) -> None:
    """The test image ``EXAMPLE`` under each corruption at each severity."""
    from mnistbench import _robustness_plots

    doc.heading("The corruptions on one test image", 4)
    true = r.ds.class_names[r.y_test[EXAMPLE]]
    cells = {}
    rows: list[str] = []
    for (g, column), info in sorted(
        s.sets.items(), key=lambda kv: (_group_order(kv[0][0]), kv[0][1])
    ):
        row = info["corruption"] if g != PUBLISHED else column
        found = images.get(info, s.seed, _set_title(g, column))
        if found is not None:
            cells[(row, g)] = np.array(found[EXAMPLE])
            rows.append(row)
    if not cells:
        doc.para(
            "The gallery is not shown: no corrupted image could be made or read "
            f"({_why(images.problems.values())}).",
            cls="note",
        )
        return
    rows = sorted(dict.fromkeys(rows), key=_corruption_order())
    for row in rows:
        cells[(row, "clean")] = r.ds.images("test")[EXAMPLE]
    columns = ["clean", *(g for g in s.groups if any(k[1] == g for k in cells))]
    doc.figure(
        _robustness_plots.gallery_figure(
            cells,
            rows,
            columns,
            title=f"{r.name}: test image {EXAMPLE} (class {true}) under each "
            f"corruption (seed {s.seed})",
        ),
        _slug(r.name, "robustness-gallery"),
        f"{r.name}: test image {EXAMPLE} (class {true}) clean and under each "
        "corruption (rows) at each severity (columns), as the pipelines saw it",
        dpi=70,
    )
    if images.problems:
        doc.para(
            "Left out of the gallery: "
            + "; ".join(f"{t} ({why})" for t, why in images.problems.items())
            + ".",
            cls="note",
        )


def _lost(doc: Doc, r, s: _Scores, images: _Images) -> None:
    """Per pipeline, up to ``N_LOST`` test images it got right clean and
    wrong on its most damaging corrupted set."""
    from mnistbench import _robustness_plots

    doc.heading("What each pipeline's most damaging corruption cost it", 4)
    names = r.ds.class_names
    groups, problems, skipped = [], [], []
    for label in s.labels:
        worst = _worst(s, label)
        y_pred = s.predictions.get(worst[:2], {}).get(label) if worst else None
        y_clean = s.clean_predictions.get(label)
        if y_pred is None or y_clean is None:
            skipped.append(label)
            continue
        group, column, _ = worst
        title = _set_title(group, column)
        found = images.get(s.sets[(group, column)], s.seed, title, keep=True)
        if found is None:
            problems.append(images.problems[title])
            continue
        right, right_here = y_clean == r.y_test, y_pred == r.y_test
        lost = np.flatnonzero(right & ~right_here)
        shown = lost[:N_LOST]
        heading = (
            f"{label} on {title}: right clean, wrong here on {len(lost):,} test "
            f"images; accuracy {right.mean():.4f} clean, {right_here.mean():.4f} "
            f"here (seed {s.seed})"
        )
        titles = [f"{names[r.y_test[i]]} → {names[y_pred[i]]}" for i in shown]
        groups.append((heading, found[shown], titles))
    if groups:
        doc.figure(
            _robustness_plots.lost_images_figure(
                groups,
                per_row=N_LOST,
                title=f"{r.name}: images each pipeline lost to its most damaging "
                "corruption (true → predicted)",
            ),
            _slug(r.name, "robustness-lost"),
            f"{r.name}: for each pipeline, the first test images (in test-set "
            "order) it classified right clean and wrong on the corrupted set with "
            "its largest drop from clean, each titled true → predicted class",
            dpi=70,
        )
    if problems:
        doc.para(
            f"The images lost are not shown for {_n(len(problems), 'pipeline')}: "
            f"{_why(problems)}.",
            cls="note",
        )
    if skipped:
        doc.para(
            f"No images for {', '.join(skipped)}: no stored predictions of its most "
            f"damaging set or of its clean test set at seed {s.seed}.",
            cls="note",
        )
