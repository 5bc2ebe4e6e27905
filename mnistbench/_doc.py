"""A document written as HTML and as Markdown side by side.

The HTML page is self-contained (figures embedded as PNG data URIs, no
scripts, no network); the Markdown file links its figures from a folder
beside it.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import pandas as pd

__all__ = ["Doc"]


class Doc:
    """The same document, written as HTML and as Markdown side by side."""

    def __init__(self, files: Path):
        self.html: list[str] = []
        self.md: list[str] = []
        self.files = files
        self.figures: list[Path] = []

    def heading(self, text: str, level: int, anchor: str = "") -> None:
        ident = f' id="{html.escape(anchor)}"' if anchor else ""
        self.html.append(f"<h{level}{ident}>{html.escape(text)}</h{level}>")
        self.md.append(f"{'#' * level} {text}\n")

    def para(self, text: str, cls: str = "") -> None:
        klass = f' class="{cls}"' if cls else ""
        self.html.append(f"<p{klass}>{html.escape(text)}</p>")
        self.md.append(f"{'> ' if cls == 'note' else ''}{text}\n")

    def table(self, frame: pd.DataFrame) -> None:
        cells = frame.astype(str)
        head = "".join(f"<th>{html.escape(c)}</th>" for c in cells.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>"
            for row in cells.itertuples(index=False)
        )
        self.html.append(
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )
        lines = ["| " + " | ".join(cells.columns) + " |"]
        lines.append("|" + "|".join("---" for _ in cells.columns) + "|")
        for row in cells.itertuples(index=False):
            lines.append("| " + " | ".join(v.replace("|", "\\|") for v in row) + " |")
        self.md.append("\n".join(lines) + "\n")

    def figure(self, fig, name: str, alt: str, dpi: int = 80) -> None:
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        png = buf.getvalue()
        path = self.files / f"{name}.png"
        path.write_bytes(png)
        self.figures.append(path)
        uri = "data:image/png;base64," + base64.b64encode(png).decode()
        self.html.append(
            f'<figure><img src="{uri}" alt="{html.escape(alt)}">'
            f"<figcaption>{html.escape(alt)}</figcaption></figure>"
        )
        self.md.append(f"![{alt}]({self.files.name}/{path.name})\n")

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
