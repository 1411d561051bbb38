"""List and filter the items of a database, as records or a pandas DataFrame.

Reading every item's ``run.json``, ``params.json`` and ``progress.csv`` and
walking its five folders is slow on a large database, so each table keeps an
index cache (``<data_root>/.rla_index/``) that is checked against the files on
every call and rebuilt incrementally:

- a day folder (``<type>/<task>/YYYY/MM/DD``) whose mtime is unchanged still
  holds the same entries, so it is not listed again;
- an item is re-read when its log folder's mtime changes (``run.json`` and
  ``params.json`` are replaced atomically, which touches it), when an entry of
  its day changes under any data type, or while it is ``running`` (its
  progress.csv and event files grow in place);
- a legacy item (no ``run.json``) is also re-read when its progress.csv changes.

Times within two seconds of a scan are not trusted (a file system stores
mtimes with coarse ticks), so such entries are checked again next time.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from RLA.db import layout
from RLA.db.expr import compile_where
from RLA.db.layout import DATA_TYPES, Database, Item
from RLA.db.records import REPR_MARKER, read_json

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ItemFilter", "ItemRecord", "UNKNOWN_STATUS", "scan", "select", "query", "to_frame", "parse_time",
           "start_time"]

#: the status of an item that has no run.json (written by an earlier release)
UNKNOWN_STATUS = "unknown"
TIME_STEP_COLUMN = "time-step"
INDEX_VERSION = 1
SETTLE_NS = 2_000_000_000
_DATE_PART = re.compile(r"^\d+$")
_DATE_WIDTHS = (4, 2, 2)

PathLike = Union[str, os.PathLike]


@dataclass(frozen=True)
class ItemFilter:
    """Which items an operation selects; every field narrows the selection.

    ``pattern`` is a glob on the record date ``YYYY/MM/DD/<name>`` as earlier
    releases took it (``2022/03/01/21-13*``; ``*`` stops at ``/``, and a
    pattern naming a date folder such as ``2022/03/*`` selects its items).
    ``regex`` is a Python regular expression searched in the record date.
    ``where`` is a parameter expression (see :mod:`RLA.db.expr`).
    ``timestep_below`` keeps the items whose last time-step is below it or
    that never logged one.
    """

    task: Optional[str] = None
    pattern: Optional[str] = None
    regex: Optional[str] = None
    where: Optional[str] = None
    status: Tuple[str, ...] = ()
    since: Optional[_dt.datetime] = None
    until: Optional[_dt.datetime] = None
    timestep_below: Optional[int] = None
    archived: bool = False

    def __post_init__(self) -> None:
        statuses = (self.status,) if isinstance(self.status, str) else tuple(self.status or ())
        object.__setattr__(self, "status", statuses)
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, _dt.datetime):
                object.__setattr__(self, name, parse_time(value))
        if self.task is not None:
            layout.validate_task_name(self.task)

    def name_matches(self, item: Item) -> bool:
        """The filters that need only the item's name."""
        if self.pattern is not None and not _glob_regex(self.pattern).match(item.record_date):
            return False
        if self.regex is not None and not re.search(self.regex, item.record_date):
            return False
        if self.since is None and self.until is None:
            return True
        start = start_time(item)
        if self.since is not None and (start is None or start < self.since):
            return False
        if self.until is not None and (start is None or start > self.until):
            return False
        return True


@dataclass
class ItemRecord:
    """What the index knows of one item: enough to list, filter and plan operations."""

    item: Item
    sizes: Dict[str, int]  # data type -> bytes, for the data types the item has on disk
    params: Dict[str, Any]  # every hyper-parameter, nested keys flattened as "a.b"
    tracked: List[str]  # the parameters in the item's name
    status: str  # running, finished, failed, killed, or unknown (no run.json)
    last_time_step: Optional[int]
    rows: Optional[int]  # rows of progress.csv; None without one
    host: Optional[str] = None
    ip: Optional[str] = None
    end_time: Optional[str] = None

    @property
    def index(self) -> str:
        return self.item.index

    def to_dict(self) -> Dict[str, Any]:
        """A JSON-ready summary (for ``--json`` output)."""
        start = start_time(self.item)
        return {
            "index": self.item.index, "task": self.item.task, "record_date": self.item.record_date,
            "archived": self.item.archived, "start_time": start.isoformat() if start else None,
            "end_time": self.end_time, "status": self.status, "last_time_step": self.last_time_step,
            "rows": self.rows, "host": self.host, "ip": self.ip, "tracked": self.tracked,
            "params": self.params, "sizes": self.sizes,
        }


def parse_time(value: Union[str, _dt.date, _dt.datetime]) -> _dt.datetime:
    """``2022-03-01``, ``2022/03/01 21:13``, an ISO time, a date or a datetime -> datetime."""
    if isinstance(value, _dt.datetime):
        return value
    if isinstance(value, _dt.date):
        return _dt.datetime.combine(value, _dt.time())
    text = str(value).strip().replace("/", "-")
    try:
        return _dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"cannot read time {value!r}; write it as 2022-03-01 or '2022-03-01 21:13'") from None


def start_time(item: Item) -> Optional[_dt.datetime]:
    """When the item's run started, read from its date and name (fast path for v1 and legacy names)."""
    y, m, d = item.date.split("/")
    name = item.name
    try:
        if name[2] == name[5] == name[8] == "-" and name[9:15].isdigit():
            return _dt.datetime(int(y), int(m), int(d), int(name[0:2]), int(name[3:5]), int(name[6:8]),
                                int(name[9:15]))
    except (ValueError, IndexError):
        pass
    return item.start_time


def scan(data_root: PathLike, task: Optional[str] = None, archived: bool = False,
         refresh: bool = False) -> List[ItemRecord]:
    """Every item of ``task`` (or of every table), sorted by index, from a fresh index."""
    return select(data_root, ItemFilter(task=task, archived=archived), refresh=refresh)


def select(data_root: PathLike, item_filter: ItemFilter, refresh: bool = False) -> List[ItemRecord]:
    """The records of the items ``item_filter`` selects, sorted by index.

    ``refresh`` ignores the cached index and reads every item again.
    """
    db = Database(data_root)
    if not db.root.is_dir():
        raise FileNotFoundError(f"no RLA database at {db.root}: check the data root (--data-root / RLA_DATA_ROOT)")
    predicate = compile_where(item_filter.where) if item_filter.where else None
    tasks = [item_filter.task] if item_filter.task is not None else db.tasks(item_filter.archived)
    out: List[ItemRecord] = []
    for task in tasks:
        table = _TableIndex(db, task, item_filter.archived, refresh)
        for record in table.records(item_filter):
            if item_filter.status and record.status not in item_filter.status:
                continue
            if item_filter.timestep_below is not None and not (
                    record.last_time_step is None or record.last_time_step < item_filter.timestep_below):
                continue
            if predicate is not None and not predicate(record.params):
                continue
            out.append(record)
    return out


def query(data_root: PathLike, task: Optional[str] = None, pattern: Optional[str] = None, *,
          refresh: bool = False, **filters: Any) -> "pd.DataFrame":
    """The selected items as a DataFrame indexed by item index.

    ``filters`` are the other fields of :class:`ItemFilter` (``where``,
    ``status``, ``since``, ``until``, ``regex``, ``timestep_below``, ``archived``).
    """
    item_filter = ItemFilter(task=task, pattern=pattern, **filters)
    return to_frame(select(data_root, item_filter, refresh=refresh))


def to_frame(records: Sequence[ItemRecord]) -> "pd.DataFrame":
    """One row per record: fixed columns, ``size.<type>`` per data type, ``params.<key>`` per parameter."""
    import pandas as pd

    columns: Dict[str, List[Any]] = {
        "task": [r.item.task for r in records],
        "record_date": [r.item.record_date for r in records],
        "date": pd.to_datetime([start_time(r.item) for r in records]),
        "ip": [r.ip for r in records],
        "host": [r.host for r in records],
        "status": [r.status for r in records],
        "last_time_step": pd.array([r.last_time_step for r in records], dtype="Int64"),
        "rows": pd.array([r.rows for r in records], dtype="Int64"),
        "tracked": [r.tracked for r in records],
        "params": [r.params for r in records],
    }
    for data_type in DATA_TYPES:
        columns[f"size.{data_type}"] = pd.array([r.sizes.get(data_type) for r in records], dtype="Int64")
    columns["size"] = [sum(r.sizes.values()) for r in records]
    columns["archived"] = [r.item.archived for r in records]
    keys: Dict[str, None] = {}
    for record in records:
        keys.update(dict.fromkeys(record.params))
    for key in keys:
        columns[f"params.{key}"] = [r.params.get(key) for r in records]
    frame = pd.DataFrame(columns, index=pd.Index([r.item.index for r in records], name="index"))
    return frame


# -- the index of one table ------------------------------------------------------------

class _TableIndex:
    """The cached index of one table (live or archived), checked against the files."""

    def __init__(self, db: Database, task: str, archived: bool, refresh: bool):
        self.db = db
        self.task = task
        self.archived = archived
        self.path = db.index_file(task, archived)
        cache = {} if refresh else self._load()
        self.old_days: Dict[str, Dict[str, list]] = cache.get("days", {})
        self.old_items: Dict[str, list] = cache.get("items", {})
        self.days: Dict[str, Dict[str, list]] = {}
        self.items: Dict[str, list] = {}
        self.changed = refresh or not cache

    def _load(self) -> Dict[str, Any]:
        try:
            with open(self.path, encoding="utf-8") as f:
                cache = json.load(f)
        except (OSError, ValueError):
            return {}
        if not isinstance(cache, dict) or cache.get("version") != INDEX_VERSION:
            return {}
        return cache

    def _save(self) -> None:
        """Write the index atomically; a read-only database just goes without one."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump({"version": INDEX_VERSION, "days": self.days, "items": self.items}, f,
                          separators=(",", ":"))
            os.replace(tmp, self.path)
        except OSError:
            pass

    def records(self, item_filter: ItemFilter) -> List[ItemRecord]:
        """The records of the items passing the name filters, each checked against its files."""
        now = time.time_ns()
        entries, changed_dates = self._list_entries(now)
        out = []
        for (date, name), types in sorted(entries.items()):
            item = Item(self.db.root, self.task, date, name, self.archived)
            record_date = f"{date}/{name}"
            cached = self.old_items.get(record_date)
            if not item_filter.name_matches(item):
                if cached is not None:
                    self.items[record_date] = cached  # kept, unchecked, for the next call
                continue
            entry = None
            if cached is not None:
                entry = self._revalidate(item, types, cached, date in changed_dates)
            if entry is None:
                entry = _read_item(item, types, now)
                self.changed = True
            self.items[record_date] = entry
            out.append(_record_from_entry(item, entry))
        if self.changed or len(self.items) != len(self.old_items):
            self._save()
        return out

    def _list_entries(self, now: int) -> Tuple[Dict[Tuple[str, str], List[str]], set]:
        """``{(date, name): [data types]}`` of the table, and the dates whose folders changed."""
        entries: Dict[Tuple[str, str], List[str]] = {}
        changed_dates = set()
        for data_type in DATA_TYPES:
            old = self.old_days.get(data_type, {})
            days = self.days[data_type] = {}
            for date, day_dir in _day_dirs(self.db.type_root(data_type, self.archived) / self.task):
                try:
                    mtime = os.stat(day_dir).st_mtime_ns
                except OSError:
                    continue
                cached = old.get(date)
                if cached is not None and cached[0] == mtime:
                    names = cached[1]
                else:
                    names = _entry_names(day_dir, data_type)
                    changed_dates.add(date)
                    self.changed = True
                days[date] = [mtime if mtime < now - SETTLE_NS else None, names]
                for name in names:
                    entries.setdefault((date, name), []).append(data_type)
            if old.keys() - days.keys():
                self.changed = True
        return entries, changed_dates

    def _revalidate(self, item: Item, types: List[str], cached: list, day_changed: bool) -> Optional[list]:
        """``cached`` when it still describes the item's files, else ``None``."""
        signature, fields_ = cached[0], cached[1]
        if signature is None or fields_["status"] == "running" or sorted(fields_["sizes"]) != sorted(types):
            return None
        if day_changed:
            return cached if _signature(item, types) == signature else None
        checked = ["log"] + (["csv"] if fields_["status"] == UNKNOWN_STATUS else [])
        current = _signature(item, types, only=checked)
        return cached if all(current.get(k) == signature.get(k) for k in checked) else None


def _day_dirs(task_root: Path) -> Iterator[Tuple[str, str]]:
    """``("YYYY/MM/DD", path)`` for every day folder of a table under one data type."""
    for year in _dated_subdirs(str(task_root), 0):
        year_dir = os.path.join(task_root, year)
        for month in _dated_subdirs(year_dir, 1):
            month_dir = os.path.join(year_dir, month)
            for day in _dated_subdirs(month_dir, 2):
                yield f"{year}/{month}/{day}", os.path.join(month_dir, day)


def _dated_subdirs(path: str, level: int) -> List[str]:
    try:
        with os.scandir(path) as it:
            return [e.name for e in it if len(e.name) == _DATE_WIDTHS[level]
                    and _DATE_PART.match(e.name) and e.is_dir()]
    except (FileNotFoundError, NotADirectoryError):
        return []


def _entry_names(day_dir: str, data_type: str) -> List[str]:
    """The item names in a day folder (temporary files and foreign files left out)."""
    try:
        names = os.listdir(day_dir)
    except (FileNotFoundError, NotADirectoryError):
        return []
    out = []
    for name in names:
        if name.startswith("."):
            continue
        if data_type == "archive_tester":
            if not name.endswith(layout.PICKLE_SUFFIX):
                continue
            name = name[: -len(layout.PICKLE_SUFFIX)]
        out.append(name)
    return sorted(out)


def _signature(item: Item, types: Iterable[str], only: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """mtimes (and sizes of files) of the item's entries and its progress.csv."""
    signature: Dict[str, Any] = {}
    wanted = set(types) if only is None else set(types) & set(only)
    for data_type in wanted:
        try:
            st = os.lstat(item.path(data_type))
        except OSError:
            continue
        signature[data_type] = [st.st_mtime_ns, st.st_size if data_type == "archive_tester" else 0]
    if "log" in types and (only is None or "csv" in only):
        try:
            st = os.stat(item.path("log") / layout.PROGRESS_CSV)
            signature["csv"] = [st.st_mtime_ns, st.st_size]
        except OSError:
            pass
    return signature


def _read_item(item: Item, types: List[str], now: int) -> list:
    """Read an item from its files: ``[signature or None, fields]`` for the index."""
    signature = _signature(item, types)  # taken first: a later write shows up as a newer mtime
    log_dir = item.path("log")
    run = read_json(log_dir / layout.RUN_JSON) if "log" in types else None
    params = read_json(log_dir / layout.PARAMS_JSON) if "log" in types else None
    parsed = item.parsed
    name_params = parsed.params() if parsed is not None else {}
    rows, csv_time_step = _csv_summary(log_dir / layout.PROGRESS_CSV) if "log" in types else (None, None)
    last_time_step = csv_time_step
    if last_time_step is None and run is not None and isinstance(run.get("last_time_step"), int):
        last_time_step = run["last_time_step"]
    tracked = run.get("record_param") if run is not None else None
    fields_ = {
        "sizes": {t: _size(item.path(t)) for t in types},
        "params": _flatten(params) if params is not None else {k: _coerce(v) for k, v in name_params.items()},
        "tracked": list(tracked) if isinstance(tracked, list) else list(name_params),
        "status": str(run.get("status")) if run is not None else UNKNOWN_STATUS,
        "last_time_step": last_time_step,
        "rows": rows,
        "host": run.get("host") if run is not None else None,
        "ip": (run.get("ip") if run is not None else None) or (parsed.ip if parsed is not None else None),
        "end_time": run.get("end_time") if run is not None else None,
    }
    settled = all(v[0] < now - SETTLE_NS for v in signature.values())
    return [signature if settled and fields_["status"] != "running" else None, fields_]


def _record_from_entry(item: Item, entry: list) -> ItemRecord:
    fields_ = entry[1]
    return ItemRecord(item=item, **fields_)


def _size(path: Path) -> int:
    """Bytes of a file, or of every file under a folder (symbolic links not followed)."""
    try:
        st = os.lstat(path)
    except OSError:
        return 0
    if not os.path.isdir(path) or os.path.islink(path):
        return st.st_size
    total = 0
    stack = [str(path)]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    else:
                        try:
                            total += entry.stat(follow_symlinks=False).st_size
                        except OSError:
                            pass
        except OSError:
            continue
    return total


def _csv_summary(path: Path) -> Tuple[Optional[int], Optional[int]]:
    """``(rows, last time-step)`` of a progress.csv; ``(None, None)`` without one.

    Counts lines in chunks and parses only the header and the last row, so a
    long file costs one sequential read and no parsing.
    """
    try:
        f = open(path, "rb")
    except OSError:
        return None, None
    with f:
        header = f.readline()
        if not header.strip():
            return 0, None
        lines, tail = 0, b""
        for chunk in iter(lambda: f.read(1 << 20), b""):
            lines += chunk.count(b"\n")
            tail = (tail + chunk)[-65536:]
    rows_text = [line for line in tail.splitlines() if line.strip()]
    rows = lines + (1 if tail and not tail.endswith(b"\n") else 0)
    if not rows_text:
        return rows, None
    try:
        columns = next(csv.reader(io.StringIO(header.decode("utf-8", errors="replace"))))
        last = next(csv.reader(io.StringIO(rows_text[-1].decode("utf-8", errors="replace"))))
        return rows, int(float(last[columns.index(TIME_STEP_COLUMN)]))
    except (ValueError, IndexError, StopIteration):
        return rows, None


def _flatten(params: Mapping[str, Any], prefix: str = "") -> Dict[str, Any]:
    """Nested parameters -> ``{"a.b": value}``; a value stored as a repr -> that repr."""
    out: Dict[str, Any] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and REPR_MARKER in value:
            out[name] = value[REPR_MARKER]
        elif isinstance(value, dict) and value:
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _coerce(text: str) -> Any:
    """A parameter value read from a legacy name: number, bool or None when it looks like one."""
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return {"True": True, "False": False, "None": None}.get(text, text)


_GLOB_CACHE: Dict[str, "re.Pattern[str]"] = {}


def _glob_regex(pattern: str) -> "re.Pattern[str]":
    """A glob on ``YYYY/MM/DD/<name>``: ``*``/``?`` stay within one ``/`` part, and a
    pattern matching a leading part (a date folder) matches everything below it."""
    compiled = _GLOB_CACHE.get(pattern)
    if compiled is None:
        parts = []
        i = 0
        text = pattern.strip().strip("/")
        while i < len(text):
            char = text[i]
            if char == "*":
                parts.append("[^/]*")
            elif char == "?":
                parts.append("[^/]")
            elif char == "[":
                end = text.find("]", i + 2 if text[i + 1: i + 2] in ("!", "]") else i + 1)
                if end < 0:
                    parts.append(re.escape(char))
                else:
                    body = text[i + 1: end].replace("\\", "\\\\")
                    parts.append("[^" + body[1:] + "]" if body.startswith("!") else "[" + body + "]")
                    i = end
            else:
                parts.append(re.escape(char))
            i += 1
        compiled = _GLOB_CACHE[pattern] = re.compile("".join(parts) + r"(?:/.*)?\Z", re.S)
    return compiled
