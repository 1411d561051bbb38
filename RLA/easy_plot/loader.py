"""Read runs of a table for plotting: parameters and the needed progress.csv columns.

Only the requested columns are parsed, and they are cached in the database's
column cache (:mod:`RLA.easy_plot.column_cache`, under
:meth:`RLA.db.layout.Database.column_cache_dir`) while each csv keeps its size
and modification time, so a second plot of the same runs skips csv parsing
entirely, and reads a run's columns only when they are used.
"""
from __future__ import annotations

import csv
import fnmatch
import os
import re
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Collection, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from RLA.db.late_columns import late_numbers, progress_columns, read_late, unfolded
from RLA.db.layout import PARAMS_JSON, PROGRESS_CSV, Database, Item
from RLA.db.progress import csv_header, summarize_csv
from RLA.db.query import UNKNOWN_STATUS, ItemFilter, ItemRecord, select
from RLA.db.records import REPR_MARKER, lookup_param
from RLA.easy_plot.column_cache import ColumnCache, signature_of
from RLA.errors import DamagedFileError, ItemNotFoundError
from RLA.words import did_you_mean

__all__ = ["Run", "Reg", "match_items", "param_value", "run_params", "unflatten_param", "read_columns", "load_runs",
           "load_matched",
           "csv_header", "progress_columns", "plot_dir", "csv_columns", "nothing_logged", "warn_unknown_keys"]

Reg = Union[str, "re.Pattern[str]"]

#: parse csv files in threads from this many uncached runs on
PARALLEL_MIN_RUNS = 8
#: uncached runs parsed (and written to the cache) at a time
PARSE_CHUNK = 64
NOT_FOUND = "NF"


@dataclass
class Run:
    """One item with its parameters and the columns read from its progress.csv."""

    item: Item
    params: Dict[str, Any]  # nested keys flattened as "a.b", as in ``rla ls`` (see run_params)
    columns: Mapping[str, np.ndarray]  # read from the column cache on each access when cached
    reg_index: int = 0

    def xy(self, x_key: str, metric: str) -> Tuple[np.ndarray, np.ndarray]:
        """The columns ``x_key`` and ``metric``, as many rows of each: a csv still growing between
        the two reads gives the rows both have (rows are only ever added at its end)."""
        y = self.columns[metric]
        x = self.columns[x_key]
        rows = min(len(x), len(y))
        return x[:rows], y[:rows]


def plot_dir(data_root: Union[str, os.PathLike]) -> Path:
    """``<data_root>/results/easy_plot``: where plot_func saves figures."""
    return Database(data_root).plots_dir()


def _legacy_match(reg: str, record_date: str) -> bool:
    """The rule of earlier plot releases (``*`` crossed ``/``): only used to explain a glob
    that now selects nothing."""
    pattern = reg.strip("/")
    parts = record_date.split("/")
    return any(fnmatch.fnmatchcase("/".join(parts[:depth]), pattern) for depth in range(1, len(parts) + 1))


def match_items(data_root: Union[str, os.PathLike], task_table_name: str,
                regs: Optional[Sequence[Reg]] = None, where: Optional[str] = None,
                items: Optional[Collection[str]] = None,
                selection: Optional[Mapping[str, Any]] = None) -> List[Tuple[ItemRecord, int]]:
    """The records of the items of a table whose record date matches a pattern, with the
    index of the first pattern each matches. ``regs=None`` takes every item; ``items`` (record dates,
    such as a selection made in ``rla ui``) keeps only those.

    Items are listed by :func:`RLA.db.query.select`, and a glob is matched by the same
    rule as ``rla ls`` (:class:`RLA.db.query.ItemFilter`: ``*`` and ``?`` stop at ``/``;
    a date folder such as ``2024/05/*`` selects everything below it). A compiled regex
    is searched in the record date. ``where`` is a parameter expression (``rla ls -w``).
    ``selection`` holds other fields of the ItemFilter (``pattern``, ``status``, ``since``,
    ``archived``, ...: the selection words of ``rla ls``, as :mod:`RLA.db.selection_words` reads them).
    """
    patterns: Sequence[Reg] = [regs] if isinstance(regs, (str, re.Pattern)) else regs or ()
    matchers = [reg.search if isinstance(reg, re.Pattern) else _glob_matcher(task_table_name, reg)
                for reg in patterns]
    fields = dict(selection or {})
    if where:
        fields["where"] = f"({fields['where']}) and ({where})" if fields.get("where") else where
    item_filter = ItemFilter(task=task_table_name, **fields)
    records = select(data_root, item_filter, sizes=False)  # plots show no sizes
    found = []
    used = set()
    if items is not None:
        wanted = set(items)
        records = [record for record in records if record.item.record_date in wanted]
    if regs is None:
        return [(record, 0) for record in records]
    for record in records:
        item = record.item
        for i, matches in enumerate(matchers):
            if matches(item.record_date):
                found.append((record, i))
                used.add(i)
                break
    for i, reg in enumerate(patterns):
        if i in used or not isinstance(reg, str):
            continue
        legacy = sum(_legacy_match(reg, record.item.record_date) for record in records)
        if legacy:
            warnings.warn(f"reg {reg!r} selects no item: as in `rla ls`, '*' stops at '/' in record dates "
                          f"'YYYY/MM/DD/<name>' (earlier plot releases let it cross '/', which selected {legacy}); "
                          f"write {'*/*/*/' + reg.lstrip('/')!r} or use where='<expression>'",
                          UserWarning, stacklevel=3)
    return found


