"""Listing and filtering a real database, and the index cache staying true to the files."""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from db_builder import LEGACY_RECORD_DATE, db, template_db  # noqa: F401  (fixtures)
from RLA.db import query
from RLA.db.expr import ExpressionError, compile_where
from RLA.db.layout import DATA_TYPES, Database
from RLA.db.records import read_json, write_json_atomic

LEGACY_INDEX = f"hopper/{LEGACY_RECORD_DATE}"
LEGACY_NAME = LEGACY_RECORD_DATE.rsplit("/", 1)[1]


def age(root: Path, seconds: float = 3600) -> None:
    """Date every file and folder back, as in a database written long ago."""
    past = time.time() - seconds
    for parent, dirs, files in os.walk(root):
        for name in dirs + files:
            os.utime(os.path.join(parent, name), (past, past), follow_symlinks=False)


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


def test_the_index_is_reused_and_rebuilt_incrementally(db: Path, monkeypatch: pytest.MonkeyPatch):
    age(db)
    reads = []
    real_read = query._read_item
    monkeypatch.setattr(query, "_read_item", lambda paths, name, now: reads.append(name) or real_read(paths, name, now))

    assert len(query.scan(db, "hopper")) == 5 and len(reads) == 5
    assert Database(db).index_file("hopper").is_file()
    reads.clear()
    assert len(query.scan(db, "hopper")) == 5 and reads == []           # warm: nothing re-read

    finished = query.select(db, query.ItemFilter(task="hopper", pattern="*/*/*/*lr=0.001&seed=1"))[0]
    run_json = finished.item.path("log") / "run.json"
    run = read_json(run_json)
    write_json_atomic(run_json, dict(run, status="failed"))              # e.g. a resumed run that failed
    assert query.query(db, "hopper").loc[finished.index, "status"] == "failed"
    assert reads == [finished.item.name]

    reads.clear()
    with open(db / "log" / LEGACY_INDEX / "progress.csv", "a") as f:
        f.write("3000,3.0\n")                                             # a legacy run still appending
    row = query.query(db, "hopper").loc[LEGACY_INDEX]
    assert (row["rows"], row["last_time_step"]) == (4, 3000)
    # the item changed a moment ago is read again too: an mtime that recent is not trusted yet
    assert sorted(reads) == sorted([LEGACY_NAME, finished.item.name])


def test_the_index_follows_items_added_and_removed(db: Path, fresh_exp_manager):
    age(db)
    before = query.scan(db, "hopper")
    gone = before[1].item
    for data_type in DATA_TYPES:
        path = gone.path(data_type)
        if data_type == "archive_tester":
            path.unlink()
        else:
            shutil.rmtree(path)
    fresh_exp_manager.configure("hopper", {"LOG_USED": ["csv"], "DL_FRAMEWORK": "none"}, db, code_root=str(db))
    fresh_exp_manager.set_hyper_param(lr=0.5, seed=9)
    new_item = fresh_exp_manager.log_files_gen()
    after = {r.index: r for r in query.scan(db, "hopper")}
    assert gone.index not in after and new_item.index in after
    assert after[new_item.index].status == "running" and after[new_item.index].params == {"lr": 0.5, "seed": 9}
    fresh_exp_manager.finish()
    assert query.scan(db, "hopper")[-1].status == "finished"


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


@pytest.mark.parametrize("archived", [False, True])
def test_the_index_joins_the_same_paths_as_the_layout(db: Path, archived: bool):
    database = Database(db)
    for record in query.scan(db):
        table = query._TableIndex(database, record.item.task, archived, refresh=False)
        item = record.item.moved(archived=archived)
        assert table._paths(item.date, item.name, (True,) * len(DATA_TYPES)) == \
            {t: str(item.path(t)) for t in DATA_TYPES}


def test_a_damaged_index_is_rebuilt(db: Path):
    query.scan(db, "hopper")
    index_file = Database(db).index_file("hopper")
    version = query.INDEX_VERSION
    index_file.write_text(f'{{"version": {version}, "days": [')
    assert len(query.scan(db, "hopper")) == 5
    assert index_file.read_text().startswith('{"version":')
    index_file.write_text(f'{{"version": {version}, "days": [], "items": {{}}}}')
    assert len(query.scan(db, "hopper")) == 5
    cache = json.loads(index_file.read_text())
    for date in cache["items"]:
        cache["items"][date][1] = [["junk"] for _ in cache["items"][date][1]]
    index_file.write_text(json.dumps(cache))
    assert sorted(r.status for r in query.scan(db, "hopper")) == ["failed", "finished", "finished", "finished",
                                                                 "unknown"]


