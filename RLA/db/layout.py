"""The on-disk layout of an RLA database: the only module that knows it.

    <data_root>/<type>/<task>/<YYYY>/<MM>/<DD>/<HH-MM-SS-ffffff>_<ip>_<info>[/]
    <data_root>/archive_tester/<task>/<YYYY>/<MM>/<DD>/<name>.pkl
    <data_root>/arc/<type>/<task>/...            archived items, same layout

An item's index is ``<task>/<YYYY>/<MM>/<DD>/<name>``; its *record date* (what
regex filters match) is the part after ``<task>/``.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Set, Tuple, Union

from RLA.db import data_types
from RLA.db.item_files import (  # noqa: F401  (re-exported: the layout is read from here)
    ANNOTATIONS_JSON,
    BACKUP_TXT,
    EVENT_FILE_PREFIX,
    GIT_DIFF,
    LEGACY_EVENTS_DIR,
    LEGACY_PARAMS_FILES,
    LOG_TXT,
    OUTPUT_TXT,
    PARAMS_JSON,
    PROGRESS_CSV,
    PROGRESS_JSON,
    PROGRESS_LATE,
    RANK_LOG,
    REQUIREMENTS_TXT,
    RESUME_MARKER_PREFIX,
    RUN_JSON,
    SYSTEM_CSV,
    TB_DIR,
    WARN_TXT,
    CodeFolder,
    LogFolder,
    result_name,
)
from RLA.db.names import MAX_NAME_BYTES, ItemName, format_log_name, parse_log_name  # noqa: F401  (re-exported)
from RLA.errors import ItemNotFoundError, LayoutError
from RLA.words import did_you_mean

__all__ = [
    "DATA_TYPES",
    "ARCHIVE_DIR",
    "INDEX_DIR",
    "TIME_STEP_COLUMN",
    "WALL_TIME_COLUMN",
    "WALL_TIME_COLUMNS",
    "Database",
    "Item",
    "result_name",
    "result_parts",
    "ItemName",
    "LogFolder",
    "CodeFolder",
    "LayoutError",
    "format_log_name",
    "parse_log_name",
    "validate_task_name",
    "day_folders",
]

#: the names of the data types of :mod:`RLA.db.data_types`
DATA_TYPES = tuple(t.name for t in data_types.TYPES)
ARCHIVE_DIR = "arc"
#: ``<data_root>/results/<PLOTS_DIR>`` holds database-wide figures, not a table
PLOTS_DIR = "easy_plot"
#: the query index cache (RLA.db.index), rebuilt from the items whenever it is missing or damaged
INDEX_DIR = ".rla_index"
#: what each remote database holds, for incremental sync (RLA.db.sync.manifest)
SYNC_DIR = ".rla_sync"
#: the records of ``rla sweep`` (RLA.sweep): one JSON file per sweep, engine logs beside it
SWEEPS_DIR = ".rla_sweeps"
#: where rank 0 of a multi-process run publishes its item for the other ranks (RLA.easy_log.ranks)
RANKS_DIR = ".rla_ranks"
#: the journals of delete / archive / move operations under way (RLA.db.journal)
OPS_DIR = ".rla_ops"
#: what each ``rla run`` of the database watches, and when (RLA.capture.neighbours)
CAPTURES_DIR = ".rla_captures"
#: plot_func's cache of parsed progress.csv columns, in the plots folder
COLUMN_CACHE_DIR = ".column_cache"
#: the SQLite column cache of earlier releases (removed by the new one)
COLUMN_CACHE_FILE = ".column_cache.sqlite"
PICKLE_SUFFIX = data_types.ARCHIVE_TESTER.suffix

#: the first column of progress.csv: the x-axis of every curve
TIME_STEP_COLUMN = "time-step"
#: the wall-clock time of each row of progress.csv (unix seconds), written by the logger, `rla run` and
#: `rla import`; runs of RLA 0.6 logged it as ``timestamp``
WALL_TIME_COLUMN = "wall_time"
#: the columns a row's wall-clock time is read from, first found first
WALL_TIME_COLUMNS = (WALL_TIME_COLUMN, "timestamp")
#: the time-steps a run may log at: TensorBoard stores a step as a signed 64-bit integer
TIME_STEP_RANGE = (-2 ** 63, 2 ** 63 - 1)


_DATE_PARTS = (re.compile(r"^\d{4}$"), re.compile(r"^\d{2}$"), re.compile(r"^\d{2}$"))


def validate_task_name(task: str) -> str:
    if not isinstance(task, str) or not task.strip():
        raise LayoutError(f"task_table_name must be a non-empty string, got {task!r}")
    if task == PLOTS_DIR:
        raise LayoutError(f"task_table_name {task!r} is reserved for plot_func's figures; choose another name")
    if "\0" in task or len(task.encode("utf-8", errors="replace")) > MAX_NAME_BYTES:
        raise LayoutError(f"task_table_name {task[:80]!r} holds a NUL or is longer than {MAX_NAME_BYTES} bytes; "
                          "it names one folder of the database: choose a short name such as 'hopper_v2'")
    if "/" in task or "\\" in task or task in (".", ".."):
        raise LayoutError(
            f"task_table_name {task!r} may not contain '/' or be '.'/'..': it names one folder "
            "of the database; use e.g. 'hopper_v2' instead of 'hopper/v2'"
        )
    return task


def result_parts(name: str) -> List[str]:
    """The folders and file of a result ``name`` (``/``-separated, relative to an item's results folder); a
    name that would lead out of that folder (absolute, with a ``..`` or empty part) raises LayoutError."""
    parts = name.split("/")
    if any(part in ("", ".", "..") or "\0" in part or "\\" in part for part in parts):
        raise LayoutError(f"{name!r} is no file name inside an item's results folder")
    return parts


@dataclass(frozen=True)
class Item:
    """One experiment: the same relative path under each of the data types."""

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
        kind = data_types.BY_NAME.get(data_type)
        if kind is None:
            raise LayoutError(f"unknown data type {data_type!r}; expected one of {', '.join(DATA_TYPES)}")
        base = self.root / ARCHIVE_DIR if self.archived else self.root
        # one join: plotting builds thousands
        return base.joinpath(data_type, self.task, self.date, kind.entry_name(self.name))

    @property
    def log(self) -> LogFolder:
        return LogFolder(self.path("log"))

    @property
    def code(self) -> CodeFolder:
        return CodeFolder(self.path("code"))

    @property
    def log_dir(self) -> Path:
        return self.path("log")

    @property
    def code_dir(self) -> Path:
        return self.path("code")

    @property
    def checkpoint_dir(self) -> Path:
        return self.path("checkpoint")

    @property
    def results_dir(self) -> Path:
        return self.path("results")

    def result_file(self, name: str) -> Path:
        """The file ``name`` (``/``-separated, relative) of the item's results folder (see :func:`result_parts`)."""
        return self.results_dir.joinpath(*result_parts(name))

    @property
    def hyperparameter_dir(self) -> Path:
        return self.path("hyperparameter")

    @property
    def tmp_data_dir(self) -> Path:
        return self.path("tmp_data")

    @property
    def hyperparameter_json(self) -> Path:
        """The parameters in the ``hyperparameter`` folder, where RLA 0.6's query tools read them."""
        return self.hyperparameter_dir / LEGACY_PARAMS_FILES[0]

    @property
    def pickle_file(self) -> Path:
        """The pickled experiment manager of the run (``archive_tester/...pkl``)."""
        return self.path("archive_tester")

    @property
    def run_json(self) -> Path:
        return self.log.run_json

    @property
    def params_json(self) -> Path:
        return self.log.params_json

    @property
    def progress_csv(self) -> Path:
        return self.log.progress_csv

    @property
    def annotations_json(self) -> Path:
        """The tags and note of the item (:mod:`RLA.db.annotations`)."""
        return self.log.annotations_json

    @property
    def tb_dir(self) -> Path:
        return self.log.tb_dir

    def resume_marker(self, number: int) -> Path:
        return self.log.resume_marker(number)

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

    def column_cache_dir(self) -> Path:
        """plot_func's cache of parsed progress.csv columns for this database (RLA.easy_plot.column_cache)."""
        return self.plots_dir() / COLUMN_CACHE_DIR

    def column_cache_file(self) -> Path:
        """The SQLite column cache of earlier releases: removed when the column cache is written."""
        return self.plots_dir() / COLUMN_CACHE_FILE

    def managed_dirs(self) -> List[Path]:
        """Every folder RLA writes under ``root``: a code snapshot must never copy them."""
        return [self.type_root(t) for t in DATA_TYPES] + [self.root / d for d in (ARCHIVE_DIR, INDEX_DIR, SYNC_DIR,
                                                                                   SWEEPS_DIR, RANKS_DIR, OPS_DIR,
                                                                                   CAPTURES_DIR)]

    def sweep_file(self, name: str) -> Path:
        """The record of the sweep ``name``: its command and trials (written by RLA.sweep)."""
        return self.root / SWEEPS_DIR / f"{validate_task_name(name)}.json"

    def sweep_dir(self, name: str) -> Path:
        """The files of the sweep ``name`` besides its record: each trial's output, submitit's job scripts and logs."""
        return self.root / SWEEPS_DIR / validate_task_name(name)

    def rank_file(self, group: str) -> Path:
        """Where rank 0 of the process group ``group`` (a file-name-safe key) publishes its item."""
        return self.root / RANKS_DIR / f"{group}.json"

    def capture_file(self, key: str) -> Path:
        """The record of one ``rla run`` (``key``: file-name-safe, unique per run): the folders it watches."""
        return self.root / CAPTURES_DIR / f"{validate_task_name(key)}.json"

    def capture_files(self) -> List[Path]:
        """The records of every ``rla run`` of this database not yet pruned."""
        folder = self.root / CAPTURES_DIR
        return sorted(folder.glob("*.json")) if folder.is_dir() else []

    def ops_dir(self) -> Path:
        """Where the journals of operations under way are kept."""
        return self.root / OPS_DIR

    def index_dir(self) -> Path:
        """Where the query index (RLA.db.index) is cached."""
        return self.root / INDEX_DIR

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
        names: Set[str] = set()
        for data_type in DATA_TYPES:
            names.update(_subdirs(self.type_root(data_type, archived)))
        names.discard(PLOTS_DIR)
        return sorted(names)

    def check_table(self, task: str, archived: bool = False) -> None:
        """An :class:`ItemNotFoundError` naming the closest tables when the database has no table ``task``."""
        tables = self.tasks(archived)
        if task in tables:
            return
        raise ItemNotFoundError(f"no table {task!r}{' in the archive' if archived else ''} in {self.root}"
                                + did_you_mean(task, tables)
                                + (f"; tables: {', '.join(tables)}" if tables else "; it holds no table yet"))

    def items(self, task: Optional[str] = None, archived: bool = False) -> List[Item]:
        """Every item of ``task`` (or of all tasks), found under any data type, sorted by index."""
        tasks = [task] if task is not None else self.tasks(archived)
        found: Set[Tuple[str, str, str]] = set()
        for table in tasks:
            for kind in data_types.TYPES:
                for date, day_dir in day_folders(self.type_root(kind.name, archived) / table):
                    found.update((table, date, name) for name in data_types.item_names(kind, _list(day_dir)))
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
    """The folders in ``path``; a loop of symbolic links is none (it names no folder)."""
    try:
        with os.scandir(path) as entries:
            for entry in entries:
                try:
                    if entry.is_dir():
                        yield entry.name
                except OSError:  # ELOOP
                    continue
    except (FileNotFoundError, NotADirectoryError):
        return


def day_folders(task_root: Union[str, os.PathLike],
                subdirs: Optional[Callable[[str], Iterable[str]]] = None) -> Iterator[Tuple[str, str]]:
    """``("YYYY/MM/DD", path)`` for every day folder of one table under one data type; ``subdirs``
    lists the folders of a path (default: of this machine; :mod:`RLA.db.remote` gives the remote's)."""
    subdirs = subdirs or (lambda path: _subdirs(Path(path)))
    task_dir = os.fspath(task_root)
    for year in _dated(subdirs(task_dir), 0):
        year_dir = f"{task_dir}/{year}"
        for month in _dated(subdirs(year_dir), 1):
            month_dir = f"{year_dir}/{month}"
            for day in _dated(subdirs(month_dir), 2):
                yield f"{year}/{month}/{day}", f"{month_dir}/{day}"


def _dated(names: Iterable[str], level: int) -> List[str]:
    return [name for name in names if _DATE_PARTS[level].match(name)]


def _list(folder: str) -> List[str]:
    try:
        return os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
