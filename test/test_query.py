"""Listing and filtering a real database: globs, regexes, time bounds, statuses and parameter expressions."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from db_builder import LEGACY_RECORD_DATE, db, template_db  # noqa: F401  (fixtures)

from RLA.console import plans
from RLA.db import query
from RLA.db.expr import ExpressionError, compile_where
from RLA.db.layout import DATA_TYPES as ALL_DATA_TYPES
from RLA.db.records import read_json, write_json_atomic

#: what exp_manager makes for every run (hyperparameter and tmp_data: on first use)
DATA_TYPES = ALL_DATA_TYPES[:5]

LEGACY_INDEX = f"hopper/{LEGACY_RECORD_DATE}"
LEGACY_NAME = LEGACY_RECORD_DATE.rsplit("/", 1)[1]


def names(frame) -> list:
    return [index.rsplit("/", 1)[1] for index in frame.index]


def test_listing_has_one_row_per_item_with_params_status_and_sizes(db: Path):
    frame = query.query(db)
    assert len(frame) == 8
    assert set(frame["task"]) == {"hopper", "walker"}
    run = frame[frame["params.seed"].eq(1) & frame["params.env"].eq("Hopper-v4") & frame["params.lr"].eq(1e-3)]
    row = run.iloc[0]
    assert row["status"] == "finished" and row["last_time_step"] == 400 and row["rows"] == 5
    assert row["tracked"] == ["lr", "seed"] and row["params"]["net.layers"] == 2
    assert row["ip"] and row["host"] and str(row["date"].date()) == row["record_date"][:10].replace("/", "-")
    for data_type in DATA_TYPES:
        assert row[f"size.{data_type}"] >= 0
    assert row["size.checkpoint"] == 700 and row["size"] == sum(row[f"size.{t}"] for t in DATA_TYPES)
    assert sorted(frame["status"]) == ["failed", "failed", "finished", "finished", "finished", "finished",
                                       "running", "unknown"]


def test_legacy_item_reads_its_params_from_the_name(db: Path):
    row = query.query(db, "hopper").loc[LEGACY_INDEX]
    assert row["status"] == query.UNKNOWN_STATUS
    assert row["params"] == {"lr": 0.01, "seed": 3} and row["ip"] == "11.0.91.89"
    assert row["last_time_step"] == 2000 and row["rows"] == 3
    assert str(row["date"]) == "2022-03-01 21:13:03.230208"
    assert all(row[f"size.{t}"] > 0 for t in DATA_TYPES)


@pytest.mark.parametrize("pattern, expected", [
    ("2022/03/01/21-13*", 1),        # the earlier releases' example
    ("2022/03/*", 1),                # a date folder selects what is under it
    ("2022", 1),
    ("*/*/*/*&seed=1", 2),
    ("*/*/*/*lr=0.001&*", 2),
    ("2022/03/01/21-1", 0),          # a glob matches the whole name, not a prefix
    ("*", 5),
])
def test_glob_pattern_on_the_record_date(db: Path, pattern: str, expected: int):
    assert len(query.query(db, "hopper", pattern)) == expected


def test_regex_status_time_and_timestep_filters(db: Path):
    assert names(query.query(db, regex=r"seed=3$")) == [LEGACY_NAME,
                                                        names(query.query(db, "walker", "*/*/*/*seed=3"))[0]]
    assert len(query.query(db, status="failed")) == 2
    assert len(query.query(db, status=["failed", "running"])) == 3
    assert names(query.query(db, until="2023-01-01")) == [LEGACY_NAME]
    assert len(query.query(db, since="2023/01/01")) == 7
    assert len(query.query(db, since="2022-03-01 21:13", until="2022-03-01 21:14")) == 1
    small = query.query(db, timestep_below=300)
    assert sorted(small["last_time_step"].astype("float").fillna(-1)) == [-1, 0, 200]


def test_parameter_expressions(db: Path):
    frame = query.query(db, where='lr >= 1e-3 and seed in [1, 2] and env == "Hopper-v4"')
    assert sorted(zip(frame["params.lr"], frame["params.seed"])) == [(1e-3, 1), (1e-3, 2)]
    assert len(query.query(db, where="lr >= 1e-3")) == 5           # the legacy item has lr=0.01
    assert len(query.query(db, where='env != "Hopper-v4"')) == 3   # a missing parameter never compares true
    assert len(query.query(db, where="not (seed == 1 or seed == 2)")) == 2
    assert len(query.query(db, where="1e-4 < lr < 1e-2 and net.layers == 2")) == 5
    assert len(query.query(db, "hopper", where="seed > -1 and env >= 3")) == 0   # str vs number: false


def test_an_empty_selection_keeps_the_columns_of_its_table(db: Path):
    """The README's ``runs[["status", "params.lr", ...]]`` on a selection that matches nothing: an empty table."""
    runs = query.query(db, "hopper", where="lr > 100", status="finished")
    picked = runs[["status", "last_time_step", "params.lr", "params.seed", "size"]]
    assert picked.empty and list(picked.columns) == ["status", "last_time_step", "params.lr", "params.seed", "size"]


