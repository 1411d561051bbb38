"""The on-disk layout of an RLA database: the only module that knows it.

    <data_root>/<type>/<task>/<YYYY>/<MM>/<DD>/<HH-MM-SS-ffffff>_<ip>_<info>[/]
    <data_root>/archive_tester/<task>/<YYYY>/<MM>/<DD>/<name>.pkl
    <data_root>/arc/<type>/<task>/...            archived items, same layout

An item's index is ``<task>/<YYYY>/<MM>/<DD>/<name>``; its *record date* (what
regex filters match) is the part after ``<task>/``.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

__all__ = [
    "DATA_TYPES",
    "ARCHIVE_DIR",
    "INDEX_DIR",
    "Database",
    "Item",
    "ItemName",
    "LayoutError",
    "format_log_name",
    "parse_log_name",
    "validate_task_name",
]

DATA_TYPES = ("log", "code", "checkpoint", "archive_tester", "results")
ARCHIVE_DIR = "arc"
#: ``<data_root>/results/<PLOTS_DIR>`` holds database-wide figures, not a table
PLOTS_DIR = "easy_plot"
#: the query index cache (RLA.db.query), rebuilt from the items whenever it is stale
INDEX_DIR = ".rla_index"
PICKLE_SUFFIX = ".pkl"
TIME_FORMAT = "%H-%M-%S-%f"
MAX_NAME_BYTES = 250

# files inside an item's log folder
PROGRESS_CSV = "progress.csv"
PROGRESS_JSON = "progress.json"
PARAMS_JSON = "params.json"
RUN_JSON = "run.json"
TB_DIR = "tb"
LOG_TXT = "log.txt"
WARN_TXT = "warn.txt"
BACKUP_TXT = "backup.txt"
# files beside an item's code snapshot
GIT_DIFF = "git.diff"
REQUIREMENTS_TXT = "requirements.txt"

_V1_NAME = re.compile(r"^(?P<time>\d{2}-\d{2}-\d{2}-\d{6})_(?P<ip>[^_ ]*)_(?P<info>&.*)$", re.S)
_LEGACY_NAME = re.compile(r"^(?P<time>\d{2}-\d{2}-\d{2}-\d{6}) (?P<ip>\S*) ?(?P<info>.*)$", re.S)
_DATE_PARTS = (re.compile(r"^\d{4}$"), re.compile(r"^\d{2}$"), re.compile(r"^\d{2}$"))
_VALUE_REPLACEMENTS = str.maketrans({"[": "{", "]": "}", "/": "_", "\\": "_", "\0": "_", "\n": " "})


class LayoutError(ValueError):
    """A name or path does not follow the RLA database layout."""


def validate_task_name(task: str) -> str:
    if not isinstance(task, str) or not task.strip():
        raise LayoutError(f"task_table_name must be a non-empty string, got {task!r}")
    if task == PLOTS_DIR:
        raise LayoutError(f"task_table_name {task!r} is reserved for plot_func's figures; choose another name")
    if "/" in task or "\\" in task or task in (".", ".."):
        raise LayoutError(
            f"task_table_name {task!r} may not contain '/' or be '.'/'..': it names one folder "
            "of the database; use e.g. 'hopper_v2' instead of 'hopper/v2'"
        )
    return task


def _format_value(value: Any) -> str:
    return str(value).translate(_VALUE_REPLACEMENTS)


def format_log_name(timestamp: _dt.datetime, ip: str, tracked: Sequence[Tuple[str, Any]]) -> str:
    """The v1 log_name: ``<HH-MM-SS-ffffff>_<ip>_&k1=v1&k2=v2`` (``_&`` with no params).

    A name longer than a file system allows is cut and ends in a hash of the
    full info, so two different parameter sets never share a name.
    """
    info = "&" + "&".join(f"{_format_value(k)}={_format_value(v)}" for k, v in tracked)
    prefix = f"{timestamp.strftime(TIME_FORMAT)}_{ip}_"
    name = prefix + info
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        digest = hashlib.sha1(info.encode("utf-8")).hexdigest()[:10]
        budget = MAX_NAME_BYTES - len(prefix.encode("utf-8")) - len(digest) - 1
        cut = info.encode("utf-8")[:budget].decode("utf-8", errors="ignore")
        name = f"{prefix}{cut}~{digest}"
    return name


@dataclass(frozen=True)
class ItemName:
    """A parsed log_name: v1 (``_``-separated) or legacy (space-separated)."""

    time: _dt.time
    ip: str
    info: str
    legacy: bool

    def params(self) -> Dict[str, str]:
        """The tracked parameters encoded in the name, as strings."""
        out: Dict[str, str] = {}
        for part in self.info.split("&"):
            if not part:
                continue
            key, sep, value = part.partition("=")
            out[key] = value if sep else ""
        return out


def parse_log_name(name: str) -> Optional[ItemName]:
    """Parse a log_name (v1 or legacy); ``None`` when it is not an RLA name."""
    for pattern, legacy in ((_V1_NAME, False), (_LEGACY_NAME, True)):
        match = pattern.match(name)
        if match:
            try:
                time = _dt.datetime.strptime(match["time"], TIME_FORMAT).time()
            except ValueError:
                return None
            return ItemName(time=time, ip=match["ip"], info=match["info"], legacy=legacy)
    return None


@dataclass(frozen=True)
class Item:
    """One experiment: the same relative path under each of the five data types."""

    root: Path
    task: str
    date: str  # "YYYY/MM/DD"
    name: str
    archived: bool = False

    @property
    def record_date(self) -> str:
        """``YYYY/MM/DD/<name>``: what regex and glob filters match against."""
        return f"{self.date}/{self.name}"

    @property
    def index(self) -> str:
        return f"{self.task}/{self.record_date}"

    @property
    def parsed(self) -> Optional[ItemName]:
        return parse_log_name(self.name)

    @property
    def start_time(self) -> Optional[_dt.datetime]:
        parsed = self.parsed
        if parsed is None:
            return None
        day = _dt.datetime.strptime(self.date, "%Y/%m/%d").date()
        return _dt.datetime.combine(day, parsed.time)

    def path(self, data_type: str) -> Path:
        if data_type not in DATA_TYPES:
            raise LayoutError(f"unknown data type {data_type!r}; expected one of {', '.join(DATA_TYPES)}")
        base = self.root / ARCHIVE_DIR if self.archived else self.root
        folder = base / data_type / self.task / self.date
        if data_type == "archive_tester":
            return folder / (self.name + PICKLE_SUFFIX)
        return folder / self.name

    def existing_paths(self) -> Dict[str, Path]:
        """The data types this item has on disk, with their paths."""
        return {t: p for t in DATA_TYPES if os.path.lexists(p := self.path(t))}

    def moved(self, root: Union[str, Path, None] = None, task: Optional[str] = None,
              archived: Optional[bool] = None) -> "Item":
        """The same item under another database, task or archive state."""
        return Item(
            root=Path(root) if root is not None else self.root,
            task=validate_task_name(task) if task is not None else self.task,
            date=self.date,
            name=self.name,
            archived=self.archived if archived is None else archived,
        )


class Database:
    """A ``data_root`` folder holding tables (tasks) of items."""

    def __init__(self, root: Union[str, os.PathLike]):
        self.root = Path(os.path.abspath(os.path.expanduser(os.fspath(root))))

    def __repr__(self) -> str:
        return f"Database({str(self.root)!r})"

    def type_root(self, data_type: str, archived: bool = False) -> Path:
        base = self.root / ARCHIVE_DIR if archived else self.root
        return base / data_type

    def plots_dir(self) -> Path:
        """Where database-wide figures (plot_func) are saved."""
        return self.type_root("results") / PLOTS_DIR

    def managed_dirs(self) -> List[Path]:
        """Every folder RLA writes under ``root``: a code snapshot must never copy them."""
        return [self.type_root(t) for t in DATA_TYPES] + [self.root / ARCHIVE_DIR, self.root / INDEX_DIR]

    def index_file(self, task: str, archived: bool = False) -> Path:
        """Where the query index of one table is cached."""
        return self.root / INDEX_DIR / (ARCHIVE_DIR if archived else "live") / f"{validate_task_name(task)}.json"

    def item(self, task: str, record_date: str, archived: bool = False) -> Item:
        """The item named by ``task`` and ``YYYY/MM/DD/<name>`` (it need not exist)."""
        date, _, name = record_date.strip("/").rpartition("/")
        if not all(p.match(part) for p, part in zip(_DATE_PARTS, date.split("/"))) or date.count("/") != 2:
            raise LayoutError(f"record date {record_date!r} is not of the form YYYY/MM/DD/<name>")
        return Item(self.root, validate_task_name(task), date, name, archived)

    def item_from_index(self, index: str, archived: bool = False) -> Item:
        task, _, record_date = index.strip("/").partition("/")
        return self.item(task, record_date, archived)

    def tasks(self, archived: bool = False) -> List[str]:
        """Every task that has an item folder under any data type."""
        names = set()
        for data_type in DATA_TYPES:
            names.update(_subdirs(self.type_root(data_type, archived)))
        names.discard(PLOTS_DIR)
        return sorted(names)

    def items(self, task: Optional[str] = None, archived: bool = False) -> List[Item]:
        """Every item of ``task`` (or of all tasks), found under any data type, sorted by index."""
        tasks = [task] if task is not None else self.tasks(archived)
        found = set()
        for table in tasks:
            for data_type in DATA_TYPES:
                for date, name in _walk_dated(self.type_root(data_type, archived) / table):
                    if data_type == "archive_tester":
                        if not name.endswith(PICKLE_SUFFIX):
                            continue
                        name = name[: -len(PICKLE_SUFFIX)]
                    found.add((table, date, name))
        return [Item(self.root, t, d, n, archived) for t, d, n in sorted(found)]

    def create_item(self, task: str, ip: str, tracked: Sequence[Tuple[str, Any]],
                    timestamp: Optional[_dt.datetime] = None) -> Item:
        """Claim a new item name atomically (exclusive mkdir of its log folder).

        Two runs never share a name: on a clash the timestamp advances by one
        microsecond and the claim is tried again.
        """
        validate_task_name(task)
        timestamp = timestamp or _dt.datetime.now()
        while True:
            item = Item(self.root, task, timestamp.strftime("%Y/%m/%d"),
                        format_log_name(timestamp, ip, tracked))
            log_dir = item.path("log")
            log_dir.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.mkdir(log_dir)
            except FileExistsError:
                timestamp += _dt.timedelta(microseconds=1)
                continue
            return item


def _subdirs(path: Path) -> Iterator[str]:
    try:
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir():
                    yield entry.name
    except (FileNotFoundError, NotADirectoryError):
        return


def _walk_dated(task_root: Path) -> Iterable[Tuple[str, str]]:
    """Yield ``("YYYY/MM/DD", name)`` for every entry under ``task_root/YYYY/MM/DD/``."""
    for year in _subdirs(task_root):
        if not _DATE_PARTS[0].match(year):
            continue
        for month in _subdirs(task_root / year):
            if not _DATE_PARTS[1].match(month):
                continue
            for day in _subdirs(task_root / year / month):
                if not _DATE_PARTS[2].match(day):
                    continue
                try:
                    names = os.listdir(task_root / year / month / day)
                except (FileNotFoundError, NotADirectoryError):
                    continue
                for name in names:
                    yield f"{year}/{month}/{day}", name
