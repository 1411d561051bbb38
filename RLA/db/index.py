"""The query index: what is known of every item, kept true to the files, asked in SQL.

Each item's status, parameters, sizes, last time-step and damage live in one SQLite file per
database (:mod:`RLA.db.index_db`), so a listing reads the rows it needs instead of reading (or
loading) them all. The index is a cache, checked against the files before every listing:

- every date folder (``<type>/<task>/YYYY/MM/DD`` and the year and month folders above) is
  stat-ed; one whose mtime is the one stored still holds the same entries, so only the others
  are listed again, and the items of a day that changed are checked by their signature (the
  mtimes of their log folder, progress.csv, checkpoint, results and snapshots) and read again
  when it moved;
- a run writes its own row when it starts, resumes and ends (:func:`register`), so a new or
  finished run shows at once, whatever the folders say;
- the rows of running runs, and of items read a moment after a change (mtimes younger than
  two seconds are not trusted: file systems store them in coarse ticks), are checked again at
  every listing; the status of a running run whose process is gone becomes ``lost``;
- the items a listing returns are checked as they are read (:meth:`Index.checked`): their log
  folder's mtime (a file of it replaced), and their checkpoint and results folders when sizes
  are shown (tools may still write there after the run ended);
- a refresh reads what selecting items needs: an item's records are opened by name and its
  folders are only stat-ed; their sizes are measured when a listing first returns the item, or
  sorts by size (a new index of a million items need not list four million folders whose sizes
  are mostly never shown).

What this leaves out, compared with stat-ing every item at every listing: a finished item's
file rewritten by hand, or by a tool other than RLA, in a day folder that did not change, is
seen when the item is listed, but a filter evaluated before then does not see the change.
``rla ls --refresh`` (``refresh=True``) reads every item again; RLA's own writers register
(runs, annotations) or move the date folders (operations, sync).
"""
from __future__ import annotations

import collections
import datetime as _dt
import functools
import itertools
import json
import os
import platform
import re
import sqlite3
import time
from contextlib import contextmanager
from typing import (
    AbstractSet,
    Any,
    Callable,
    Deque,
    Dict,
    Iterable,
    Iterator,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Set,
    Tuple,
)

from RLA.db import data_types
from RLA.db.entry import (
    SETTLE_NS,
    UNKNOWN_STATUS,
    UNMEASURED,
    IndexEntry,
    log_stamp,
    measured_sizes,
    outputs_stamp,
    progress_stamp,
    read_entry,
    read_signature,
)
from RLA.db.index_db import IndexDB, StoredRow, decode_text, encode_text, param_cells, param_value, sql_value
from RLA.db.layout import DATA_TYPES, Database, Item
from RLA.db.liveness import LOST_STATUS, STALE_HEARTBEAT_SECONDS, process_gone, shown_status
from RLA.db.names import log_start

__all__ = ["Index", "Row", "ROW_COLUMNS", "register", "SETTLED_LOST_SECONDS"]

#: a lost run of another host whose heartbeat is older than this is not checked at every listing
#: any more (it is read again when its day folder changes, or with ``--refresh``)
SETTLED_LOST_SECONDS = 7 * 24 * 3600.0
#: items read (and written to the index) per transaction
_BATCH = 2000
#: items to read from their files from which a pool of processes reads them
PARALLEL_READS = 5000
#: reading processes per CPU: a new index of files not in the page cache waits on the disk, which
#: answers many reads at once (at 100,000 items read from the disk, 2 per CPU took 0.64x and 4 per CPU
#: 0.52x the time of 1 per CPU; at 1,000,000, 4 per CPU took 0.44x the time of 1; in memory, 1.1x)
READERS_PER_CPU = 4
MAX_READERS = 8
_CHUNK = 250
_DATE_PARTS = (re.compile(r"^\d{4}$"), re.compile(r"^\d{2}$"), re.compile(r"^\d{2}$"))
_TYPE_BITS = {t: 1 << i for i, t in enumerate(DATA_TYPES)}


