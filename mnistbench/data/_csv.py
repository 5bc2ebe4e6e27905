"""Reading CSV files of labelled images: one image a line, the label in the
column named ``label`` (else the first), the pixels in the others.

Before pandas parses a file, its first line's columns are counted from a
bounded prefix, and a count no dataset can have is refused at once (pandas
spends about 40 µs and 2.6 kB on each column, whatever the rows: a
1,000,000-column line costs it 50 s and 2.6 GB). A count is refused when

- the pixel columns are more than the largest image mnistbench takes
  (4096x4096 = 16,777,216 pixels);
- the file is too small to hold two lines (two images, two classes) of that
  many numbers: each number takes at least one byte and a separator;
- parsing it would need more memory than is available: an 8-byte cell for
  each column of each line the file has room for, the copies made of them
  (21 bytes a cell in all), and 4 kB for each column;
- line 1 runs on for more than 64 bytes a field (no pixel is written so long).
"""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np

from mnistbench.data import _memory
from mnistbench.data._check import MAX_SIDE, MIN_CLASSES
from mnistbench.data._files import open_regular
from mnistbench.data._memory import gb
from mnistbench.data._raw import Raw
from mnistbench.exceptions import DataError

__all__ = ["LABEL_COLUMN", "MAX_COLUMNS", "read_csv"]

LABEL_COLUMN = "label"
#: The label and the pixels of the largest image mnistbench takes.
MAX_COLUMNS = MAX_SIDE * MAX_SIDE + 1
#: pandas' own cost of a column, beyond its cells (measured: 2.6 to 3.0 kB).
COLUMN_BYTES = 4096
#: A cell parsed (int64 or float64), the frame's NumPy copy, the float32
#: pixel and a missing-value flag.
CELL_BYTES = 8 + 8 + 4 + 1
#: Longest average field of line 1, and the slack for a long label.
MAX_FIELD = 64
_SLACK = 1 << 16
#: Bytes read at a time while counting; the start kept for the header test.
_CHUNK = 1 << 20
_HEAD = 1 << 16
#: Most bytes of line 2 read to estimate the length of a line.
_SAMPLE = 1 << 24

_NUMBER = re.compile(
    r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$|\s*(nan|inf)\s*$", re.I
)


class FirstLine(NamedTuple):
    """Line 1 of a CSV: its fields (those in its first 64 kB), its column
    count, its length in bytes and whether it is a header."""

    fields: list[str]
    columns: int
    length: int
    header: bool


def _rows_room(size: int, columns: int, used: int, data_line: bool) -> int:
    """Most lines of ``columns`` numbers a ``size``-byte file has room for,
    line 1 being ``used`` bytes (without its line break): each number takes
    at least a byte and a separator (a comma, or the line break)."""
    return int(data_line) + max(0, size - used) // (2 * columns)


class _Rules(NamedTuple):
    """What line 1 of one file may be: ``most`` columns (what the training
    file has, for a test file) and room for ``least`` lines."""

    most: int = MAX_COLUMNS
    least: int = MIN_CLASSES
    training: bool = True