def _glob_matcher(task_table_name: str, reg: str) -> Any:
    item_filter = ItemFilter(task=task_table_name, pattern=reg)

    def matches(record_date: str) -> bool:
        date, _, name = record_date.rpartition("/")
        return item_filter.name_matches(date, name)

    return matches


def run_params(record: ItemRecord, log_dir: Optional[str] = None) -> Dict[str, Any]:
    """A run's parameters for plotting: the query index's, except for an item of an earlier
    release with neither run.json nor params.json, whose parameters are the text in its name:
    the index reads ``lr=1e-3`` as the number 0.001 for ``rla ls -w``, but the legends of
    such runs stay as their names wrote them. ``log_dir``: the item's log folder, when known."""
    if record.status != UNKNOWN_STATUS or os.path.exists(
            os.path.join(log_dir, PARAMS_JSON) if log_dir is not None else record.item.log.params_json):
        return record.params  # the index read them from params.json
    parsed = record.item.parsed
    return dict(parsed.params()) if parsed is not None else {}


def param_value(params: Dict[str, Any], key: str) -> str:
    """``params[key]`` (dotted keys index nested dicts) as a legend string; "NF" when missing.

    In flattened parameters (``"optim.lr"``, as :attr:`Run.params` holds them) a parent key
    (``"optim"``) is the nested dict of its keys, as it was logged."""
    try:
        value = lookup_param(params, key)
    except KeyError:
        value = unflatten_param(params, key)
        if value is None:
            return NOT_FOUND
    if isinstance(value, dict) and REPR_MARKER in value:
        return str(value[REPR_MARKER])
    return str(value)


def unflatten_param(params: Mapping[str, Any], key: str) -> Optional[Dict[str, Any]]:
    """The nested dict that flattened ``params`` hold under the parent ``key`` (``"optim"`` for
    ``"optim.lr"`` and ``"optim.adam.beta"``); ``None`` when no parameter is below it."""
    prefix = key + "."
    below = [(name[len(prefix):], value) for name, value in params.items() if name.startswith(prefix)]
    if not below:
        return None
    nested: Dict[str, Any] = {}
    for path, value in below:
        *parents, leaf = path.split(".")
        level = nested
        for parent in parents:
            level = level.setdefault(parent, {})
        level[leaf] = value
    return nested


def csv_columns(runs: Sequence["Run"], limit: int = 200) -> List[str]:
    """Every column name of the progress tables of (up to ``limit`` of) ``runs`` (their late columns
    too), sorted: what a run actually logged, not only the columns read."""
    names: set = set()
    for run in runs[:limit]:
        try:
            names.update(progress_columns(run.item.progress_csv))
        except (OSError, csv.Error):
            continue
    return sorted(names)


def nothing_logged(runs: Sequence["Run"], wanted: Sequence[str]) -> str:
    """Why ``runs`` give nothing of ``wanted``: each column no run logged, with the closest the runs did log."""
    present = csv_columns(runs)
    absent = [name for name in wanted if name not in present]
    said = "; ".join(f"{name!r}{did_you_mean(name, present)}" for name in absent) if absent else \
        f"{', '.join(map(repr, wanted))} in the same rows"
    return (f"none of the {len(runs)} runs logged {said}; their progress.csv columns: "
            f"{', '.join(present[:40])}{' ...' if len(present) > 40 else ''}")