class Index:
    """The query index of one database, open for one call (one thread)."""

    def __init__(self, db: Database):
        self.db = db
        self.store = IndexDB.open(db)
        self.just_read: Set[int] = set()  # ids of the rows this refresh read from their files

    @classmethod
    @contextmanager
    def opened(cls, db: Database) -> Iterator["Index"]:
        index = cls(db)
        try:
            yield index
        finally:
            index.store.close()

    # -- keeping it true to the files ----------------------------------------------------------------
    def refresh(self, tasks: Sequence[str], archived: bool, full: bool = False) -> Dict[str, int]:
        """Bring the rows of these tables in line with the files; task -> table id, for the tables
        that have items. ``full`` reads every item again."""
        known = self.store.tables(archived)
        out = {}
        for task in tasks:
            tid = _TableRefresh(self, task, archived, known.get(task), full).run()
            if tid is not None:
                out[task] = tid
        return out

    def forget_tables(self, keep: Set[str], archived: bool) -> None:
        """Drop the rows of tables no longer on disk (every table was listed)."""
        gone = [tid for task, tid in self.store.tables(archived).items() if task not in keep]
        if gone:
            with self.store.writing():
                for tid in gone:
                    self.store.drop_table(tid)

    def register(self, item: Item) -> None:
        """Write ``item``'s row from its files now, whatever the index held."""
        paths = _paths_of(item)
        entry = read_entry(paths, item.name, time.time_ns())
        with self.store.writing():
            tid = self.store.table_id(item.task, item.archived)
            if paths:
                self.store.write_item(tid, row_values(tid, item.date, item.name, entry), param_cells(entry.params),
                                      None, force=True)
            else:
                seen = self.store.row_of(tid, item.date, item.name)
                if seen is not None:
                    self.store.delete_items(tid, [seen])

    # -- reading rows --------------------------------------------------------------------------------
    def rows(self, sql: str, args: Sequence[Any] = ()) -> List["Row"]:
        """The rows ``SELECT {ROW_COLUMNS} FROM items ...`` (``sql`` its tail) finds, decoded."""
        return [_decoded(r) for r in self.store.conn.execute(f"SELECT {ROW_COLUMNS} FROM items {sql}", args)]

    def checked(self, rows: List["Row"], tables: Dict[int, Tuple[str, bool]], sizes: bool,
                just_read: AbstractSet[int] = frozenset()) -> Tuple[List["Row"], Set[int]]:
        """``rows`` checked against their files, and the ids of those read again: the item's log
        folder (and the progress.csv of a run of an earlier release) as when it was read, a
        running item's status as its process says, and with ``sizes`` its checkpoint and results
        folders (tools may write there after the run ended); the folders of an item not measured
        yet are measured (by a pool of processes when there are many). What changed is read and
        stored; ``just_read`` are rows read from their files a moment ago (not checked again)."""
        out = []
        fresh: List[Tuple[Row, IndexEntry]] = []
        now = time.time_ns()
        type_dirs = {tid: _type_dirs(self.db, task, archived) for tid, (task, archived) in tables.items()}
        for row in rows:
            if row.id not in just_read:
                paths = _type_paths(type_dirs[row.tid], row.date, row.name, row.presence)
                if _changed(row, paths, sizes):
                    entry = read_entry(paths, row.name, now)
                    fresh.append((row, entry))
                    row = _with_entry(row, entry)
                elif row.recheck == 1:
                    row = row._replace(status=str(shown_status(
                        {"status": "running", "host": row.host, "pid": row.pid, "heartbeat": row.heartbeat})))
            out.append(row)
        unmeasured = [n for n, row in enumerate(out) if UNMEASURED in row.sizes]
        measured = _in_parallel(_measure_one, [(type_dirs[out[n].tid], out[n].date, out[n].name, out[n].presence,
                                                out[n].sizes) for n in unmeasured])
        for n, item_sizes in zip(unmeasured, measured):
            out[n] = out[n]._replace(sizes=item_sizes)
        if fresh or unmeasured:
            with self.store.writing():
                for row, entry in fresh:
                    self.store.write_item(row.tid, row_values(row.tid, row.date, row.name, entry),
                                          param_cells(entry.params), (row.id, row.written))
                self.store.set_sizes([(out[n].id, out[n].written, out[n].sizes) for n in unmeasured])
        return out, {row.id for row, _ in fresh}

    def measure_sizes(self, tables: Dict[int, Tuple[str, bool]], ids: Optional[Iterable[int]] = None) -> None:
        """Measure the folders of these tables' items (of those whose id is in ``ids``, when given)
        that are not yet: before sorting by size, or returning many items, in parallel."""
        wanted: Optional[Set[int]] = None
        for tid, (task, archived) in tables.items():
            rows = self.store.unmeasured(tid)  # found through a partial index: none, once measured
            if rows and ids is not None:
                wanted = set(ids) if wanted is None else wanted
                rows = [row for row in rows if row[0] in wanted]
            if not rows:
                continue
            type_dirs = _type_dirs(self.db, task, archived)
            sizes = _in_parallel(_measure_one, [(type_dirs, *row[2:]) for row in rows])
            for start in range(0, len(rows), _BATCH):
                measured = [(item_id, written, next(sizes)) for item_id, written, *_ in rows[start:start + _BATCH]]
                with self.store.writing():
                    self.store.set_sizes(measured)


