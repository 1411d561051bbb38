"""A cache of parsed progress.csv columns: one SQLite file for a whole database.

A run's column is valid while its csv keeps its size and modification time
(a run still logging simply gets parsed again). One file written in one
transaction costs a fraction of a file per run, and SQLite's locking lets
several plotting processes share it. The cache is only a cache: when it cannot
be read or written (a read-only database, a broken file) plotting goes on
without it.
"""
from __future__ import annotations

import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterable, Iterator, Optional, Sequence, Set, Tuple

import numpy as np

__all__ = ["ColumnCache", "Signature", "signature_of"]

#: (size, mtime in ns) of a csv file
Signature = Tuple[int, int]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS columns (
    csv TEXT NOT NULL,       -- the csv file's absolute path
    name TEXT NOT NULL,      -- the column
    size INTEGER NOT NULL,   -- the csv's size and mtime when it was parsed
    mtime_ns INTEGER NOT NULL,
    kind TEXT NOT NULL,      -- 'values' (float64 bytes in data), 'range' (first + step * i) or 'absent'
    rows INTEGER NOT NULL,
    first REAL,
    step REAL,
    data BLOB,
    PRIMARY KEY (csv, name)
)
"""
_BATCH = 400  # SQLite host parameters per query stay below its limit


def signature_of(path: Path) -> Optional[Signature]:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_size, stat.st_mtime_ns


def _as_range(values: np.ndarray) -> Optional[Tuple[float, float]]:
    """``(first, step)`` when ``values`` is exactly ``first + step * i`` (a regular time-step)."""
    if len(values) < 2 or not np.isfinite(values[:2]).all():
        return None
    first, step = float(values[0]), float(values[1] - values[0])
    return (first, step) if np.array_equal(first + step * np.arange(len(values), dtype=np.float64), values) else None


class ColumnCache:
    """Columns of many runs' progress.csv files, stored in the SQLite file ``path``."""

    def __init__(self, path: Path):
        self.path = Path(path)

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=30)
        try:
            with connection:
                connection.execute(_SCHEMA)
                yield connection
        finally:
            connection.close()

    def get(self, signatures: Dict[str, Signature], columns: Sequence[str]) -> Dict[str, Dict[str, np.ndarray]]:
        """For each csv whose wanted ``columns`` are all known at its current signature:
        the columns it has (a column the csv lacks is known as absent)."""
        if not signatures or not self.path.exists():
            return {}
        found: Dict[str, Dict[str, Optional[np.ndarray]]] = {}
        paths = list(signatures)
        marks = ",".join("?" * len(columns))
        try:
            with self._transaction() as connection:
                for start in range(0, len(paths), _BATCH):
                    batch = paths[start:start + _BATCH]
                    query = (f"SELECT csv, name, size, mtime_ns, kind, rows, first, step, data FROM columns "
                             f"WHERE csv IN ({','.join('?' * len(batch))}) AND name IN ({marks})")
                    for csv, name, size, mtime_ns, kind, rows, first, step, data in connection.execute(
                            query, [*batch, *columns]):
                        if (size, mtime_ns) != signatures[csv]:
                            continue
                        if kind == "values":
                            value: Optional[np.ndarray] = np.frombuffer(data, dtype=np.float64, count=rows)
                        elif kind == "range":
                            value = first + step * np.arange(rows, dtype=np.float64)
                        else:
                            value = None
                        found.setdefault(csv, {})[name] = value
        except (sqlite3.Error, OSError):
            return {}
        return {csv: {name: value for name, value in known.items() if value is not None}
                for csv, known in found.items() if len(known) == len(set(columns))}

    def put(self, entries: Iterable[Tuple[str, Signature, Dict[str, np.ndarray], Set[str]]]) -> None:
        """Store ``(csv, signature, columns, absent column names)`` entries in one transaction."""
        try:
            with self._transaction() as connection:
                connection.executemany("INSERT OR REPLACE INTO columns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                       _rows(entries))
        except (sqlite3.Error, OSError):
            pass  # a read-only or broken cache: the runs were parsed all the same


def _rows(entries: Iterable[Tuple[str, Signature, Dict[str, np.ndarray], Set[str]]]) -> Iterator[tuple]:
    """Table rows, one column at a time (so that only one column's bytes exist at once)."""
    for csv, (size, mtime_ns), table, absent in entries:
        for name, values in table.items():
            as_range = _as_range(values)
            if as_range is not None:
                yield csv, name, size, mtime_ns, "range", len(values), *as_range, None
            else:
                data = np.ascontiguousarray(values, dtype=np.float64).tobytes()
                yield csv, name, size, mtime_ns, "values", len(values), None, None, data
        for name in absent:
            yield csv, name, size, mtime_ns, "absent", 0, None, None, None
