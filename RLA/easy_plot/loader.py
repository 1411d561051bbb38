"""Read runs of a table for plotting: parameters and the needed progress.csv columns.

Only the requested columns are parsed, and each run's columns are cached in
``<data_root>/results/easy_plot/.cache/`` (one file per run), valid while the csv
keeps its size and modification time, so a second plot of the same runs skips
csv parsing entirely.
"""
from __future__ import annotations

import csv
import fnmatch
import hashlib
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple, Union

import numpy as np

from RLA.db import layout
from RLA.db.layout import Database, Item
from RLA.db.records import REPR_MARKER, read_json

__all__ = ["Run", "Reg", "match_items", "item_params", "param_value", "read_columns", "load_runs",
           "plot_dir"]

Reg = Union[str, "re.Pattern[str]"]

#: parse csv files in threads from this many uncached runs on
PARALLEL_MIN_RUNS = 8
NOT_FOUND = "NF"
CACHE_SUFFIX = ".cols"


@dataclass
class Run:
    """One item with its parameters and the columns read from its progress.csv."""

    item: Item
    params: Dict[str, Any]
    columns: Dict[str, np.ndarray]
    reg_index: int = 0


def plot_dir(data_root: Union[str, os.PathLike]) -> Path:
    """``<data_root>/results/easy_plot``: where plot_func saves figures."""
    return Database(data_root).type_root("results") / "easy_plot"


def _matches(reg: Reg, record_date: str) -> bool:
    """Glob ``reg`` against the record date or one of its leading folders (``2024/05/*``);
    a compiled regex is searched in the record date."""
    if isinstance(reg, re.Pattern):
        return reg.search(record_date) is not None
    pattern = reg.strip("/")
    parts = record_date.split("/")
    return any(fnmatch.fnmatchcase("/".join(parts[:depth]), pattern) for depth in range(1, len(parts) + 1))


def match_items(data_root: Union[str, os.PathLike], task_table_name: str,
                regs: Optional[Sequence[Reg]] = None) -> List[Tuple[Item, int]]:
    """The items of a table whose record date matches a pattern, with the index of the
    first pattern each matches. ``regs=None`` takes every item.

    The single place that lists items for plotting (to be served by the query module later).
    """
    patterns: Sequence[Reg] = ["*"] if regs is None else ([regs] if isinstance(regs, (str, re.Pattern)) else regs)
    found = []
    for item in Database(data_root).items(task_table_name):
        for i, reg in enumerate(patterns):
            if _matches(reg, item.record_date):
                found.append((item, i))
                break
    return found


def item_params(item: Item) -> Dict[str, Any]:
    """The run's parameters: params.json, or the parameters in its name (legacy items)."""
    params = read_json(item.path("log") / layout.PARAMS_JSON)
    if params is not None:
        return params
    parsed = item.parsed
    return dict(parsed.params()) if parsed is not None else {}


def param_value(params: Dict[str, Any], key: str) -> str:
    """``params[key]`` (dotted keys index nested dicts) as a legend string; "NF" when missing."""
    value: Any = params
    if key in params:
        value = params[key]
    else:
        for part in key.split("."):
            if not isinstance(value, dict) or part not in value:
                return NOT_FOUND
            value = value[part]
    if isinstance(value, dict) and REPR_MARKER in value:
        return str(value[REPR_MARKER])
    return str(value)


def _cache_file(cache_dir: Path, csv_path: Path) -> Path:
    return cache_dir / (hashlib.sha1(str(csv_path).encode("utf-8")).hexdigest() + CACHE_SUFFIX)


def _signature(stat: os.stat_result) -> List[int]:
    return [stat.st_size, stat.st_mtime_ns]


@dataclass
class _CacheEntry:
    """What a run's cache file holds: some columns' values, and which columns it knows."""

    values: Dict[str, np.ndarray]
    names: List[str]
    absent: Set[str]

    def serves(self, columns: Sequence[str]) -> bool:
        return all(c in self.values or c in self.absent for c in columns)


