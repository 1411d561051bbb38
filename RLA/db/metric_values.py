"""The values of metric columns (:mod:`RLA.db.metrics`), cached in the query index.

An item's values of a key are read from its progress.csv the first time they are asked for,
and stored in the index's ``metrics`` table; the rows go when the item's row is written
again (its files changed: a run that logged more), so the next request reads the file again.
"""
from __future__ import annotations

import csv
import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

from RLA.db import data_types
from RLA.db.index_db import param_value, sql_value
from RLA.db.late_columns import progress_columns
from RLA.db.layout import PROGRESS_CSV
from RLA.db.metrics import REDUCERS, MetricColumn
from RLA.db.progress import summarize_columns

__all__ = ["ensure", "values_of", "metric_keys"]

_STORED = ("final", "last", "low", "high")


def ensure(index: Any, tables: Dict[int, Tuple[str, bool]], columns: Sequence[MetricColumn],
           ids: Optional[Sequence[int]] = None) -> None:
    """Read the values of ``columns``' keys of every item of ``tables`` (or of ``ids``) that the
    index does not hold yet."""
    conn = index.store.conn
    keys = sorted({column.key for column in columns})
    missing: Dict[int, Tuple[int, str, str, int, int]] = {}
    for key in keys:
        base = ("SELECT i.id, i.tid, i.date, i.name, i.presence, i.written FROM items i LEFT JOIN metrics m "
                "ON m.id = i.id AND m.key = ? WHERE m.id IS NULL AND ")
        if ids is None:
            for tid in tables:
                for row in conn.execute(base + "i.tid = ?", (key, tid)):
                    missing[row[0]] = row[1:]
        else:
            for start in range(0, len(ids), 500):
                chunk = list(ids[start:start + 500])
                for row in conn.execute(base + f"i.id IN ({','.join('?' * len(chunk))})", (key, *chunk)):
                    missing[row[0]] = row[1:]
    if not missing:
        return
    found = []
    for item_id, (tid, date, name, presence, written) in missing.items():
        if not presence & 1:  # no log folder: no progress.csv
            summaries = dict.fromkeys(keys)
        else:
            task, archived = tables[tid]
            log_dir = os.path.join(str(index.db.type_root("log", archived)), task, date,
                                   data_types.LOG.entry_name(name if isinstance(name, str) else
                                                             name.decode("utf-8", "surrogateescape")))
            summaries = summarize_columns(os.path.join(log_dir, PROGRESS_CSV), keys)  # type: ignore[assignment]
        for key in keys:
            summary = summaries.get(key)
            values = [None] * 4 if summary is None else [sql_value(getattr(summary, s)) if getattr(summary, s)
                                                         is not None else None for s in _STORED]
            found.append((item_id, key, *values, item_id, written))
    with index.store.writing():
        # an item written again since (its files changed) keeps no values read from the older file
        index.store.conn.executemany(
            "INSERT OR REPLACE INTO metrics (id, key, final, last, low, high) SELECT ?, ?, ?, ?, ?, ? "
            "WHERE EXISTS (SELECT 1 FROM items WHERE id = ? AND written = ?)", found)


def values_of(index: Any, tables: Dict[int, Tuple[str, bool]], rows: Sequence[Any],
              columns: Sequence[MetricColumn]) -> Dict[int, Dict[str, Optional[float]]]:
    """Item id -> {metric column name: value} for ``rows`` (read from progress.csv where the index
    has none yet)."""
    ids = [row.id for row in rows]
    ensure(index, tables, columns, ids)
    stored: Dict[Tuple[int, str], Tuple[Any, ...]] = {}
    keys = sorted({column.key for column in columns})
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for item_id, key, *values in index.store.conn.execute(
                f"SELECT id, key, final, last, low, high FROM metrics WHERE id IN ({','.join('?' * len(chunk))}) "
                f"AND key IN ({','.join('?' * len(keys))})", (*chunk, *keys)):
            stored[(item_id, key)] = tuple(values)
    out: Dict[int, Dict[str, Optional[float]]] = {}
    for item_id in ids:
        out[item_id] = {}
        for column in columns:
            values = stored.get((item_id, column.key))
            value = values[_STORED.index(REDUCERS[column.reducer])] if values else None
            out[item_id][column.name] = None if value is None else float(param_value(value))
    return out


def metric_keys(index: Any, tables: Dict[int, Tuple[str, bool]], limit: int = 50) -> List[str]:
    """The progress table columns (late ones too) of (up to ``limit``) items of the tables, sorted: the
    metrics one may ask for."""
    names: Dict[str, None] = {}
    for tid, (task, archived) in tables.items():
        for date, name in index.store.conn.execute(
                "SELECT date, name FROM items WHERE tid = ? AND presence & 1 ORDER BY date DESC, name DESC LIMIT ?",
                (tid, limit)):  # the newest: the table's index read backwards, not the whole table
            name = name if isinstance(name, str) else name.decode("utf-8", "surrogateescape")
            path = os.path.join(str(index.db.type_root("log", archived)), task, date, name, PROGRESS_CSV)
            try:
                names.update(dict.fromkeys(progress_columns(path)))
            except (OSError, csv.Error):
                continue
    return sorted(names)
