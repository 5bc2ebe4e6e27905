"""`mnistbench report` built from small real runs on the MNIST sample."""

from html.parser import HTMLParser

import numpy as np
import pytest
from click.testing import CliRunner
from test_cli import one_line_error

from mnistbench import report, runner
from mnistbench.cli import cli

SECTIONS = (
    "Leaderboard",
    "Which differences are real: paired tests",
    "Accuracy against fit time",
    "Errors",
    "Beside published results",
    "Where each run ran",
)
VOID = {"meta", "img", "br", "hr", "link", "input", "col", "wbr"}


class _Checker(HTMLParser):
    """Fails on an end tag that closes nothing open, or tags left open."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.images: list[str] = []
        self.headings: list[str] = []
        self._in_heading = False

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        if tag in ("h2", "h3", "h4"):
            self._in_heading = True
            self.headings.append("")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack}"
        self.stack.pop()
        if tag in ("h2", "h3", "h4"):
            self._in_heading = False

    def handle_data(self, text):
        if self._in_heading:
            self.headings[-1] += text


def parse(path) -> _Checker:
    checker = _Checker()
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    checker.feed(text)
    checker.close()
    assert checker.stack == [], f"left open: {checker.stack}"
    return checker


@pytest.fixture(scope="module")
def two_seeds(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MNISTBENCH_DATA_HOME", str(out / "data"))
        runner.run(
            ["logreg", "knn", "svm"],
            datasets=["mnist-sample"],
            seeds=[0, 1],
            out=out,
            plots=False,
        )
    return out


def test_a_report_has_every_section_and_embeds_its_images(two_seeds):
    made = report.build(two_seeds)
    html = parse(made.html)
    for section in SECTIONS:
        assert section in html.headings
    # runs without --corruptions: no robustness section
    assert "Robustness: corrupted test sets" not in html.headings
    assert "robustness" not in made.markdown.read_text()
    # self-contained: every image is an embedded PNG, nothing is fetched
    assert len(html.images) == len(made.figures) == 2 + 2 * 3
    assert all(src.startswith("data:image/png;base64,") for src in html.images)
    text = made.html.read_text()
    # scripts are inline (tables, the charts' Vega bundle); none is fetched
    assert "http://" not in text.split("<body>")[0] and "<script src" not in text
    # the leaderboard: mean ± std over the two seeds, and an interval
    assert "± 0.0" in text and "95% interval" in text
    assert "McNemar" in text and "Holm" in text and "Pareto front" in text
    md = made.markdown.read_text()
    for section in SECTIONS:
        assert f"### {section}" in md
    for figure in made.figures:
        assert f"(report_files/{figure.name})" in md
        assert figure.read_bytes().startswith(b"\x89PNG")


def test_the_report_names_the_environment_of_each_row(two_seeds):
    text = report.build(two_seeds).html.read_text()
    for column in ("cpu", "n_cores", "threads", "gpu", "sklearn_version", "host"):
        assert f"<th>{column}</th>" in text


def test_one_pipeline_one_seed_says_not_enough_data(tmp_path, monkeypatch):
    monkeypatch.setenv("MNISTBENCH_DATA_HOME", str(tmp_path / "data"))
    runner.run(["knn"], datasets=["mnist-sample"], out=tmp_path, plots=False)
    made = report.build(tmp_path)
    html = parse(made.html)
    text = made.html.read_text()
    assert text.count(report.NOT_ENOUGH) == 3  # seeds, paired tests, trade-off
    assert "Leaderboard" in html.headings and "Errors" in html.headings
    assert "No published result is on file for mnist-sample" in text


def test_cli_report_and_its_errors(two_seeds, tmp_path):
    result = CliRunner().invoke(cli, ["report", "--out", str(two_seeds)])
    assert result.exit_code == 0, result.output
    assert "report.html" in result.output
    bad = CliRunner().invoke(
        cli, ["report", "--out", str(two_seeds), "-d", "fashion-mnist"]
    )
    assert "no successful runs of fashion-mnist" in one_line_error(bad)
    empty = CliRunner().invoke(cli, ["report", "--out", str(tmp_path)])
    assert "no leaderboard at" in one_line_error(empty)


HOSTILE = (
    "<script>alert(1)</script>",
    "[click](http://example.com)",
    "$\\frac{1}{$",  # matplotlib would parse it as mathematics, and fail
    "=cmd|' /C calc'!A0",
    "*bold* _it_ `code` | pipe",
)


def test_names_from_the_data_stay_text_in_every_output(tmp_path, monkeypatch):
    """Class names that are markup, links, mathematics or formulas are shown
    as they are: escaped in report.md and report.html, drawn literally in the
    figures, neutralised in CSV."""
    from conftest import make_arrays

    from mnistbench import data

    monkeypatch.setenv("MNISTBENCH_DATA_HOME", str(tmp_path / "data"))
    arrays = make_arrays(n_train=100, n_test=50)
    names = np.array(HOSTILE * 2)
    ds = data.from_arrays(
        arrays["train_images"],
        names[arrays["train_labels"] % 10],
        arrays["test_images"],
        names[arrays["test_labels"] % 10],
        name="hostile",
    )
    out = tmp_path / "out"
    summary = runner.run(["knn", "logreg"], datasets=[ds], out=out)
    assert summary.ok and len(summary.plots) == 3
    made = report.build(out)
    md = made.markdown.read_text()
    assert "<script" not in md and "&lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert " [click](" not in md and "\\[click\\](http://example.com)" in md
    html = made.html.read_text()
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html
    parse(made.html)


def test_a_pipeline_run_at_two_training_sizes_gets_scaling_curves(tmp_path):
    from mnistbench.jobs import use_job_server

    use_job_server(True)
    for size in (300, 900):
        runner.run(
            ["knn"],
            datasets=["mnist-sample"],
            train_size=size,
            out=tmp_path,
            plots=False,
        )
    made = report.build(tmp_path)
    md = made.markdown.read_text()
    assert "### Scaling with the training set" in md
    assert "mnist-sample-scaling.png" in md and "| knn |" in md
    html = made.html.read_text()
    # the interactive curves: two points of knn, at 300 and 900 training images
    assert '"n_train":300' in html and '"n_train":900' in html
