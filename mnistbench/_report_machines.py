"""The report's section on a dataset whose rows ran on several machines.

Times are never pooled across machines: each machine's are its own, beside
the others'. What can be compared across machines is what the same job
(same job key: dataset, pipeline, params, seed, training size, engine)
predicted on each: equal predictions, or how many test images differ and
whether the accuracies differ (McNemar's exact test, Holm-corrected over
every cross-machine pair of the dataset).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from mnistbench import compare, results
from mnistbench._doc import Doc
from mnistbench._doc import fmt as _fmt

__all__ = ["agreement", "machine_rows", "machines_section", "per_machine_times"]


def machine_rows(board: pd.DataFrame, dataset: str) -> pd.DataFrame:
    """``dataset``'s ok rows, each with the short name of its ``machine``
    (``M1``, ``M2``... as :func:`mnistbench.results.machine_names` names
    the machines of the whole ``board``)."""
    ok = board[(board["status"] == "ok") & (board["dataset"] == dataset)]
    return ok.assign(machine=results.machine_names(board).loc[ok.index])


def per_machine_times(ok: pd.DataFrame) -> pd.DataFrame:
    """Median fit and predict seconds of each pipeline (and engine) on each
    machine, one column per machine, and the ratio of each machine's fit
    time to the first's: never a mean over machines."""
    labels = [
        compare.pipeline_label(p, e) for p, e in zip(ok["pipeline"], ok["engine"])
    ]
    ok = ok.assign(label=labels)
    names = sorted(set(ok["machine"]), key=results.machine_number)
    table = pd.DataFrame({"pipeline": list(dict.fromkeys(ok["label"]))})
    grouped = ok.groupby(["label", "machine"])
    fit = grouped["fit_s"].median()
    predict = grouped["predict_s"].median()
    rows = grouped.size()
    for name in names:
        table[f"fit s {name}"] = [
            _fmt(fit.get((lab, name)), ".2f") for lab in table["pipeline"]
        ]
        table[f"predict s {name}"] = [
            _fmt(predict.get((lab, name)), ".2f") for lab in table["pipeline"]
        ]
        table[f"rows {name}"] = [
            int(rows.get((lab, name), 0)) for lab in table["pipeline"]
        ]
    first = names[0]
    for name in names[1:]:
        table[f"fit {name}/{first}"] = [
            _fmt(fit.get((lab, name), np.nan) / fit.get((lab, first), np.nan), ".2f")
            for lab in table["pipeline"]
        ]
    return table


def agreement(out, ok: pd.DataFrame, y_test: np.ndarray) -> pd.DataFrame:
    """Each job run on two machines: its accuracy on each, how many test
    predictions differ, McNemar's exact test between the two (Holm over
    every pair), and whether the pipeline's definition was recorded alike.

    ``ok`` holds the dataset's ok rows with a ``machine`` column; each job
    counts its newest row per machine. One row per job and pair of
    machines; jobs whose predictions are not stored on both are left out.
    """
    latest = ok.sort_values("timestamp_utc").drop_duplicates(
        ["job_key", "machine"], keep="last"
    )
    records = []
    for key, group in latest.groupby("job_key", sort=False):
        if group["machine"].nunique() < 2:
            continue
        group = group.sort_values(
            "machine", key=lambda s: s.map(results.machine_number)
        )
        for (_, a), (_, b) in itertools.combinations(group.iterrows(), 2):
            preds = [
                compare.load_prediction(
                    out / str(r["predictions"]), len(y_test), r["pipeline"]
                )
                if isinstance(r["predictions"], str) and r["predictions"]
                else None
                for r in (a, b)
            ]
            if preds[0] is None or preds[1] is None:
                continue
            test = compare.mcnemar(y_test, preds[0], preds[1])
            records.append(
                {
                    "job_key": key,
                    "pipeline": compare.pipeline_label(a["pipeline"], a["engine"]),
                    "seed": int(a["seed"]),
                    "machines": f"{a['machine']} vs {b['machine']}",
                    "accuracy_a": float(a["accuracy"]),
                    "accuracy_b": float(b["accuracy"]),
                    "differ": int((preds[0] != preds[1]).sum()),
                    "a_only": test.a_only,
                    "b_only": test.b_only,
                    "pvalue": test.pvalue,
                    "definition": _definitions(a, b),
                }
            )
    frame = pd.DataFrame(
        records,
        columns=[
            "job_key", "pipeline", "seed", "machines", "accuracy_a", "accuracy_b",
            "differ", "a_only", "b_only", "pvalue", "definition",
        ],
    )  # fmt: skip
    frame["pvalue_holm"] = compare.holm(frame["pvalue"]) if len(frame) else []
    return frame.sort_values(
        ["pipeline", "seed", "machines"], kind="stable"
    ).reset_index(drop=True)


