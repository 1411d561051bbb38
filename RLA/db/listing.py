"""A listing: the items a filter selects, in an order, counted at once and read a page at a time.

The filter (:class:`~RLA.db.select.ItemFilter`) and the order become one SQL query over the
query index (:mod:`RLA.db.index`), refreshed against the files first. A listing in the
order of the index with no filter but the table reads its pages straight off the index;
any other is counted when made, its first page read by a query of its own (the first rows
in its order, found through an index of the parameter table or by reading the table in its
order, whichever reads fewer rows), and the ordered item ids (a few bytes per item) kept
when a page past the first is asked for, so that every later page is a lookup by id.
Records are built for the rows of a page only, and the rows of a page are checked against
their files (running runs, sizes) as they are read.

A large table filtered or sorted by parameters gets indexes of its parameter columns
(:meth:`RLA.db.index_db.IndexDB.param_index`), which the conditions :mod:`RLA.db.where_sql`
adds for them let SQLite use.
"""
from __future__ import annotations

import json
import os
import re
import time
from array import array
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

from RLA.db import journal
from RLA.db.annotations import ANNOTATION_NAMES
from RLA.db.entry import SETTLE_NS
from RLA.db.expr import where_names
from RLA.db.index import Index, Row
from RLA.db.index_db import encode_text, sql_value
from RLA.db.layout import DATA_TYPES, Database, Item
from RLA.db.metric_values import ensure, metric_keys, values_of
from RLA.db.metrics import REDUCERS, metric_column
from RLA.db.select import ItemFilter, start_time
from RLA.db.where_sql import COMPARE_FUNCTION, compare_function, translate
from RLA.errors import DatabaseNotFoundError, ItemNotFoundError, UsageError
from RLA.words import did_you_mean

__all__ = ["ItemRecord", "Listing", "SORT_KEYS", "FIXED_COLUMNS", "find"]

PathLike = Union[str, os.PathLike]
#: rows read per query when a listing is read whole
PAGE = 2000
#: what a listing may be sorted by besides ``params.<key>``, ``size.<type>`` and metric columns
SORT_KEYS = {"index": None, "task": None, "record_date": "i.date || '/' || i.name", "date": "i.start",
             "start": "i.start", "status": "i.status", "last_time_step": "i.last_time_step", "rows": "i.rows",
             "size": "i.size", "host": "i.host", "ip": "i.ip", "end_time": "i.end_time"}
_GLOB_CHARS = re.compile(r"[*?\[]")
_PARAM_COLUMN = re.compile(r"p\.c(\d+)")
_TABLE = "i.tid = ?"  # the condition of a table's query
#: the columns of a listing's DataFrame besides params.<key>, size.<type> and metric columns
FIXED_COLUMNS = ("task", "record_date", "date", "ip", "host", "status", "last_time_step", "rows", "tracked", "tags",
                 "note", "params", "size", "archived")


@dataclass
class ItemRecord:
    """What the index knows of one item: enough to list, filter and plan operations."""

    item: Item
    sizes: Dict[str, int]  # data type -> bytes, for the data types the item has on disk
    params: Dict[str, Any]  # every hyper-parameter, nested keys flattened as "a.b"
    tracked: List[str]  # the parameters in the item's name
    status: str  # running, finished, failed, killed, stopped, lost, unknown (no run.json) or damaged
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
    #: metric columns asked for (``final:eval/return`` -> value; None when the run logged none)
    metrics: Dict[str, Optional[float]] = field(default_factory=dict)

    @property
    def index(self) -> str:
        return self.item.index

    def to_dict(self) -> Dict[str, Any]:
        """A JSON-ready summary (for ``--json`` output)."""
        start = start_time(self.item)
        out = {
            "index": self.item.index, "task": self.item.task, "record_date": self.item.record_date,
            "archived": self.item.archived, "start_time": start.isoformat() if start else None,
            "end_time": self.end_time, "status": self.status, "last_time_step": self.last_time_step,
            "rows": self.rows, "host": self.host, "ip": self.ip, "tracked": self.tracked,
            "params": self.params, "sizes": self.sizes, "split": self.split, "damage": self.damage,
            "tags": self.tags, "note": self.note,
        }
        if self.metrics:
            out["metrics"] = self.metrics
        return out


