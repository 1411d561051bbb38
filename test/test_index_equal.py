"""The query index answers as a full scan would (hypothesis): on randomised databases written as
the runs lay them out, every listing (parameter expressions in SQL, statuses, patterns, time
bounds, time-step bounds, orders) selects the items, and shows the values, that reading every
item from its files and filtering it in Python gives; also after items come, go and register.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import random
import shutil
import sqlite3
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from RLA.db import index_db, query
from RLA.db.entry import read_entry
from RLA.db.index import register
from RLA.db.index_db import IndexDB
from RLA.db.layout import DATA_TYPES, Database, Item
from RLA.db.listing import Listing
from RLA.db.select import ItemFilter, start_time
from RLA.db.where_sql import COMPARE_FUNCTION

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAMES = ["lr", "seed", "env", "net.layers", "flag", "hidden", "opt", "x"]
STATUSES = ["finished", "failed", "killed", "stopped", "running"]

scalars = st.one_of(st.integers(-5, 5), st.sampled_from([0.0, 0.5, 1e-3, -2.5, 1.0, 3.0, float("inf")]),
                    st.booleans(), st.sampled_from(["Hopper-v4", "a", "", "1", "b c", "é"]), st.none(),
                    st.sampled_from([2 ** 70, -(2 ** 64)]))
values = st.one_of(scalars, st.lists(st.integers(-2, 2), max_size=3))
params_strategy = st.dictionaries(st.sampled_from(NAMES), values, max_size=6)
literals = st.one_of(scalars, st.lists(scalars, max_size=3))


def _literal(value: Any) -> str:
    """``value`` written in an expression."""
    if isinstance(value, list):
        return "[" + ", ".join(map(_literal, value)) + "]"
    if isinstance(value, float) and value == float("inf"):
        return "1e999"
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return f"({value})"
    return repr(value)


@st.composite
def comparisons(draw: Any) -> str:
    name = draw(st.sampled_from(NAMES))
    op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in"]))
    kind = draw(st.sampled_from(["literal", "literal", "literal", "name", "first", "chain", "alone"]))
    if kind == "alone":
        return name
    if kind == "name":
        return f"{name} {op} {draw(st.sampled_from(NAMES))}"
    if kind == "first":
        return f"{_literal(draw(literals))} {op} {name}"
    if kind == "chain":
        return f"{_literal(draw(scalars))} < {name} <= {_literal(draw(scalars))}"
    return f"{name} {op} {_literal(draw(literals))}"


expressions = st.recursive(comparisons(), lambda inner: st.one_of(
    st.builds(lambda a, b: f"({a}) and ({b})", inner, inner),
    st.builds(lambda a, b: f"({a}) or ({b})", inner, inner),
    st.builds(lambda a: f"not ({a})", inner)), max_leaves=5)


def write_item(root: Path, task: str, when: dt.datetime, params: Dict[str, Any], status: Optional[str],
               steps: int, types: Tuple[str, ...]) -> Item:
    """An item as a run writes it (params.json, run.json, progress.csv; other data types as folders)."""
    db = Database(root)
    item = db.create_item(task, "10.0.0.1", [(k, v) for k, v in list(params.items())[:2]], when)
    nested: Dict[str, Any] = {}
    for key, value in params.items():  # dotted keys as the nested dicts a config holds
        target = nested
        parts = key.split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    (item.log_dir / "params.json").write_text(json.dumps(nested))
    if status is not None:
        (item.log_dir / "run.json").write_text(json.dumps({
            "status": status, "host": "elsewhere", "pid": 1, "heartbeat": when.isoformat(),
            "last_time_step": steps * 10 if steps else None, "record_param": list(params)[:2]}))
    (item.log_dir / "progress.csv").write_text("time-step,r\n" + "".join(f"{t * 10},{t}\n" for t in range(steps)))
    for data_type in types:
        if data_type == "archive_tester":
            item.pickle_file.parent.mkdir(parents=True, exist_ok=True)
            item.pickle_file.write_bytes(b"x" * 7)
        else:
            item.path(data_type).mkdir(parents=True, exist_ok=True)
            (item.path(data_type) / "f").write_bytes(b"y" * len(data_type))
    return item


items_strategy = st.lists(st.tuples(st.sampled_from(["hopper", "walker"]), st.integers(0, 6), st.integers(0, 86399),
                                    params_strategy, st.sampled_from([*STATUSES, None]), st.integers(0, 4),
                                    st.sets(st.sampled_from(["code", "checkpoint", "results", "archive_tester"]))),
                          min_size=1, max_size=10)


def build(root: Path, specs: List[tuple]) -> None:
    for task, day, second, params, status, steps, types in specs:
        when = dt.datetime(2024, 5, 1 + day) + dt.timedelta(seconds=second)
        write_item(root, task, when, params, status, steps, tuple(sorted(types)))


def age(root: Path) -> None:
    past = time.time() - 3600
    for parent, dirs, files in os.walk(root):
        for name in dirs + files:
            os.utime(os.path.join(parent, name), (past, past), follow_symlinks=False)


def full_scan(root: Path, item_filter: ItemFilter) -> List[Tuple[Any, ...]]:
    """What reading every item from its files and filtering it in Python selects, as comparable tuples."""
    matches = item_filter.entry_matcher()
    out = []
    for item in Database(root).items(item_filter.task, item_filter.archived):
        if not item_filter.name_matches(item.date, item.name):
            continue
        entry = read_entry({t: str(p) for t, p in item.existing_paths().items()}, item.name, time.time_ns())
        if matches(entry):
            sizes = {t: s for t, s in zip(DATA_TYPES, entry.sizes) if s is not None}
            out.append((item.index, entry.status, entry.params, entry.last_time_step, entry.rows, sizes))
    return out


def listed(root: Path, item_filter: ItemFilter) -> List[Tuple[Any, ...]]:
    return [(r.index, r.status, r.params, r.last_time_step, r.rows, r.sizes) for r in query.select(root, item_filter)]


filters = st.builds(
    lambda task, where, status, bound, since: ItemFilter(task=task, where=where, status=status,
                                                         timestep_below=bound, since=since),
    st.sampled_from([None, "hopper", "walker"]), st.one_of(st.none(), expressions),
    st.one_of(st.just(()), st.lists(st.sampled_from(STATUSES + ["unknown"]), max_size=2).map(tuple)),
    st.one_of(st.none(), st.integers(0, 40)),
    st.one_of(st.none(), st.sampled_from(["2024-05-03", "2024-05-05 12:00"])))


@settings(SETTINGS, max_examples=25)
@given(items_strategy, st.lists(filters, min_size=3, max_size=6))
def test_listings_select_what_a_full_scan_selects(specs: List[tuple], item_filters: List[ItemFilter]):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "db"
        build(root, specs)
        age(root)
        for item_filter in item_filters:  # a new index, then the same one warm
            assert listed(root, item_filter) == full_scan(root, item_filter), item_filter.where
            assert listed(root, item_filter) == full_scan(root, item_filter), item_filter.where


@SETTINGS
@given(items_strategy, items_strategy, st.data())
def test_listings_follow_items_that_come_go_and_register(first: List[tuple], later: List[tuple], data: Any):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "db"
        build(root, first)
        age(root)
        query.scan(root)
        build(root, later)  # new items, some in days already listed
        items = Database(root).items()
        for item in data.draw(st.lists(st.sampled_from(items), max_size=3, unique=True)):  # gone by hand
            for path in item.existing_paths().values():
                shutil.rmtree(path) if path.is_dir() else path.unlink()
        for item in data.draw(st.lists(st.sampled_from(items), max_size=3, unique=True)):  # a run that ended
            if item.log_dir.is_dir():
                (item.log_dir / "run.json").write_text(json.dumps({"status": "failed", "last_time_step": 7}))
                register(item)
        item_filter = data.draw(filters)
        assert listed(root, item_filter) == full_scan(root, item_filter)
        age(root)
        assert listed(root, item_filter) == full_scan(root, item_filter)


@SETTINGS
@given(items_strategy, st.sampled_from(["params.lr", "params.env", "params.hidden", "status", "last_time_step",
                                        "size", "start", "rows", "size.code"]), st.booleans(),
       st.integers(0, 5), st.integers(1, 4))
def test_sorted_pages_are_the_sorted_full_listing(specs: List[tuple], sort: str, descending: bool, offset: int,
                                                  limit: int):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "db"
        build(root, specs)
        listing = Listing(root, ItemFilter(), sort=sort, descending=descending)
        whole = list(listing)
        keys = [_sort_value(r, sort) for r in whole]
        present = [k for k in keys if k is not _MISSING]
        assert keys == present + [_MISSING] * (len(keys) - len(present))  # items without a value last
        assert all(_ordered(a, b, descending) for a, b in zip(present, present[1:]))
        assert [r.index for r in listing.page(offset, limit)] == [r.index for r in whole[offset:offset + limit]]
        assert listing.total == len(whole) == len(Database(root).items())


_MISSING = object()


def _sort_value(record: Any, sort: str) -> Any:
    """The value a listing sorted by ``sort`` orders ``record`` by (_MISSING: none)."""
    if sort.startswith("params."):
        return record.params.get(sort[len("params."):], _MISSING)
    if sort == "start":
        return start_time(record.item)
    if sort == "size":
        return sum(record.sizes.values())
    if sort.startswith("size."):
        return record.sizes.get(sort[len("size."):], _MISSING)
    value = getattr(record, sort)
    return _MISSING if value is None else value


def _rank(value: Any) -> Tuple[int, Any]:
    """SQLite's order of values: numbers, then text, then anything stored as JSON (bytes)."""
    if isinstance(value, bool):
        return 0, int(value)
    if isinstance(value, float) and value == value or isinstance(value, int) and -(2 ** 63) <= value < 2 ** 63:
        return 0, value
    if isinstance(value, str):
        return 1, value.encode("utf-8")
    if isinstance(value, dt.datetime):
        return 1, value.isoformat(timespec="microseconds").encode()
    return 2, json.dumps(value).encode()


