"""The report's interactive charts (mnistbench._charts) and how Doc puts them,
and interactive tables, into the HTML page: cheap checks of the specs and the
markup. The browser test (test_report_browser.py) checks that they work."""

import json
import math

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from mnistbench._charts import curves_chart, heatmap_chart, tradeoff_chart
from mnistbench._doc import Doc


def _runs(n: int = 12) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "dataset": ["mnist", "fashion-mnist"] * (n // 2),
            "pipeline": ["svm", "knn", "logreg"] * (n // 3),
            "seed": np.arange(n) % 2,
            "params": '{"clf__C": 1.0}',
            "engine": ["sklearn"] * (n - 2) + ["cuml"] * 2,
            "machine": ["M1"] * (n // 2) + ["M2"] * (n // 2),
            "accuracy": rng.uniform(0.8, 0.99, n),
            "fit_s": rng.uniform(0.1, 100, n),
            "pareto": [True, False] * (n // 2),
            "n_train": [1000, 10000, 60000] * (n // 3),
            "corruption": ["blur", "noise"] * (n // 2),
            "severity": [1, 1, 2, 2] * (n // 4),
            "host": "secret-host",  # a column no chart needs
        }
    )


BUILDERS = [tradeoff_chart, curves_chart, heatmap_chart]


def _walk(node):
    """Every (key, value) of a JSON tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def _tooltips(spec) -> set[str]:
    return {
        tip.get("field") or tip.get("aggregate")
        for key, value in _walk(spec)
        if key == "tooltip"
        for tip in (value if isinstance(value, list) else [value])
    }


@pytest.mark.parametrize("build", BUILDERS)
def test_the_selectors_start_at_the_dataset_and_offer_all(build):
    spec = build(_runs(), "fashion-mnist").to_dict()
    params = {p["name"]: p for p in spec["params"]}
    assert params["pick_dataset"]["value"] == "fashion-mnist"
    assert params["pick_dataset"]["bind"]["options"] == ["fashion-mnist", "mnist"]
    assert params["pick_machine"]["bind"]["options"] == ["all", "M1", "M2"]
    assert params["pick_engine"]["bind"]["options"] == ["all", "cuml", "sklearn"]
    assert params["pick_engine"]["value"] == params["pick_machine"]["value"] == "all"
    assert all(p["bind"]["input"] == "select" for p in params.values())
    (where,) = [t["filter"] for t in spec["transform"] if "filter" in t]
    for name in params:
        assert name in where


@pytest.mark.parametrize("build", BUILDERS)
def test_the_data_is_inline_small_and_nothing_is_a_url(build):
    spec = build(_runs(), "mnist").to_dict()
    values = spec["data"]["values"]
    assert values and "host" not in values[0]
    assert all("url" not in key for key, _ in _walk(spec))
    text = json.dumps(spec, allow_nan=False)
    assert "secret-host" not in text
    links = [v for _, v in _walk(spec) if isinstance(v, str) and "://" in v]
    assert links == [spec["$schema"]]  # names the version; never fetched
    for row in values:
        for key in ("accuracy", "fit_s"):
            if key in row:
                assert round(row[key], 4) == row[key]


def test_the_tradeoff_chart_tells_each_run_and_fills_the_front():
    runs = _runs()
    spec = tradeoff_chart(runs, "mnist").to_dict()
    assert spec["width"] == 640
    assert _tooltips(spec) >= {
        "pipeline", "seed", "params", "engine", "machine", "accuracy", "fit_s"
    }  # fmt: skip
    others, front = spec["layer"]
    assert others["mark"]["filled"] is False and front["mark"]["filled"] is True
    assert front["mark"]["size"] > others["mark"]["size"]
    assert others["transform"] == [{"filter": "!datum.pareto"}]
    assert front["transform"] == [{"filter": "datum.pareto"}]
    assert front["encoding"]["x"]["scale"]["type"] == "log"
    assert len(spec["data"]["values"]) == len(runs)  # every dataset's rows


def test_the_tradeoff_chart_leaves_out_runs_it_cannot_place():
    runs = _runs()
    runs.loc[0, "fit_s"] = 0.0  # no place on a log scale
    runs.loc[1, "accuracy"] = math.nan
    values = tradeoff_chart(runs, "mnist").to_dict()["data"]["values"]
    assert len(values) == len(runs) - 2


def test_the_curves_average_the_selected_runs_per_training_size():
    spec = curves_chart(_runs(), "mnist").to_dict()
    runs, line, means = spec["layer"]
    assert line["mark"]["type"] == "line"
    assert line["encoding"]["y"]["aggregate"] == "mean"
    assert line["encoding"]["x"]["scale"]["type"] == "log"
    assert {t["field"] for t in runs["encoding"]["tooltip"]} >= {"seed", "engine"}
    assert means["encoding"]["tooltip"][2]["aggregate"] == "mean"


def test_the_heatmap_means_rows_and_selects_a_severity():
    runs = _runs()
    spec = heatmap_chart(runs, "mnist").to_dict()
    params = {p["name"]: p for p in spec["params"]}
    assert params["pick_severity"]["bind"]["options"] == ["all", "1", "2"]
    values = spec["data"]["values"]
    assert sum(v["n"] for v in values) == len(runs)
    total = sum(v["acc_sum"] for v in values)
    assert math.isclose(total, runs["accuracy"].sum(), abs_tol=1e-4)
    (aggregate,) = [t for t in spec["transform"] if "aggregate" in t]
    assert aggregate["groupby"] == ["pipeline", "corruption"]
    assert {"op": "sum", "field": "acc_sum", "as": "acc_sum"} in aggregate["aggregate"]
    assert {"op": "sum", "field": "n", "as": "n"} in aggregate["aggregate"]
    assert _tooltips(spec) >= {
        "pipeline", "corruption", "accuracy", "seeds", "params", "engine", "machine"
    }  # fmt: skip


@pytest.mark.parametrize("build", BUILDERS)
def test_a_chart_refuses_missing_columns_and_datasets(build):
    with pytest.raises(ValueError, match="lack the columns accuracy"):
        build(_runs().drop(columns="accuracy"), "mnist")
    with pytest.raises(ValueError, match="no rows of dataset 'kmnist'"):
        build(_runs(), "kmnist")


def _figure() -> Figure:
    fig = Figure(figsize=(2, 1))
    fig.subplots().plot([0, 1], [0, 1])
    return fig


def test_doc_chart_embeds_the_spec_the_png_and_the_bundle_once(tmp_path):
    runs = _runs()
    runs.loc[0, "pipeline"] = "</script><b>x"
    doc, plain = Doc(tmp_path / "files"), Doc(tmp_path / "files")
    doc.chart(tradeoff_chart(runs, "mnist"), _figure(), "a", "first")
    doc.chart(tradeoff_chart(runs, "fashion-mnist"), _figure(), "b", "second")
    plain.figure(_figure(), "a", "first")
    page = doc.page()
    assert page.count('<figure class="mb-chart">') == 2
    assert page.count("data:image/png;base64,") == 2
    assert page.count("window.vegaEmbed=") == 1 and page.count("vegaEmbed(view") == 1
    assert (
        "</script><b>" not in page and "\\u003c/script\\u003e\\u003cb\\u003ex" in page
    )
    assert doc.markdown().startswith(plain.markdown())
    assert doc.figures == [tmp_path / "files" / "a.png", tmp_path / "files" / "b.png"]
    assert "<script" not in plain.page()
    marker = '<script type="application/json">'
    start = page.index(marker) + len(marker)
    spec = json.loads(page[start : page.index("</script>", start)])
    assert spec["params"][0]["value"] == "mnist"


def test_doc_chart_takes_a_spec_and_refuses_nan(tmp_path):
    doc = Doc(tmp_path)
    doc.chart({"mark": "point", "data": {"values": [{"a": 1}]}}, _figure(), "a", "x")
    assert '{"mark":"point"' in doc.page()
    with pytest.raises(ValueError):
        doc.chart({"data": {"values": [{"a": math.nan}]}}, _figure(), "b", "y")


def test_interactive_tables_share_one_script_and_read_as_plain_ones(tmp_path):
    frame = pd.DataFrame({"pipeline": ["svm", "knn"], "accuracy": ["0.96", "0.94"]})
    doc, plain = Doc(tmp_path), Doc(tmp_path)
    doc.table(frame, interactive=True)
    doc.table(frame, interactive=True)
    doc.table(frame)
    plain.table(frame)
    page = doc.page()
    assert page.count("<table data-interactive>") == 2
    assert page.count("<table>") == 1
    assert page.count('querySelectorAll("table[data-interactive]")') == 1
    assert "mb-filter" not in page.split("<body>")[1].split("<script>")[0]
    assert "vegaEmbed" not in page
    assert doc.markdown() == "\n".join([plain.markdown()] * 3)
    assert "<script" not in plain.page()