def warn_unknown_keys(runs: Sequence["Run"], split_keys: Sequence[str], stacklevel: int = 2) -> None:
    """Say which split keys no run has (each run then falls in the group ``NF``), with the closest names."""
    for key in split_keys:
        if runs and all(param_value(run.params, key) == NOT_FOUND for run in runs):
            known = {name for run in runs for name in run.params}
            warnings.warn(f"no run has the parameter {key!r}{did_you_mean(key, known)}; they are grouped as "
                          f"{NOT_FOUND!r}", UserWarning, stacklevel=stacklevel + 1)


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
        with open(csv_path, "rb") as f:  # opened here: pyarrow cannot name a path that is not UTF-8
            table = pa_csv.read_csv(f, read_options=pa_csv.ReadOptions(use_threads=False), convert_options=options)
    except pa.ArrowInvalid:
        return None
    return {name: table.column(name).to_numpy().astype(np.float64, copy=False) for name in present}


def _read_csv_columns(csv_path: Path, wanted: Sequence[str]) -> Dict[str, np.ndarray]:
    """The ``wanted`` columns the progress table has (its late columns merged), as float64 (empty or
    non-numeric cells are NaN, and so is a cell holding a byte that is not UTF-8; a row with more
    fields than the header is left out)."""
    wanted = list(dict.fromkeys(wanted))

    def read() -> Dict[str, np.ndarray]:
        header = csv_header(csv_path)
        present = [c for c in wanted if c in header]
        columns = _parse_csv_columns(csv_path, present) if present else {}
        rows = len(next(iter(columns.values()))) if columns else None
        if len(present) < len(wanted):  # progress.csv first: a row's late cells were written before it
            if rows is None:
                rows = summarize_csv(csv_path).rows or 0
            late = read_late(csv_path, [c for c in wanted if c not in header], header)
            for key in wanted:
                if key in late:
                    columns[key] = np.array(late_numbers(late[key], rows)[0])
        return columns

    return unfolded(csv_path, read)


def _parse_csv_columns(csv_path: Path, present: List[str]) -> Dict[str, np.ndarray]:
    columns = _read_with_pyarrow(csv_path, present)
    if columns is not None:
        return columns
    import pandas as pd

    try:
        with open(csv_path, "rb") as f:
            frame = pd.read_csv(f, usecols=present, engine="c", encoding_errors="replace", on_bad_lines="skip")
    except pd.errors.ParserError:  # a quote opened by damage and never closed: read every row as plain fields
        with open(csv_path, "rb") as f:
            frame = pd.read_csv(f, usecols=present, engine="c", encoding_errors="replace", on_bad_lines="skip",
                                quoting=csv.QUOTE_NONE)
    return {c: pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=np.float64) for c in present}


def read_columns(csv_path: Path, columns: Sequence[str]) -> Dict[str, np.ndarray]:
    """The ``columns`` of a progress.csv that exist, as float arrays (empty cells are NaN);
    ``{}`` when there is no such file; :class:`RLA.errors.DamagedFileError` when it cannot be read."""
    try:
        return _read_csv_columns(csv_path, columns)
    except FileNotFoundError:
        return {}
    except IsADirectoryError:
        raise DamagedFileError(f"{csv_path} is a folder, not a file") from None
    except (OSError, csv.Error, ValueError) as exc:  # pandas' ParserError and EmptyDataError are ValueErrors
        raise DamagedFileError(f"{csv_path} cannot be read as a table ({exc})") from None


