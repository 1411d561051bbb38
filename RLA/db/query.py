"""List and filter the items of a database, as records or a pandas DataFrame.

Reading every item's ``run.json``, ``params.json`` and ``progress.csv`` and
walking its five folders is slow on a large database, so each table keeps an
index cache (``<data_root>/.rla_index/``) that is checked against the files on
every call and rebuilt incrementally:

- a day folder (``<type>/<task>/YYYY/MM/DD``) whose mtime is unchanged still
  holds the same entries, so it is not listed again;
- an item is read again when its log folder's mtime changes (``run.json`` and
  ``params.json`` are replaced atomically, which touches it), when its
  ``checkpoint`` or ``results`` folder changes (checked for the items a query
  returns: only their sizes can differ), when any entry of it changed in a day
  whose folder changed, and always while it is ``running`` (its progress.csv
  and event files grow in place);
- a legacy item (no ``run.json``) is also read again when its progress.csv changes.

A folder's mtime moves only when an entry directly inside it is added,
removed or renamed: a file rewritten in place, or written deeper
(``checkpoint/<item>/sub/x``), after the run ended shows in the sizes after
``refresh=True`` (``rla ls --refresh``).
Times within two seconds of a scan are not trusted (file systems store mtimes
in coarse ticks), so such entries are checked again next time.
"""
from __future__ import annotations

import csv
import datetime as _dt
import gc
import io
import json
import os
import re
import stat
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from RLA.db import layout
from RLA.db.expr import compile_where
from RLA.db.layout import DATA_TYPES, Database, Item
from RLA.db.records import REPR_MARKER, read_json

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ItemFilter", "ItemRecord", "UNKNOWN_STATUS", "scan", "select", "query", "to_frame", "parse_time",
           "parse_until", "start_time", "forget_loaded_indexes"]

#: the status of an item that has no run.json (written by an earlier release)
UNKNOWN_STATUS = "unknown"
TIME_STEP_COLUMN = "time-step"
INDEX_VERSION = 4  # 4: time-steps from the last complete line of progress.csv
SETTLE_NS = 2_000_000_000
_DATE_PART = re.compile(r"^\d+$")
_DATE_WIDTHS = (4, 2, 2)
_BARE_DATE = re.compile(r"^\s*\d{4}[-/]\d{1,2}[-/]\d{1,2}\s*$")
# a parameter value in a legacy name is converted only when it is a plain number
# (int() and float() also take "1_0", " 1", "inf", "nan" or "infinity")
_INT_TEXT = re.compile(r"^[+-]?\d+$")
_FLOAT_TEXT = re.compile(r"^[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?$")

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
    that never logged one. ``since`` and ``until`` bound the start time
    (inclusive); a bare date as ``until`` (``2022-03-01``) means the end of
    that day, so that day's items are kept.
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
                object.__setattr__(self, name, parse_until(value) if name == "until" else parse_time(value))
        if self.task is not None:
            layout.validate_task_name(self.task)
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"--regex {self.regex!r} is not a regular expression: {exc}") from None

    def name_matches(self, date: str, name: str) -> bool:
        """The filters that need only the item's date folder and name."""
        record_date = f"{date}/{name}"
        if self.pattern is not None and not _glob_regex(self.pattern).match(record_date):
            return False
        if self.regex is not None and not re.search(self.regex, record_date):
            return False
        if self.since is None and self.until is None:
            return True
        start = _start(date, name)
        if self.since is not None and (start is None or start < self.since):
            return False
        if self.until is not None and (start is None or start > self.until):
            return False
        return True

    def entry_matcher(self) -> Callable[[list], bool]:
        """The filters that need the item's indexed fields (status, time-step, parameters)."""
        predicate = compile_where(self.where) if self.where else None
        statuses = set(self.status)
        bound = self.timestep_below

        def matches(entry: list) -> bool:
            if statuses and entry[_STATUS] not in statuses:
                return False
            if bound is not None and entry[_STEP] is not None and entry[_STEP] >= bound:
                return False
            return predicate is None or predicate(entry[_PARAMS])

        return matches


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


def parse_until(value: Union[str, _dt.date, _dt.datetime]) -> _dt.datetime:
    """Like :func:`parse_time`, but a bare date (``2022-03-01``, a ``date``) is the end of that day."""
    if isinstance(value, _dt.datetime):
        return value
    if isinstance(value, _dt.date):
        return _dt.datetime.combine(value, _dt.time.max)
    if _BARE_DATE.match(str(value)):
        return _dt.datetime.combine(parse_time(value).date(), _dt.time.max)
    return parse_time(value)


