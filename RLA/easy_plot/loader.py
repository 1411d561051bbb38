"""Read runs of a table for plotting: parameters and the needed progress.csv columns.

Only the requested columns are parsed, and each run's columns are cached in
``<data_root>/results/easy_plot/.cache/`` as an ``.npz`` keyed by the csv's
size and modification time, so a second plot of the same runs skips csv
parsing entirely.
"""
from __future__ import annotations

import fnmatch
import hashlib
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Pattern, Sequence, Tuple, Union

import numpy as np

from RLA.db import layout
from RLA.db.layout import Database, Item
from RLA.db.records import REPR_MARKER, read_json

__all__ = ["Run", "Reg", "match_items", "item_params", "param_value", "read_columns", "load_runs",
           "plot_dir"]

Reg = Union[str, Pattern[str]]

#: parse csv files in worker processes from this many runs on (below it, start-up costs more)
PARALLEL_MIN_RUNS = 64
NOT_FOUND = "NF"


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
    return cache_dir / (hashlib.sha1(str(csv_path).encode("utf-8")).hexdigest() + ".npz")


def _read_csv_columns(csv_path: Path, wanted: Sequence[str]) -> Dict[str, np.ndarray]:
    import pandas as pd

    wanted_set = set(wanted)
    frame = pd.read_csv(csv_path, usecols=lambda c: c in wanted_set, engine="c", low_memory=False)
    return {c: pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=np.float64) for c in frame.columns}


def read_columns(csv_path: Path, columns: Sequence[str], cache_dir: Optional[Path] = None) -> Dict[str, np.ndarray]:
    """The ``columns`` of a progress.csv that exist, as float arrays (empty cells are NaN).

    With ``cache_dir`` the columns are served from (and saved to) a per-run cache
    that is valid while the csv keeps its size and modification time.
    """
    try:
        stat = os.stat(csv_path)
    except FileNotFoundError:
        return {}
    if cache_dir is None:
        return _read_csv_columns(csv_path, columns)
    signature = np.array([stat.st_size, stat.st_mtime_ns], dtype=np.int64)
    cache_path = _cache_file(cache_dir, csv_path)
    cached: Dict[str, np.ndarray] = {}
    absent: List[str] = []
    try:
        with np.load(cache_path, allow_pickle=False) as archive:
            if np.array_equal(archive["__signature__"], signature):
                absent = [str(c) for c in archive["__absent__"]]
                cached = {k: archive[k] for k in archive.files if not k.startswith("__")}
    except (FileNotFoundError, OSError, ValueError, KeyError):
        pass
    missing = [c for c in columns if c not in cached and c not in absent]
    if missing:
        wanted = list(dict.fromkeys([*cached, *missing]))
        cached = _read_csv_columns(csv_path, wanted)
        absent = [c for c in dict.fromkeys([*absent, *missing]) if c not in cached]
        _write_cache(cache_path, signature, absent, cached)
    return {c: cached[c] for c in columns if c in cached}


def _write_cache(cache_path: Path, signature: np.ndarray, absent: List[str], columns: Dict[str, np.ndarray]) -> None:
    """Store a run's columns; a database we may not write to is simply not cached."""
    tmp = cache_path.with_name(f".{cache_path.stem}.{os.getpid()}.tmp.npz")
    try:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(tmp, __signature__=signature, __absent__=np.array(absent, dtype=str), **columns)
        os.replace(tmp, cache_path)
    except OSError:
        tmp.unlink(missing_ok=True)


def _read_many(jobs: Sequence[Tuple[Path, Sequence[str], Optional[Path]]]) -> List[Dict[str, np.ndarray]]:
    return [read_columns(*job) for job in jobs]


def load_runs(data_root: Union[str, os.PathLike], task_table_name: str, regs: Optional[Sequence[Reg]],
              columns: Sequence[str], use_cache: bool = True, workers: Optional[int] = None) -> List[Run]:
    """Every matching run with its parameters and the ``columns`` of its progress.csv.

    Runs without a progress.csv are left out. Large loads parse csv files in
    ``workers`` processes (default: the CPU count).
    """
    matched = match_items(data_root, task_table_name, regs)
    if not matched:
        where = Database(data_root).type_root("log") / task_table_name
        raise FileNotFoundError(
            f"no item of table {task_table_name!r} matches {list(regs) if regs is not None else '*'} "
            f"under {where}; record dates look like '2024/05/01/12-00-00-000000_<ip>_&k=v', "
            "so try a glob such as '2024/05/*' or '*lr=0.01*'")
    cache_dir = plot_dir(data_root) / ".cache" if use_cache else None
    jobs = [(item.path("log") / layout.PROGRESS_CSV, list(columns), cache_dir) for item, _ in matched]
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers > 1 and len(jobs) >= PARALLEL_MIN_RUNS:
        chunks = [jobs[i::workers * 4] for i in range(workers * 4)]
        with ProcessPoolExecutor(workers) as pool:
            parts = list(pool.map(_read_many, chunks))
        tables: List[Dict[str, np.ndarray]] = [{}] * len(jobs)
        for i, part in enumerate(parts):
            tables[i::workers * 4] = part
    else:
        tables = _read_many(jobs)
    return [Run(item, item_params(item), table, reg_index)
            for (item, reg_index), table in zip(matched, tables) if table]
