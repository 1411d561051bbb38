"""The query index of a table: one :class:`IndexEntry` per item, cached in ``<data_root>/.rla_index/``.

Reading every item's ``run.json``, ``params.json`` and ``progress.csv`` and
walking its data-type folders is slow on a large database, so each table keeps an
index cache that is checked against the files on every call and rebuilt
incrementally:

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

The index is a cache: a missing, damaged or older-version file is rebuilt from
the items, so it is written without fsync.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple

from RLA.db import data_types, layout
from RLA.db.atomic import atomic_writer
from RLA.db.entry import (
    SETTLE_NS,
    UNKNOWN_STATUS,
    IndexEntry,
    outputs_stamp,
    progress_stamp,
    read_entry,
    read_signature,
)
from RLA.db.layout import DATA_TYPES, Database, Item
from RLA.db.select import ItemFilter, ItemSummary

__all__ = ["INDEX_VERSION", "TableIndex", "forget_loaded_indexes"]

INDEX_VERSION = 8  # 5: entries written by IndexEntry.to_json; 6: seven data types; 7: damage; 8: tags, note

# The index file: {"version", "days": [{date: [mtime, names]} per data type],
# "items": {date: [[names], [entries]]}}. A day's names are stored once: a data type
# whose names are the log's stores 0. Entries are IndexEntry.to_json() lists.
_SAME_AS_LOG = 0


class _Content(NamedTuple):
    """An index file's content, decoded."""

    days: List[Dict[str, list]]  # per data type: date -> [day folder mtime or None, item names]
    items: Dict[str, Dict[str, IndexEntry]]  # date -> name -> entry


# index files this process read or wrote: path -> (file stamp, content), to skip decoding them again
_LOADED: Dict[str, Tuple[Tuple[int, int, int], _Content]] = {}


def forget_loaded_indexes() -> None:
    """Drop the index files kept in memory (the next query reads them from disk)."""
    _LOADED.clear()


class TableIndex:
    """The cached index of one table (live or archived), checked against the files."""

    def __init__(self, db: Database, task: str, archived: bool, refresh: bool):
        self.db = db
        self.task = task
        self.archived = archived
        self.path = db.index_file(task, archived)
        # <type>/<task> folders as strings: paths are joined by hand here, the hot loop of every query
        self.type_dirs = [os.path.join(str(db.type_root(t, archived)), task) for t in DATA_TYPES]
        cached = None if refresh else _load(self.path)
        self.old_days = cached.days if cached else [{} for _ in DATA_TYPES]
        self.old_items = cached.items if cached else {}
        self.days: List[Dict[str, list]] = [{} for _ in DATA_TYPES]
        self.items: Dict[str, Dict[str, IndexEntry]] = {}
        self.changed = cached is None

    def select(self, item_filter: ItemFilter, matches: Callable[[ItemSummary], bool],
               sizes: bool = True) -> List[Tuple[Item, IndexEntry]]:
        """The items passing ``item_filter`` (``matches`` is its entry matcher), each checked against its files.

        ``sizes=False`` leaves the sizes of the checkpoint and results folders as last read (for callers
        that do not show them, such as plotting: they are the one part not checked by the quick check).
        The entries returned are the index's own: copy before changing them.
        """
        now = time.time_ns()
        out = []
        by_name = item_filter.uses_name
        for date, names, day_changed in self._list_days(now):
            old = self.old_items.get(date, {})
            new: Dict[str, IndexEntry] = {}
            for name, present in names:
                cached = old.get(name)
                if by_name and not item_filter.name_matches(date, name):
                    if cached is not None:
                        new[name] = cached  # kept, unchecked, for the next call
                    continue
                entry = self._checked(date, name, present, cached, day_changed)
                hit = entry is not None and matches(entry)
                # checkpoints and results change only the sizes: checked for the items returned alone,
                # which keeps filtering quick
                if (hit and sizes and entry is not None and entry.signature is not None
                        and outputs_stamp(self._paths(date, name, present)) != entry.signature.outputs):
                    entry = None
                if entry is None:
                    entry = read_entry(self._paths(date, name, present), name, now)
                    hit = matches(entry)
                    self.changed = True
                new[name] = entry
                if hit:
                    out.append((Item(self.db.root, self.task, date, name, self.archived), entry))
            self.items[date] = new
            if len(new) != len(old):
                self.changed = True
        if self.changed or self.items.keys() != self.old_items.keys():
            self._save()
        return out

    def _save(self) -> None:
        """Write the index atomically; a read-only database just goes without one."""
        log_days = self.days[0]
        days = [{date: [mtime, _SAME_AS_LOG if i and names == log_days.get(date, (0, None))[1] else names]
                 for date, (mtime, names) in by_date.items()} for i, by_date in enumerate(self.days)]
        items = {date: [list(entries), [entry.to_json() for entry in entries.values()]]
                 for date, entries in self.items.items()}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_writer(self.path, "w", durable=False) as f:
                f.write(json.dumps({"version": INDEX_VERSION, "days": days, "items": items}, separators=(",", ":")))
                f.flush()
                stamp = _file_stamp(os.fstat(f.fileno()))  # the rename keeps inode and mtime
        except OSError:
            return
        _LOADED[str(self.path)] = (stamp, _Content(self.days, self.items))

    def _checked(self, date: str, name: str, present: Sequence[bool], cached: Optional[IndexEntry],
                 day_changed: bool) -> Optional[IndexEntry]:
        """``cached`` if its status, parameters and time-step still hold, else ``None``."""
        if cached is None or cached.signature is None or cached.status == "running":
            return None  # a running item grows in place: read again
        if not day_changed and present[0] and cached.presence == present:
            # the quick check: the day folders are those indexed, so the item has the same data types;
            # the log folder's mtime moves whenever run.json or params.json is replaced
            log_dir = f"{self.type_dirs[0]}/{date}/{name}"
            try:
                if os.stat(log_dir).st_mtime_ns != cached.signature.log_mtime:
                    return None
            except OSError:
                return None
            if cached.status == UNKNOWN_STATUS and progress_stamp(log_dir) != cached.signature.progress:
                return None  # no run.json: only progress.csv tells that a run of an earlier release went on
            return cached
        if cached.presence != present:
            return None
        return cached if read_signature(self._paths(date, name, present))[0] == cached.signature else None

    def _paths(self, date: str, name: str, present: Sequence[bool]) -> Dict[str, str]:
        """The path of each data type the item has, as :meth:`Item.path` gives it."""
        return {t: f"{self.type_dirs[i]}/{date}/{data_types.BY_NAME[t].entry_name(name)}"
                for i, t in enumerate(DATA_TYPES) if present[i]}

    def _list_days(self, now: int) -> Iterator[Tuple[str, List[Tuple[str, Sequence[bool]]], bool]]:
        """Per date (sorted): its items with the data types each has, and whether a day folder changed.

        A day folder whose mtime is the one in the index still holds the names
        the index has; only the others are listed again.
        """
        by_date: Dict[str, List[Optional[List[str]]]] = {}
        changed_dates = set()
        for i, data_type in enumerate(DATA_TYPES):
            old, days = self.old_days[i], self.days[i]
            for date, day_dir in layout.day_folders(self.type_dirs[i]):
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
                by_date.setdefault(date, [None] * len(DATA_TYPES))[i] = names
            if old.keys() - days.keys():
                self.changed = True
        for date in sorted(by_date):
            lists = by_date[date]
            first = lists[0]
            # usually every item of a day has the same data types: each list is the log's, or empty
            same = tuple([n is first or n == first for n in lists])
            if first and all(same[i] or not n for i, n in enumerate(lists)):
                yield date, [(name, same) for name in first], date in changed_dates
            else:  # some items lack some data types
                sets = [set(n) if n is not None else set() for n in lists]
                union = sorted(set().union(*sets))
                yield date, [(name, tuple([name in s for s in sets])) for name in union], date in changed_dates


