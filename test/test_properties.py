"""Property tests (hypothesis): round-trips of log names, csv rows and parameter expressions, and
fuzzed patterns, expressions and parameters that must give an RLAError or a result, never a
traceback from deep inside. ``max_examples`` stays modest so that the file runs in seconds.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import math
import operator
import tempfile
from pathlib import Path
from typing import Any, Dict, List

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from RLA.db.expr import compile_where
from RLA.db.names import MAX_NAME_BYTES, format_log_name, parse_log_name
from RLA.db.progress import summarize_csv
from RLA.db.records import to_jsonable
from RLA.db.select import ItemFilter
from RLA.easy_log import logger
from RLA.easy_log.time_step import TimeStepHolder
from RLA.easy_plot.loader import read_columns
from RLA.errors import ExpressionError

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: text a file can hold: no NUL, no lone surrogates
text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)
#: what a log name writes in place of characters that would split it differently when read back
RESERVED = set("&=/\\\x00\n[]")
plain = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="".join(RESERVED)), max_size=12)


# -- log names --------------------------------------------------------------------------------------
timestamps = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31))
ips = st.ip_addresses(v=4).map(str)
tracked_values = st.one_of(st.integers(), st.floats(allow_nan=True), st.booleans(), plain)


@FAST
@given(timestamps, ips, st.lists(st.tuples(plain, tracked_values), max_size=5, unique_by=lambda kv: kv[0]))
def test_a_log_name_reads_back_as_written(when: dt.datetime, ip: str, tracked: List[tuple]):
    name = format_log_name(when, ip, tracked)
    parsed = parse_log_name(name)
    assert parsed is not None and not parsed.legacy
    assert parsed.time == when.time() and parsed.ip == ip
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    if "~" not in name[len(ip) + 17:]:  # not cut to fit a file name
        assert parsed.params() == {k: str(v) for k, v in tracked}


@FAST
@given(timestamps, ips, st.lists(st.tuples(text, text), max_size=5))
def test_any_parameter_text_gives_a_name_of_one_folder_that_parses(when: dt.datetime, ip: str, tracked: List[tuple]):
    name = format_log_name(when, ip, tracked)
    assert "/" not in name and "\x00" not in name and name not in (".", "..")
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES
    parsed = parse_log_name(name)
    assert parsed is not None and parsed.time == when.time() and parsed.ip == ip
    params = parsed.params()
    assert len(params) <= max(len(tracked), 1)
    assert all("&" not in k and "=" not in k and "&" not in v for k, v in params.items())


# -- csv rows ---------------------------------------------------------------------------------------
keys = text.filter(lambda k: k not in ("", "time-step", "wall_time"))  # the columns the logger writes itself
cells = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10 ** 30, max_value=10 ** 30),
                  st.floats(allow_nan=True, allow_infinity=True), text)


def _cell_text(value: Any) -> str:
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)


@FAST
@given(st.lists(st.dictionaries(keys, cells, min_size=1, max_size=4), min_size=1, max_size=5))
def test_what_is_logged_is_what_progress_csv_reads_back(rows: List[Dict[str, Any]]):
    """Through the csv module, pandas, the plot loader and the index's tail reader; keys
    appearing mid-run add columns without losing a row."""
    with tempfile.TemporaryDirectory() as folder:
        steps = TimeStepHolder()
        log = logger.configure(folder, ["csv", "json"], steps)
        try:
            for step, row in enumerate(rows):
                steps.set_time(step)
                for key, value in row.items():
                    logger.record_tabular(key, value)
                logger.dump_tabular()
        finally:
            logger.reset()
        path = Path(folder) / "progress.csv"
        all_keys = list(dict.fromkeys(k for row in rows for k in row))
        with open(path, encoding="utf-8", newline="") as f:
            read = list(csv.reader(f))
        assert read[0] == ["time-step", "wall_time", *all_keys]
        assert all(float(line[1]) > 0 for line in read[1:])  # each row's wall-clock time
        read = [[line[0], *line[2:]] for line in read]
        expected = [[str(step), *(_cell_text(row.get(k)) for k in all_keys)] for step, row in enumerate(rows)]
        assert read[1:] == expected
        frame = pd.read_csv(path, dtype=str, keep_default_na=False).drop(columns="wall_time")
        assert frame.values.tolist() == expected
        assert summarize_csv(path) == (len(rows), len(rows) - 1)
        numeric = [k for k in all_keys if all(isinstance(r.get(k), (int, float, type(None))) for r in rows)]
        columns = read_columns(path, numeric)
        for key in numeric:
            want = [math.nan if r.get(k := key) is None else float(r[k]) for r in rows]
            got = columns[key].tolist()
            assert len(got) == len(want)
            for a, b in zip(got, want):
                assert (math.isnan(a) and math.isnan(b)) or a == b or abs(a - b) <= 1e-12 * abs(b)
        json_rows = [json.loads(line) for line in (Path(folder) / "progress.json").read_text("utf-8").splitlines()]
        assert [r["time-step"] for r in json_rows] == list(range(len(rows)))
        assert log.dir == folder


# -- parameter expressions --------------------------------------------------------------------------
names = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True).filter(
    lambda n: n not in ("and", "or", "not", "in", "is", "if", "else", "for", "def", "del", "as", "from",
                        "with", "while", "try", "true", "false", "none", "pass", "raise", "class", "elif",
                        "import", "global", "assert", "break", "return", "lambda", "yield", "async", "await",
                        "except", "finally", "continue", "nonlocal"))
literals = st.one_of(st.integers(-1000, 1000), st.floats(allow_nan=False, allow_infinity=False, width=32),
                     st.booleans(), st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=5))
OPS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt,
       ">=": operator.ge}


def _compare(op: str, a: Any, b: Any) -> bool:
    try:
        return bool(OPS[op](a, b))
    except TypeError:
        return False


@FAST
@given(st.dictionaries(names, literals, min_size=1, max_size=4),
       st.lists(st.tuples(names, st.sampled_from(sorted(OPS)), literals), min_size=1, max_size=4),
       st.sampled_from(["and", "or"]))
def test_an_expression_selects_what_python_would(params: Dict[str, Any], clauses: List[tuple], joiner: str):
    text = f" {joiner} ".join(f"{name} {op} {value!r}" for name, op, value in clauses)
    results = [name in params and _compare(op, params[name], value) for name, op, value in clauses]
    expected = all(results) if joiner == "and" else any(results)
    assert compile_where(text)(params) is expected


@FAST
@given(st.dictionaries(names, literals, max_size=3), st.lists(literals, max_size=4), names)
def test_in_selects_what_python_would(params: Dict[str, Any], choices: List[Any], name: str):
    predicate = compile_where(f"{name} in {choices!r}")
    assert predicate(params) is (name in params and params[name] in choices)


@FAST
@given(st.text(max_size=60))
def test_any_text_is_an_expression_or_an_expression_error(source: str):
    try:
        predicate = compile_where(source)
    except ExpressionError as error:
        assert "expression" in str(error)
        return
    predicate({"lr": 0.1, "seed": 1, "env": "Hopper"})
    predicate({})


@FAST
@given(st.text(max_size=40), st.text(max_size=40))
def test_any_pattern_selects_or_is_an_expression_error(pattern: str, name: str):
    try:
        item_filter = ItemFilter(pattern=pattern)
    except ExpressionError as error:
        assert "pattern" in str(error)
        return
    assert item_filter.name_matches("2024/05/01", name.replace("/", "_")) in (True, False)


@FAST
@given(st.from_regex(r"\d{2}-\d{2}-\d{2}-\d{6}_[0-9.]{7,15}_&[a-z=&._0-9]{0,20}", fullmatch=True))
def test_a_record_date_written_as_a_pattern_selects_its_item(name: str):
    assert ItemFilter(pattern=f"2024/05/01/{name}").name_matches("2024/05/01", name)
    assert not ItemFilter(pattern=f"2024/05/02/{name}").name_matches("2024/05/01", name)


# -- hyper-parameters -------------------------------------------------------------------------------
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), text),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)),
    max_leaves=20)


@FAST
@given(json_values)
def test_json_values_are_stored_unchanged(value: Any):
    assert json.loads(json.dumps(to_jsonable(value))) == value


@FAST
@given(st.recursive(st.one_of(st.floats(), st.sets(st.integers(), max_size=3), st.binary(max_size=4),
                              st.complex_numbers(), st.just(object)),
                    lambda inner: st.one_of(st.lists(inner, max_size=3), st.tuples(inner, inner),
                                            st.dictionaries(st.integers(), inner, max_size=3)),
                    max_leaves=10))
def test_any_value_becomes_json_with_reprs_for_what_json_cannot_hold(value: Any):
    stored = json.dumps(to_jsonable(value), allow_nan=False)  # NaN and inf are kept as reprs too
    assert json.loads(stored) is not None
