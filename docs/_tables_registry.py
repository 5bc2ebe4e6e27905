"""The registry of ``docs/tables.py``: table NAME -> the function that makes
it, and the exceptions a table function may raise.

Apart from the script's machinery, so that the modules of tables
(``_tables_runs``, ``_tables_bench``) register into it without importing the
script that imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

__all__ = ["TABLES", "Skipped", "TableError", "TableFunction", "register"]

TableFunction = Callable[[Path], str]

#: NAME -> function(repository root) returning the Markdown between the
#: markers: a table, a blank line, and one italic line naming its sources.
TABLES: dict[str, TableFunction] = {}


class TableError(RuntimeError):
    """A table could not be made from the files it reads."""


class Skipped(Exception):
    """The table's inputs are not on this machine; the message says which."""


def register(name: str) -> Callable[[TableFunction], TableFunction]:
    """Register the decorated function as the maker of table ``name``."""

    def add(function: TableFunction) -> TableFunction:
        TABLES[name] = function
        return function

    return add