def start_time(item: Item) -> Optional[_dt.datetime]:
    """When the item's run started, read from its date folder and name."""
    return _start(item.date, item.name)


def _start(date: str, name: str) -> Optional[_dt.datetime]:
    try:  # the fast path, for v1 and legacy names alike: HH-MM-SS-ffffff first
        if name[2] == name[5] == name[8] == "-" and name[9:15].isdigit():
            year, month, day = date.split("/")
            return _dt.datetime(int(year), int(month), int(day), int(name[0:2]), int(name[3:5]),
                                int(name[6:8]), int(name[9:15]))
    except (ValueError, IndexError):
        pass
    parsed = layout.parse_log_name(name)
    if parsed is None:
        return None
    return _dt.datetime.combine(_dt.datetime.strptime(date, "%Y/%m/%d").date(), parsed.time)


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
    matches = item_filter.entry_matcher()
    tasks = [item_filter.task] if item_filter.task is not None else db.tasks(item_filter.archived)
    out: List[ItemRecord] = []
    collecting = gc.isenabled()
    gc.disable()  # loading the index makes many small objects and no cycles: spare the collector's passes
    try:
        for task in tasks:
            try:
                out += _TableIndex(db, task, item_filter.archived, refresh).records(item_filter, matches)
            except _DamagedIndex:
                # an index damaged (or written by another version) in a way loading did not catch
                out += _TableIndex(db, task, item_filter.archived, True).records(item_filter, matches)
    finally:
        if collecting:
            gc.enable()
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

# The index file: {"version", "days": [{date: [mtime, names]} per data type],
# "items": {date: [[names], [entries]]}}. A day's names are stored once: a data type
# whose names are the log's stores 0. An entry is a list (compact in JSON,
# quick to load): the signature the item was read at (None: read it again next
# time), then the ItemRecord fields from ``sizes`` on, in their order (sizes as
# a list aligned with DATA_TYPES, None for a data type the item lacks).
_SIGNATURE, _SIZES, _PARAMS, _TRACKED, _STATUS, _STEP, _ROWS, _HOST, _IP, _END = range(10)
_SAME_AS_LOG = 0
# index files this process read or wrote: path -> (file stamp, content), to skip decoding them again
_LOADED: Dict[str, Tuple[Tuple[int, int, int], Dict[str, Any]]] = {}
_EVERY = (True,) * len(DATA_TYPES)  # an item with all five data types
# where tools may still write after a run ended (evaluations, figures): checked for each item returned
_OUTPUT_TYPES = ("checkpoint", "results")
# written by the run alone (a resumed run also replaces run.json, which the log folder's mtime shows)
_SNAPSHOT_TYPES = ("code", "archive_tester")


class _DamagedIndex(Exception):
    """The cached index holds something of the wrong shape: rebuild it from the files."""


