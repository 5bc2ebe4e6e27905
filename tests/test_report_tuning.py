"""The report's tuning section, built from small real searches on the MNIST
sample: the budget, the table (tuning_table's numbers), the tuning curves,
the ranking before and after in a figure and in words; halving gets a
sentence instead of curves; a folder without searches gets no section."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from test_report import parse

from mnistbench import (
    _report_tuning,
    _tuning_plots,
    compare,
    data,
    report,
    results,
    runner,
    tuning,
)
from mnistbench._text import md_escape, params_text
from mnistbench.jobs import use_job_server

SECTION = "Tuning: equal budgets"
DATASET = "mnist-sample"


def _tune(out, **options):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MNISTBENCH_DATA_HOME", str(out / "data"))
        use_job_server(True)  # trials start from the fork server: fast
        try:
            tuning.tune(
                ["knn", "logreg"], datasets=[DATASET], search_size=600, out=out,
                **options,
            )  # fmt: skip
        finally:
            use_job_server(False)
    return out


@pytest.fixture(scope="module")
def random_search(tmp_path_factory):
    out = _tune(tmp_path_factory.mktemp("random"), budget=5)
    return out, report.build(out)


@pytest.fixture(scope="module")
def halving_search(tmp_path_factory):
    out = _tune(tmp_path_factory.mktemp("halving"), budget=4, search="halving")
    return out, report.build(out)


def _section(markdown: str) -> str:
    start = markdown.index(f"### {SECTION}")
    end = markdown.find("\n### ", start + 1)
    return markdown[start : end if end > 0 else None]


def _table_rows(section: str) -> list[list[str]]:
    lines = [line for line in section.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in line.strip("| ").split(" | ")] for line in lines]


def test_the_report_has_a_tuning_section_and_both_figures(random_search):
    out, made = random_search
    html = parse(made.html)
    assert SECTION in html.headings
    # after the leaderboard and the paired tests
    assert html.headings.index(SECTION) > html.headings.index("Leaderboard")
    names = {path.name for path in made.figures}
    assert {f"{DATASET}-tuning-curves.png", f"{DATASET}-tuning-ranking.png"} <= names
    # every figure embedded in the page, linked from the Markdown, a PNG
    assert len(html.images) == len(made.figures)
    md = made.markdown.read_text()
    for path in made.figures:
        assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        assert f"(report_files/{path.name})" in md
    section = _section(md)
    assert "10% to the 90% quantile" in section  # the band, said
    assert "15 shuffled search orders" in section


def test_the_budget_is_stated_and_the_test_set_unseen(random_search):
    _, made = random_search
    section = _section(made.markdown.read_text())
    for words in (
        "2 pipelines tuned with the same budget, 5 candidates each",
        "random search, seed 0",
        "3-fold stratified cross-validation on a stratified subsample of 600 "
        "training images",
        "the search never saw the test set",
    ):
        assert words in section


def test_the_table_shows_tuning_tables_numbers(random_search):
    out, made = random_search
    board = results.read_leaderboard(out)
    y_test = data.load(DATASET).y_test
    expected = tuning.tuning_table(
        out, board, results.read_trials(out), {DATASET: y_test}
    ).set_index("pipeline")
    header, *rows = _table_rows(_section(made.markdown.read_text()))
    assert header[:4] == [
        "pipeline", "default accuracy", "tuned accuracy", "McNemar p (Holm)"
    ]  # fmt: skip
    assert sorted(row[0] for row in rows) == ["knn", "logreg"]
    for row in rows:
        want = expected.loc[row[0]]
        assert row[1] == f"{want['default_accuracy']:.4f}"
        assert row[2] == f"{want['tuned_accuracy']:.4f}"
        assert row[3] == f"{want['mcnemar_p']:.3g}"
        assert row[4] == f"{want['best_val_score']:.4f}"
        assert row[5] == str(want["trials"]) == "15"
        assert row[6] == f"{want['cpu_s']:.1f}"
        params = json.loads(want["chosen_params"])
        if params:
            for name in params:
                assert md_escape(name.rsplit("__", 1)[-1]) in row[7]
        else:
            assert row[7] == "the registered default"


def test_the_ranking_sentence_says_what_changed(random_search):
    out, made = random_search
    table = tuning.tuning_table(
        out,
        results.read_leaderboard(out),
        results.read_trials(out),
        {DATASET: data.load(DATASET).y_test},
    )

    def order(column):
        ranked = table.sort_values([column, "pipeline"], ascending=[False, True])
        return list(ranked["pipeline"])

    section = _section(made.markdown.read_text())
    before, after = order("default_accuracy"), order("tuned_accuracy")
    if before == after:
        assert "Tuning did not change the ranking." in section
    else:
        assert "Tuning changed the ranking: " in section
        moved = next(p for p in before if before.index(p) != after.index(p))
        assert re.search(rf"{moved} moved from \d(st|nd|rd|th) to", section)
    assert "change from default to tuned is significant" in section


def test_tuned_rows_are_labelled_tuned_beside_the_default(random_search):
    out, made = random_search
    board = results.read_leaderboard(out)
    labels = set(compare.seed_summary(board, DATASET)["label"])
    assert labels == {"knn", "knn (tuned)", "logreg", "logreg (tuned)"}
    text = made.html.read_text()
    assert "<td>knn (tuned)</td>" in text  # the leaderboard, the pairs


def test_a_halving_search_has_a_sentence_instead_of_curves(halving_search):
    _, made = halving_search
    section = _section(made.markdown.read_text())
    assert "these searches have no tuning curves" in section
    assert "successive halving over training images" in section
    names = {path.name for path in made.figures}
    assert f"{DATASET}-tuning-curves.png" not in names
    assert f"{DATASET}-tuning-ranking.png" in names
    assert re.search(r"Tuning (did not change|changed) the ranking", section)


def test_a_folder_without_searches_has_no_tuning_section(tmp_path):
    runner.run(["knn"], datasets=[DATASET], out=tmp_path, plots=False)
    made = report.build(tmp_path)
    assert SECTION not in parse(made.html).headings
    assert "Tuning" not in made.markdown.read_text()
    assert not [p for p in made.figures if "tuning" in p.name]


def test_params_read_as_names_and_values():
    readable = params_text
    assert readable('{"clf__C": 7.5019544436201215, "clf__gamma": 0.02}') == (
        "C=7.5, gamma=0.02"
    )
    assert readable('{"clf__hidden_layer_sizes": [256]}') == (
        "hidden_layer_sizes=(256,)"
    )
    # two steps with the same parameter keep their step names
    assert readable('{"reduce__n_components": 0.9, "clf__n_components": 3}') == (
        "reduce__n_components=0.9, clf__n_components=3"
    )
    assert readable("{}") == "the registered default"


def _ranking(default, tuned, significant=None, alike=None):
    labels = list(default)
    frame = pd.DataFrame(
        {
            "label": labels,
            "default_accuracy": [default[k] for k in labels],
            "tuned_accuracy": [tuned[k] for k in labels],
            "significant": [k in (significant or ()) for k in labels],
        }
    )
    for column in ("default", "tuned"):
        ranks = frame[f"{column}_accuracy"].rank(ascending=False, method="first")
        frame[f"{column}_rank"] = ranks.astype(int)
        frame[f"{column}_alike_next"] = [k in (alike or ()) for k in labels]
    return frame


def test_the_ranking_sentence_names_moves_and_significance():
    moved = _ranking(
        {"svm": 0.96, "knn": 0.95, "rf": 0.94, "pca_mlp": 0.93},
        {"svm": 0.97, "knn": 0.95, "rf": 0.94, "pca_mlp": 0.955},
        significant={"pca_mlp"},
        alike={"svm"},
    )
    text = _report_tuning._ranking_sentence(moved)
    assert text.startswith(
        "Tuning changed the ranking: pca_mlp moved from 4th to 2nd; knn moved "
        "from 2nd to 3rd; rf moved from 3rd to 4th; svm (1st) kept its place."
    )
    assert "significant (Holm-adjusted McNemar p < 0.05) for pca_mlp only" in text
    assert "under defaults: svm ≈ knn" in text
    same = _ranking({"a": 0.9, "b": 0.8}, {"a": 0.91, "b": 0.85})
    text = _report_tuning._ranking_sentence(same)
    assert text.startswith("Tuning did not change the ranking.")
    assert "No pipeline's change from default to tuned is significant." in text
    fig = _tuning_plots.ranking_figure(moved, title="$\\frac{$ ranking")
    assert fig.axes


def test_curve_bands_read_each_shuffle_on_a_common_cpu_grid():
    # two shuffles of three candidates: the default (1 s) first, then the
    # others in two orders; the accuracy steps up when a better one ends
    curves = pd.DataFrame(
        {
            "shuffle": [0, 0, 0, 1, 1, 1],
            "step": [1, 2, 3, 1, 2, 3],
            "cpu_s": [1.0, 3.0, 7.0, 1.0, 5.0, 7.0],
            "accuracy": [0.90, 0.95, 0.95, 0.90, 0.90, 0.95],
        }
    )
    steps = _tuning_plots.curve_bands(curves, "step", band=(0.0, 1.0))
    assert steps["x"].tolist() == [1, 2, 3]
    assert steps["median"].tolist() == pytest.approx([0.90, 0.925, 0.95])
    assert steps["low"].tolist() == pytest.approx([0.90, 0.90, 0.95])
    seconds = _tuning_plots.curve_bands(curves, "cpu_s", band=(0.0, 1.0), points=50)
    assert seconds["x"].iloc[0] == pytest.approx(1.0)
    assert seconds["x"].iloc[-1] == pytest.approx(7.0)
    at = np.interp(4.0, seconds["x"], np.arange(len(seconds)))
    between = seconds.iloc[int(np.ceil(at))]  # 3 s < x < 5 s: one has stepped
    assert (between["low"], between["high"]) == (0.90, 0.95)
    assert seconds["median"].iloc[-1] == pytest.approx(0.95)
    fig = _tuning_plots.tuning_curves_figure(curves.assign(pipeline="knn"))
    assert len(fig.axes) == 2 and fig.axes[1].get_xscale() == "log"
