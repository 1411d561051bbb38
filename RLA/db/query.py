"""List and filter the items of a database, as records or a pandas DataFrame.

What selects an item is :class:`~RLA.db.select.ItemFilter`; what is known of
it comes from the query index (:mod:`RLA.db.index`), kept true to the files,
through a :class:`~RLA.db.listing.Listing` (counted at once, read a page at a time).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Union

from RLA.db.entry import UNKNOWN_STATUS
from RLA.db.layout import DATA_TYPES, Database  # noqa: F401  (re-exported: query.Database)
from RLA.db.listing import ItemRecord, Listing, find
from RLA.db.names import readable_name
from RLA.db.select import ItemFilter, parse_time, parse_until, start_time
from RLA.errors import SelectionError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ItemFilter", "ItemRecord", "Listing", "UNKNOWN_STATUS", "scan", "select", "find", "query",
           "tables_of", "to_frame", "parse_time", "parse_until", "start_time"]

PathLike = Union[str, os.PathLike]


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
    return list(Listing(data_root, item_filter, refresh=refresh, sizes=sizes))


def tables_of(data_root: PathLike, patterns: Sequence[Optional[str]] = (), where: Optional[str] = None,
              several: bool = False) -> List[str]:
    """The tables that hold items matching ``where`` and one of ``patterns`` (any name when none), sorted,
    for a command that was named no table: one, or with ``several`` one or more (else a SelectionError)."""
    tables: set = set()
    for pattern in list(patterns) or [None]:
        tables.update(Listing(data_root, ItemFilter(pattern=pattern, where=where), sizes=False).tables_present())
    if not tables:
        raise SelectionError("no item of any table matches the selection: check it with `rla ls`")
    if len(tables) > 1 and not several:
        raise SelectionError(f"the selection has items in {len(tables)} tables ({', '.join(sorted(tables))}): "
                             "name one (-t), or several as one curve (-t for each and --aggregate iqm)")
    return sorted(tables)


def query(data_root: PathLike, task: Optional[str] = None, pattern: Optional[str] = None, *,
          refresh: bool = False, **filters: Any) -> "pd.DataFrame":
    """The selected items as a DataFrame indexed by item index.

    ``filters`` are the other fields of :class:`ItemFilter` (``where``,
    ``status``, ``since``, ``until``, ``regex``, ``timestep_below``, ``archived``).
    """
    item_filter = ItemFilter(task=task, pattern=pattern, **filters)
    records = select(data_root, item_filter, refresh=refresh)
    known: List[str] = []
    if not records:  # nothing selected: the frame keeps the parameter columns of the table(s), so that
        # runs[["params.lr", ...]] answers an empty table rather than a KeyError
        whole = select(data_root, ItemFilter(task=task, archived=item_filter.archived))
        known = sorted({key for record in whole for key in record.params})
    return to_frame(records, known)


def to_frame(records: Sequence[ItemRecord], param_keys: Sequence[str] = ()) -> "pd.DataFrame":
    """One row per record: fixed columns (``tags`` a list, ``note`` text), ``size.<type>`` per data type,
    ``params.<key>`` per parameter (and per ``param_keys``, which no record may have), and the metric columns
    the records were read with (``final:eval/return``)."""
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
    keys: Dict[str, None] = dict.fromkeys(param_keys)
    for record in records:
        keys.update(dict.fromkeys(record.params))
    for key in keys:
        values = [r.params.get(key) for r in records]
        integers = all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in values)
        # integer parameters stay integers (888, not 888.0) when some runs lack them
        columns[f"params.{key}"] = pd.array(values, dtype="Int64") if integers and None in values else values
    metrics: Dict[str, None] = {}
    for record in records:
        metrics.update(dict.fromkeys(record.metrics))
    for name in metrics:  # None where the run logged no value, NaN where its value was NaN
        columns[name] = pd.Series([r.metrics.get(name) for r in records], dtype=object).to_numpy()
    frame = pd.DataFrame(columns, index=pd.Index([readable_name(r.item.index) for r in records], name="index"))
    return frame
