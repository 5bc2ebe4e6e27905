"""The HTML report in a real browser: its tables sort and filter, its charts
draw and answer hovering and selectors, nothing is fetched from anywhere,
and without JavaScript the page is the static one.

Debian's headless Chromium, driven by Playwright (which never downloads a
browser here); skipped where either is missing.
"""

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from mnistbench import compare, plots, report, results
from mnistbench._charts import tradeoff_chart
from mnistbench._doc import Doc

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install .[test])"
)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install chromium)"
)

SAMPLE = Path(__file__).parents[1] / "results" / "mnist-sample"
DATASET = "mnist-sample"
#: The committed runs all used scikit-learn; the copy says these three ran on
#: another engine, so that the engine selector has something to select.
OTHER_ENGINE, MOVED = "sklearnex", "hog_svm_flips_tta18"
#: The pipelines the second machine of the merged folder ran.
SECOND = ("knn", "logreg", "svm")
#: The page tested is report.build's; False builds one here instead, with Doc,
#: from the same rows (a table and the trade-off chart), should report.py stop
#: drawing them for a while.
USE_REPORT_BUILD = True
TIMEOUT_MS = 10_000


def _copy_of_sample(folder: Path) -> Path:
    shutil.copytree(SAMPLE, folder, dirs_exist_ok=True)
    board = folder / results.LEADERBOARD
    lines = board.read_text().splitlines(keepends=True)
    moved = [
        line.replace(",sklearn,", f",{OTHER_ENGINE},", 1)
        if f",{MOVED}," in line
        else line
        for line in lines
    ]
    assert moved != lines
    board.write_text("".join(moved))
    return folder


def _page_built_here(folder: Path) -> Path:
    """A table and the trade-off chart of the folder's runs, with Doc."""
    board = results.read_leaderboard(folder)
    summary = compare.seed_summary(board, DATASET)
    ok = compare.labelled_rows(board, DATASET)
    points = pd.DataFrame(
        {
            "dataset": DATASET,
            "pipeline": ok["label"],
            "seed": ok["seed"],
            "params": ok["params"],
            "engine": ok["engine"],
            "machine": results.machine_names(board).loc[ok.index],
            "accuracy": ok["accuracy"],
            "fit_s": ok["fit_s"],
            "pareto": compare.pareto_front(ok["accuracy"], ok["fit_s"]),
        }
    )
    doc = Doc(folder / "report_files")
    doc.heading("Leaderboard", 3)
    doc.table(
        pd.DataFrame(
            {
                "pipeline": summary["label"],
                "seeds": summary["n_seeds"],
                "accuracy (mean ± std)": [
                    f"{m:.4f} ± {s:.4f}"
                    for m, s in zip(summary["accuracy_mean"], summary["accuracy_std"])
                ],
                "fit s": summary["fit_s"].map(lambda v: f"{v:,.2f}"),
                "engine": summary["engine"],
            }
        ),
        interactive=True,
    )
    doc.chart(
        tradeoff_chart(points, DATASET),
        plots.tradeoff_figure(summary),
        f"{DATASET}-tradeoff",
        f"{DATASET}: accuracy against fit time",
    )
    html = folder / "report.html"
    doc.save(html, folder / "report.md")
    return html


def _second_machine(sample: Path, folder: Path) -> Path:
    """Three of the sample's jobs again, as another host recorded them: the
    same predictions (copied under new names), other times."""
    board = results.read_leaderboard(sample)
    rows = board[board["pipeline"].isin(SECOND)].drop_duplicates("pipeline")
    rows = rows.assign(
        run_id="20261205T000000Z-b0b0b0",
        timestamp_utc="2026-12-05T00:00:00+00:00",
        host="box",
        cpu="Intel(R) Xeon(R) Processor",
        fit_s=rows["fit_s"] * 2,
        predictions=rows["predictions"].str.replace(".npy", "-box.npy"),
    )
    for src, dst in zip(
        board.loc[rows.index, "predictions"], rows["predictions"], strict=True
    ):
        (folder / dst).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(sample / src, folder / dst)
    for rec in rows.to_dict("records"):
        results.append_row(folder, {k: v for k, v in rec.items() if pd.notna(v)})
    return folder


