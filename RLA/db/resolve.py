"""Which one item a record date names: ``latest``, an exact record date, or a glob/regex."""
from __future__ import annotations

import datetime as _dt
import re
from typing import Optional, Sequence

from RLA.db.layout import Database, Item
from RLA.db.select import ItemFilter
from RLA.errors import ItemNotFoundError

__all__ = ["resolve_item"]

#: how many candidates an ambiguous record date lists
_MAX_LISTED = 20


def resolve_item(database: Database, task: str, record_date: str, exclude: Optional[Item] = None) -> Item:
    """The one item of ``task`` named by ``record_date``.

    ``record_date`` is ``"latest"``, an item's ``YYYY/MM/DD/HH-MM-SS-ffffff``
    (with or without the rest of its name), or a glob (as in ``rla ls``:
    on ``YYYY/MM/DD/<name>``, or the name alone) or regex (matching from its start) that selects
    exactly one item. ``"latest"`` names ``exclude`` (the current run) only
    when it is the table's only item.
    """
    items = database.items(task)
    if record_date == "latest":
        items = [i for i in items if i != exclude] or items
    if not items:
        raise ItemNotFoundError(f"task {task!r} has no item in {database.root}; check task_name and root")
    if record_date == "latest":
        return max(items, key=lambda i: (i.start_time or _dt.datetime.min, i.record_date))
    wanted = record_date.strip("/")
    exact = [i for i in items if i.record_date == wanted or i.record_date.startswith((wanted + "_", wanted + " "))]
    if exact:
        return _only_one(exact, task, record_date)
    try:
        regex: Optional[re.Pattern] = re.compile(wanted)
    except re.error:
        regex = None
    glob = ItemFilter(task=task, pattern=wanted)  # the same glob rule as `rla ls`
    matched = [i for i in items
               if glob.name_matches(i.date, i.name) or (regex is not None and regex.match(i.record_date))]
    return _only_one(matched, task, record_date)


def _only_one(candidates: Sequence[Item], task: str, record_date: str) -> Item:
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise ItemNotFoundError(f"no item of task {task!r} matches record date {record_date!r}; "
                                "list them with `rla list` or pass 'latest'")
    listed = "\n  ".join(i.record_date for i in candidates[:_MAX_LISTED])
    more = f"\n  ... and {len(candidates) - _MAX_LISTED} more" if len(candidates) > _MAX_LISTED else ""
    raise ItemNotFoundError(f"record date {record_date!r} matches {len(candidates)} items of task {task!r}; "
                            f"give one exactly:\n  {listed}{more}")