def _refuse(
    path: Path,
    columns: int,
    size: int,
    used: int,
    rules: _Rules,
    *,
    data_line: bool = True,
    rows: int = 0,
    done: bool = False,
) -> None:
    """The rules that get stricter as the count grows: checked while line 1
    is counted (``columns`` and ``used`` bytes so far), and when it is
    (``done``), with the ``rows`` a parse is expected to hold in memory."""
    more = "" if done else "at least "
    if columns > rules.most:
        if not rules.training:
            raise DataError(
                f"{path}: {more}{columns:,} columns, the training file has {rules.most}"
            )
        raise DataError(
            f"{path}: line 1 has more than {MAX_COLUMNS - 1:,} pixel columns, the "
            f"largest image mnistbench takes ({MAX_SIDE}x{MAX_SIDE})"
        )
    room = _rows_room(size, columns, used, data_line)
    if room < rules.least:
        images = f"{rules.least} image{'s' * (rules.least != 1)}"
        raise DataError(
            f"{path}: line 1 has {more}{columns:,} columns, and a {size:,}-byte "
            f"file has room for {room} line{'s' * (room != 1)} of that many "
            f"numbers; {'a dataset' if rules.training else 'a test set'} needs at "
            f"least {images}"
        )
    if used > MAX_FIELD * columns + _SLACK:
        raise DataError(
            f"{path}: line 1 runs on for {more}{used:,} bytes with {columns:,} "
            f"fields, more than {MAX_FIELD} bytes a field; not a CSV of pixel values"
        )
    need = columns * COLUMN_BYTES + min(rows, room) * columns * CELL_BYTES
    free = _memory.available_memory()
    if free is not None and need > free.bytes:
        raise DataError(
            f"{path}: parsing {more}{columns:,} columns would need {gb(need)} in "
            f"memory, {gb(free.bytes)} is available ({free.limit})"
        )


class _Line(NamedTuple):
    head: bytes  # its first 64 kB
    columns: int
    length: int  # without the line break
    rest: bytes  # read past its end


def _scan(f, rest: bytes, check=None, limit: int | None = None) -> _Line:
    """Count the columns of the line that starts with ``rest`` and goes on in
    ``f``, chunk by chunk, keeping only its start; ``check(columns, length)``
    runs after each chunk that does not end it; at most ``limit`` bytes."""
    head, columns, length = b"", 1, 0
    chunk = rest or f.read(_CHUNK)
    while True:
        end = chunk.find(b"\n")
        part = chunk if end < 0 else chunk[:end]
        columns += part.count(b",")
        length += len(part)
        if len(head) < _HEAD:
            head += part[: _HEAD - len(head)]
        if end >= 0:
            return _Line(head, columns, length, chunk[end + 1 :])
        if limit is not None and length >= limit:
            return _Line(head, columns, length, b"")
        chunk = f.read(_CHUNK)
        if not chunk:
            return _Line(head, columns, length, b"")
        if check is not None:
            check(columns, length)


def first_line(path: Path, f, rules: _Rules | None = None) -> FirstLine:
    """Count line 1's columns reading at most what the rules allow (see the
    module's docstring), and refuse a count no dataset can have. ``f`` is
    ``path`` opened, at its start."""
    rules = rules or _Rules()
    size = os.fstat(f.fileno()).st_size
    line = _scan(f, b"", lambda c, n: _refuse(path, c, size, n, rules))
    text = line.head.decode("utf-8", errors="replace").rstrip("\r")
    if not text.strip():
        raise DataError(f"{path}: " + ("line 1 is empty" if size else "empty file"))
    fields = [c.strip().strip('"') for c in text.split(",")]
    if line.length > len(line.head):
        fields = fields[:-1]  # the last one is cut
    header = not all(_NUMBER.match(c) for c in fields)
    columns, used = line.columns, line.length
    # The lines a parse holds: as many as fit, each as long as the first line
    # of data (read up to a bound), or, with no such line, as the rules allow.
    sample = line
    if header:
        limit = min(MAX_FIELD * columns + _SLACK, _SAMPLE)
        sample = _scan(f, line.rest, limit=limit)
    rows = _rows_room(size, columns, used, not header)
    if sample.length:
        rows = int(not header) + (size - used) // (sample.length + 1) + 1
    _refuse(
        path, columns, size, used, rules, data_line=not header, rows=rows, done=True
    )
    return FirstLine(fields, columns, used, header)


def _line(path: Path, number: int) -> str:
    with open_regular(path) as f:
        text = next(itertools.islice(f, number - 1, None), b"")
    return text.decode("utf-8", errors="replace").rstrip("\r\n")