class Listing:
    """The items ``item_filter`` selects, sorted by index (or by ``sort``: a column of ``rla ls``,
    ``params.<key>``, ``size.<type>`` or a metric column such as ``final:eval/return``; items
    without a value last), counted (:attr:`total`) and read a page at a time (:meth:`page`),
    or whole by iterating.

    ``refresh`` reads every item again; ``sizes=False`` leaves the sizes of checkpoints and
    results as last read (for callers that do not show them: they are the one part a listing
    checks per item). ``metrics`` are metric columns to read for each record. ``items`` narrows
    the listing to these indices (``task/YYYY/MM/DD/name``: runs ticked in a table).
    """

    def __init__(self, data_root: PathLike, item_filter: ItemFilter, sort: Optional[str] = None,
                 descending: bool = False, *, refresh: bool = False, sizes: bool = True,
                 metrics: Sequence[str] = (), items: Optional[Sequence[str]] = None):
        self.db = Database(data_root)
        if not self.db.root.is_dir():
            raise DatabaseNotFoundError(f"no RLA database at {self.db.root}: check the data root "
                                        "(--data-root / RLA_DATA_ROOT)")
        self.filter = item_filter
        self.sizes = sizes
        self.metrics = [_metric(name) for name in metrics]
        archived = item_filter.archived
        self._items = None if items is None else _wanted(items)
        index = Index(self.db)
        # an index in memory (a read-only database) lives as long as its connection: the listing keeps it
        self._kept = index if index.store.path is None else None
        with self._opened(index) as index:
            tasks = [item_filter.task] if item_filter.task is not None else self.db.tasks(archived)
            if self._items is not None:
                tasks = [task for task in tasks if task in self._items]
            tids = index.refresh(tasks, archived, full=refresh)
            self._just_read, self._made = index.just_read, time.monotonic()
            if item_filter.task is None:
                index.forget_tables(set(tids), archived)
            self.tables = {tid: (task, archived) for task, tid in sorted(tids.items())}
            self.sort = _sort_key(sort, index, list(self.tables)) if sort not in (None, "index") else None
            if self.sort is not None and (self.sort == "size" or self.sort.startswith("size.")):
                index.measure_sizes(self.tables)
            self.descending = descending
            self._plain = self.sort is None and not descending and not _filters_rows(item_filter) and items is None
            self._ids: Optional["array[int]"] = None
            self._parts: List[_Part] = []
            self._functions: List[Callable[[Any, Any], bool]] = []
            if self._plain:  # pages straight off the index's order
                self._counts = index.store.counts(list(self.tables))
            else:
                self._parts = self._table_parts(index)
                if self._items is not None:  # ticked runs: ordered at once
                    self._ids = self._ordered_ids(index)
                else:  # counted now, ordered when a page past the first is asked for
                    self._counts = self._part_counts(index)
            if self._ids is not None:
                self.total = len(self._ids)
            else:
                self.total = sum(self._counts.values())
                self._present = sorted(task for tid, (task, _) in self.tables.items() if self._counts.get(tid))
        self._split = journal.split_items(self.db.root)

    # -- reading -------------------------------------------------------------------------------------
    @contextmanager
    def _opened(self, index: Optional[Index] = None) -> Iterator[Index]:
        """The index, open for one use: the listing's own in memory, else the file's (one connection
        per use: a listing may be read from another thread than the one that made it)."""
        if self._kept is not None:
            yield self._kept
            return
        index = index or Index(self.db)
        try:
            yield index
        finally:
            index.store.close()

    def page(self, offset: int, limit: int) -> List[ItemRecord]:
        """The records ``offset`` to ``offset + limit`` of the listing (fewer past its end; an item
        deleted since the listing was made is left out)."""
        with self._opened() as index:
            return self._page(index, offset, limit)

    def __iter__(self) -> Iterator[ItemRecord]:
        """Every record, read a page at a time (the folders of those not measured yet measured first,
        by a pool of processes when there are many)."""
        with self._opened() as index:
            if not self._plain and self._ids is None:
                self._ids = self._ordered_ids(index)
            index.measure_sizes(self.tables, self._ids)
            if self._ids is not None:
                for offset in range(0, len(self._ids), PAGE):
                    yield from self._page(index, offset, PAGE)
                return
            for tid in self.tables:  # each page after the last (an offset would step over the rows before)
                rows = index.rows("WHERE tid = ? ORDER BY date, name LIMIT ?", (tid, PAGE))
                while rows:
                    yield from self._records(index, rows)
                    rows = index.rows("WHERE tid = ? AND (date, name) > (?, ?) ORDER BY date, name LIMIT ?",
                                      (tid, rows[-1].date, encode_text(rows[-1].name), PAGE))

    def __len__(self) -> int:
        return self.total

    def _page(self, index: Index, offset: int, limit: int) -> List[ItemRecord]:
        offset, limit = max(0, offset), max(0, limit)
        if self._plain:
            rows = self._plain_rows(index, offset, limit)
        else:
            if self._ids is None and offset:
                self._ids = self._ordered_ids(index)
            wanted = self._first_ids(index, limit) if self._ids is None else self._ids[offset:offset + limit].tolist()
            found: Dict[int, Row] = {}
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                found.update((row.id, row) for row in index.rows(
                    f"WHERE id IN ({','.join('?' * len(chunk))})", chunk))
            rows = [found[i] for i in wanted if i in found]
        return self._records(index, rows)

    def _records(self, index: Index, rows: List[Row]) -> List[ItemRecord]:
        # rows the refresh read a moment ago are not checked again
        just_read = self._just_read if time.monotonic() - self._made < SETTLE_NS / 1e9 else frozenset()
        rows, fresh = index.checked(rows, self.tables, self.sizes, just_read)
        if fresh and not _metric_keys_of(self.filter.where):
            matches = self.filter.entry_matcher()  # what changed on disk since the listing was made
            rows = [row for row in rows if row.id not in fresh or matches(row)]
        values = values_of(index, self.tables, rows, self.metrics) if self.metrics else {}
        return [self._record(row, values.get(row.id, {})) for row in rows]

    def show_metrics(self, names: Sequence[str]) -> None:
        """Read these metric columns (``final:eval/return``) for the records from now on."""
        self.metrics = [_metric(name) for name in names]

    def param_keys(self) -> List[str]:
        """The parameter keys items of the listing's tables have (or had), sorted."""
        with self._opened() as index:
            return index.store.param_keys(list(self.tables))

    def unknown_parameters(self) -> List[str]:
        """Why a ``where`` selection may be empty: a line per name it compares that no item of the
        listing's tables has as a parameter, with the closest ones they do have."""
        if not self.filter.where:
            return []
        known = set(self.param_keys())
        return [f"no item has the parameter {name!r}{did_you_mean(name, known)}"
                for name in where_names(self.filter.where)
                if name not in known and name not in ANNOTATION_NAMES and name.removeprefix("params.") not in known]

    def metric_keys(self) -> List[str]:
        """The progress.csv columns of (up to 50 recent) items of each of the listing's tables, sorted."""
        with self._opened() as index:
            return metric_keys(index, self.tables)

    def tables_present(self) -> List[str]:
        """The tables the listing's items are of, sorted."""
        return self._present

    def record_of(self, date: str, name: str) -> Optional[ItemRecord]:
        """The record of the item ``date/name`` of the listing's tables, if the index has it."""
        with self._opened() as index:
            for tid in self.tables:
                rows = index.rows("WHERE tid = ? AND date = ? AND name = ?", (tid, date, encode_text(name)))
                if rows:
                    return self._records(index, rows)[0]
        return None

    def _plain_rows(self, index: Index, offset: int, limit: int) -> List[Row]:
        """Rows in the order of the index: table by table, by date and name."""
        rows: List[Row] = []
        for tid in self.tables:
            count = self._counts.get(tid, 0)
            if offset >= count:
                offset -= count
                continue
            rows += index.rows("WHERE tid = ? ORDER BY date, name LIMIT ? OFFSET ?", (tid, limit - len(rows), offset))
            offset = 0
            if len(rows) >= limit:
                break
        return rows

    def _record(self, row: Row, metrics: Dict[str, Optional[float]]) -> ItemRecord:
        task, archived = self.tables[row.tid]
        item = Item(self.db.root, task, row.date, row.name, archived)
        return ItemRecord(
            item=item, sizes={t: size for t, size in zip(DATA_TYPES, row.sizes) if size is not None},
            params=row.params, tracked=row.tracked, status=row.status, last_time_step=row.last_time_step,
            rows=row.rows, host=row.host, ip=row.ip, end_time=row.end_time,
            split=self._split.get(item.index) if self._split else None, damage=row.damage, tags=row.tags,
            note=row.note,
            metrics={m.name: metrics.get(m.name) for m in self.metrics})

    # -- the query -----------------------------------------------------------------------------------
    def _table_parts(self, index: Index) -> List["_Part"]:
        """The query of each table the filter may select items of (metric values it compares or
        sorts by read first), and the indexes of parameter columns that serve them made."""
        metrics_needed = set(_metric_keys_of(self.filter.where))
        if self.sort is not None and self.sort.startswith("metric:"):
            metrics_needed.add(self.sort[len("metric:"):])
        if metrics_needed:
            ensure(index, self.tables, [_metric(name) for name in sorted(metrics_needed)])
        parts = [part for rank, tid in enumerate(self.tables)
                 if (part := self._table_query(index, tid, rank)) is not None]
        for part in parts:
            for columns in (part.indexed, part.sort_column):
                if columns:
                    index.store.param_index(part.tid, columns)
        return parts

    def _prepared(self, index: Index) -> Any:
        """The index's connection, with the SQL functions the listing's queries call."""
        conn = index.store.conn
        conn.create_function(COMPARE_FUNCTION, 3, compare_function(self._functions), deterministic=True)
        conn.create_function("rla_param", 2, _param_of, deterministic=True)
        conn.create_function("rla_name", 2, self._name_matches, deterministic=True)
        conn.create_function("rla_size", 2, lambda sizes, n: json.loads(sizes)[n], deterministic=True)
        return conn

    def _order(self, sorted_by_value: bool) -> str:
        direction = "DESC" if self.descending else "ASC"
        order = f"r {direction}, d {direction}, n {direction}"
        return f"kn, k {direction}, " + order if sorted_by_value else order

    def _part_counts(self, index: Index) -> Dict[int, int]:
        """How many items of each table the filter selects (off an index of the parameter table
        alone when the filter reads nothing else)."""
        conn = self._prepared(index)
        counts = index.store.counts([part.tid for part in self._parts if part.where == _TABLE])
        for part in self._parts:
            if part.where == _TABLE:  # sorted, not filtered
                continue
            if part.params_where is not None:
                sql, args = f"SELECT count(*) FROM p{part.tid} p WHERE {part.params_where}", part.params_args
            else:
                sql, args = f"SELECT count(*) FROM {part.source()} WHERE {part.where}", part.args
            counts[part.tid] = conn.execute(sql, args).fetchone()[0]
        return counts

    def _ordered_ids(self, index: Index) -> "array[int]":
        """The ids of the listing's items in its order (8 bytes each: a listing kept for a page that
        scrolls a million runs holds 8 MB)."""
        conn = self._prepared(index)
        if self._items is not None:
            conn.execute("CREATE TEMP TABLE IF NOT EXISTS wanted (tid, date, name, PRIMARY KEY (tid, date, name))")
            conn.execute("DELETE FROM temp.wanted")
            tids = {task: tid for tid, (task, _) in self.tables.items()}
            conn.executemany("INSERT OR IGNORE INTO temp.wanted VALUES (?, ?, ?)",
                             [(tids[task], date, encode_text(name)) for task, pairs in self._items.items()
                              if task in tids for date, name in pairs])
        if not self._parts:
            return array("q")
        selects, args = [], []
        for part in self._parts:
            sort = f", {part.sort} AS k, ({part.sort}) IS NULL AS kn" if part.sort is not None else ""
            selects.append(f"SELECT i.id, {part.rank} AS r, i.date AS d, i.name AS n{sort} FROM {part.source()} "
                           f"WHERE {part.where}")
            args += part.args
        ids, ranks = array("q"), set()
        for row in conn.execute(" UNION ALL ".join(selects) + f" ORDER BY {self._order(self.sort is not None)}", args):
            ids.append(row[0])
            ranks.add(row[1])
        ranked = list(self.tables)
        self._present = sorted(self.tables[ranked[rank]][0] for rank in ranks)
        return ids

    def _first_ids(self, index: Index, limit: int) -> List[int]:
        """The ids of the first ``limit`` items of the listing, without ordering the others: each
        table's first ones, then these in order. Unsorted, a table's are found by reading it in its
        order when that finds them sooner than reading every item the filter selects (through an
        index); sorted, the items with a value come first, off the index of the parameter sorted by."""
        conn = self._prepared(index)
        direction = "DESC" if self.descending else "ASC"
        parts = [part for part in self._parts if self._counts.get(part.tid)]
        sized = index.store.counts([part.tid for part in parts])
        if self.sort is None:
            selects, args = [], []
            for part in parts:  # reading the table in order finds `limit` rows after ~limit * sized / count
                ordered = self._counts[part.tid] ** 2 >= limit * sized.get(part.tid, 0)
                selects.append(f"SELECT i.id AS id, {part.rank} AS r, i.date AS d, i.name AS n "
                               f"FROM {part.source(ordered=ordered)} WHERE {part.where} "
                               f"ORDER BY d {direction}, n {direction} LIMIT ?")
                args += [*part.args, limit]
            return self._merged(conn, selects, args, limit)
        ids: List[int] = []
        for valued in (True, False):
            selects, args = [], []
            for part in parts:
                head = f"SELECT i.id AS id, {part.rank} AS r, i.date AS d, i.name AS n"
                if valued and part.sort_column:
                    for select, select_args in self._first_valued(conn, part, limit - len(ids), sized[part.tid]):
                        selects.append(select)
                        args += select_args
                    continue
                if valued:
                    source = part.source()
                    selects.append(f"{head}, {part.sort} AS k, 0 AS kn FROM {source} WHERE {part.where} "
                                   f"AND {part.sort} IS NOT NULL ORDER BY k {direction}, d {direction}, "
                                   f"n {direction} LIMIT ?")
                else:
                    selects.append(f"{head}, NULL AS k, 1 AS kn FROM {part.source()} WHERE {part.where} "
                                   f"AND {part.sort} IS NULL ORDER BY d {direction}, n {direction} LIMIT ?")
                args += [*part.args, limit - len(ids)]
            ids += self._merged(conn, selects, args, limit - len(ids))
            if len(ids) >= limit:
                break
        return ids

    def _first_valued(self, conn: Any, part: "_Part", limit: int, sized: int) -> List[Tuple[str, List[Any]]]:
        """The SELECTs of the first ``limit`` items of a table sorted by a parameter that have a value
        of it: those before the value of the ``limit``-th (fewer than ``limit``, off the index of the
        column), then the first of those with that value in the index's order (often many: a parameter
        swept over a few values), read in that order when that finds them sooner than their index."""
        direction = "DESC" if self.descending else "ASC"
        head = f"SELECT i.id AS id, {part.rank} AS r, i.date AS d, i.name AS n, {part.sort} AS k, 0 AS kn"
        valued = f"FROM {part.source(params_first=True)} WHERE {part.where} AND {part.sort} IS NOT NULL"
        order = f"ORDER BY k {direction}, d {direction}, n {direction} LIMIT ?"
        found = conn.execute(f"SELECT {part.sort} AS k {valued} ORDER BY k {direction} LIMIT 1 OFFSET ?",
                             [*part.args, limit - 1]).fetchone()
        if found is None:  # fewer than `limit`
            return [(f"{head} {valued} {order}", [*part.args, limit])]
        last = found[0]
        equal = conn.execute(f"SELECT count(*) FROM p{part.tid} WHERE c{part.sort_column[0]} = ?", [last]).fetchone()[0]
        source = part.source(ordered=True) if equal * equal >= limit * sized else part.source(params_first=True)
        return [(f"{head} {valued} AND {part.sort} {'<' if direction == 'ASC' else '>'} ? {order}",
                 [*part.args, last, limit]),
                (f"{head} FROM {source} WHERE {part.where} AND {part.sort} = ? "
                 f"ORDER BY d {direction}, n {direction} LIMIT ?", [*part.args, last, limit])]

    def _merged(self, conn: Any, selects: List[str], args: List[Any], limit: int) -> List[int]:
        """The first ``limit`` ids of these SELECTs (each ordered and limited) in the listing's order."""
        if not selects:
            return []
        union = " UNION ALL ".join(f"SELECT * FROM ({select})" for select in selects)
        return [row[0] for row in conn.execute(
            f"SELECT id FROM ({union}) ORDER BY {self._order(self.sort is not None)} LIMIT ?", [*args, limit])]

    def _table_query(self, index: Index, tid: int, rank: int) -> Optional["_Part"]:
        """The query of one table's ids (with its rank, date, name and sort value), or None when
        the filter selects none of it."""
        item_filter = self.filter
        columns = index.store.param_columns(tid)
        joins: Dict[str, str] = {}
        annotations = item_filter.uses_annotations
        read: Dict[int, None] = {}  # the parameter columns the filter reads
        others = False  # whether it reads anything else (items' columns, metrics)

        def column_of(key: str) -> Optional[str]:
            nonlocal others
            metric = metric_column(key)
            if metric is not None:
                others = True
                alias = joins.setdefault(f"metric:{metric.key}", f"m{len(joins)}")
                return f"{alias}.{REDUCERS[metric.reducer]}"
            if annotations:  # tags and note are the item's; params.<name> a parameter of that name
                if key in ANNOTATION_NAMES:
                    others = True
                    return f"i.{key}"
                if key not in columns and key.startswith("params."):
                    key = key[len("params."):]
            col = columns.get(key)
            if col is None or "\0" in key:
                return None
            if col == 0:
                others = True
                return f"rla_param(i.params, {_sql_string(key)})"
            joins.setdefault("params", "p")
            read[col] = None
            return f"p.c{col}"

        conditions: List[str] = []
        args: List[Any] = []
        equal: Dict[int, None] = {}
        ranged: Dict[int, None] = {}
        if item_filter.where:
            condition = translate(item_filter.where, column_of, self._functions)
            if condition.sql == "0":
                return None
            conditions.append(condition.sql)
            args += condition.args
            for seek in condition.seeks:
                found = _PARAM_COLUMN.fullmatch(seek.column)
                if found:  # a term an index of the column answers
                    (equal if seek.equal else ranged)[int(found.group(1))] = None
                    conditions.append(seek.sql)
                    args += seek.args
        on_params = len(conditions)  # the conditions so far read the parameter table alone, unless `others`
        params_args = list(args)
        if item_filter.status:
            conditions.append(f"i.status IN ({','.join('?' * len(item_filter.status))})")
            args += list(item_filter.status)
        if item_filter.timestep_below is not None:
            conditions.append("(i.last_time_step IS NULL OR i.last_time_step < ?)")
            args.append(item_filter.timestep_below)
        if item_filter.since is not None:
            conditions.append("i.start >= ?")
            args.append(item_filter.since.isoformat(timespec="microseconds"))
        if item_filter.until is not None:
            conditions.append("i.start <= ?")
            args.append(item_filter.until.isoformat(timespec="microseconds"))
        if item_filter.pattern is not None:
            prefix = _glob_prefix(item_filter.pattern)
            if prefix:
                conditions.append(prefix[0])
                args += prefix[1]
        if item_filter.pattern is not None or item_filter.regex is not None:
            conditions.append("rla_name(i.date, i.name)")
        if self._items is not None:  # the ticked runs, in a temporary table (there may be many)
            conditions.append("i.id IN (SELECT it.id FROM temp.wanted w JOIN items it ON it.tid = w.tid "
                              "AND it.date = w.date AND it.name = w.name)")
        params_where = " AND ".join(conditions) if conditions and not others and len(conditions) == on_params else None
        sort = self._sort_sql(tid, columns, column_of) if self.sort is not None else None
        sorted_by = _PARAM_COLUMN.fullmatch(sort[1:-1]) if sort is not None and sort.startswith("(p.c") else None
        metrics = "".join(f" LEFT JOIN metrics {alias} ON {alias}.id = i.id AND "
                          f"{alias}.key = {_sql_string(name[len('metric:'):])}"
                          for name, alias in joins.items() if name != "params")
        first = [*sorted(equal), *[c for c in ranged if c not in equal][:1]]  # what an index seeks, then the rest
        indexed = (*first, *sorted(c for c in read if c not in first)) if first else ()
        return _Part(tid, rank, "params" in joins, bool(item_filter.where), metrics,
                     " AND ".join([_TABLE, *conditions]), [tid, *args], params_where, params_args, sort,
                     (int(sorted_by.group(1)),) if sorted_by else (), tuple(indexed))

    def _sort_sql(self, tid: int, columns: Dict[str, int], column_of: Callable[[str], Optional[str]]) -> str:
        assert self.sort is not None
        if self.sort.startswith("metric:"):
            return column_of(self.sort[len("metric:"):]) or "NULL"
        if self.sort.startswith("params."):
            key = self.sort[len("params."):]
            found = column_of(key)
            # a stored JSON value (a list, None) sorts after numbers and text
            return f"({found})" if found is not None else "NULL"
        if self.sort.startswith("size."):
            return f"rla_size(i.sizes, {DATA_TYPES.index(self.sort[len('size.'):])})"
        if self.sort == "task":
            return "NULL"
        return SORT_KEYS[self.sort] or "NULL"

    def _name_matches(self, date: str, name: Any) -> int:
        return int(self.filter.name_matches(date, name.decode("utf-8", "surrogateescape")
                                            if isinstance(name, bytes) else name))