class _TableIndex:
    """The cached index of one table (live or archived), checked against the files."""

    def __init__(self, db: Database, task: str, archived: bool, refresh: bool):
        self.db = db
        self.task = task
        self.archived = archived
        self.path = db.index_file(task, archived)
        # <type>/<task> folders as strings: paths are joined by hand here, the hot loop of every query
        self.type_dirs = [os.path.join(str(db.type_root(t, archived)), task) for t in DATA_TYPES]
        cache = {} if refresh else self._load()
        self.old_days: List[Dict[str, list]] = cache.get("days") or [{} for _ in DATA_TYPES]
        self.old_items: Dict[str, list] = cache.get("items", {})
        self.days: List[Dict[str, list]] = [{} for _ in DATA_TYPES]
        self.items: Dict[str, list] = {}
        self.changed = refresh or not cache

    def _load(self) -> Dict[str, Any]:
        """The index file's content; from memory when this process read or wrote that very file."""
        try:
            st = os.stat(self.path)
            remembered = _LOADED.get(str(self.path))
            if remembered is not None and remembered[0] == _file_stamp(st):
                return remembered[1]
            with open(self.path, encoding="utf-8") as f:
                cache = json.loads(f.read())
        except (OSError, ValueError):
            return {}
        if not isinstance(cache, dict) or cache.get("version") != INDEX_VERSION \
                or len(cache.get("days", ())) != len(DATA_TYPES):
            return {}
        _LOADED[str(self.path)] = (_file_stamp(st), cache)
        return cache

    def _save(self) -> None:
        """Write the index atomically; a read-only database just goes without one."""
        days = [{date: [mtime, _SAME_AS_LOG if i and names == self.days[0].get(date, (0, None))[1] else names]
                 for date, (mtime, names) in by_date.items()} for i, by_date in enumerate(self.days)]
        cache = {"version": INDEX_VERSION, "days": days, "items": self.items}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(json.dumps(cache, separators=(",", ":")))
                f.flush()
                stamp = _file_stamp(os.fstat(f.fileno()))  # a rename keeps inode and mtime
            os.replace(tmp, self.path)
        except OSError:
            return
        _LOADED[str(self.path)] = (stamp, cache)

    def records(self, item_filter: ItemFilter, matches: Callable[[list], bool]) -> List[ItemRecord]:
        """The records of the items passing ``item_filter``, each checked against its files."""
        now = time.time_ns()
        out = []
        by_name = item_filter.pattern is not None or item_filter.regex is not None \
            or item_filter.since is not None or item_filter.until is not None
        for date, names, changed in self._list_days(now):
            try:
                old = dict(zip(*self.old_items.get(date, ((), ()))))
            except (LookupError, TypeError, ValueError) as exc:
                raise _DamagedIndex(f"items of {date}") from exc
            new: Dict[str, list] = {}
            for name, present in names:
                cached = old.get(name)
                if by_name and not item_filter.name_matches(date, name):
                    if cached is not None:
                        new[name] = cached  # kept, unchecked, for the next call
                    continue
                entry = self._checked(date, name, present, cached, changed)
                hit = entry is not None and matches(entry)
                # checkpoints and results change only the sizes: checked for the items returned alone,
                # which keeps filtering quick
                if hit and _stamp(self._paths(date, name, present), _OUTPUT_TYPES)[0] != entry[_SIGNATURE][2]:
                    entry = None
                if entry is None:
                    entry = _read_item(self._paths(date, name, present), name, now)
                    hit = matches(entry)
                    self.changed = True
                new[name] = entry
                if hit:
                    out.append(self._record(date, name, entry))
            self.items[date] = [list(new), list(new.values())]
            if len(new) != len(old):
                self.changed = True
        if self.changed or self.items.keys() != self.old_items.keys():
            self._save()
        return out

    def _checked(self, date: str, name: str, present: Sequence[bool], cached: Optional[list],
                 day_changed: bool) -> Optional[list]:
        """``cached`` if its status, parameters and time-step still hold, else ``None``."""
        if cached is None:
            return None
        if not (isinstance(cached, list) and len(cached) == _END + 1 and isinstance(cached[_SIZES], list)
                and len(cached[_SIZES]) == len(DATA_TYPES) and isinstance(cached[_PARAMS], dict)
                and isinstance(cached[_TRACKED], list) and isinstance(cached[_STATUS], str)
                and (cached[_SIGNATURE] is None
                     or isinstance(cached[_SIGNATURE], list) and len(cached[_SIGNATURE]) == 4)):
            raise _DamagedIndex(f"entry of {date}/{name}")
        if cached[_SIGNATURE] is None or cached[_STATUS] == "running":
            return None  # a running item grows in place: read again
        if present is _EVERY and not day_changed and None not in cached[_SIZES]:
            # the quick check: the log folder's mtime moves whenever run.json or params.json is replaced
            log_dir = f"{self.type_dirs[0]}/{date}/{name}"
            try:
                if os.stat(log_dir).st_mtime_ns != cached[_SIGNATURE][0]:
                    return None
            except OSError:
                return None
            if cached[_STATUS] == UNKNOWN_STATUS and _csv_signature(log_dir) != cached[_SIGNATURE][1]:
                return None  # no run.json: only progress.csv tells that a run of an earlier release went on
            return cached
        if [size is not None for size in cached[_SIZES]] != list(present):
            return None
        return cached if _signature(self._paths(date, name, present)) == cached[_SIGNATURE] else None

    def _paths(self, date: str, name: str, present: Sequence[bool]) -> Dict[str, str]:
        """The path of each data type the item has, as :meth:`Item.path` gives it."""
        return {t: f"{self.type_dirs[i]}/{date}/{name}{layout.PICKLE_SUFFIX if t == 'archive_tester' else ''}"
                for i, t in enumerate(DATA_TYPES) if present[i]}

    def _record(self, date: str, name: str, entry: list) -> ItemRecord:
        """A record of its own (the index, kept in memory, must not change with it)."""
        sizes = {t: size for t, size in zip(DATA_TYPES, entry[_SIZES]) if size is not None}
        return ItemRecord(Item(self.db.root, self.task, date, name, self.archived), sizes, dict(entry[_PARAMS]),
                          list(entry[_TRACKED]), *entry[_STATUS:])

    def _list_days(self, now: int) -> Iterator[Tuple[str, List[Tuple[str, Sequence[bool]]], bool]]:
        """Per date (sorted): its items with the data types each has, and whether a day folder changed.

        A day folder whose mtime is the one in the index still holds the names
        the index has; only the others are listed again.
        """
        by_date: Dict[str, List[Optional[List[str]]]] = {}
        changed_dates = set()
        for i, data_type in enumerate(DATA_TYPES):
            old, days = self.old_days[i], self.days[i]
            for date, day_dir in _day_dirs(self.type_dirs[i]):
                try:
                    mtime = os.stat(day_dir).st_mtime_ns
                except OSError:
                    continue
                cached = old.get(date)
                names = None
                try:
                    if cached is not None and cached[0] == mtime:
                        names = cached[1] if cached[1] != _SAME_AS_LOG else self.old_days[0].get(date, (0, None))[1]
                except (LookupError, TypeError, AttributeError) as exc:
                    raise _DamagedIndex(f"day {date}") from exc
                if names is not None and not isinstance(names, list):
                    raise _DamagedIndex(f"day {date}")
                if names is None:
                    names = _entry_names(day_dir, data_type)
                    changed_dates.add(date)
                    self.changed = True
                days[date] = [mtime if mtime < now - SETTLE_NS else None, names]
                by_date.setdefault(date, [None] * len(DATA_TYPES))[i] = names
            if old.keys() - days.keys():
                self.changed = True
        for date in sorted(by_date):
            lists = by_date[date]
            first = lists[0]
            if first is not None and all(n is first or n == first for n in lists):
                yield date, [(name, _EVERY) for name in first], date in changed_dates
            else:  # some items lack some data types
                sets = [set(n) if n is not None else set() for n in lists]
                union = sorted(set().union(*sets))
                yield date, [(name, tuple(name in s for s in sets)) for name in union], date in changed_dates


