"""A document written as HTML and as Markdown side by side.

The HTML page is self-contained (figures embedded as PNG data URIs, no
scripts, no network); the Markdown file links its figures from a folder
beside it. Every text is escaped for each (names come from users' files),
and nothing is written until :meth:`Doc.save`, each file whole or not at all.
"""

from __future__ import annotations

import base64
import io
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
    """The same document, written as HTML and as Markdown side by side."""

    def __init__(self, files: Path):
        self.html: list[str] = []
        self.md: list[str] = []
        self.files = files
        self.figures: list[Path] = []
        self._pngs: dict[Path, bytes] = {}

    def heading(self, text: str, level: int, anchor: str = "") -> None:
        ident = f' id="{html_escape(anchor)}"' if anchor else ""
        self.html.append(f"<h{level}{ident}>{html_escape(text)}</h{level}>")
        self.md.append(f"{'#' * level} {md_escape(text)}\n")

    def para(self, text: str, cls: str = "") -> None:
        klass = f' class="{html_escape(cls)}"' if cls else ""
        self.html.append(f"<p{klass}>{html_escape(text)}</p>")
        self.md.append(f"{'> ' if cls == 'note' else ''}{md_escape(text)}\n")

    def table(self, frame: pd.DataFrame) -> None:
        cells = frame.astype(str)
        head = "".join(f"<th>{html_escape(c)}</th>" for c in cells.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html_escape(v)}</td>" for v in row) + "</tr>"
            for row in cells.itertuples(index=False)
        )
        self.html.append(
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )
        lines = ["| " + " | ".join(md_escape(c) for c in cells.columns) + " |"]
        lines.append("|" + "|".join("---" for _ in cells.columns) + "|")
        for row in cells.itertuples(index=False):
            lines.append("| " + " | ".join(md_escape(v) for v in row) + " |")
        self.md.append("\n".join(lines) + "\n")

    def figure(self, fig, name: str, alt: str, dpi: int = 80) -> None:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        png = buf.getvalue()
        path = self.files / f"{name}.png"
        self._pngs[path] = png
        self.figures.append(path)
        uri = "data:image/png;base64," + base64.b64encode(png).decode()
        self.html.append(
            f'<figure><img src="{uri}" alt="{html_escape(alt)}">'
            f"<figcaption>{html_escape(alt)}</figcaption></figure>"
        )
        self.md.append(f"![{md_escape(alt)}]({self.files.name}/{path.name})\n")

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
        body = "\n".join(self.html)
        return (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            "<title>mnistbench report</title>\n"
            f"<style>{_CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
        )

    def markdown(self) -> str:
        """The whole Markdown text."""
        return "\n".join(self.md)


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
"""