class _Part(NamedTuple):
    """One table's share of a listing's query."""

    tid: int
    rank: int
    params: bool  # the query reads the parameter table p<tid>
    filtered: bool  # by parameters (-w): the items are read with their row of p<tid>
    metrics: str  # the joins of the metric columns it reads
    where: str  # its conditions (the table's first)
    args: List[Any]
    params_where: Optional[str]  # the conditions, when all read p<tid> alone (counted off it)
    params_args: List[Any]
    sort: Optional[str]  # the SQL of the value it is sorted by
    sort_column: Tuple[int, ...]  # the column of p<tid> it is sorted by (an index of it serves the order)
    indexed: Tuple[int, ...]  # the columns of p<tid> an index serving the filter holds (sought ones first)

    def source(self, ordered: bool = False, params_first: bool = False) -> str:
        """The FROM clause: the parameters read first (through an index of theirs), or the items in
        the index's order (``ordered``), or every item with its parameters when none is compared."""
        params = f"p{self.tid} p"
        if not self.params:
            return "items i" + self.metrics
        if params_first or (self.filtered and not ordered):
            return f"{params} CROSS JOIN items i ON i.id = p.id" + self.metrics
        if self.filtered:
            return f"items i CROSS JOIN {params} ON p.id = i.id" + self.metrics
        return f"items i LEFT JOIN {params} ON p.id = i.id" + self.metrics