def test_sizes_follow_new_checkpoints_of_a_finished_item(db: Path):
    age(db)
    record = query.select(db, query.ItemFilter(task="hopper", pattern="*/*/*/*lr=0.001&seed=2"))[0]
    assert record.sizes["checkpoint"] == 700
    (record.item.path("checkpoint") / "extra.pt").write_bytes(b"x" * 300)
    again = query.select(db, query.ItemFilter(task="hopper", pattern="*/*/*/*lr=0.001&seed=2"))[0]
    assert again.sizes["checkpoint"] == 1000


def test_records_are_copies_of_the_index_kept_in_memory(db: Path):
    first = query.scan(db, "walker")
    first[0].params["lr"] = "changed"
    first[0].tracked.append("changed")
    again = query.scan(db, "walker")
    assert again[0].params["lr"] != "changed" and "changed" not in again[0].tracked
    query.forget_loaded_indexes()
    assert [r.params for r in query.scan(db, "walker")] == [r.params for r in again]


def replace_text(path: Path, text: str) -> None:
    """Write a file by rename, as a new file (the folder's mtime moves, as when a run appends)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def test_a_torn_last_line_of_progress_csv_is_not_read_as_the_last_time_step(db: Path):
    from RLA.db import ops

    pattern = "*/*/*/*lr=0.001&seed=2"
    record = query.select(db, query.ItemFilter(task="hopper", pattern=pattern))[0]
    log_dir = record.item.path("log")
    rows = "".join(f"{t},{t / 100}\n" for t in range(0, 50000, 100))  # 500 rows, the last at 49900
    replace_text(log_dir / "progress.csv", "time-step,perf/reward\n" + rows + "500")  # killed mid-line
    torn = query.select(db, query.ItemFilter(task="hopper", pattern=pattern))[0]
    assert (torn.last_time_step, torn.rows) == (49900, 500)
    result = ops.clean(db, "hopper", pattern, timestep_bound=1000, skip_ask=True)
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


def test_csv_summary_of_torn_files(tmp_path: Path):
    path = tmp_path / "progress.csv"
    for text, expected in [
        ("time-step,r\n0,1\n100,2\n", (2, 100)),
        ("time-step,r\n0,1\n100,2\n2", (2, 100)),
        ("time-step,r\n0,1\n100,2\n200,", (2, 100)),
        ("time-step,r\n500", (0, None)),
        ("time-step,r", (0, None)),
        ("time-step,r\n" + "1,2\n" * 40000 + "90", (40000, 1)),
    ]:
        path.write_text(text)
        assert query._csv_summary(str(path)) == expected, text


LEGACY_BRACKETS = "2022/03/02/10-00-00-000000 11.0.91.89 &algo=[ppo]&clip=1_0&lr=0.5"


def test_legacy_values_are_numbers_only_when_they_are_plain_numbers(db: Path):
    date, name = LEGACY_BRACKETS.rsplit("/", 1)
    (db / "log" / "hopper" / date / name).mkdir(parents=True)
    record = query.select(db, query.ItemFilter(task="hopper", pattern="2022/03/02/*"))[0]
    assert record.params == {"algo": "[ppo]", "clip": "1_0", "lr": 0.5}
    assert [query._coerce(t) for t in ("1_0", "10", "-3", "1e-3", ".5", "inf", "nan", " 1", "True", "x")] == \
        ["1_0", 10, -3, 1e-3, 0.5, "inf", "nan", " 1", True, "x"]


def test_a_bare_date_as_until_means_the_end_of_that_day(db: Path):
    assert LEGACY_INDEX in query.query(db, "hopper", until="2022-03-01").index
    assert LEGACY_INDEX in query.query(db, "hopper", until="2022/03/01").index
    assert LEGACY_INDEX not in query.query(db, "hopper", until="2022-02-28").index
    assert LEGACY_INDEX not in query.query(db, "hopper", until="2022-03-01 21:00").index
    assert LEGACY_INDEX in query.query(db, "hopper", since="2022-03-01", until="2022-03-01").index
    import datetime as dt
    assert LEGACY_INDEX in query.query(db, "hopper", until=dt.date(2022, 3, 1)).index


def test_a_bug_while_reading_items_is_raised_not_retried(db: Path, monkeypatch: pytest.MonkeyPatch):
    shutil.rmtree(db / ".rla_index", ignore_errors=True)
    query.forget_loaded_indexes()
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise TypeError("a bug")

    monkeypatch.setattr(query, "_read_item", broken)
    with pytest.raises(TypeError, match="a bug"):
        query.scan(db, "hopper")
    assert len(calls) == 1  # not read again as if the index were damaged
