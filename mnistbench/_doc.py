"""A document written as HTML and as Markdown side by side.

The HTML page is self-contained: figures embedded as PNG data URIs, and the
few scripts it has inlined, nothing fetched from the network. The Markdown
file links its figures from a folder beside it. Every text is escaped for
each (names come from users' files), and nothing is written until
:meth:`Doc.save`, each file whole or not at all.

Two things make the HTML page interactive, and each degrades to the static
page where JavaScript is off:

* ``doc.table(frame, interactive=True)``: a filter box above the table (its
  rows containing the typed text, with "n of N rows") and headers that sort
  on a click (numbers by value, text otherwise; again to reverse). The
  ~60 lines of plain JavaScript are inlined once per page.
* ``doc.chart(chart, fig, name, alt)``: a Vega-Lite chart (an Altair chart
  from :mod:`mnistbench._charts`, or its spec as a dict, data inlined) shown
  in place of the PNG of the matplotlib figure ``fig``, which stays in the
  page for readers without JavaScript and is what the Markdown file links.
  The Vega, Vega-Lite and vega-embed bundle of ``vl-convert-python``
  (~0.9 MB) is inlined once, only in a page that has a chart.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> import pandas as pd
>>> doc = Doc(Path(tempfile.mkdtemp()) / "report_files")
>>> doc.table(pd.DataFrame({"pipeline": ["svm", "knn"], "accuracy": [0.96, 0.94]}),
...           interactive=True)
>>> "data-interactive" in doc.page(), "vegaEmbed" in doc.page()
(True, False)
"""

from __future__ import annotations

import base64
import functools
import io
import json
import logging
import re
from pathlib import Path

import pandas as pd

from mnistbench._io import atomic_write, atomic_write_text, make_folder
from mnistbench._text import html_escape, md_escape

__all__ = ["Doc"]

logger = logging.getLogger(__name__)


#: What a section says where the stored results cannot fill it.
NOT_ENOUGH = "Not enough data"