def find(data_root: PathLike, index: str, archived: bool = False) -> ItemRecord:
    """The one item whose index is ``index`` (``task/YYYY/MM/DD/name``), checked against its files."""
    db = Database(data_root)
    task, _, record_date = index.strip("/").partition("/")
    date, _, name = record_date.rpartition("/")
    try:
        listing = Listing(db.root, ItemFilter(task=task, archived=archived)) if task and date else None
    except ValueError:  # not a table name
        listing = None
    record = listing.record_of(date, name) if listing is not None else None
    if record is None:
        raise ItemNotFoundError(f"no item {index!r} in {db.root}; it may have been moved or deleted")
    return record


def _wanted(indices: Sequence[str]) -> Dict[str, List[Tuple[str, str]]]:
    """``task/YYYY/MM/DD/name`` indices as task -> [(date, name)]."""
    out: Dict[str, List[Tuple[str, str]]] = {}
    for index in dict.fromkeys(indices):
        task, _, record_date = index.partition("/")
        date, _, name = record_date.rpartition("/")
        if task and date and name:
            out.setdefault(task, []).append((date, name))
    return out


def _filters_rows(item_filter: ItemFilter) -> bool:
    """Whether the filter leaves out some items of its tables."""
    return bool(item_filter.where or item_filter.status or item_filter.timestep_below is not None
                or item_filter.uses_name)