def _file_stamp(st: os.stat_result) -> Tuple[int, int, int]:
    return st.st_ino, st.st_mtime_ns, st.st_size


def forget_loaded_indexes() -> None:
    """Drop the index files kept in memory (the next query reads them from disk)."""
    _LOADED.clear()


def _day_dirs(task_dir: str) -> Iterator[Tuple[str, str]]:
    """``("YYYY/MM/DD", path)`` for every day folder of a table under one data type."""
    for year in _dated_subdirs(task_dir, 0):
        year_dir = os.path.join(task_dir, year)
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
    """The item names in a day folder, sorted (temporary and foreign files left out)."""
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


def _signature(paths: Dict[str, str]) -> List[Optional[int]]:
    """What an entry was read at: ``[log folder mtime, progress.csv stamp, outputs stamp, snapshot stamp]``.

    A stamp is a deterministic hash of mtimes (and sizes of files), so the
    index stays small; the log mtime is kept as is for the quick check.
    """
    return _signature_and_newest(paths)[0]


def _signature_and_newest(paths: Dict[str, str]) -> Tuple[List[Optional[int]], int]:
    """The signature, and the newest mtime in it."""
    log_mtime = None
    if "log" in paths:
        try:
            log_mtime = os.lstat(paths["log"]).st_mtime_ns
        except OSError:
            pass
    csv_stat = _csv_stat(paths["log"]) if "log" in paths else None
    outputs, newest_output = _stamp(paths, _OUTPUT_TYPES)
    snapshot, newest_snapshot = _stamp(paths, _SNAPSHOT_TYPES)
    newest = max(log_mtime or -1, csv_stat[0] if csv_stat else -1, newest_output, newest_snapshot)
    return [log_mtime, hash(csv_stat) if csv_stat is not None else None, outputs, snapshot], newest


def _stamp(paths: Dict[str, str], data_types: Sequence[str]) -> Tuple[int, int]:
    """A stamp of some entries of an item, and their newest mtime."""
    stamps: List[int] = []
    for data_type in data_types:
        try:
            st = os.lstat(paths[data_type])
        except (KeyError, OSError):
            stamps += [-1, -1]
            continue
        stamps += [st.st_mtime_ns, 0 if stat.S_ISDIR(st.st_mode) else st.st_size]
    return hash(tuple(stamps)), max(stamps[::2])


def _csv_stat(log_dir: str) -> Optional[Tuple[int, int]]:
    try:
        st = os.stat(os.path.join(log_dir, layout.PROGRESS_CSV))
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _csv_signature(log_dir: str) -> Optional[int]:
    csv_stat = _csv_stat(log_dir)
    return hash(csv_stat) if csv_stat is not None else None


