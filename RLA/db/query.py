"""List and filter the items of a database, as records or a pandas DataFrame.

What selects an item is :class:`~RLA.db.select.ItemFilter`; what is known of
it comes from the table's index (:mod:`RLA.db.index`), kept true to the files.
"""
from __future__ import annotations

import gc
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Union

from RLA.db import journal
from RLA.db.entry import UNKNOWN_STATUS, IndexEntry
from RLA.db.index import TableIndex, forget_loaded_indexes
from RLA.db.layout import DATA_TYPES, Database, Item
from RLA.db.names import readable_name
from RLA.db.select import ItemFilter, parse_time, parse_until, start_time
from RLA.errors import DatabaseNotFoundError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ItemFilter", "ItemRecord", "UNKNOWN_STATUS", "scan", "select", "query", "to_frame", "parse_time",
           "parse_until", "start_time", "forget_loaded_indexes"]

PathLike = Union[str, os.PathLike]


@dataclass
class ItemRecord:
    """What the index knows of one item: enough to list, filter and plan operations."""

    item: Item
    sizes: Dict[str, int]  # data type -> bytes, for the data types the item has on disk
    params: Dict[str, Any]  # every hyper-parameter, nested keys flattened as "a.b"
    tracked: List[str]  # the parameters in the item's name
    status: str  # running, finished, failed, killed, stopped, or unknown (no run.json)
    last_time_step: Optional[int]
    rows: Optional[int]  # rows of progress.csv; None without one
    host: Optional[str] = None
    ip: Optional[str] = None
    end_time: Optional[str] = None
    #: why the item may be split between two places (an interrupted delete / archive / move), or None
    split: Optional[str] = None
    #: which of the item's files cannot be read, and why; None when all can
    damage: Optional[str] = None
    #: the item's tags and note (:mod:`RLA.db.annotations`)
    tags: List[str] = field(default_factory=list)
    note: str = ""

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
            "params": self.params, "sizes": self.sizes, "split": self.split, "damage": self.damage,
            "tags": self.tags, "note": self.note,
        }


def scan(data_root: PathLike, task: Optional[str] = None, archived: bool = False,
         refresh: bool = False) -> List[ItemRecord]:
    """Every item of ``task`` (or of every table), sorted by index, from a fresh index."""
    return select(data_root, ItemFilter(task=task, archived=archived), refresh=refresh)


def select(data_root: PathLike, item_filter: ItemFilter, refresh: bool = False, sizes: bool = True) -> List[ItemRecord]:
    """The records of the items ``item_filter`` selects, sorted by index.

    ``refresh`` ignores the cached index and reads every item again. ``sizes=False`` skips
    checking the sizes of checkpoints and results written after the run ended (the records'
    ``sizes`` may then be out of date; everything else is checked).
    """
    db = Database(data_root)
    if not db.root.is_dir():
        raise DatabaseNotFoundError(f"no RLA database at {db.root}: check the data root (--data-root / RLA_DATA_ROOT)")
    matches = item_filter.entry_matcher()
    tasks = [item_filter.task] if item_filter.task is not None else db.tasks(item_filter.archived)
    out: List[ItemRecord] = []
    collecting = gc.isenabled()
    gc.disable()  # loading the index makes many small objects and no cycles: spare the collector's passes
    try:
        for task in tasks:
            table = TableIndex(db, task, item_filter.archived, refresh)
            out += [_record(item, entry) for item, entry in table.select(item_filter, matches, sizes)]
    finally:
        if collecting:
            gc.enable()
    split = journal.split_items(db.root)
    for record in out if split else ():
        record.split = split.get(record.item.index)
    return out


def _record(item: Item, entry: IndexEntry) -> ItemRecord:
    """A record of its own (the index, kept in memory, must not change with it)."""
    return ItemRecord(
        item=item, sizes={t: size for t, size in zip(DATA_TYPES, entry.sizes) if size is not None},
        params=dict(entry.params), tracked=list(entry.tracked), status=entry.status,
        last_time_step=entry.last_time_step, rows=entry.rows, host=entry.host, ip=entry.ip, end_time=entry.end_time,
        damage=entry.damage, tags=list(entry.tags), note=entry.note)


def query(data_root: PathLike, task: Optional[str] = None, pattern: Optional[str] = None, *,
          refresh: bool = False, **filters: Any) -> "pd.DataFrame":
    """The selected items as a DataFrame indexed by item index.

    ``filters`` are the other fields of :class:`ItemFilter` (``where``,
    ``status``, ``since``, ``until``, ``regex``, ``timestep_below``, ``archived``).
    """
    item_filter = ItemFilter(task=task, pattern=pattern, **filters)
    return to_frame(select(data_root, item_filter, refresh=refresh))


def to_frame(records: Sequence[ItemRecord]) -> "pd.DataFrame":
    """One row per record: fixed columns (``tags`` a list, ``note`` text), ``size.<type>`` per data type,
    ``params.<key>`` per parameter."""
    import pandas as pd

    columns: Dict[str, List[Any]] = {
        "task": [r.item.task for r in records],
        "record_date": [readable_name(r.item.record_date) for r in records],
        "date": pd.to_datetime([start_time(r.item) for r in records]),
        "ip": [r.ip for r in records],
        "host": [r.host for r in records],
        "status": [r.status for r in records],
        "last_time_step": pd.array([r.last_time_step for r in records], dtype="Int64"),
        "rows": pd.array([r.rows for r in records], dtype="Int64"),
        "tracked": [r.tracked for r in records],
        "tags": [r.tags for r in records],
        "note": [r.note for r in records],
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
        values = [r.params.get(key) for r in records]
        integers = all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in values)
        # integer parameters stay integers (888, not 888.0) when some runs lack them
        columns[f"params.{key}"] = pd.array(values, dtype="Int64") if integers and None in values else values
    frame = pd.DataFrame(columns, index=pd.Index([readable_name(r.item.index) for r in records], name="index"))
    return frame