def _metric(name: str) -> Any:
    column = metric_column(name)
    if column is None:
        raise UsageError(f"{name!r} is not a metric column; write it as final:<key> (or {', '.join(REDUCERS)})")
    return column


def _metric_keys_of(where: Optional[str]) -> List[str]:
    """The metric columns an expression compares (``final("eval/return") > 1`` -> final:eval/return)."""
    if not where:
        return []
    from RLA.db.expr import metric_names

    return metric_names(where)


def _sort_key(sort: Optional[str], index: Index, tids: List[int]) -> str:
    """``sort`` as a listing holds it (``metric:final:x`` for a metric), or a UsageError naming the known ones."""
    assert sort is not None
    if sort in SORT_KEYS:
        return sort
    if sort.startswith("size.") and sort[len("size."):] in DATA_TYPES:
        return sort
    if sort.startswith("params."):
        return sort
    metric = metric_column(sort)
    if metric is not None:
        return "metric:" + metric.name
    known = [*SORT_KEYS, *(f"size.{t}" for t in DATA_TYPES), *(f"params.{k}" for k in index.store.param_keys(tids))]
    raise UsageError(f"cannot sort by {sort!r}{did_you_mean(sort, known)}; sort by one of "
                     f"{', '.join(list(SORT_KEYS))}, size.<type>, params.<key> or a metric (final:<key>)")