def _read_all(csv_paths: Sequence[str], columns: List[str], cache: Optional[ColumnCache],
              workers: int) -> List[Mapping[str, np.ndarray]]:
    """Serve what the cache holds; parse the rest (in threads when there are many: the csv
    parsers release the GIL) and add them to the cache.

    Cached columns are read from their files when used (:class:`CachedColumns`), and misses
    are parsed :data:`PARSE_CHUNK` at a time, so the runs' data is never all in memory at once.
    """
    signatures = {key: sig for key in csv_paths if (sig := signature_of(key)) is not None}
    tables: Dict[str, Mapping[str, np.ndarray]] = {}
    misses = []
    for key, signature in signatures.items():
        cached = cache.get(key, signature, columns) if cache is not None else None
        if cached is None:
            misses.append(key)
        else:
            tables[key] = cached

    damaged: List[DamagedFileError] = []

    def parse(key: str) -> Optional[Dict[str, np.ndarray]]:
        try:
            return read_columns(Path(key), columns)
        except DamagedFileError as exc:  # never cached: a repaired file is read again
            damaged.append(exc)
            return None

    pool = ThreadPoolExecutor(workers) if workers > 1 and len(misses) >= PARALLEL_MIN_RUNS else None
    try:
        for start in range(0, len(misses), PARSE_CHUNK):
            chunk = misses[start:start + PARSE_CHUNK]
            parsed = pool.map(parse, chunk) if pool is not None else map(parse, chunk)
            for key, table in zip(chunk, parsed):
                if table is None:
                    continue
                stored = None if cache is None else cache.put(key, signatures[key], table, set(columns) - set(table))
                tables[key] = stored if stored is not None else table
    finally:
        if pool is not None:
            pool.shutdown()
    for exc in damaged:
        warnings.warn(f"RLA: {exc}: its run is left out; repair or remove the file", RuntimeWarning, stacklevel=3)
    return [tables.get(key, {}) for key in csv_paths]


def load_runs(data_root: Union[str, os.PathLike], task_table_name: str, regs: Optional[Sequence[Reg]],
              columns: Sequence[str], use_cache: bool = True, workers: Optional[int] = None,
              where: Optional[str] = None, items: Optional[Collection[str]] = None,
              selection: Optional[Mapping[str, Any]] = None) -> List[Run]:
    """Every matching run with its parameters and the ``columns`` of its progress.csv.

    Runs without a progress.csv are left out. Many csv files not yet cached are
    parsed in ``workers`` threads (default: the CPU count). ``regs``, ``where``,
    ``items`` and ``selection`` select items as in :func:`match_items`.
    """
    matched = match_items(data_root, task_table_name, regs, where, items, selection)
    archived = bool((selection or {}).get("archived"))
    if not matched:
        Database(data_root).check_table(task_table_name, archived)
        folder = Database(data_root).type_root("log", archived) / task_table_name
        also = f" and where={where!r}" if where else ""
        also += "".join(f" and {key}={value!r}" for key, value in (selection or {}).items()
                        if value not in (None, (), False))
        also += f" among the {len(items)} chosen items" if items is not None else ""
        raise ItemNotFoundError(
            f"no item of table {task_table_name!r} matches {list(regs) if regs is not None else '*'}{also} "
            f"under {folder}; record dates look like '2024/05/01/12-00-00-000000_<ip>_&k=v' and '*' stops "
            "at '/' (as in `rla ls`), so try a glob such as '2024/05/*' or '*lr=0.01*'")
    return load_matched(data_root, matched, columns, use_cache, workers, archived)


def load_matched(data_root: Union[str, os.PathLike], matched: Sequence[Tuple[ItemRecord, int]],
                 columns: Sequence[str], use_cache: bool = True, workers: Optional[int] = None,
                 archived: bool = False) -> List[Run]:
    """:func:`load_runs` of the items :func:`match_items` already listed (a caller that needs the
    listing too lists once)."""
    database = Database(data_root)
    cache = ColumnCache(database.column_cache_dir(), lambda csv, names: read_columns(Path(csv), names),
                        database.column_cache_file()) if use_cache else None
    # joined as text: Path objects cost more than the cached columns
    log_root = str(database.type_root("log", archived))
    csv_paths = [os.path.join(log_root, record.item.task, record.item.date, record.item.name, PROGRESS_CSV)
                 for record, _ in matched]
    tables = _read_all(csv_paths, list(dict.fromkeys(columns)), cache, workers or os.cpu_count() or 1)
    empty = [record.item.index for (record, _), csv, table in zip(matched, csv_paths, tables)
             if not table and (signature_of(csv) or (None,))[0] == 0]
    if empty:
        warnings.warn(f"RLA: left out {len(empty)} run(s) whose progress.csv is empty (nothing dumped yet): "
                      f"{', '.join(empty[:3])}{' ...' if len(empty) > 3 else ''}", RuntimeWarning, stacklevel=2)
    return [Run(record.item, run_params(record, os.path.dirname(csv)), table, reg_index)
            for (record, reg_index), csv, table in zip(matched, csv_paths, tables) if table]
