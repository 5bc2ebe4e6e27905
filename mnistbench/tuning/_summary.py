"""What a search found, from the files it wrote: the table that ends
``mnistbench tune`` and the report's tuning curves.

Everything here reads a results folder (the leaderboard, ``trials.csv``,
``refits.csv``) and the test labels; nothing fits.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from mnistbench._text import json_cell

__all__ = [
    "CURVE_SHUFFLES",
    "TABLE_COLUMNS",
    "candidate_scores",
    "curve_candidates",
    "default_row",
    "shuffled_orders",
    "tuned_rows",
    "tuning_curves",
    "tuning_table",
]

#: The search order is shuffled this many times for the curves' bands, as
#: Grinsztajn et al. (2022) do.
CURVE_SHUFFLES = 15

TABLE_COLUMNS = (
    "dataset",
    "pipeline",
    "default_accuracy",
    "tuned_accuracy",
    "mcnemar_p",
    "best_val_score",
    "trials",
    "cpu_s",
    "chosen_params",
    "search_id",
)


def shuffled_orders(n: int, shuffles: int = CURVE_SHUFFLES, seed: int = 0):
    """``shuffles`` orders of ``n`` candidates: the default (candidate 0)
    first, as in every search, the others shuffled."""
    rng = np.random.default_rng(seed)
    return [np.r_[0, 1 + rng.permutation(n - 1)].astype(int) for _ in range(shuffles)]


def _leaders(scores: np.ndarray, order) -> list[int]:
    """The best-on-validation candidate after each step of ``order`` (the
    first of equals stays; a candidate without a score never leads)."""
    best, out = None, []
    for c in order:
        if not np.isnan(scores[c]) and (best is None or scores[c] > scores[best]):
            best = c
        out.append(best)
    return out


def curve_candidates(scores, shuffles: int = CURVE_SHUFFLES, seed: int = 0) -> set[int]:
    """Every candidate that leads the validation scores at some step of some
    shuffled order: those whose test accuracy the curves need."""
    scores = np.asarray(scores, dtype=float)
    found = set()
    for order in shuffled_orders(len(scores), shuffles, seed):
        found.update(c for c in _leaders(scores, order) if c is not None)
    return found


def candidate_scores(trials: pd.DataFrame, search_id: str) -> pd.DataFrame:
    """Per candidate of a random search: its mean validation score (NaN
    unless every fold is ok), CPU seconds over its folds and params (JSON),
    by candidate index."""
    rows = trials[(trials["search_id"] == search_id)]
    rows = rows.sort_values("timestamp_utc").drop_duplicates("trial_key", keep="last")
    n_folds = rows["fold"].max() + 1 if len(rows) else 0
    out = []
    for cand, group in rows.groupby("candidate"):
        complete = (group["status"] == "ok").all() and len(group) == n_folds
        ordered = group.sort_values("fold")
        score = float(np.mean(ordered["val_score"].to_numpy())) if complete else np.nan
        cpu = float(group["cpu_s"].fillna(0).sum())
        out.append((int(cand), score, cpu, group["params"].iloc[0]))
    frame = pd.DataFrame(out, columns=["candidate", "val_score", "cpu_s", "params"])
    return frame.set_index("candidate").sort_index()


def tuned_rows(board: pd.DataFrame) -> pd.DataFrame:
    """The leaderboard's ok rows of searches' chosen configurations, the
    latest per search."""
    ok = board[(board["status"] == "ok") & board["search_id"].notna()]
    ok = ok[ok["search_id"] != ""]
    return ok.sort_values("timestamp_utc").drop_duplicates("search_id", keep="last")


def default_row(board: pd.DataFrame, tuned) -> pd.Series | None:
    """The latest ok row of the registered default on the same data as the
    tuned row ``tuned`` (dataset, pipeline, engine, training size, seed)."""
    ok = board[
        (board["status"] == "ok")
        & (board["dataset"] == tuned["dataset"])
        & (board["pipeline"] == tuned["pipeline"])
        & (board["engine"] == tuned["engine"])
        & (board["n_train"] == tuned["n_train"])
        & (board["seed"] == tuned["seed"])
        & (board["params"] == "{}")
        & (board["search_id"].isna() | (board["search_id"] == ""))
    ]
    return None if ok.empty else ok.sort_values("timestamp_utc").iloc[-1]


def tuning_table(
    out: str | Path,
    board: pd.DataFrame,
    trials: pd.DataFrame,
    y_test: Mapping[str, np.ndarray],
    search_ids=None,
) -> pd.DataFrame:
    """One row per search: default and tuned test accuracy, McNemar's p
    between them (Holm-adjusted over the dataset's pipelines), the best
    validation score, the trials, their CPU seconds, the chosen params."""
    from mnistbench.compare import holm, load_prediction, mcnemar

    tuned = tuned_rows(board)
    if search_ids is not None:
        tuned = tuned[tuned["search_id"].isin(list(search_ids))]
    records = []
    for _, row in tuned.iterrows():
        default = default_row(board, row)
        mine = trials[trials["search_id"] == row["search_id"]]
        p = np.nan
        labels = y_test.get(row["dataset"])
        if default is not None and labels is not None:
            n = len(labels)
            a = load_prediction(Path(out) / str(default["predictions"]), n, "default")
            b = load_prediction(Path(out) / str(row["predictions"]), n, "tuned")
            if a is not None and b is not None:
                p = mcnemar(labels, a, b).pvalue
        records.append(
            {
                "dataset": row["dataset"],
                "pipeline": row["pipeline"],
                "default_accuracy": None if default is None else default["accuracy"],
                "tuned_accuracy": row["accuracy"],
                "mcnemar_p": p,
                "best_val_score": row["val_score"],
                "trials": int(row["n_trials"]) if pd.notna(row["n_trials"]) else 0,
                "cpu_s": float(mine["cpu_s"].fillna(0).sum()),
                "chosen_params": row["params"],
                "search_id": row["search_id"],
            }
        )
    table = pd.DataFrame(records, columns=list(TABLE_COLUMNS))
    for _, idx in table.groupby("dataset").groups.items():
        p = table.loc[idx, "mcnemar_p"].to_numpy(dtype=float)
        known = ~np.isnan(p)
        adjusted = p.copy()
        adjusted[known] = holm(p[known])
        table.loc[idx, "mcnemar_p"] = adjusted
    return table


def tuning_curves(
    board: pd.DataFrame,
    trials: pd.DataFrame,
    refits: pd.DataFrame,
    shuffles: int = CURVE_SHUFFLES,
) -> pd.DataFrame:
    """The curves of every random search in ``board``: for each of
    ``shuffles`` search orders (the default first), after each candidate,
    the cumulative CPU seconds of the trials and the test accuracy of the
    best-on-validation candidate so far. Columns: dataset, pipeline,
    search_id, shuffle, step (candidates evaluated), cpu_s, accuracy (NaN
    where that candidate's refit is missing)."""
    out = []
    for _, row in tuned_rows(board).iterrows():
        definition = json_cell(row["search"])
        if definition.get("search") != "random":
            continue  # halving's rungs are not comparable trials
        scores = candidate_scores(trials, row["search_id"])
        if scores.empty:
            continue
        n = int(scores.index.max()) + 1
        val = scores["val_score"].reindex(range(n)).to_numpy(dtype=float)
        cpu = scores["cpu_s"].reindex(range(n)).fillna(0).to_numpy(dtype=float)
        by_params = _test_accuracies(board, refits, row)
        accuracy = {
            c: by_params[p] for c, p in scores["params"].items() if p in by_params
        }
        seed = int(definition.get("seed") or 0)
        for s, order in enumerate(shuffled_orders(n, shuffles, seed)):
            for step, lead in enumerate(_leaders(val, order), 1):
                out.append(
                    (
                        row["dataset"],
                        row["pipeline"],
                        row["search_id"],
                        s,
                        step,
                        float(cpu[order[:step]].sum()),
                        accuracy.get(lead, np.nan) if lead is not None else np.nan,
                    )
                )
    return pd.DataFrame(
        out,
        columns=[
            "dataset",
            "pipeline",
            "search_id",
            "shuffle",
            "step",
            "cpu_s",
            "accuracy",
        ],
    )


def _test_accuracies(board, refits, tuned) -> dict[str, float]:
    """Params (JSON) -> test accuracy, from the curve refits, the default's
    row and the chosen one's (a candidate drawn twice is refitted once)."""
    ok = refits[
        (refits["search_id"] == tuned["search_id"]) & (refits["status"] == "ok")
    ]
    found = {p: float(a) for p, a in zip(ok["params"], ok["accuracy"])}
    default = default_row(board, tuned)
    if default is not None:
        found["{}"] = float(default["accuracy"])
    found[tuned["params"]] = float(tuned["accuracy"])
    return found