#: the columns of ``items`` a :class:`Row` holds
ROW_COLUMNS = ("id, tid, date, name, presence, recheck, written, sizes, params, tracked, status, last_time_step, "
               "rows, host, ip, end_time, damage, tags, note, sig_log, sig_progress, sig_outputs, running, pid, "
               "heartbeat")


class Row(NamedTuple):
    """An item's row of the index, decoded: what a listing shows of it."""

    id: int
    tid: int
    date: str
    name: str
    presence: int
    recheck: int
    written: int
    sizes: List[Optional[int]]  # aligned with DATA_TYPES
    params: Dict[str, Any]
    tracked: List[str]
    status: str
    last_time_step: Optional[int]
    rows: Optional[int]
    host: Optional[str]
    ip: Optional[str]
    end_time: Optional[str]
    damage: Optional[str]
    tags: List[str]
    note: str
    sig_log: Optional[int]
    sig_progress: Optional[int]
    sig_outputs: Optional[int]
    running: bool
    pid: Optional[int]
    heartbeat: Optional[str]


def _decoded(row: Tuple[Any, ...]) -> Row:
    (item_id, tid, date, name, presence, recheck, written, sizes, params, tracked, status, step, rows, host, ip,
     end_time, damage, tags, note, sig_log, sig_progress, sig_outputs, running, pid, heartbeat) = row
    return Row(item_id, tid, date, decode_text(name), presence, recheck, written, list(_list_of(sizes)),
               json.loads(params), list(_list_of(tracked)), status, step, rows, _decoded_text(host),
               _decoded_text(ip), _decoded_text(end_time), damage, [] if tags == b"[]" else param_value(tags),
               param_value(note), sig_log, sig_progress, sig_outputs, bool(running), pid, heartbeat)


@functools.lru_cache(maxsize=4096)
def _list_of(text: str) -> Tuple[Any, ...]:
    """A JSON list of sizes or tracked names (the same text in many rows: decoded once)."""
    return tuple(json.loads(text))


def _decoded_text(value: Any) -> Any:
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else value


def _with_entry(row: Row, entry: IndexEntry) -> Row:
    """``row`` with what ``entry`` read from the files."""
    signature = entry.signature
    return row._replace(presence=_presence(entry), recheck=_recheck(entry), sizes=entry.sizes, params=entry.params,
                        tracked=entry.tracked, status=entry.status, last_time_step=entry.last_time_step,
                        rows=entry.rows, host=entry.host, ip=entry.ip, end_time=entry.end_time, damage=entry.damage,
                        tags=entry.tags, note=entry.note,
                        sig_log=signature.log_mtime if signature else None,
                        sig_progress=signature.progress if signature else None,
                        sig_outputs=signature.outputs if signature else None, running=entry.running,
                        pid=entry.pid, heartbeat=entry.heartbeat)


#: the columns of ``items`` read from an item's files, in the order :func:`entry_values` gives them
ENTRY_COLUMNS = ("date", "name", "start", "presence", "sizes", "params", "tracked", "status", "running", "pid",
                 "heartbeat", "last_time_step", "rows", "host", "ip", "end_time", "damage", "tags", "note", "sig_log",
                 "sig_progress", "sig_outputs", "sig_snapshot", "recheck", "size")