def _read_cache(cache_path: Path, signature: List[int], columns: Sequence[str]) -> Optional[_CacheEntry]:
    """The cached ``columns`` (only those are read), if the cache matches the csv.

    A cache file is one JSON header line (csv size and mtime, row count, the
    stored columns, columns that are exact arithmetic progressions as
    ``[start, step]`` — typically the time-step —, and absent columns)
    followed by the stored columns as raw float64.
    """
    try:
        with open(cache_path, "rb") as f:
            header = json.loads(f.readline())
            if header.get("signature") != signature:
                return None
            stored, ranges, rows, start = header["columns"], header["ranges"], header["rows"], f.tell()
            values = {}
            for name in columns:
                if name in ranges:
                    first, step = ranges[name]
                    values[name] = first + step * np.arange(rows, dtype=np.float64)
                elif name in stored:
                    f.seek(start + stored.index(name) * rows * 8)
                    values[name] = np.fromfile(f, dtype=np.float64, count=rows)
                    if values[name].size != rows:
                        return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return _CacheEntry(values, [*stored, *ranges], set(header.get("absent", [])))


def _as_range(values: np.ndarray) -> Optional[List[float]]:
    """``[start, step]`` when ``values`` is exactly ``start + step * i``."""
    if len(values) < 2 or not np.isfinite(values[:2]).all():
        return None
    first, step = float(values[0]), float(values[1] - values[0])
    return [first, step] if np.array_equal(first + step * np.arange(len(values), dtype=np.float64), values) else None


def _write_cache(cache_path: Path, signature: List[int], columns: Dict[str, np.ndarray], absent: Set[str]) -> None:
    """Store a run's columns; a database we may not write to is simply not cached."""
    rows = len(next(iter(columns.values()))) if columns else 0
    ranges = {name: r for name, values in columns.items() if (r := _as_range(values)) is not None}
    stored = [name for name in columns if name not in ranges]
    header = {"signature": signature, "rows": rows, "columns": stored, "ranges": ranges, "absent": sorted(absent)}
    tmp = cache_path.with_name(f".{cache_path.name}.{os.getpid()}.tmp")
    try:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(json.dumps(header).encode("utf-8") + b"\n")
            for name in stored:
                f.write(np.ascontiguousarray(columns[name], dtype=np.float64).tobytes())
        os.replace(tmp, cache_path)
    except OSError:
        tmp.unlink(missing_ok=True)


def _csv_header(csv_path: Path) -> List[str]:
    with open(csv_path, encoding="utf-8", newline="") as f:
        return next(csv.reader(f), [])


def _read_with_pyarrow(csv_path: Path, present: List[str]) -> Optional[Dict[str, np.ndarray]]:
    """The columns parsed by pyarrow (about twice as fast as pandas' parser), or ``None``
    when pyarrow is not installed or a cell is not a number."""
    try:
        import pyarrow as pa
        from pyarrow import csv as pa_csv
    except ImportError:
        return None
    options = pa_csv.ConvertOptions(include_columns=present, column_types={c: pa.float64() for c in present})
    try:
        table = pa_csv.read_csv(csv_path, read_options=pa_csv.ReadOptions(use_threads=False),
                                convert_options=options)
    except pa.ArrowInvalid:
        return None
    return {name: table.column(name).to_numpy().astype(np.float64, copy=False) for name in present}


def _read_csv_columns(csv_path: Path, wanted: Sequence[str]) -> Dict[str, np.ndarray]:
    """The ``wanted`` columns the csv has, as float64 (empty or non-numeric cells are NaN)."""
    import pandas as pd

    header = _csv_header(csv_path)
    present = [c for c in dict.fromkeys(wanted) if c in header]
    if not present:
        return {}
    columns = _read_with_pyarrow(csv_path, present)
    if columns is not None:
        return columns
    frame = pd.read_csv(csv_path, usecols=present, engine="c")
    return {c: pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=np.float64) for c in present}


