"""The report's tuning section (``mnistbench tune``): the budget, the table of
default against tuned, the tuning curves, and the ranking before and after,
with what is significant."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from mnistbench import compare, results
from mnistbench._doc import NOT_ENOUGH, Doc
from mnistbench._doc import fmt as _fmt
from mnistbench._doc import slug as _slug
from mnistbench._text import json_cell, params_text

__all__ = ["tuning_section"]


def tuning_section(doc: Doc, r) -> None:
    """Equal-budget tuning (``mnistbench tune``): the budget, the table of
    default against tuned, the tuning curves and the ranking before and
    after; nothing where the folder holds no search of this dataset."""
    from mnistbench import tuning

    tuned = tuning.tuned_rows(r.board)
    tuned = tuned[tuned["dataset"] == r.name]
    if tuned.empty:
        return
    doc.heading("Tuning: equal budgets", 3)
    trials, refits = results.read_trials(r.out), results.read_refits(r.out)
    groups = _search_groups(tuned)
    for i, (definition, rows) in enumerate(groups, 1):
        stem = _slug(r.name, "tuning")
        if len(groups) > 1:
            doc.heading(_search_title(definition), 4)
            stem = _slug(r.name, "tuning", str(i))
        _tuning_group(doc, r, definition, rows, (trials, refits), stem)


def _search_groups(tuned: pd.DataFrame) -> list[tuple[dict, pd.DataFrame]]:
    """The searches run with the same budget (their definitions but for the
    space and the candidate chosen), each set with its definition."""
    groups: dict[str, tuple[dict, list]] = {}
    for index, text in zip(tuned.index, tuned["search"]):
        definition = json_cell(text)
        same = {k: v for k, v in definition.items() if k not in ("space", "candidate")}
        key = json.dumps(same, sort_keys=True, default=str)
        groups.setdefault(key, (same, []))[1].append(index)
    return [(definition, tuned.loc[index]) for definition, index in groups.values()]


def _search_title(definition: dict) -> str:
    kind = definition.get("search", "random")
    if definition.get("budget_cpu") is not None:
        budget = f"{definition['budget_cpu']:g} CPU seconds"
    else:
        budget = f"{definition.get('budget')} candidates"
    return f"{kind} search, {budget}, seed {definition.get('seed')}"


def _budget_text(definition: dict, n_pipelines: int, n_train: int) -> str:
    """The budget every pipeline had, in words."""
    kind = definition.get("search", "random")
    if definition.get("budget_cpu") is not None:
        budget = (
            f"{definition['budget_cpu']:g} CPU seconds of trials each (no trial "
            "starts once they are spent)"
        )
    elif kind == "halving":
        budget = f"{definition.get('budget')} candidates in the first rung each"
    else:
        budget = f"{definition.get('budget')} candidates each"
    if definition.get("val_fraction") is not None:
        scoring = (
            f"a stratified validation share of {definition['val_fraction']:.0%} of"
        )
    else:
        scoring = f"{definition.get('cv')}-fold stratified cross-validation on"
    size = definition.get("search_size")
    where = (
        f"a stratified subsample of {size:,} training images"
        if size
        else "the training set"
    )
    how = (
        "successive halving over training images (the candidates that score "
        "best on a rung go on to the next, with more images)"
        if kind == "halving"
        else "random search"
    )
    return (
        f"{n_pipelines} pipeline{'s' if n_pipelines != 1 else ''} tuned with the "
        f"same budget, {budget}: {how}, seed {definition.get('seed')}, candidate 0 "
        f"being the registered default, each candidate scored by {scoring} "
        f"{where}. The best-on-validation candidate was refitted on the whole "
        f"training set ({n_train:,} images) and scored once on the test set: the "
        "search never saw the test set."
    )


def _tuning_group(doc, r, definition, rows, files, stem: str) -> None:
    """One budget's paragraph, table, curves and ranking; ``files`` are the
    folder's trials and curve refits, ``stem`` its figures' names."""
    from mnistbench import tuning

    ids = list(rows["search_id"])
    labels = dict(
        zip(ids, map(compare.pipeline_label, rows["pipeline"], rows["engine"]))
    )
    trials = files[0]
    table = tuning.tuning_table(r.out, r.board, trials, {r.name: r.y_test}, ids)
    table = table.assign(label=table["search_id"].map(labels)).sort_values(
        ["tuned_accuracy", "label"], ascending=[False, True], kind="stable"
    )
    doc.para(_budget_text(definition, len(table), int(rows["n_train"].max())))
    doc.table(
        pd.DataFrame(
            {
                "pipeline": table["label"],
                "default accuracy": table["default_accuracy"].map(
                    lambda v: _fmt(v, ".4f")
                ),
                "tuned accuracy": table["tuned_accuracy"].map(lambda v: f"{v:.4f}"),
                "McNemar p (Holm)": table["mcnemar_p"].map(lambda v: _fmt(v, ".3g")),
                "best validation score": table["best_val_score"].map(
                    lambda v: _fmt(v, ".4f")
                ),
                "trials": table["trials"],
                "CPU s": table["cpu_s"].map(lambda v: f"{v:.1f}"),
                "chosen params": table["chosen_params"].map(params_text),
            }
        )
    )
    doc.para(
        "McNemar's exact test between the default's and the tuned "
        "configuration's test-set predictions, Holm-adjusted over the "
        f"{len(table)} pipelines; trials are candidate × fold fits; CPU s are "
        "the search's trials' (the refits not counted); n/a: no default row or "
        "no stored predictions."
    )
    if definition.get("search") == "halving":
        doc.para(
            "Successive halving scores its candidates on growing shares of the "
            "training images, so their costs and scores are not one budget's "
            "steps: these searches have no tuning curves."
        )
    else:
        _curves(doc, r, ids, labels, files, stem)
    _ranking(doc, r, table, rows, stem)


def _curves(doc, r, ids, labels, files, stem: str) -> None:
    from mnistbench import _tuning_plots, tuning

    curves = tuning.tuning_curves(r.board, *files)
    curves = curves[curves["search_id"].isin(ids)]
    if curves.empty:
        doc.para(
            f"{NOT_ENOUGH} for tuning curves: {results.TRIALS} holds no scored "
            "trial of these searches.",
            cls="note",
        )
        return
    curves = curves.assign(label=curves["search_id"].map(labels))
    low, high = _tuning_plots.BAND
    shuffles = curves["shuffle"].nunique()
    doc.figure(
        _tuning_plots.tuning_curves_figure(
            curves, title=f"{r.name}: tuning curves (test accuracy, equal budgets)"
        ),
        f"{stem}-curves",
        f"{r.name}: test accuracy of the best-on-validation configuration so far, "
        "against the candidates evaluated (left) and the cumulative CPU seconds "
        f"of the search's trials (right, log scale); lines: the median over "
        f"{shuffles} shuffled search orders (the default first), bands: from "
        f"the {low:.0%} to the {high:.0%} quantile across them",
    )
    unknown = int(curves["accuracy"].isna().sum())
    if unknown:
        doc.para(
            f"{unknown} of {len(curves)} curve points have no test accuracy: the "
            "candidate leading there was not refitted on the whole training set "
            "(tune --no-curves, or a refit that failed); the lines leave them out.",
            cls="note",
        )


def _ranking(doc, r, table, rows, stem: str) -> None:
    """The slopegraph of the ranking under defaults and after tuning, and
    what changed, in words."""
    from mnistbench import _tuning_plots

    ranking = _ranking_table(r, table, rows)
    if len(ranking) < 2:
        doc.para(
            f"{NOT_ENOUGH} for a ranking: one pipeline has both a default and a "
            "tuned result.",
            cls="note",
        )
        return
    doc.figure(
        _tuning_plots.ranking_figure(
            ranking, title=f"{r.name}: ranking under defaults vs after tuning"
        ),
        f"{stem}-ranking",
        f"{r.name}: pipelines ranked by test accuracy under their defaults (left) "
        "and after equal-budget tuning (right); a solid coloured line: the "
        "pipeline's change is significant (McNemar's exact test, Holm-adjusted "
        f"over the pipelines, p < {compare.ALPHA}), dashed grey: not; ≈ and a "
        "bracket: neighbours in a column that McNemar's test (Holm-adjusted "
        "within the column) cannot tell apart",
    )
    doc.para(_ranking_sentence(ranking))


def _ranking_table(r, table: pd.DataFrame, rows: pd.DataFrame):
    """Per pipeline with both accuracies: its rank under defaults and after
    tuning, whether its change is significant, and whether it is
    indistinguishable from its next one down in each column."""
    from mnistbench.tuning import default_row

    known = table[table["default_accuracy"].notna()]
    tuned = rows.set_index("search_id")
    frame = pd.DataFrame(
        {
            "label": known["label"].to_numpy(),
            "default_accuracy": known["default_accuracy"].astype(float).to_numpy(),
            "tuned_accuracy": known["tuned_accuracy"].astype(float).to_numpy(),
            "significant": (known["mcnemar_p"] < compare.ALPHA).to_numpy(),
        }
    )
    predictions: dict[str, dict] = {"default": {}, "tuned": {}}
    for label, search_id in zip(known["label"], known["search_id"]):
        row = tuned.loc[search_id].copy()
        row["search_id"] = search_id
        default = default_row(r.board, row)
        for column, found in (("default", default), ("tuned", row)):
            path = r.out / str(found["predictions"])
            got = compare.load_prediction(path, r.n_test, f"{label} ({column})")
            if got is not None:
                predictions[column][label] = got
    for column in ("default", "tuned"):
        order = frame.sort_values(
            [f"{column}_accuracy", "label"], ascending=[False, True], kind="stable"
        )
        frame.loc[order.index, f"{column}_rank"] = np.arange(1, len(frame) + 1)
        frame[f"{column}_alike_next"] = None
        pairs = list(zip(order["label"], order["label"][1:]))
        found = [
            (
                i,
                compare.mcnemar(
                    r.y_test, predictions[column][a], predictions[column][b]
                ),
            )
            for i, (a, b) in zip(order.index, pairs)
            if a in predictions[column] and b in predictions[column]
        ]
        if found:
            adjusted = compare.holm([test.pvalue for _, test in found])
            for (i, _), p in zip(found, adjusted):
                frame.at[i, f"{column}_alike_next"] = bool(p >= compare.ALPHA)
    return frame.astype({"default_rank": int, "tuned_rank": int})


def _ordinal(n: int) -> str:
    suffix = (
        "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    )
    return f"{n}{suffix}"


def _names(labels) -> str:
    labels = list(labels)
    return (
        labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    )


def _ranking_sentence(ranking: pd.DataFrame) -> str:
    """Where tuning changed the ranking and where it did not, which changes
    are significant, and which neighbours cannot be told apart."""
    moved = ranking[ranking["default_rank"] != ranking["tuned_rank"]]
    stayed = ranking[ranking["default_rank"] == ranking["tuned_rank"]]
    if moved.empty:
        text = "Tuning did not change the ranking."
    else:
        moves = [
            f"{rec.label} moved from {_ordinal(rec.default_rank)} to "
            f"{_ordinal(rec.tuned_rank)}"
            for rec in moved.sort_values("tuned_rank").itertuples()
        ]
        text = "Tuning changed the ranking: " + "; ".join(moves)
        if len(stayed):
            kept = _names(
                f"{rec.label} ({_ordinal(rec.default_rank)})"
                for rec in stayed.sort_values("default_rank").itertuples()
            )
            text += (
                f"; {kept} kept {'its place' if len(stayed) == 1 else 'their places'}"
            )
        text += "."
    significant = list(ranking.loc[ranking["significant"], "label"])
    if not significant:
        text += " No pipeline's change from default to tuned is significant."
    else:
        which = (
            "every pipeline"
            if len(significant) == len(ranking)
            else f"{_names(significant)} only"
        )
        text += (
            " The change from default to tuned is significant (Holm-adjusted "
            f"McNemar p < {compare.ALPHA}) for {which}."
        )
    for column, words in (("default", "under defaults"), ("tuned", "after tuning")):
        order = ranking.sort_values(f"{column}_rank")
        alike = [
            f"{a} ≈ {b}"
            for a, b, same in zip(
                order["label"], order["label"][1:], order[f"{column}_alike_next"]
            )
            if isinstance(same, bool | np.bool_) and same  # None: not known
        ]
        if alike:
            text += (
                f" Not significantly different neighbours {words}: {'; '.join(alike)}."
            )
    return text