def row_values(tid: int, date: str, name: str, entry: IndexEntry) -> Dict[str, Any]:
    """The columns of ``items`` for an entry read from the files."""
    return {"tid": tid, **dict(zip(ENTRY_COLUMNS, entry_values(date, name, entry)))}


def entry_values(date: str, name: str, entry: IndexEntry) -> Tuple[Any, ...]:
    """The values of :data:`ENTRY_COLUMNS` for an entry read from the files (computed where the entry
    is read: by the processes reading a new index)."""
    signature = entry.signature
    return (
        date, encode_text(name), _start_text(date, name), _presence(entry), _sizes_text(entry.sizes),
        json.dumps(entry.params), _names_text(tuple(entry.tracked)), entry.status, int(entry.running), entry.pid,
        entry.heartbeat, entry.last_time_step, entry.rows, _text(entry.host), _text(entry.ip), _text(entry.end_time),
        entry.damage, sql_value(entry.tags) if entry.tags else b"[]", sql_value(entry.note),
        signature.log_mtime if signature else None, signature.progress if signature else None,
        signature.outputs if signature else None, signature.snapshot if signature else None, _recheck(entry),
        None if UNMEASURED in entry.sizes else sum(s for s in entry.sizes if s is not None),
    )


def _sizes_text(sizes: List[Optional[int]]) -> str:
    """Sizes as the JSON list the index stores (written for each item of a new index: no encoder)."""
    return f"[{', '.join('null' if size is None else str(size) for size in sizes)}]"


@functools.lru_cache(maxsize=4096)
def _names_text(names: Tuple[str, ...]) -> str:
    """Tracked parameter names as JSON (the same list in many items: encoded once)."""
    return json.dumps(list(names))


def _start_text(date: str, name: str) -> Optional[str]:
    """When the item started, as ISO text (``2024-01-31T08:00:00.000001``: in order as text, for
    --since / --until), from its date folder and the time its name starts with."""
    if name[2:3] == name[5:6] == name[8:9] == "-" and name[:15].replace("-", "").isdigit():  # v1 and legacy names
        return f"{date[:4]}-{date[5:7]}-{date[8:10]}T{name[:2]}:{name[3:5]}:{name[6:8]}.{name[9:15]}"
    start = log_start(date, name)
    return start.isoformat(timespec="microseconds") if start else None


def _text(value: Any) -> Any:
    """A field of run.json as text (a damaged run.json may hold anything there)."""
    return None if value is None else encode_text(value) if isinstance(value, str) else json.dumps(value)


def _presence(entry: IndexEntry) -> int:
    bits = 0
    for i, size in enumerate(entry.sizes):
        if size is not None:
            bits |= 1 << i
    return bits


def _recheck(entry: IndexEntry) -> int:
    """2: read the item again at the next listing (its files changed a moment ago); 1: check it
    (it is running); 0: its day folder says when to."""
    if entry.signature is None:
        return 2
    if entry.running and not _settled_lost(entry.status, entry.host, entry.pid, entry.heartbeat):
        return 1
    return 0


def _settled_lost(status: str, host: Optional[str], pid: Optional[int], heartbeat: Optional[str]) -> bool:
    """Whether a run shown lost will stay lost: its process is gone from this host, or it is of
    another host and silent for :data:`SETTLED_LOST_SECONDS`."""
    if status != LOST_STATUS:
        return False
    if host == platform.node():
        return process_gone({"host": host, "pid": pid}) is True
    try:
        beat = _dt.datetime.fromisoformat(heartbeat or "").timestamp()
    except ValueError:
        return True
    return time.time() - beat > max(SETTLED_LOST_SECONDS, STALE_HEARTBEAT_SECONDS)


