"""Which machine each row ran on: the ``machine`` of a row, from its columns.

A machine is a host, its CPU model, its core count and its GPUs: the columns
every row has carried since mnistbench 0.1 (``gpu`` since 0.5: a row without
it counts as a machine without one). Two rows of the same machine can be
compared on time; rows of two machines only on what they predicted.
"""

from __future__ import annotations

import pandas as pd

__all__ = [
    "MACHINE_COLUMNS",
    "machine_label",
    "machine_labels",
    "machine_names",
    "machine_number",
    "machines",
]

#: The leaderboard columns that name a row's machine.
MACHINE_COLUMNS = ("host", "cpu", "n_cores", "gpu")


def _text(value) -> str:
    return "" if value is None or pd.isna(value) else " ".join(str(value).split())


def machine_label(host, cpu, n_cores, gpu) -> str:
    """``host · cpu · N cores`` (and ``· gpu`` where the row had one)."""
    parts = [_text(host) or "?", _text(cpu) or "?"]
    cores = _text(n_cores)
    if cores:
        parts.append(f"{cores} cores")
    gpu = _text(gpu)
    if gpu and gpu != "none":
        parts.append(gpu)
    return " · ".join(parts)


def machine_labels(frame: pd.DataFrame) -> pd.Series:
    """Each row's machine, as :func:`machine_label` names it (aligned with
    ``frame``'s index; empty frames give an empty Series)."""
    if frame.empty:
        return pd.Series([], index=frame.index, dtype=object)
    return pd.Series(
        [
            machine_label(*values)
            for values in zip(*(frame[c] for c in MACHINE_COLUMNS))
        ],
        index=frame.index,
        dtype=object,
    )


def machines(frame: pd.DataFrame) -> pd.DataFrame:
    """The machines of ``frame``'s rows, in the order they first ran, each
    with a short name (``M1``, ``M2``...), its full label, its CPU, and how
    many rows ran on it. Rows of one machine: one row, ``M1``."""
    if frame.empty:
        return pd.DataFrame(columns=["machine", "label", "cpu", "rows"])
    ordered = frame.sort_values("timestamp_utc", kind="stable", na_position="first")
    labels = machine_labels(ordered)
    seen = list(dict.fromkeys(labels))
    counts = labels.value_counts()
    cpus = dict(zip(labels, ordered["cpu"].map(_text)))
    return pd.DataFrame(
        {
            "machine": [f"M{i + 1}" for i in range(len(seen))],
            "label": seen,
            "cpu": [cpus[s] for s in seen],
            "rows": [int(counts[s]) for s in seen],
        }
    )


def machine_names(frame: pd.DataFrame) -> pd.Series:
    """Each row's short machine name (``M1``, ``M2``... as :func:`machines`
    names them), aligned with ``frame``."""
    named = machines(frame)
    short = dict(zip(named["label"], named["machine"]))
    return machine_labels(frame).map(short)


def machine_number(name: str) -> int:
    """The number of a short machine name, ``M12`` -> 12: what orders them."""
    return int(name[1:])
