"""Sphinx configuration of mnistbench's documentation (``tox -e docs``)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from sphinx_gallery.sorting import FunctionSortKey

import mnistbench

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent

project = "mnistbench"
author = "the mnistbench developers"
copyright = "2026, the mnistbench developers"
release = mnistbench.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
    "sphinx_click",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = [
    "_build",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.json",
    "auto_examples/*.md5",
]
templates_path = ["_templates"]

# The API reference: one page per public module, its members from ``__all__``.
autosummary_generate = True
autosummary_ignore_module_all = False
autosummary_imported_members = True
autodoc_default_options: dict[str, object] = {}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 4

# No network: no intersphinx inventories are fetched.
# The gallery in reading order: from one fit to your own data.
EXAMPLES = [
    "plot_baseline.py",
    "plot_preprocessing.py",
    "plot_run_and_report.py",
    "plot_own_data.py",
]
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": FunctionSortKey(EXAMPLES.index, "EXAMPLES.index"),
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "abort_on_example_error": True,
}

html_theme = "pydata_sphinx_theme"
html_title = f"mnistbench {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
}
html_static_path: list[str] = []


# The guide's pages link to the committed results as they sit in the repository
# (``../../results/...``), so that the links work where the pages are read on a
# forge. On the site, a Markdown or HTML file becomes a download (the others are
# already), a folder (results/tuning/sota-long/ too) becomes its section of the
# results page, and
# results/README.md becomes that page.
_REPO_LINK = re.compile(r"\]\((\.\./\.\./(?:results|mnistbench)/[^)\s#]*)(#[^)\s]*)?\)")


def _site_link(docname: str, match: re.Match[str]) -> str:
    target, anchor = match.group(1), match.group(2) or ""
    path = (DOCS / docname).parent / target
    results_page = "results.md" if docname.startswith("guide/") else "guide/results.md"
    if path.resolve() == (ROOT / "results" / "README.md"):
        return f"]({results_page}{anchor})"
    if path.is_dir() and (ROOT / "results") in path.resolve().parents:
        # the folder's heading there, "## tuning/sota-long/", as an anchor
        folder = path.resolve().relative_to(ROOT / "results").as_posix()
        anchor = re.sub(r"[^\w-]", "", folder)
        return f"]({results_page}#{anchor})"
    if path.suffix in (".md", ".html"):  # MyST would look for a page of that name
        return f"](path:{target}{anchor})"
    return match.group(0)


def _rewrite_repo_links(app, docname: str, source: list[str]) -> None:
    source[0] = _REPO_LINK.sub(lambda m: _site_link(docname, m), source[0])


def _skip_member(app, what, name, obj, skip, options):
    # scikit-learn generates set_fit_request & co. on every estimator; their
    # docstrings point into scikit-learn's own site.
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def _write_cli_pages(app) -> None:
    """One page per command, generated from the click tree as the site builds,
    so that a new command has its page the day it is added."""
    from mnistbench.cli import cli

    folder = DOCS / "cli"
    folder.mkdir(exist_ok=True)
    wanted = set()
    for name, command in sorted(cli.commands.items()):
        module = sys.modules[command.callback.__module__]
        attr = next(key for key, value in vars(module).items() if value is command)
        # sphinx-click gives the page its title
        text = (
            f".. click:: {module.__name__}:{attr}\n"
            f"   :prog: mnistbench {name}\n   :nested: full\n"
        )
        page = folder / f"{name}.rst"
        wanted.add(page.name)
        if not page.exists() or page.read_text() != text:
            page.write_text(text)
    for stale in folder.glob("*.rst"):
        if stale.name not in wanted:
            stale.unlink()


def setup(app):
    app.connect("builder-inited", _write_cli_pages)
    app.connect("source-read", _rewrite_repo_links)
    app.connect("autodoc-skip-member", _skip_member)