def _changed(row: "Row", paths: Dict[str, str], sizes: bool) -> bool:
    """Whether a row must be read again before it is shown."""
    if row.recheck == 2 or row.sig_outputs is None:
        return True
    log_dir = paths.get("log")
    if log_dir is not None:
        mtime = log_stamp(log_dir)
        if mtime is None or mtime != row.sig_log:
            return True
        if (row.running or row.status == UNKNOWN_STATUS) and progress_stamp(log_dir) != row.sig_progress:
            return True  # a run growing in place (or, without run.json, one of an earlier release)
    return sizes and outputs_stamp(paths) != row.sig_outputs


def _quick_same(paths: Dict[str, str], sig_log: Optional[int], sig_progress: Optional[int]) -> bool:
    """Whether a running item's log folder and progress.csv are as when it was read (and long enough ago)."""
    log_dir = paths.get("log")
    if log_dir is None:
        return False
    mtime = log_stamp(log_dir)
    return mtime is not None and mtime == sig_log and mtime < time.time_ns() - SETTLE_NS \
        and progress_stamp(log_dir) == sig_progress


def _paths_of(item: Item) -> Dict[str, str]:
    return {t: str(p) for t, p in item.existing_paths().items()}


#: an item to read: its date, name, data types (bits) and the row it had
_ToRead = Tuple[str, str, int, Optional[StoredRow]]
#: items to read, rows to forget and the days they complete, stored in one transaction
_Batch = Tuple[List[_ToRead], List[StoredRow], List[str]]


