"""The numbers of the report's robustness section: the corrupted-set rows of
``robustness.csv`` joined to their jobs' clean rows in the leaderboard,
averaged over seeds, and the stored predictions of the seed paired.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mnistbench import compare, results

#: The group of the published sets (they have no severity).
PUBLISHED = "published"


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


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def _group_order(group: str) -> tuple[int, int]:
    return (1, 0) if group == PUBLISHED else (0, int(group.split()[-1]))


def _corruption_order():
    """A sort key of corruption names: ``corruptions.available()``'s order,
    then the names it does not know, alphabetically."""
    from mnistbench import corruptions

    rank = {name: i for i, name in enumerate(corruptions.available())}
    return lambda name: (rank.get(name, len(rank)), name)


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