def _definitions(a, b) -> str:
    da, db = (
        r["definition"] if isinstance(r["definition"], str) else "" for r in (a, b)
    )
    if da and db:
        return "same" if da == db else "changed"
    return "not recorded on " + " and ".join(
        r["machine"] for r, d in ((a, da), (b, db)) if not d
    )


def machines_section(doc: Doc, r) -> None:
    """Where a dataset's rows ran on more than one machine: the machines,
    each one's times, and whether the same jobs agreed across them."""
    ok = machine_rows(r.board, r.name)
    if ok["machine"].nunique() < 2:
        return
    doc.heading("Across machines", 3)
    _legend(doc, ok)
    doc.para(
        "Times differ between machines (CPU, BLAS kernels, load), so each "
        "machine's are shown on their own and never averaged together: the "
        "median over that machine's rows of each pipeline."
    )
    doc.table(per_machine_times(ok), interactive=True)
    pairs = agreement(r.out, ok, r.y_test)
    if pairs.empty:
        doc.para(
            "No job ran on two machines with its predictions stored: nothing "
            "to compare prediction by prediction.",
            cls="note",
        )
        return
    _agreement_table(doc, pairs, r.n_test)


def _legend(doc: Doc, ok: pd.DataFrame) -> None:
    named = results.machines(ok)
    stamps = ok.groupby("machine")["timestamp_utc"]
    first, last = stamps.min(), stamps.max()

    def versions(name, column):
        cells = ok.loc[ok["machine"] == name, column].dropna().astype(str)
        values = {v.strip() for cell in cells for v in cell.split(",") if v.strip()}
        return ", ".join(sorted(values, key=_version_key)) or "n/a"

    doc.table(
        pd.DataFrame(
            {
                "machine": named["machine"],
                "host · CPU · cores (· GPU)": named["label"],
                "BLAS": [versions(m, "blas") for m in named["machine"]],
                "scikit-learn": [
                    versions(m, "sklearn_version") for m in named["machine"]
                ],
                "mnistbench": [
                    versions(m, "mnistbench_version") for m in named["machine"]
                ],
                "rows": named["rows"],
                "ran": [f"{first[m][:10]} – {last[m][:10]}" for m in named["machine"]],
            }
        )
    )


def _version_key(text: str) -> tuple:
    """``openblas 0.3.9`` before ``openblas 0.3.30``: numbers as numbers."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part)
        for part in text.replace(" ", ".").split(".")
    )


def _agreement_table(doc: Doc, pairs: pd.DataFrame, n_test: int) -> None:
    same = int((pairs["differ"] == 0).sum())
    significant = pairs["pvalue_holm"] < compare.ALPHA
    doc.para(
        f"{len(pairs)} jobs ran on two machines (same job key: same dataset, "
        "pipeline, params, seed, training size and engine). "
        f"{same} predicted every one of the {n_test:,} test images alike; "
        f"{len(pairs) - same} differ on "
        + (
            f"{int(pairs.loc[pairs['differ'] > 0, 'differ'].min())} to "
            f"{int(pairs['differ'].max())} images"
            if len(pairs) > same
            else "none"
        )
        + f", {int(significant.sum())} of them significantly (McNemar's exact test, "
        f"Holm-corrected over the {len(pairs)} pairs, adjusted p < {compare.ALPHA})."
    )
    doc.table(
        pd.DataFrame(
            {
                "pipeline": pairs["pipeline"],
                "seed": pairs["seed"],
                "machines": pairs["machines"],
                "accuracy A": pairs["accuracy_a"].map("{:.4f}".format),
                "accuracy B": pairs["accuracy_b"].map("{:.4f}".format),
                "predictions differing": pairs["differ"],
                "only A right": pairs["a_only"],
                "only B right": pairs["b_only"],
                "p (Holm)": pairs["pvalue_holm"].map(lambda v: f"{v:.3g}"),
                "verdict": [
                    "identical"
                    if d == 0
                    else ("differ significantly" if s else "differ, not significantly")
                    for d, s in zip(pairs["differ"], significant)
                ],
                "definition": pairs["definition"],
            }
        ),
        interactive=True,
    )
    if (pairs["definition"] != "same").any():
        doc.para(
            "definition: whether both rows recorded the same pipeline definition "
            "(a hash of its steps and parameters; recorded since mnistbench 0.8). "
            "Where it was not recorded, the two may differ by a change to the "
            "pipeline between those versions, not only by the machine.",
            cls="note",
        )