class _TableRefresh:
    """One table's refresh: the folders stat-ed, the days that changed listed, their items checked."""

    def __init__(self, index: Index, task: str, archived: bool, tid: Optional[int], full: bool):
        self.index = index
        self.store = index.store
        self.task = task
        self.archived = archived
        self.tid = tid
        self.full = full
        self.type_dirs = _type_dirs(index.db, task, archived)
        self.known = self.store.folders(tid) if tid is not None and not full else {}
        self.now = time.time_ns()
        self.seen: Dict[Tuple[int, str], Optional[int]] = {}  # folders stat-ed: mtime, None when too recent
        self.days_seen: Dict[str, List[int]] = {}  # date -> the data types whose day folder was stat-ed
        self.listed: Dict[str, Dict[int, List[str]]] = {}  # date -> data type -> item names, for days listed again
        self.to_list: Dict[str, List[int]] = {}  # date -> the data types whose day folder changed, not listed yet

    def run(self) -> Optional[int]:
        children = _children(self.known)
        for i, type_dir in enumerate(self.type_dirs):
            self._walk(i, type_dir, "", 0, children)
        for i, folder in self.known:
            if folder.count("/") == 2 and (i, folder) not in self.seen:  # a day folder gone
                self.listed.setdefault(folder, {})[i] = []
        if not self.seen:  # no folder of this table is left
            if self.tid is not None:
                with self.store.writing():
                    self.store.drop_table(self.tid)
            return None
        if self.tid is None:
            with self.store.writing():
                self.tid = self.store.table_id(self.task, self.archived)
        self._write_batches(self._day_batches())
        self._recheck()
        self._save_folders()
        return self.tid

    # -- the folders ---------------------------------------------------------------------------------
    def _walk(self, i: int, type_dir: str, folder: str, depth: int, children: Dict[Tuple[int, str], List[str]]) -> None:
        path = f"{type_dir}/{folder}" if folder else type_dir
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError:
            return
        stored = self.known.get((i, folder))
        trusted = stored is not None and stored == mtime
        self.seen[(i, folder)] = mtime if mtime < self.now - SETTLE_NS else None
        if depth == 3:
            self.days_seen.setdefault(folder, []).append(i)
            if not trusted:  # listed when its items are read (:meth:`_list_day`)
                self.listed.setdefault(folder, {})
                self.to_list.setdefault(folder, []).append(i)
            return
        if trusted:
            subs = children.get((i, folder), [])
        else:
            subs = [name for name in _subdirs(path) if _DATE_PARTS[depth].match(name)]
        for sub in subs:
            self._walk(i, type_dir, f"{folder}/{sub}" if folder else sub, depth + 1, children)

    def _save_folders(self) -> None:
        """Store the folders' mtimes, once their items are stored (the days as each batch is written)."""
        assert self.tid is not None
        gone = [key for key in self.known if key not in self.seen]
        changed = {key: m for key, m in self.seen.items() if self.known.get(key, -1) != m or m is None}
        changed = {key: m for key, m in changed.items() if key[1].count("/") != 2}
        if changed or gone:
            with self.store.writing():
                self.store.set_folders(self.tid, changed, gone)

    # -- the items -----------------------------------------------------------------------------------
    def _day_batches(self) -> Iterator[_Batch]:
        """The items of the days that changed to read (new, changed or with data types gone) and the rows
        to forget, in batches of about :data:`_BATCH` items with the days they complete. Each day is
        listed as its batch is formed: while the reading processes read the batches before."""
        assert self.tid is not None
        dates = sorted(self.listed)
        rows = {(r.date, r.name): r for r in self.store.rows_of_dates(self.tid, dates)}
        by_date: Dict[str, List[StoredRow]] = {}
        for row in rows.values():
            by_date.setdefault(row.date, []).append(row)
        to_read: List[_ToRead] = []
        to_delete: List[StoredRow] = []
        batch_days: List[str] = []
        for date in dates:
            listed = self._list_day(date)
            presence: Dict[str, int] = {}
            for row in by_date.get(date, ()):  # the data types whose day folder did not change
                bits = sum(row.presence & (1 << i) for i in range(len(DATA_TYPES)) if i not in listed)
                if bits:
                    presence[row.name] = bits
            for i, names in listed.items():
                for name in names:
                    presence[name] = presence.get(name, 0) | 1 << i
            for row in by_date.get(date, ()):
                if row.name not in presence:
                    to_delete.append(row)
            for name, bits in presence.items():
                seen = rows.get((date, name))
                if self.full or seen is None or seen.presence != bits or seen.signature is None or seen.recheck:
                    to_read.append((date, name, bits, seen))
                elif read_signature(self._paths(date, name, bits))[0] != seen.signature:
                    to_read.append((date, name, bits, seen))
            batch_days.append(date)
            if len(to_read) >= _BATCH:
                yield to_read, to_delete, batch_days
                to_read, to_delete, batch_days = [], [], []
        yield to_read, to_delete, batch_days

    def _list_day(self, date: str) -> Dict[int, List[str]]:
        """The item names of each data type of the day ``date`` listed again (its day folders that
        changed are listed now)."""
        day = self.listed[date]
        for i in self.to_list.pop(date, ()):
            # names another data type of the day already found to be items are not parsed again
            known_names = set(day[0]) if 0 in day else None
            day[i] = _entry_names(f"{self.type_dirs[i]}/{date}", data_types.TYPES[i], known_names)
        return day

    def _write_batches(self, batches: Iterable[_Batch]) -> None:
        """Read the items of each batch (many at once when there are many, the next batches while
        this one is stored) and store each batch, with the mtimes of its days, in one transaction: a
        process killed midway keeps the batches written."""
        pending: Deque[_Batch] = collections.deque()

        def calls() -> Iterator[List[Tuple[Any, ...]]]:
            for batch in batches:
                pending.append(batch)
                yield [(self.type_dirs, date, name, bits, self.now) for date, name, bits, _ in batch[0]]

        for entries in _in_parallel_batches(_read_one, calls()):
            to_read, to_delete, days = pending.popleft()
            self._write([(*entry, row) for entry, (_, _, _, row) in zip(entries, to_read)], to_delete, days)

    def _write(self, entries: List[Tuple[Dict[str, Any], Tuple[Any, ...], Optional[StoredRow]]],
               to_delete: List[StoredRow], days: List[str]) -> None:
        """Store ``entries`` read from their files (parameter cells, columns, the row they had), and
        forget ``to_delete``, with the mtimes of ``days``."""
        assert self.tid is not None
        folders = {(i, date): self.seen[(i, date)] for date in days for i in self.days_seen.get(date, ())}
        gone = [(i, date) for date in days for i in self.listed[date] if (i, date) not in self.seen]
        if not (entries or to_delete or folders or gone):
            return
        tid = self.tid
        new = [(values, cells) for cells, values, row in entries if row is None and not self.full]
        with self.store.writing():
            written_ids = self.store.insert_new(tid, ENTRY_COLUMNS, new)
            for cells, values, row in entries:
                if row is not None or self.full:
                    written_ids.append(self.store.write_item(tid, {"tid": tid, **dict(zip(ENTRY_COLUMNS, values))},
                                                             cells, (row.id, row.written) if row else None,
                                                             force=self.full))
            self.index.just_read.update(i for i in written_ids if i is not None)
            self.store.delete_items(self.tid, to_delete)
            self.store.set_folders(self.tid, folders, gone)

    def _recheck(self) -> None:
        """Check the rows of running (and of unsettled) items in the days that did not change."""
        assert self.tid is not None
        to_read: List[_ToRead] = []
        statuses: List[Tuple[StoredRow, str, int]] = []
        for row in self.store.rows_to_recheck(self.tid):
            if row.date in self.listed:
                continue  # checked with its day
            paths = self._paths(row.date, row.name, row.presence)
            if row.recheck == 2 or row.signature is None or not _quick_same(paths, *row.signature[:2]):
                to_read.append((row.date, row.name, row.presence, row))
                continue
            status = str(shown_status({"status": "running", "host": row.host, "pid": row.pid,
                                       "heartbeat": row.heartbeat}))
            recheck = 0 if _settled_lost(status, row.host, row.pid, row.heartbeat) else 1
            if status != row.status or recheck != row.recheck:
                statuses.append((row, status, recheck))
        if statuses:
            with self.store.writing():
                for row, status, recheck in statuses:
                    self.store.update_status(row, status, recheck)
        self._write_batches([(to_read[start:start + _BATCH], [], []) for start in range(0, len(to_read), _BATCH)])

    def _paths(self, date: str, name: str, presence: int) -> Dict[str, str]:
        return _type_paths(self.type_dirs, date, name, presence)


