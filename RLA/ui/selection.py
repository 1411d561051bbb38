"""The filter box: the selection words of ``rla ls`` (:mod:`RLA.db.selection_words`), read from one string.

``2024/05/* -w 'lr >= 1e-3' -s finished --since 2024-05-01 -t hopper`` selects
here exactly what it selects on the command line and becomes an
:class:`RLA.db.select.ItemFilter`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from RLA.db.layout import Database
from RLA.db.names import readable_name
from RLA.db.query import ItemFilter, ItemRecord, Listing, find, select
from RLA.db.selection_words import parse_words
from RLA.errors import ItemNotFoundError

__all__ = ["parse_filter", "select_records", "selection_listing", "find_record"]


def parse_filter(text: str, data_root: Optional[Path] = None) -> Dict[str, Any]:
    """The :class:`ItemFilter` fields of a filter box, or an RLA error saying what is wrong; with
    ``data_root``, a table (``-t``) the database does not have too, named with the closest (as ``rla ls``)."""
    fields = parse_words(text)
    ItemFilter(**fields)  # bad times, tasks and regexes are reported here
    if data_root is not None and fields.get("task"):
        Database(data_root).check_table(fields["task"], bool(fields.get("archived")))
    return fields


def select_records(data_root: Path, text: str, indices: Optional[Sequence[str]] = None,
                   sizes: bool = True) -> List[ItemRecord]:
    """The items the filter selects, narrowed to ``indices`` when given (a selection in the table;
    the page names items as :func:`RLA.db.names.readable_name` spells them). ``sizes=False``: for
    a page that shows no sizes (see :func:`RLA.db.query.select`)."""
    item_filter = ItemFilter(**parse_filter(text, data_root))
    if indices is None:
        return select(data_root, item_filter, sizes=sizes)
    records = list(Listing(data_root, item_filter, items=indices, sizes=sizes))
    odd = [index for index in indices if "\\x" in index]  # a name that is not UTF-8, as the page spells it
    if odd:
        wanted = set(odd)
        records += [r for r in select(data_root, item_filter, sizes=sizes) if readable_name(r.index) in wanted]
    return records


def selection_listing(data_root: Path, text: str, indices: Optional[Sequence[str]] = None,
                      sizes: bool = True) -> Listing:
    """The items the filter selects (narrowed to ``indices`` when given) as a listing: counted at once,
    read a page at a time (for what needs only the first runs of a large selection, or its count first)."""
    return Listing(data_root, ItemFilter(**parse_filter(text, data_root)), items=indices, sizes=sizes)


def find_record(data_root: Path, index: str, archived: bool = False) -> ItemRecord:
    """The one item named ``index`` (``task/YYYY/MM/DD/name``, as the page spells it: a name that is
    not UTF-8 is found by listing its table)."""
    try:
        return find(data_root, index, archived)
    except ItemNotFoundError:
        pass
    task = index.split("/", 1)[0]
    for record in select(data_root, ItemFilter(task=task, archived=archived)) if task and "\\x" in index else []:
        if readable_name(record.index) == index:
            return record
    raise ItemNotFoundError(f"no item {index!r} in {data_root}; it may have been moved or deleted: reload the list")
