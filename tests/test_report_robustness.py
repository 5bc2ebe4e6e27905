"""The report's robustness section, built from a results folder written
without the runner: three real pipelines fitted on 500 MNIST digits, their
clean rows and their rows on corrupted copies of the 1,000 test digits (and
on a "published" set whose folder is gone), recorded as a run records them.

The section's heatmaps and images are embedded in the page and linked from
the Markdown; its table's numbers are those the predictions files give; the
paired tests' CSV has a row per pair and set, Holm-adjusted per severity
(that a folder without corrupted sets has no section is checked in
tests/test_report.py); where the corrupted images cannot be made the numbers
stay and the images become a note.
"""

import re
import shutil
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from test_report import parse

from mnistbench import (
    _report_robustness,
    _report_robustness_scores,
    compare,
    data,
    envinfo,
    pipelines,
    report,
)
from mnistbench import results as results_
from mnistbench.exceptions import DataError
from mnistbench.jobs import Job

DATASET = "mnist-sample"
PIPELINES = ("logreg", "knn", "svm")
N_TRAIN = 500
SEVERITIES = (1, 3)
SECTION = _report_robustness.SECTION
RUN_ID = "20260101T000000Z-abc123"


#: shot noise, a haze and the negative: three kinds of damage
CORRUPTIONS = ["shot_noise", "fog", "inverse"]


def _corrupted(ds, corruption, severity, seed=0):
    """The images the jobs are scored on, as the report finds them."""
    return data.corrupted_test_set(ds, corruption, severity, seed)


def _scored(model, ds, X, **where) -> dict:
    y_pred = model.predict(X).astype(np.int16)
    return {
        **where,
        "images_sha256": data.images_sha256(X),
        "accuracy": float(np.mean(y_pred == ds.y_test)),
        "predict_s": 0.01,
        "y_pred": y_pred,
    }


def _fit(ds, names) -> dict:
    train = np.random.default_rng(0).permutation(len(ds.y_train))[:N_TRAIN]
    return {
        n: pipelines.get(n).fit(ds.X_train[train], ds.y_train[train]) for n in names
    }


def _record(out, ds, models, *, seed=0, corrupted=True, gone=None):
    """Record the clean rows of ``models`` (by pipeline name) as jobs of
    ``seed``, and their rows on the sets corrupted from ``seed``."""
    base = {"run_id": f"{RUN_ID}{seed}", **envinfo.machine_fields(), "threads": 1}
    sets = {(c, s): _corrupted(ds, c, s, seed) for c in CORRUPTIONS for s in SEVERITIES}
    for name, model in models.items():
        job = Job(DATASET, name, seed=seed, n_train=N_TRAIN)
        clean = _scored(model, ds, ds.X_test)
        result = {"status": "ok", "fit_s": 0.1, "cpu_s": 0.1, **clean}
        results_.record_job(out, job, result, base, len(ds.y_test))
        if not corrupted:
            continue
        scored = [
            _scored(model, ds, X, corruption=c, severity=s, source="generated")
            for (c, s), X in sets.items()
        ]
        if gone is not None:  # a published set, of other noise
            X = np.clip(ds.X_test + 0.3 * (np.arange(784) % 3 == 0), 0, 1)
            X = X.astype(np.float32)
            scored.append(
                _scored(model, ds, X, corruption=CORRUPTIONS[0], source=str(gone))
            )
        results_.record_corrupted(out, job, scored, base)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("robust")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MNISTBENCH_DATA_HOME", str(out / "data"))
        ds = data.load(DATASET)
        models = _fit(ds, PIPELINES)
        _record(out, ds, models, gone=out / "mnist_c_gone")
        made = report.build(out)
    return out, ds, made, models


def _section(markdown: str) -> str:
    start = markdown.index(f"### {SECTION}")
    end = markdown.find("\n### ", start + 1)
    return markdown[start : end if end > 0 else None]


def _table(section: str, header: str) -> pd.DataFrame:
    """The Markdown table whose header row starts with ``header``."""
    lines = section.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {header}"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("| ").split(" | ")])
    return pd.DataFrame(rows[2:], columns=rows[0])


def test_the_section_embeds_its_heatmaps_and_images(built):
    out, _, made, _ = built
    html = parse(made.html)
    assert SECTION in html.headings
    assert (
        html.headings.index("Which differences are real: paired tests")
        < html.headings.index(SECTION)
        < html.headings.index("Accuracy against fit time")
    )
    figures = {f"{DATASET}-robustness-{k}.png" for k in ("accuracy", "drop")}
    figures |= {f"{DATASET}-robustness-{k}.png" for k in ("gallery", "lost")}
    assert figures <= {path.name for path in made.figures}
    assert len(html.images) == len(made.figures)
    md = made.markdown.read_text()
    for name in figures:
        assert f"](report_files/{name})" in md
        assert (out / "report_files" / name).read_bytes().startswith(b"\x89PNG")
    # the published set's folder is gone: out of the gallery, with a note
    section = _section(md)
    assert "Left out of the gallery" in section and "is gone" in section