def _read_one(type_dirs: Sequence[str], date: str, name: str, bits: int,
              now: int) -> Tuple[Dict[str, Any], Tuple[Any, ...]]:
    """An item's parameter cells and the columns of its row (what is sent back from a reading process)."""
    entry = read_entry(_type_paths(type_dirs, date, name, bits), name, now, sizes_of_folders=False)
    return param_cells(entry.params), entry_values(date, name, entry)


def _measure_one(type_dirs: Sequence[str], date: str, name: str, bits: int,
                 sizes: List[Optional[int]]) -> List[Optional[int]]:
    """An item's ``sizes`` with its folders not measured yet measured."""
    return measured_sizes(_type_paths(type_dirs, date, name, bits), sizes)


def _in_parallel(func: Callable[..., Any], calls: List[Tuple[Any, ...]]) -> Iterator[Any]:
    """``func(*args)`` for each ``args`` of ``calls``, in order (:func:`_in_parallel_batches`)."""
    batches = (calls[start:start + _BATCH] for start in range(0, len(calls), _BATCH))
    return itertools.chain.from_iterable(_in_parallel_batches(func, batches))


def _in_parallel_batches(func: Callable[..., Any], batches: Iterable[List[Tuple[Any, ...]]]) -> Iterator[List[Any]]:
    """``[func(*args) for args in batch]`` for each batch, in order; by a pool of processes
    (:data:`READERS_PER_CPU`), when the batches hold :data:`PARALLEL_READS` calls or more (a new index of a large
    database), else here. The batches are taken as the processes need more work: what forms the next
    batches (listing a day folder) runs while they read, as does what the caller does with each."""
    batches = iter(batches)
    head: List[List[Tuple[Any, ...]]] = []
    count = 0
    for batch in batches:
        head.append(batch)
        count += len(batch)
        if count >= PARALLEL_READS:
            break
    workers = min((os.cpu_count() or 1) * READERS_PER_CPU, MAX_READERS)
    pool = _reader_pool(workers) if count >= PARALLEL_READS else None
    if pool is None:
        for batch in itertools.chain(head, batches):
            yield [func(*args) for args in batch]
        return
    with pool:
        ahead = 2 * workers * 4 * _CHUNK  # calls submitted beyond the batch handed back (two windows)
        in_flight: Deque[Tuple[int, Iterator[Any]]] = collections.deque()
        submitted = 0
        for batch in itertools.chain(head, batches):
            in_flight.append((len(batch), pool.map(func, *zip(*batch), chunksize=_CHUNK) if batch else iter(())))
            submitted += len(batch)
            while submitted - in_flight[0][0] >= ahead:
                size, results = in_flight.popleft()
                submitted -= size
                yield list(results)
        while in_flight:
            yield list(in_flight.popleft()[1])