def _ordered(a: Any, b: Any, descending: bool) -> bool:
    ra, rb = _rank(a), _rank(b)
    return ra >= rb if descending else ra <= rb


@pytest.fixture(scope="module")
def varied_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Forty items whose parameters take every kind of value, and the full scan's view of them."""
    root = tmp_path_factory.mktemp("varied") / "db"
    draw = random.Random(25)
    kinds = [0, 1, -3, 2 ** 70, 0.5, 1e-3, float("inf"), True, False, "Hopper-v4", "", "1", "é", None,
             [64, 64], [1.0], []]
    for n in range(40):
        params = {name: draw.choice(kinds) for name in draw.sample(NAMES, draw.randint(0, len(NAMES)))}
        write_item(root, "t", dt.datetime(2024, 5, 1) + dt.timedelta(minutes=n), params, "finished", 1, ())
    return root


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(expressions)
def test_any_expression_selects_in_sql_what_python_selects(varied_db: Path, where: str):
    item_filter = ItemFilter(task="t", where=where)
    assert [r.index for r in query.select(varied_db, item_filter, sizes=False)] == \
        [row[0] for row in full_scan(varied_db, item_filter)]


@contextmanager
def indexed_from(items: int) -> Iterator[None]:
    """Listings of tables of ``items`` items or more index the parameter columns they filter and sort by."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(index_db, "PARAM_INDEX_FROM", items)
        yield


def param_indexes(root: Path) -> List[str]:
    with sqlite3.connect(index_db.index_path(Database(root))) as conn:
        return [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND "
                                                 "tbl_name LIKE 'p%'")]


@settings(SETTINGS, max_examples=40)
@given(items_strategy, st.lists(filters, min_size=2, max_size=4),
       st.sampled_from([None, "params.lr", "params.env", "params.hidden", "status"]), st.booleans(),
       st.integers(1, 6))
def test_first_pages_through_indexes_are_those_of_the_full_listing(specs: List[tuple], item_filters: List[ItemFilter],
                                                                  sort: Optional[str], descending: bool, limit: int):
    """Parameter columns indexed (every kind of value in one column, missing ones, `in`, ranges): the
    count and the first page (read off the indexes) are those of the whole listing ordered at once."""
    with tempfile.TemporaryDirectory() as tmp, indexed_from(0):
        root = Path(tmp) / "db"
        build(root, specs)
        age(root)
        for item_filter in item_filters:
            whole = list(Listing(root, item_filter, sort=sort, descending=descending))
            if sort is None and not descending:
                assert [(r.index, r.status, r.params) for r in whole] == \
                    [row[:3] for row in full_scan(root, item_filter)], item_filter.where
            listing = Listing(root, item_filter, sort=sort, descending=descending)
            assert listing.total == len(whole)
            assert [r.index for r in listing.page(0, limit)] == [r.index for r in whole[:limit]], item_filter.where
            assert [r.index for r in listing.page(limit, limit)] == [r.index for r in whole[limit:2 * limit]]
            assert listing.tables_present() == sorted({r.item.task for r in whole})


def test_the_count_and_the_first_page_seek_through_the_index_the_filter_made(tmp_path: Path):
    """A filter on a large table makes an index of the columns it compares, a sort one of the column
    it sorts by; SQLite's plans of the count and of the first page read the rows through them
    (EXPLAIN QUERY PLAN), and the index is a cache: the file deleted, the next listing answers the same."""
    root = tmp_path / "db"
    build(root, [("hopper", n % 7, n, {"lr": [1e-4, 1e-3, 3e-3][n % 3], "seed": n % 5, "env": ["Hopper-v4", "a"][n % 2],
                                        "x": [1, "1", None, [1], 2 ** 70][n % 5]}, "finished", 1, ())
                 for n in range(60)])
    age(root)
    where = 'lr >= 1e-3 and seed in [1, 2] and env == "Hopper-v4"'
    statements: List[str] = []
    opened = IndexDB._open_file.__func__  # type: ignore[attr-defined]

    def traced(cls: type, path: Path) -> IndexDB:
        store = opened(cls, path)
        store.conn.set_trace_callback(statements.append)
        return store

    expected = [row[0] for row in full_scan(root, ItemFilter(where=where))]
    with indexed_from(50), pytest.MonkeyPatch.context() as patch:
        patch.setattr(IndexDB, "_open_file", classmethod(traced))
        listing = Listing(root, ItemFilter(where=where))
        assert (listing.total, [r.index for r in listing.page(0, 3)]) == (len(expected), expected[:3])
        count = next(s for s in statements if s.startswith("SELECT count(*) FROM p1 "))
        first = next(s for s in statements if s.startswith("SELECT id FROM ("))
        by_lr = Listing(root, ItemFilter(), sort="params.lr", descending=True)
        assert [r.index for r in by_lr.page(0, 3)] == [r.index for r in list(by_lr)[:3]]
        first_by_lr = [s for s in statements if s.startswith("SELECT id FROM (")][-1]
        assert len(Listing(root, ItemFilter(where="seed >= 3")).page(0, 100)) == 24
    # seed and env sought, then the range of lr; lr sorted by; none for seed alone, the first of the first index
    assert param_indexes(root) == ["p1_c2_c3_c1", "p1_c1"]
    with sqlite3.connect(index_db.index_path(Database(root))) as conn:
        conn.create_function(COMPARE_FUNCTION, 3, lambda *_: 0)
        plans = {name: " | ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql))
                 for name, sql in [("count", count), ("first page", first), ("by lr", first_by_lr)]}
    assert "SEARCH p USING COVERING INDEX p1_c2_c3_c1 (c2=? AND c3=? AND c1>?)" in plans["count"], plans
    assert "SEARCH p USING COVERING INDEX p1_c2_c3_c1 (c2=? AND c3=? AND c1>?)" in plans["first page"], plans
    # the runs with an lr read in its order off the index (the date and name of equal ones sorted)
    assert "SEARCH p USING COVERING INDEX p1_c1 (c1>?)" in plans["by lr"], plans
    assert "USE TEMP B-TREE FOR RIGHT PART OF ORDER BY" in plans["by lr"], plans
    for name in os.listdir(index_db.index_path(Database(root)).parent):
        os.unlink(index_db.index_path(Database(root)).parent / name)
    assert [r.index for r in query.select(root, ItemFilter(where=where))] == expected


def test_an_index_is_not_made_while_another_process_writes(tmp_path: Path):
    """The index is made by a listing only when it takes the write lock at once: while another
    writer holds it, the listing answers without it (and waits for nothing); the next one makes it."""
    root = tmp_path / "db"
    build(root, [("hopper", 0, n, {"lr": n / 10, "seed": n % 3}, "finished", 1, ()) for n in range(30)])
    age(root)
    item_filter = ItemFilter(where="seed == 1")
    expected = [row[0] for row in full_scan(root, item_filter)]
    query.scan(root)
    with indexed_from(0), sqlite3.connect(index_db.index_path(Database(root)), isolation_level=None) as writer:
        writer.execute("BEGIN IMMEDIATE")
        listing = Listing(root, item_filter)
        assert [r.index for r in listing.page(0, 100)] == expected
        assert param_indexes(root) == []
        writer.execute("ROLLBACK")
        assert [r.index for r in Listing(root, item_filter).page(0, 100)] == expected
        assert param_indexes(root) == ["p1_c2"]