@pytest.fixture(scope="module")
def page_path(tmp_path_factory) -> Path:
    """The report of a merge: the committed sample's runs (one machine) and
    three of its jobs from a second machine."""
    base = tmp_path_factory.mktemp("report")
    sample = _copy_of_sample(base / "sample")
    other = _second_machine(sample, base / "other")
    folder = base / "merged"
    results.merge([sample, other], folder)
    if not USE_REPORT_BUILD:
        return _page_built_here(folder)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MNISTBENCH_DATA_HOME", str(folder / "data"))
        return report.build(folder).html


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def opened(browser, page_path):
    """The page, loaded, with every request and every error it made."""
    page = browser.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    seen = {"requests": [], "errors": []}
    page.on("request", lambda r: seen["requests"].append(r.url))
    page.on("pageerror", lambda e: seen["errors"].append(str(e)))
    page.on(
        "console",
        lambda m: seen["errors"].append(m.text) if m.type == "error" else None,
    )
    page.goto(page_path.as_uri())
    yield page, seen
    page.close()


class _Tables(HTMLParser):
    """Counts the tables of a page (not the text of its scripts)."""

    count = 0

    def handle_starttag(self, tag, attrs):
        self.count += tag == "table"


def _table(page, header: str):
    """The first interactive table with a column starting with ``header``, and
    that column's index."""
    for table in page.locator("table[data-interactive]").all():
        names = table.locator("thead th").all_inner_texts()
        for i, name in enumerate(names):
            if name.startswith(header):
                return table, i
    raise AssertionError(f"no interactive table with a column {header!r}")


def _column(table, index: int) -> list[str]:
    return table.locator(
        f"tbody tr:visible td:nth-child({index + 1})"
    ).all_inner_texts()


def _leading(text: str) -> float:
    return float(re.match(r"[\d.,]+", text).group().replace(",", ""))


def _tradeoff(page):
    figure = page.locator("figure.mb-chart", has_text="fit time").first
    figure.locator("svg").first.wait_for()
    return figure


def _points(figure):
    return figure.locator("g.mark-symbol.role-mark path")


def _spec_rows(figure) -> list[dict]:
    spec = json.loads(figure.locator('script[type="application/json"]').text_content())
    return [row for row in spec["data"]["values"] if row["dataset"] == DATASET]


def test_the_page_fetches_nothing_and_draws_its_charts(opened, page_path):
    page, seen = opened
    figure = _tradeoff(page)
    assert figure.locator("img").count() == 0  # the PNG gave way to the chart
    page.wait_for_load_state("networkidle")
    others = [
        url
        for url in seen["requests"]
        if url != page_path.as_uri() and not url.startswith(("data:", "about:"))
    ]
    assert others == []
    assert seen["errors"] == []


def test_a_header_click_sorts_the_rows_and_a_second_reverses(opened):
    page, _ = opened
    table, col = _table(page, "accuracy")
    header = table.locator("thead th").nth(col)
    before = _column(table, col)
    assert len(before) >= 5
    header.click()
    up = [_leading(t) for t in _column(table, col)]
    assert up == sorted(up) and sorted(_column(table, col)) == sorted(before)
    assert header.get_attribute("aria-sort") == "ascending"
    assert "\u25b2" in header.inner_text()
    header.click()
    down = [_leading(t) for t in _column(table, col)]
    assert down == sorted(up, reverse=True)
    assert header.get_attribute("aria-sort") == "descending"
    assert "\u25bc" in header.inner_text()
    # whole rows move: each pipeline keeps its own accuracy
    pipelines = _column(table, 0)
    rows = dict(zip(pipelines, _column(table, col)))
    table.locator("thead th").nth(0).click()
    assert dict(zip(_column(table, 0), _column(table, col))) == rows