def _cached_columns(csv_path: Path, columns: Sequence[str], cache_dir: Path) -> Optional[Dict[str, np.ndarray]]:
    """``columns`` served by the cache alone, or ``None`` when the csv must be parsed."""
    try:
        signature = _signature(os.stat(csv_path))
    except FileNotFoundError:
        return {}
    entry = _read_cache(_cache_file(cache_dir, csv_path), signature, columns)
    return entry.values if entry is not None and entry.serves(columns) else None


def _parse_and_cache(csv_path: Path, columns: Sequence[str], cache_dir: Optional[Path]) -> Dict[str, np.ndarray]:
    """Parse ``columns`` from the csv, and store them (with those already cached) in the cache."""
    try:
        stat = os.stat(csv_path)
    except FileNotFoundError:
        return {}
    if cache_dir is None:
        return _read_csv_columns(csv_path, columns)
    signature = _signature(stat)
    cache_path = _cache_file(cache_dir, csv_path)
    entry = _read_cache(cache_path, signature, []) or _CacheEntry({}, [], set())
    wanted = list(dict.fromkeys([*entry.names, *columns]))
    table = _read_csv_columns(csv_path, wanted)
    _write_cache(cache_path, signature, table, (entry.absent | set(wanted)) - set(table))
    return {c: table[c] for c in columns if c in table}


def read_columns(csv_path: Path, columns: Sequence[str], cache_dir: Optional[Path] = None) -> Dict[str, np.ndarray]:
    """The ``columns`` of a progress.csv that exist, as float arrays (empty cells are NaN).

    With ``cache_dir`` the columns are served from (and saved to) a per-run cache
    that is valid while the csv keeps its size and modification time.
    """
    if cache_dir is not None:
        cached = _cached_columns(csv_path, columns, cache_dir)
        if cached is not None:
            return cached
    return _parse_and_cache(csv_path, columns, cache_dir)


def _read_all(csv_paths: Sequence[Path], columns: Sequence[str], cache_dir: Optional[Path],
              workers: int) -> List[Dict[str, np.ndarray]]:
    """Serve what the cache holds; parse the rest, in threads when there are many
    (the csv tokenizer and file writes release the GIL)."""
    tables: List[Optional[Dict[str, np.ndarray]]] = [
        _cached_columns(p, columns, cache_dir) if cache_dir is not None else None for p in csv_paths]
    misses = [i for i, table in enumerate(tables) if table is None]

    def parse(i: int) -> Dict[str, np.ndarray]:
        return _parse_and_cache(csv_paths[i], columns, cache_dir)

    if workers > 1 and len(misses) >= PARALLEL_MIN_RUNS:
        with ThreadPoolExecutor(workers) as pool:
            parsed = list(pool.map(parse, misses))
    else:
        parsed = [parse(i) for i in misses]
    for i, table in zip(misses, parsed):
        tables[i] = table
    return [table or {} for table in tables]


def load_runs(data_root: Union[str, os.PathLike], task_table_name: str, regs: Optional[Sequence[Reg]],
              columns: Sequence[str], use_cache: bool = True, workers: Optional[int] = None) -> List[Run]:
    """Every matching run with its parameters and the ``columns`` of its progress.csv.

    Runs without a progress.csv are left out. Many csv files not yet cached are
    parsed in ``workers`` threads (default: the CPU count).
    """
    matched = match_items(data_root, task_table_name, regs)
    if not matched:
        where = Database(data_root).type_root("log") / task_table_name
        raise FileNotFoundError(
            f"no item of table {task_table_name!r} matches {list(regs) if regs is not None else '*'} "
            f"under {where}; record dates look like '2024/05/01/12-00-00-000000_<ip>_&k=v', "
            "so try a glob such as '2024/05/*' or '*lr=0.01*'")
    cache_dir = plot_dir(data_root) / ".cache" if use_cache else None
    csv_paths = [item.path("log") / layout.PROGRESS_CSV for item, _ in matched]
    tables = _read_all(csv_paths, list(columns), cache_dir, workers or os.cpu_count() or 1)
    return [Run(item, item_params(item), table, reg_index)
            for (item, reg_index), table in zip(matched, tables) if table]