@pytest.mark.parametrize("text", [
    "__import__('os').system('touch pwned')",
    "lr.__class__",
    "[x for x in lr]",
    "lr + 1 > 2",
    "seed == (lambda: 1)()",
    "lr >",
    "not " * 5000 + "lr",
    "lr == '\x00'" + "\x00",
])
def test_expressions_outside_the_subset_are_refused(text: str, tmp_path: Path):
    with pytest.raises(ExpressionError, match="expression"):
        predicate = compile_where(text)
        predicate({"lr": 1.0})
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


def test_dotted_names_lists_and_chained_comparisons():
    assert compile_where("net.layers == 2 and algo")({"net.layers": 2, "algo": "ppo"})
    assert compile_where("hidden == [64, 64] and 0 < lr <= 1 and lr < seed")({"hidden": [64, 64], "lr": 1, "seed": 2})
    assert not compile_where("0 < lr < 1")({"lr": 1})
    assert not compile_where("algo")({})


def test_a_partial_checkpoint_only_item_is_listed_with_its_data_types(db: Path):
    ghost = db / "checkpoint" / "hopper" / "2021" / "01" / "02" / "01-02-03-000004_1.2.3.4_&"
    ghost.mkdir(parents=True)
    (ghost / "w.pt").write_bytes(b"x" * 10)
    record = [r for r in query.scan(db, "hopper") if r.item.date == "2021/01/02"][0]
    assert record.sizes == {"checkpoint": 10} and record.status == query.UNKNOWN_STATUS


def test_refresh_rebuilds_and_a_missing_database_is_a_clear_error(db: Path, tmp_path: Path):
    assert len(query.scan(db, refresh=True)) == 8
    with pytest.raises(FileNotFoundError, match="no RLA database"):
        query.scan(tmp_path / "nowhere")


def replace_text(path: Path, text: str) -> None:
    """Write a file by rename, as a new file (the folder's mtime moves, as when a run appends)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def test_a_torn_last_line_of_progress_csv_is_not_read_as_the_last_time_step(db: Path):

    pattern = "*/*/*/*lr=0.001&seed=2"
    record = query.select(db, query.ItemFilter(task="hopper", pattern=pattern))[0]
    log_dir = record.item.path("log")
    rows = "".join(f"{t},{t / 100}\n" for t in range(0, 50000, 100))  # 500 rows, the last at 49900
    replace_text(log_dir / "progress.csv", "time-step,perf/reward\n" + rows + "500")  # killed mid-line
    torn = query.select(db, query.ItemFilter(task="hopper", pattern=pattern))[0]
    assert (torn.last_time_step, torn.rows) == (49900, 500)
    result = plans.clean(db, "hopper", pattern, timestep_bound=1000, skip_ask=True)
    assert result.planned == 0 and log_dir.is_dir()

    # a torn line continued by a resumed run: the line has too many or too few fields
    replace_text(log_dir / "progress.csv", "time-step,perf/reward\n" + rows + "500,0.549900,1.0\n5\n")
    assert query.select(db, query.ItemFilter(task="hopper", pattern=pattern))[0].last_time_step == 49900

    # run.json's count wins when it is ahead of what progress.csv kept
    run = read_json(log_dir / "run.json")
    write_json_atomic(log_dir / "run.json", {**run, "last_time_step": 60000})
    replace_text(log_dir / "progress.csv", "time-step,perf/reward\n0,0.0\n100,1.0\n")
    again = query.select(db, query.ItemFilter(task="hopper", pattern=pattern))[0]
    assert (again.last_time_step, again.rows) == (60000, 2)


def test_a_bare_date_as_until_means_the_end_of_that_day(db: Path):
    assert LEGACY_INDEX in query.query(db, "hopper", until="2022-03-01").index
    assert LEGACY_INDEX in query.query(db, "hopper", until="2022/03/01").index
    assert LEGACY_INDEX not in query.query(db, "hopper", until="2022-02-28").index
    assert LEGACY_INDEX not in query.query(db, "hopper", until="2022-03-01 21:00").index
    assert LEGACY_INDEX in query.query(db, "hopper", since="2022-03-01", until="2022-03-01").index
    import datetime as dt
    assert LEGACY_INDEX in query.query(db, "hopper", until=dt.date(2022, 3, 1)).index