def _read_item(paths: Dict[str, str], name: str, now: int) -> list:
    """Read an item from its files into an index entry."""
    signature, newest = _signature_and_newest(paths)  # first: a later write shows up as a newer mtime
    log_dir = paths.get("log")
    run = read_json(os.path.join(log_dir, layout.RUN_JSON)) if log_dir else None
    params = read_json(os.path.join(log_dir, layout.PARAMS_JSON)) if log_dir else None
    rows, csv_time_step = _csv_summary(os.path.join(log_dir, layout.PROGRESS_CSV)) if log_dir else (None, None)
    parsed = layout.parse_log_name(name)
    name_params = parsed.params() if parsed is not None else {}
    run = run or {}
    last_time_step = csv_time_step
    run_step = run.get("last_time_step")
    if isinstance(run_step, int) and not isinstance(run_step, bool):
        # run.json's count survives a torn or truncated progress.csv; progress.csv may be newer
        last_time_step = run_step if last_time_step is None else max(last_time_step, run_step)
    tracked = run.get("record_param")
    status = str(run["status"]) if run.get("status") else UNKNOWN_STATUS
    settled = newest < now - SETTLE_NS
    return [
        signature if settled and status != "running" else None,
        [_size(paths[t]) if t in paths else None for t in DATA_TYPES],
        _flatten(params) if params is not None else {k: _coerce(v) for k, v in name_params.items()},
        list(tracked) if isinstance(tracked, list) else list(name_params),
        status,
        last_time_step,
        rows,
        run.get("host"),
        run.get("ip") or (parsed.ip if parsed is not None else None),
        run.get("end_time"),
    ]


def _size(path: str) -> int:
    """Bytes of a file, or of every file under a folder (symbolic links not followed)."""
    try:
        st = os.lstat(path)
    except OSError:
        return 0
    if not stat.S_ISDIR(st.st_mode):
        return st.st_size
    total = 0
    stack = [path]
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


def _csv_summary(path: str) -> Tuple[Optional[int], Optional[int]]:
    """``(rows, last time-step)`` of a progress.csv; ``(None, None)`` without one.

    Counts lines in chunks and parses only the header and the last complete
    row, so a long file costs one sequential read and no parsing. A row is
    complete when it ends with a newline and has as many fields as the
    header: the last line of a run killed mid-write (or of a full disk) may
    be torn (``500`` of ``49900,...``) and is neither counted nor read.
    """
    try:
        f = open(path, "rb")
    except OSError:
        return None, None
    with f:
        header = f.readline()
        if not header.strip() or not header.endswith(b"\n"):
            return 0, None
        lines, tail, cut = 0, b"", False
        for chunk in iter(lambda: f.read(1 << 20), b""):
            lines += chunk.count(b"\n")
            tail += chunk
            if len(tail) > 65536:
                tail, cut = tail[-65536:], True
    try:
        columns = next(csv.reader(io.StringIO(header.decode("utf-8", errors="replace"))))
    except (csv.Error, StopIteration):
        return lines, None
    complete = tail.split(b"\n")[:-1]  # the piece after the last newline is partial (or empty)
    if cut:
        complete = complete[1:]  # the first piece of a cut tail may be the end of a longer line
    for line in reversed(complete):
        if not line.strip():
            continue
        try:
            last = next(csv.reader(io.StringIO(line.decode("utf-8", errors="replace"))))
        except (csv.Error, StopIteration):
            continue
        if len(last) != len(columns):
            continue  # torn, then continued by a resumed run
        try:
            return lines, int(float(last[columns.index(TIME_STEP_COLUMN)]))
        except (ValueError, IndexError, OverflowError):
            return lines, None
    return lines, None


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
    """A parameter value read from a legacy name: number, bool or None when it looks like one.

    Only plain numbers are converted (``clip=1_0`` stays the text ``1_0``).
    """
    if _INT_TEXT.match(text):
        return int(text)
    if _FLOAT_TEXT.match(text):
        return float(text)
    return {"True": True, "False": False, "None": None}.get(text, text)


_GLOB_CACHE: Dict[str, "re.Pattern[str]"] = {}


def _glob_regex(pattern: str) -> "re.Pattern[str]":
    """A glob on ``YYYY/MM/DD/<name>``: ``*``/``?`` stay within one ``/`` part, and a
    pattern matching a leading part (a date folder) matches everything below it.
    A pattern without ``/`` also matches the name alone (``*lr=0.01*``)."""
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
        body = "".join(parts)
        regex = body + r"(?:/.*)?" if "/" in text else rf"(?:{body}(?:/.*)?|[^/]*/[^/]*/[^/]*/{body})"
        compiled = _GLOB_CACHE[pattern] = re.compile(regex + r"\Z", re.S)
    return compiled