def slug(*parts: str) -> str:
    """A file name made of ``parts`` (pipeline labels may hold spaces, brackets)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", "-".join(parts)).strip("_")


def fmt(value, spec: str, missing: str = "n/a") -> str:
    """``value`` formatted with ``spec``; ``missing`` for None or NaN."""
    if value is None or (isinstance(value, float) and value != value):
        return missing
    return format(value, spec)


class Doc:
    """The same document, written as HTML and as Markdown side by side.

    Parameters
    ----------
    files : pathlib.Path
        The folder the figures are written into (``report_files/``), which
        the Markdown file links.

    Notes
    -----
    :meth:`table` with ``interactive=True`` and :meth:`chart` add scripts to
    the HTML page (see the module's docstring); without them the page has
    none. The Markdown file is the same either way.
    """

    def __init__(self, files: Path):
        self.html: list[str] = []
        self.md: list[str] = []
        self.files = files
        self.figures: list[Path] = []
        self._pngs: dict[Path, bytes] = {}
        self._sortable = False
        self._charts = False
        self._vl_version: str | None = None

    def heading(self, text: str, level: int, anchor: str = "") -> None:
        ident = f' id="{html_escape(anchor)}"' if anchor else ""
        self.html.append(f"<h{level}{ident}>{html_escape(text)}</h{level}>")
        self.md.append(f"{'#' * level} {md_escape(text)}\n")

    def para(self, text: str, cls: str = "") -> None:
        klass = f' class="{html_escape(cls)}"' if cls else ""
        self.html.append(f"<p{klass}>{html_escape(text)}</p>")
        self.md.append(f"{'> ' if cls == 'note' else ''}{md_escape(text)}\n")

    def table(self, frame: pd.DataFrame, interactive: bool = False) -> None:
        """``frame`` as a table, every cell as text.

        Parameters
        ----------
        frame : pandas.DataFrame
            The rows, in the order shown.
        interactive : bool, default False
            In the HTML page, a filter box above the table and headers that
            sort on a click (made by a script: without JavaScript the table
            is the plain one). The Markdown table is the same either way.
        """
        cells = frame.astype(str)
        head = "".join(f"<th>{html_escape(c)}</th>" for c in cells.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html_escape(v)}</td>" for v in row) + "</tr>"
            for row in cells.itertuples(index=False)
        )
        attr = " data-interactive" if interactive else ""
        self._sortable |= interactive
        self.html.append(
            f"<table{attr}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )
        lines = ["| " + " | ".join(md_escape(c) for c in cells.columns) + " |"]
        lines.append("|" + "|".join("---" for _ in cells.columns) + "|")
        for row in cells.itertuples(index=False):
            lines.append("| " + " | ".join(md_escape(v) for v in row) + " |")
        self.md.append("\n".join(lines) + "\n")

    def figure(self, fig, name: str, alt: str, dpi: int = 80) -> None:
        """The matplotlib figure ``fig`` as ``name.png``: embedded in the
        HTML page, linked from the Markdown file; ``alt`` is its caption."""
        img = self._png(fig, name, alt, dpi)
        self.html.append(
            f"<figure>{img}<figcaption>{html_escape(alt)}</figcaption></figure>"
        )

    def chart(self, chart, fig, name: str, alt: str, dpi: int = 80) -> None:
        """An interactive Vega-Lite chart, the figure ``fig`` standing for it.

        Parameters
        ----------
        chart : altair.TopLevelMixin or dict
            The chart (see :mod:`mnistbench._charts`) or its Vega-Lite spec,
            its data inlined (``values``, never a ``url``).
        fig : matplotlib.figure.Figure
            What the Markdown file links (as :meth:`figure` would) and the
            HTML page shows where JavaScript is off.
        name, alt, dpi
            As for :meth:`figure`.

        Raises
        ------
        ValueError
            If the spec holds a NaN or infinity (JSON has none).
        """
        spec = chart if isinstance(chart, dict) else chart.to_dict()
        text = json.dumps(spec, separators=(",", ":"), allow_nan=False)
        img = self._png(fig, name, alt, dpi)
        self._charts = True
        if self._vl_version is None:
            found = re.search(r"vega-lite/v(\d+\.\d+)", spec.get("$schema", ""))
            self._vl_version = found.group(1) if found else ""
        self.html.append(
            f'<figure class="mb-chart">{img}'
            f'<script type="application/json">{_json_in_html(text)}</script>'
            f"<figcaption>{html_escape(alt)}</figcaption></figure>"
        )

    def _png(self, fig, name: str, alt: str, dpi: int) -> str:
        """Keep ``fig`` as ``name.png``, link it from the Markdown file, and
        return the HTML ``<img>`` that embeds it."""
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        png = buf.getvalue()
        path = self.files / f"{name}.png"
        self._pngs[path] = png
        self.figures.append(path)
        self.md.append(f"![{md_escape(alt)}]({self.files.name}/{path.name})\n")
        uri = "data:image/png;base64," + base64.b64encode(png).decode()
        return f'<img src="{uri}" alt="{html_escape(alt)}">'

    def save(self, html_path: Path, md_path: Path) -> None:
        """Write the HTML page, the figures and the Markdown file, each whole
        or not at all, then remove the figures of an earlier report that this
        one no longer has.

        Raises
        ------
        WriteError
            One line naming the file and the cause; files written before it
            are whole, the others as they were.
        """
        atomic_write_text(html_path, self.page())  # self-contained: first
        make_folder(self.files)
        for path, png in self._pngs.items():
            atomic_write(path, lambda f, png=png: f.write(png))
        atomic_write_text(md_path, self.markdown())
        for old in self.files.glob("*.png"):
            if old not in self._pngs:
                try:
                    old.unlink()
                except OSError as exc:
                    logger.warning("cannot remove %s (%s)", old, exc.strerror or exc)

    def page(self) -> str:
        """The whole HTML page."""
        body = "\n".join(self.html + self._scripts())
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            "<title>mnistbench report</title>\n"
            f"<style>{_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
        )

    def _scripts(self) -> list[str]:
        """Each script the page needs, once."""
        scripts = []
        if self._sortable:
            scripts.append(f"<script>{_TABLE_JS}</script>")
        if self._charts:
            scripts.append(f"<script>{_vega_bundle(self._vl_version)}</script>")
            scripts.append(f"<script>{_CHART_JS}</script>")
        return scripts

    def markdown(self) -> str:
        """The whole Markdown text."""
        return "\n".join(self.md)


def _json_in_html(text: str) -> str:
    """JSON text that an HTML ``<script>`` element holds as it is: ``<``,
    ``>`` and ``&`` only occur inside JSON strings, where escapes mean them."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


@functools.lru_cache(maxsize=4)
def _vega_bundle(vl_version: str = "") -> str:
    """Vega, Vega-Lite and vega-embed as one classic script (~0.9 MB) that
    sets the globals ``vegaEmbed``, ``vega`` and ``vegaLite``; Vega-Lite at
    ``vl_version`` (the charts' ``$schema``) where vl-convert has it."""
    import vl_convert

    known = vl_version in getattr(vl_convert, "get_vegalite_versions", list)()
    bundle = vl_convert.javascript_bundle(vl_version=vl_version if known else None)
    # "</script" would end the element early; "<\/" means "</" in any string.
    return re.sub(r"</(script)", r"<\\/\1", bundle, flags=re.IGNORECASE)


#: Filter box and sortable headers for ``<table data-interactive>``; sorts by
#: the leading number where every cell of the column has one ("0.8943",
#: "1,234", "12.3 s", "0.8 ± 0.01"; "n/a" and empty cells last), else as text.
_TABLE_JS = r"""
(function () {
  "use strict";
  var NUM = /^\s*[-+\u2212]?(?:\d[\d,]*)?\.?\d+(?:e[-+]?\d+)?/i;
  var MISSING = /^\s*(?:n\/a|nan|none|-|\u2013|\u2014)?\s*$/i;
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };
  function number(text) {
    var m = NUM.exec(text);
    return m ? parseFloat(m[0].replace(/,/g, "").replace("\u2212", "-")) : NaN;
  }
  function sort(table, th, col) {
    var body = table.tBodies[0], up = th.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.map.call(body.rows, function (row) {
      var text = row.cells[col] ? row.cells[col].textContent : "";
      return {row: row, text: text, num: number(text), gone: MISSING.test(text)};
    });
    var numeric = rows.every(function (r) { return r.gone || !isNaN(r.num); });
    rows.sort(function (a, b) {
      if (a.gone || b.gone) return a.gone - b.gone;
      var d = numeric ? a.num - b.num : a.text.localeCompare(
        b.text, undefined, {numeric: true, sensitivity: "base"});
      return up ? d : -d;
    });
    rows.forEach(function (r) { body.appendChild(r.row); });
    each(table.tHead.rows[0].cells, function (h) {
      h.removeAttribute("aria-sort");
      h.querySelector(".mb-arrow").textContent = "";
    });
    th.setAttribute("aria-sort", up ? "ascending" : "descending");
    th.querySelector(".mb-arrow").textContent = up ? " \u25b2" : " \u25bc";
  }
  function filter(table, input, count) {
    var query = input.value.trim().toLowerCase(), rows = table.tBodies[0].rows;
    var shown = 0;
    each(rows, function (row) {
      var text = Array.prototype.map.call(row.cells, function (c) {
        return c.textContent; }).join("\t").toLowerCase();
      row.hidden = text.indexOf(query) === -1;
      shown += row.hidden ? 0 : 1;
    });
    count.textContent = shown + " of " + rows.length + " rows";
  }
  each(document.querySelectorAll("table[data-interactive]"), function (table) {
    var bar = document.createElement("div"), input = document.createElement("input");
    var count = document.createElement("span");
    bar.className = "mb-filter";
    input.type = "search";
    input.placeholder = "Filter rows";
    input.setAttribute("aria-label", "Show only the rows of the table that contain");
    count.setAttribute("aria-live", "polite");
    bar.appendChild(input);
    bar.appendChild(count);
    table.parentNode.insertBefore(bar, table);
    input.addEventListener("input", function () { filter(table, input, count); });
    filter(table, input, count);
    each(table.tHead.rows[0].cells, function (th, col) {
      var button = document.createElement("button");
      var arrow = document.createElement("span");
      button.type = "button";
      button.title = "Sort by this column";
      while (th.firstChild) button.appendChild(th.firstChild);
      arrow.className = "mb-arrow";
      arrow.setAttribute("aria-hidden", "true");
      button.appendChild(arrow);
      th.appendChild(button);
      button.addEventListener("click", function () { sort(table, th, col); });
    });
  });
})();
"""

#: Each ``figure.mb-chart`` gets its Vega-Lite view; the PNG goes once it is
#: drawn (and stays if it cannot be).
_CHART_JS = """
(function () {
  "use strict";
  document.querySelectorAll("figure.mb-chart").forEach(function (box) {
    var img = box.querySelector("img"), view = document.createElement("div");
    var spec = JSON.parse(box.querySelector("script").textContent);
    box.insertBefore(view, img);
    vegaEmbed(view, spec, {actions: false, renderer: "svg", mode: "vega-lite"})
      .then(function () { img.remove(); })
      .catch(function (err) { view.remove(); console.error(err); });
  });
})();
"""

_CSS = """
body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;
color:#222;line-height:1.45}
table{border-collapse:collapse;margin:.8rem 0;font-size:.85rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}
figure{margin:1rem 0}
img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85rem;color:#555}
.note{background:#fff6dd;border-left:4px solid #e0b000;padding:.4rem .7rem}
h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2.5rem}
th button{font:inherit;font-weight:bold;background:none;border:0;padding:0;
cursor:pointer;text-align:left;color:inherit}
.mb-filter{margin:.8rem 0 -.4rem;font-size:.85rem}
.mb-filter input{margin-right:.6rem;padding:.15rem .3rem}
.mb-chart .vega-bindings{font-size:.85rem;display:flex;gap:1rem;flex-wrap:wrap}
#vg-tooltip-element table{margin:0;font-size:inherit}
#vg-tooltip-element td{border:0;padding:1px 4px}
"""