def test_the_filter_shows_only_the_rows_with_the_text(opened):
    page, _ = opened
    table, _ = _table(page, "accuracy")
    rows = table.locator("tbody tr")
    texts = [t.lower() for t in rows.all_inner_texts()]
    box = page.locator(".mb-filter").first
    assert box.inner_text() == f"{len(texts)} of {len(texts)} rows"
    box.locator("input").fill("HOG_svm")
    expected = [t for t in texts if "hog_svm" in t]
    assert 0 < len(expected) < len(texts)
    shown = table.locator("tbody tr:visible").all_inner_texts()
    assert [t.lower() for t in shown] == expected
    assert box.inner_text() == f"{len(expected)} of {len(texts)} rows"
    box.locator("input").fill("")
    assert table.locator("tbody tr:visible").count() == len(texts)


def test_hovering_a_point_shows_its_pipeline_and_seed(opened):
    page, _ = opened
    figure = _tradeoff(page)
    # the most accurate run: on the Pareto front, drawn above the others
    best = max(_spec_rows(figure), key=lambda r: r["accuracy"])
    name = f"pipeline: {best['pipeline']}; seed: {best['seed']};"
    point = _points(figure).and_(page.locator(f'[aria-label*="{name}"]'))
    assert point.count() == 1
    point.hover()
    tooltip = page.locator("#vg-tooltip-element")
    tooltip.wait_for(state="visible")
    cells = dict(
        zip(
            tooltip.locator("td.key").all_inner_texts(),
            tooltip.locator("td.value").all_inner_texts(),
        )
    )
    assert cells["pipeline"] == best["pipeline"]
    assert cells["seed"] == str(best["seed"])
    assert cells["accuracy"] == f"{best['accuracy']:.4f}"
    assert set(cells) == {
        "pipeline", "seed", "params", "engine", "machine", "accuracy", "fit (s)"
    }  # fmt: skip


def test_the_engine_selector_keeps_that_engines_points(opened):
    page, _ = opened
    figure = _tradeoff(page)
    rows = _spec_rows(figure)
    assert _points(figure).count() == len(rows)
    engine = figure.locator('select[name="pick_engine"]')
    engine.select_option(OTHER_ENGINE)
    moved = [r for r in rows if r["engine"] == OTHER_ENGINE]
    assert 0 < len(moved) < len(rows)
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length === n",
        arg=["figure.mb-chart g.mark-symbol.role-mark path", len(moved)],
    )
    engine.select_option("all")
    machine = figure.locator('select[name="pick_machine"]')
    machine.select_option("M2")  # the second machine: its three runs
    second = [r for r in rows if r["machine"] == "M2"]
    assert sorted(r["pipeline"] for r in second) == sorted(SECOND)
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length === n",
        arg=["figure.mb-chart g.mark-symbol.role-mark path", len(second)],
    )
    machine.select_option("all")
    assert _points(figure).count() == len(rows)


def test_the_machines_are_side_by_side(opened):
    page, _ = opened
    assert page.locator("h3", has_text="Across machines").count() == 1
    table, col = _table(page, "fit s M2")
    assert sorted(t for t in _column(table, col) if t != "n/a") != []
    agree, verdict = _table(page, "verdict")
    assert set(_column(agree, verdict)) == {"identical"}
    assert len(_column(agree, verdict)) == len(SECOND)


def test_without_javascript_the_page_is_the_static_one(browser, page_path):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(page_path.as_uri())
    tables = _Tables()
    tables.feed(page_path.read_text(encoding="utf-8"))
    assert page.locator("table").count() == tables.count > 0
    assert page.locator(".mb-filter, th button, svg").count() == 0
    image = page.locator("figure.mb-chart img").first
    assert image.is_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    context.close()