def _read_table(path: Path, train_columns: int | None):
    """The CSV as a DataFrame, the label column's name and the header flag.
    For a test file, ``train_columns`` is the training file's count."""
    import pandas as pd

    rules = _Rules() if train_columns is None else _Rules(train_columns, 1, False)
    with open_regular(path) as f:
        line = first_line(path, f, rules)
        f.seek(0)
        header = line.header
        try:
            frame = pd.read_csv(
                f, header=0 if header else None, engine="c", skipinitialspace=True
            )
        except pd.errors.ParserError as exc:
            m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
            if m:
                raise DataError(
                    f"{path}: line {m[2]} has {m[3]} fields, the lines before it {m[1]}"
                ) from None
            raise DataError(f"{path}: not a readable CSV ({exc})") from None
        except (UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
            raise DataError(f"{path}: not a readable CSV ({exc})") from None
    if header:
        names = [str(c).strip() for c in frame.columns]
        label = LABEL_COLUMN if LABEL_COLUMN in names else names[0]
        frame.columns = names
    else:
        label = frame.columns[0]
    return frame, label, header


def _check_fields(path: Path, frame, header: bool) -> None:
    """Short lines read as missing values: find the first, give its number."""
    missing = frame.isna().to_numpy()
    rows = np.flatnonzero(missing.any(axis=1))
    if not len(rows):
        return
    number = int(rows[0]) + 1 + int(header)
    fields = _line(path, number).split(",")
    if len(fields) != frame.shape[1] + 1:  # the label column is popped
        raise DataError(
            f"{path}: line {number} has {len(fields)} fields, the other lines "
            f"{frame.shape[1] + 1}"
        )
    col = int(np.flatnonzero(missing[rows[0]])[0])
    raise DataError(
        f"{path}: line {number}, column {col + 2}: missing or not-a-number value "
        f"{fields[col].strip()!r}"
    )


def _numeric(path: Path, frame, header: bool) -> np.ndarray:
    import pandas as pd

    bad = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    if bad:
        column = frame[bad[0]]
        parsed = pd.to_numeric(column, errors="coerce")
        bad_rows = parsed.isna().to_numpy() & column.notna().to_numpy()
        row = int(np.flatnonzero(bad_rows)[0])
        raise DataError(
            f"{path}: line {row + 1 + int(header)}, column "
            f"{list(frame.columns).index(bad[0]) + 2}: non-numeric pixel "
            f"{str(column.iloc[row])[:40]!r}"
        )
    return frame.to_numpy()


def _read_one(path: Path, train_columns: int | None = None, label_name=None):
    """Pixels and labels of one CSV. For a test file, ``train_columns`` and
    ``label_name`` say what the training file had, to name a test file
    without labels as such."""
    frame, label, header = _read_table(path, train_columns)
    unlabelled = train_columns is not None and (
        frame.shape[1] == train_columns - 1
        or (header and label_name == LABEL_COLUMN and label != LABEL_COLUMN)
    )
    if unlabelled:
        raise DataError(
            f"{path}: test file without labels ({frame.shape[1]} columns, the "
            f"training file {train_columns}); pass the training file alone to split "
            "a test set off it (--test-fraction)"
        )
    if train_columns is not None and frame.shape[1] != train_columns:
        raise DataError(
            f"{path}: {frame.shape[1]} columns, the training file has {train_columns}"
        )
    n_columns = frame.shape[1]
    labels = frame.pop(label)
    _check_fields(path, frame, header)
    if labels.isna().any():
        row = int(np.flatnonzero(labels.isna().to_numpy())[0])
        raise DataError(f"{path}: line {row + 1 + int(header)}: no label")
    pixels = _numeric(path, frame, header)
    return pixels, labels.to_numpy(), n_columns, label


def read_csv(train: Path, test: Path | None) -> Raw:
    """The arrays of a training CSV and, if given, a test CSV."""
    X_train, y_train, n_columns, label = _read_one(train)
    X_test = y_test = None
    if test is not None:
        X_test, y_test, _, _ = _read_one(test, n_columns, label)
    return Raw(
        X_train,
        y_train,
        X_test,
        y_test,
        where={
            "X_train": str(train),
            "y_train": f"{train} (labels)",
            "X_test": str(test),
            "y_test": f"{test} (labels)",
        },
    )