def _glob_prefix(pattern: str) -> Optional[Tuple[str, List[Any]]]:
    """An SQL condition narrowing a glob on the record date to the rows its literal start allows."""
    text = pattern.strip().strip("/")
    cut = _GLOB_CHARS.search(text)
    literal = text[:cut.start()] if cut else text
    if not literal:
        return None
    top = "\U0010ffff"
    if "/" not in text:  # the start of the record date, or of the name alone
        return ("((i.date >= ? AND i.date < ?) OR (i.name >= ? AND i.name < ?) OR typeof(i.name) = 'blob')",
                [literal, literal + top, literal, literal + top])
    date, _, name = literal.rpartition("/")
    if literal.count("/") == 3 and len(date) == 10:
        name_literal = encode_text(name)
        if isinstance(name_literal, bytes):
            return "(i.date = ? AND i.name >= ? AND i.name < ?)", [date, name_literal, name_literal + b"\xff"]
        return ("(i.date = ? AND ((i.name >= ? AND i.name < ?) OR typeof(i.name) = 'blob'))",
                [date, name_literal, name_literal + top])
    return "(i.date >= ? AND i.date < ?)", [literal, literal + top]


def _sql_string(text: str) -> str:
    """``text`` as an SQL string literal (quotes doubled; it holds no NUL)."""
    return "'" + text.replace("'", "''") + "'"


_MISSING = object()


def _param_of(params: str, key: str) -> Any:
    """A parameter of a table's keys beyond :data:`RLA.db.index_db.MAX_PARAM_COLUMNS`, as its column would hold it."""
    value = json.loads(params).get(key, _MISSING)
    return None if value is _MISSING else sql_value(value)