def _type_dirs(db: Database, task: str, archived: bool) -> List[str]:
    """The folder of each data type of a table, aligned with DATA_TYPES."""
    base = db.root / "arc" if archived else db.root
    return [os.path.join(str(base), t, task) for t in DATA_TYPES]


def _type_paths(type_dirs: Sequence[str], date: str, name: str, presence: int) -> Dict[str, str]:
    """The path of each data type the item has, as :meth:`Item.path` gives it (``type_dirs``: its
    table's folder of each data type, :func:`_type_dirs`)."""
    return {kind.name: f"{type_dirs[i]}/{date}/{kind.entry_name(name)}"
            for i, kind in enumerate(data_types.TYPES) if presence >> i & 1}


def _reader_pool(workers: int) -> Any:
    """A pool of processes forked from this one, or None: where processes cannot be forked, and in a
    process running other threads (one of them could hold a lock the children would wait for).
    Forked, not spawned: a spawned child would run the caller's script again."""
    import concurrent.futures
    import multiprocessing
    import threading

    if (threading.active_count() > 1 or "fork" not in multiprocessing.get_all_start_methods()
            or multiprocessing.current_process().daemon):  # a pool's worker may start no process
        return None
    try:
        return concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                                      initializer=_end_with_parent, initargs=(os.getpid(),))
    except (OSError, ValueError):
        return None


def _end_with_parent(parent: int) -> None:
    """A reader of the pool ends when the process that started it is killed (SIGKILL: a listing killed
    by hand or for its memory), instead of waiting on the pool's pipe for ever: Linux's PR_SET_PDEATHSIG;
    a parent already gone by then is seen from the reader's new parent."""
    import ctypes
    import signal
    import sys

    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # a C library without prctl
            pass
    if os.getppid() != parent:
        os._exit(0)


def _children(known: Dict[Tuple[int, str], Optional[int]]) -> Dict[Tuple[int, str], List[str]]:
    """The sub-folders of each stored folder, from the stored folders' names."""
    out: Dict[Tuple[int, str], List[str]] = {}
    for i, folder in known:
        if folder:
            parent, _, name = folder.rpartition("/")
            out.setdefault((i, parent), []).append(name)
    return out


def _subdirs(path: str) -> Iterable[str]:
    """The folders in ``path`` (a loop of symbolic links is none)."""
    try:
        with os.scandir(path) as entries:
            out = []
            for entry in entries:
                try:
                    if entry.is_dir():
                        out.append(entry.name)
                except OSError:
                    continue
            return out
    except OSError:
        return []


def _entry_names(day_dir: str, kind: data_types.DataType, items: Optional[Set[str]] = None) -> List[str]:
    """The item names in a day folder (temporary and foreign files left out); ``items``: names known
    to be item names (of the log folder of the same day), taken without parsing them again."""
    try:
        entries = os.listdir(day_dir)
    except OSError:
        return []
    if items is None:
        return list(data_types.item_names(kind, entries))
    suffix, cut = kind.suffix, len(kind.suffix)
    names = [entry[:len(entry) - cut] if entry.endswith(suffix) else "" for entry in entries] if cut else entries
    known = [name for name in names if name in items]
    if len(known) == len(entries):
        return known
    return known + list(data_types.item_names(kind, (e for e, n in zip(entries, names) if n not in items)))


def register(item: Item) -> bool:
    """Write ``item``'s row of the query index from its files: a run calls it when it starts,
    resumes and ends, so listings show it at once. Never raises for the index's sake (it is a
    cache: a failure costs only the next listing reading the item); returns whether it was written."""
    try:
        with Index.opened(Database(item.root)) as index:
            if index.store.path is None:
                return False
            index.register(item)
        return True
    except (sqlite3.Error, OSError):
        return False
