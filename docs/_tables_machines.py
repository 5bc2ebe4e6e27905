"""The docs' table of the committed merge of two machines' runs: each job's
accuracy on each machine, how many test predictions differ, McNemar's test,
and each machine's own fit time."""

from __future__ import annotations

from pathlib import Path

from _tables_format import _code, _generated, _seconds, _table
from _tables_registry import TableError, register
from _tables_runs import _test_labels

from mnistbench import results
from mnistbench._report_machines import agreement, machine_rows

#: The committed merge: Fashion-MNIST's core suite on an AMD EPYC and an
#: Intel Xeon (``results/README.md`` gives the commands).
MERGED = "results/fashion-mnist-machines"


@register("machines-fashion")
def machines_agreement(root: Path) -> str:
    """One row per job run on both machines, pipelines and seeds in order."""
    folder = root / MERGED
    board = results.read_leaderboard(folder)
    ok = machine_rows(board, "fashion-mnist")
    if ok["machine"].nunique() < 2:
        raise TableError(f"{MERGED} holds the rows of fewer than two machines")
    y_test = _test_labels("fashion-mnist", board)
    pairs = agreement(folder, ok, y_test).sort_values(["pipeline", "seed"])
    fit = ok.sort_values("timestamp_utc").drop_duplicates(
        ["job_key", "machine"], keep="last"
    )
    fit = fit.set_index(["job_key", "machine"])["fit_s"]
    rows = []
    for rec in pairs.itertuples():
        a, b = rec.machines.split(" vs ")
        fa, fb = fit[(rec.job_key, a)], fit[(rec.job_key, b)]
        rows.append(
            [
                _code(rec.pipeline),
                str(rec.seed),
                f"{rec.accuracy_a:.4f}",
                f"{rec.accuracy_b:.4f}",
                f"{rec.differ:,}",
                f"{rec.pvalue_holm:.3g}",
                _seconds(fa),
                _seconds(fb),
                f"{fb / fa:.2f}",
            ]
        )
    named = results.machines(ok)
    m1, m2 = (f"{m} ({c})" for m, c in zip(named["machine"], named["cpu"]))
    header = [
        "pipeline",
        "seed",
        f"accuracy {m1}",
        f"accuracy {m2}",
        "predictions differing",
        "McNemar p (Holm)",
        "fit M1",
        "fit M2",
        "fit M2/M1",
    ]
    table = _table(header, "lrrrrrrrr", rows)
    return _generated(table, f"{MERGED}/leaderboard.csv")