def _load(path: Path) -> Optional[_Content]:
    """The index file's content; from memory when this process read or wrote that very file.

    ``None`` when there is none to trust: missing, damaged, or of another version.
    """
    try:
        st = os.stat(path)
        remembered = _LOADED.get(str(path))
        if remembered is not None and remembered[0] == _file_stamp(st):
            return remembered[1]
        with open(path, encoding="utf-8") as f:
            content = _decode(json.loads(f.read()))
    except (OSError, ValueError, LookupError, TypeError, AttributeError):  # not readable, or of the wrong shape
        return None
    if content is not None:
        _LOADED[str(path)] = (_file_stamp(st), content)
    return content


def _decode(stored: Any) -> Optional[_Content]:
    """An index file's JSON -> its content; ``None`` for another version (an error if it is of the wrong shape)."""
    if not isinstance(stored, dict) or stored.get("version") != INDEX_VERSION:
        return None
    days = stored["days"]
    if not isinstance(days, list) or len(days) != len(DATA_TYPES) or not all(isinstance(d, dict) for d in days):
        raise ValueError("days")
    for i, by_date in enumerate(days):
        for date, day in by_date.items():
            mtime, names = day
            if i and names == _SAME_AS_LOG:
                day[1] = names = days[0][date][1]
            if not (isinstance(names, list) and (mtime is None or isinstance(mtime, int))):
                raise ValueError(f"day {date}")
    items = {}
    for date, (names, entries) in stored["items"].items():
        if not isinstance(names, list) or len(names) != len(entries):
            raise ValueError(f"items of {date}")
        items[date] = dict(zip(names, map(IndexEntry.from_json, entries)))
    return _Content(days, items)


def _file_stamp(st: os.stat_result) -> Tuple[int, int, int]:
    return st.st_ino, st.st_mtime_ns, st.st_size


def _entry_names(day_dir: str, data_type: str) -> List[str]:
    """The item names in a day folder, sorted (temporary and foreign files left out)."""
    try:
        entries = os.listdir(day_dir)
    except (FileNotFoundError, NotADirectoryError):
        return []
    return sorted(data_types.item_names(data_types.BY_NAME[data_type], entries))
