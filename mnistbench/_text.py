"""Text that goes into files and terminals stays text.

Names come from users' files (dataset folders, class names, plugin pipelines,
``--param`` values): a spreadsheet must not run them as formulas, and a
Markdown or HTML viewer must not run them as markup. Every CSV cell that
mnistbench writes or prints passes through :func:`csv_cell` (or
:func:`csv_text`, a whole table), every Markdown text through
:func:`md_escape` and every HTML text through :func:`html_escape`.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import re
from collections.abc import Iterable

__all__ = [
    "FORMULA_START",
    "csv_cell",
    "csv_line",
    "csv_text",
    "html_escape",
    "json_cell",
    "md_escape",
    "params_text",
    "uncsv_cell",
]

#: A spreadsheet runs a cell starting with one of these as a formula (OWASP's
#: "CSV injection"): such text gets a leading apostrophe, which
#: :func:`uncsv_cell` removes on reading.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|[-+]?(inf|nan)", re.I)


def csv_cell(value) -> str:
    """``value`` as a CSV cell: empty for None and NaN, numbers as they are,
    text that a spreadsheet would execute with a leading ``'``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool | int | float):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def uncsv_cell(text: str) -> str:
    """The text :func:`csv_cell` neutralised, as it was."""
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text


def csv_line(cells: Iterable[str]) -> bytes:
    """One CSV record of ``cells`` (already text), ``\\n``-terminated."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(cells)
    return buf.getvalue().encode()


def csv_text(frame) -> str:
    """A DataFrame as CSV text (no index), every cell through :func:`csv_cell`."""
    lines = [csv_line(csv_cell(c) for c in frame.columns)]
    for rec in frame.itertuples(index=False):
        lines.append(csv_line(csv_cell(_plain(v)) for v in rec))
    return b"".join(lines).decode()


def _plain(value):
    """numpy and pandas scalars as Python's; pandas' missing values as None."""
    if value is None:
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):  # a list or array: not a missing value
        pass
    item = getattr(value, "item", None)
    return item() if callable(item) else value


# Markdown characters that start emphasis, code, links, images, tables,
# headings, HTML or entities; escaped with a backslash (or, for the HTML
# ones, as entities), which every CommonMark renderer shows as the character.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}|#!~])")


def md_escape(text: str) -> str:
    """``text`` as literal Markdown: no markup, HTML or link it holds takes
    effect, and it stays on one line."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def html_escape(text: str) -> str:
    """``text`` as literal HTML, quotes included (safe in attributes too)."""
    return html.escape(str(text), quote=True)


def json_cell(text) -> dict:
    """The JSON object in a results cell (``params``, ``search``); {} for an
    empty or damaged one."""
    try:
        found = json.loads(text) if isinstance(text, str) and text else {}
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def params_text(text: str, default: str = "the registered default") -> str:
    """A ``params`` cell for people: ``{"clf__C": 7.50195, "clf__gamma":
    0.02}`` as ``C=7.5, gamma=0.02`` (a step's name kept where two steps
    share a parameter's), ``default`` for no params, a damaged cell as it
    is."""
    params = json_cell(text)
    if not params:
        return default if text in ("{}", "") else str(text)
    short = {name: name.rsplit("__", 1)[-1] for name in params}
    clash = {s for s in short.values() if list(short.values()).count(s) > 1}

    def value(v) -> str:
        if isinstance(v, float):
            return f"{v:.3g}"
        if isinstance(v, list):
            return "(" + ", ".join(map(value, v)) + ("," if len(v) == 1 else "") + ")"
        return str(v)

    return ", ".join(
        f"{name if short[name] in clash else short[name]}={value(v)}"
        for name, v in params.items()
    )