def test_the_table_gives_the_accuracies_of_the_predictions_files(built):
    out, ds, made, _ = built
    table = _table(_section(made.markdown.read_text()), "pipeline")
    board = results_.read_leaderboard(out).set_index("pipeline")
    rob = results_.read_robustness(out)

    def accuracy(path):
        return float(np.mean(np.load(out / path) == ds.y_test))

    clean = {p: accuracy(board.loc[p, "predictions"]) for p in PIPELINES}
    assert list(table["pipeline"]) == sorted(PIPELINES, key=lambda p: -clean[p])
    for rec in table.itertuples(index=False):
        row = dict(zip(table.columns, rec))
        assert float(row["clean accuracy"]) == pytest.approx(clean[row["pipeline"]])
        for severity in SEVERITIES:
            ours = rob[
                (rob["pipeline"] == row["pipeline"]) & (rob["severity"] == severity)
            ]
            mean = np.mean([accuracy(p) for p in ours["predictions"]])
            cell = row[
                f"severity {severity}: mean of {len(CORRUPTIONS)} (95% interval)"
            ]
            value, low, high = map(float, re.findall(r"\d\.\d{4}", cell))
            assert value == pytest.approx(mean, abs=5e-5)
            assert low <= value <= high
        published = rob[(rob["pipeline"] == row["pipeline"]) & rob["severity"].isna()]
        cell = row["published: mean of 1 (95% interval)"]
        assert float(cell.split()[0]) == pytest.approx(
            accuracy(published["predictions"].iloc[0]), abs=5e-5
        )
        assert re.fullmatch(
            r"\d → \d → \d → \d", row["rank: clean → s1 → s3 → published"]
        )


def test_every_pair_is_tested_on_every_set_and_holm_adjusted_per_severity(built):
    out, ds, _, _ = built
    tests = pd.read_csv(out / "report_files" / f"robustness-tests-{DATASET}.csv")
    pairs = len(PIPELINES) * (len(PIPELINES) - 1) // 2
    n_sets = len(CORRUPTIONS) * len(SEVERITIES) + 1  # and the published one
    assert len(tests) == pairs * n_sets
    assert not tests.duplicated(["corruption", "severity", "source", "a", "b"]).any()
    rob = results_.read_robustness(out)
    for group, family in tests.groupby("group"):
        assert np.allclose(family["pvalue_holm"], compare.holm(family["pvalue"]))
        rec = family.iloc[0]
        found = rob[
            (rob["corruption"] == rec["corruption"]) & (rob["source"] == rec["source"])
        ]
        if group != "published":
            found = found[found["severity"] == rec["severity"]]
        y = {
            p: np.load(out / f) for p, f in zip(found["pipeline"], found["predictions"])
        }
        test = compare.mcnemar(ds.y_test, y[rec["a"]], y[rec["b"]])
        assert (test.a_only, test.b_only) == (rec["a_only"], rec["b_only"])
        assert test.pvalue == pytest.approx(rec["pvalue"])
    assert (tests["significant"] == (tests["pvalue_holm"] < compare.ALPHA)).all()


def test_without_the_images_the_numbers_stay_and_a_note_says_why(built, tmp_path):
    out, _, _, _ = built
    copy = tmp_path / "copy"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns("report*", "data"))

    def elsewhere(ds, corruption, severity, seed, *, data_home=None):
        raise DataError(f"no corrupted {corruption} images in {data_home}")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(data, "corrupted_test_set", elsewhere)
        made = report.build(copy, data_home=tmp_path / "elsewhere")
    names = {path.name for path in made.figures}
    assert {
        f"{DATASET}-robustness-accuracy.png",
        f"{DATASET}-robustness-drop.png",
    } <= names
    assert not {n for n in names if "gallery" in n or "lost" in n}
    section = _section(made.markdown.read_text())
    assert len(_table(section, "pipeline")) == len(PIPELINES)
    why = f"DataError: no corrupted {CORRUPTIONS[0]} images in {tmp_path / 'elsewhere'}"
    assert "The gallery is not shown" in section and why.replace("_", "\\_") in section
    assert "The images lost are not shown" in section


def test_the_numbers_are_means_over_seeds_and_the_tests_pair_one_seed(built, tmp_path):
    out, ds, _, models = built
    copy = tmp_path / "copy"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns("report*", "data"))
    _record(copy, ds, models, seed=1)
    failed = {"job_key": "k", "dataset": DATASET, "corruption": "fog", "severity": 2}
    results_.append_robustness(copy, {**failed, "status": "error", "error": "boom"})
    board = results_.read_leaderboard(copy)
    r = SimpleNamespace(
        ds=ds, board=board, out=copy, name=DATASET, n_test=len(ds.y_test),
        y_test=ds.y_test, data_home=None,
    )  # fmt: skip
    scores = _report_robustness_scores._gather(r)
    rob = results_.read_robustness(copy)
    generated = rob[rob["severity"].notna()]
    means = generated.groupby(["pipeline", "corruption", "severity"])["accuracy"]
    cells = scores.cells.set_index(["label", "column", "group"])
    for (pipeline, corruption, severity), accuracy in means.mean().items():
        cell = cells.loc[(pipeline, corruption, f"severity {severity}")]
        assert cell["accuracy"] == pytest.approx(accuracy)
        assert cell["n_seeds"] == 2
    clean = board.groupby("pipeline")["accuracy"].mean()
    assert scores.clean.to_dict() == pytest.approx(clean.to_dict())
    assert scores.labels == sorted(PIPELINES, key=lambda p: -clean[p])
    # both seeds cover every pipeline: the lowest is the one paired
    assert scores.seed == 0
    assert set(scores.clean_predictions) == set(PIPELINES)
    assert scores.notes == [
        "Left out: 1 row of robustness.csv that did not score (status error)."
    ]
