"""The v1 log_name and item layout, and atomic creation of items."""
import datetime as dt
import os
import time

import pytest
from conftest import popen_python

from RLA.db.layout import (
    MAX_NAME_BYTES,
    Database,
    LayoutError,
    format_log_name,
    parse_log_name,
)

STAMP = dt.datetime(2022, 3, 1, 21, 13, 3, 230208)


def test_v1_name_has_time_ip_and_tracked_params_in_order():
    name = format_log_name(STAMP, "11.0.91.89", [("info", "run [a/b]"), ("lr", 0.001)])
    assert name == "21-13-03-230208_11.0.91.89_&info=run {a_b}&lr=0.001"
    parsed = parse_log_name(name)
    assert parsed is not None and not parsed.legacy
    assert parsed.ip == "11.0.91.89"
    assert parsed.time == STAMP.time()
    assert parsed.params() == {"info": "run {a_b}", "lr": "0.001"}


def test_name_without_tracked_params_ends_in_underscore_ampersand():
    assert format_log_name(STAMP, "1.2.3.4", []) == "21-13-03-230208_1.2.3.4_&"
    assert parse_log_name("21-13-03-230208_1.2.3.4_&").params() == {}


def test_legacy_space_separated_names_are_read():
    parsed = parse_log_name("21-13-03-230208 11.0.91.89 &k=v&seed=2")
    assert parsed is not None and parsed.legacy
    assert parsed.ip == "11.0.91.89"
    assert parsed.params() == {"k": "v", "seed": "2"}


def test_foreign_names_are_not_items():
    assert parse_log_name("notes.txt") is None
    assert parse_log_name("99-99-99-999999_1.2.3.4_&") is None


def test_overlong_names_are_cut_and_stay_distinct():
    long_a = format_log_name(STAMP, "1.2.3.4", [("desc", "x" * 400 + "a")])
    long_b = format_log_name(STAMP, "1.2.3.4", [("desc", "x" * 400 + "b")])
    assert len(long_a.encode()) <= MAX_NAME_BYTES
    assert long_a != long_b


def test_item_paths_follow_the_layout(tmp_path):
    db = Database(tmp_path)
    item = db.item("demo_task", "2022/03/01/21-13-03-230208_1.2.3.4_&a=1")
    assert item.index == "demo_task/2022/03/01/21-13-03-230208_1.2.3.4_&a=1"
    assert item.path("log") == tmp_path / "log/demo_task/2022/03/01/21-13-03-230208_1.2.3.4_&a=1"
    name = "2022/03/01/21-13-03-230208_1.2.3.4_&a=1"
    assert item.path("archive_tester") == tmp_path / f"archive_tester/demo_task/{name}.pkl"
    assert item.moved(archived=True).path("code") == tmp_path / f"arc/code/demo_task/{name}"
    assert item.start_time == STAMP


def test_items_are_found_under_any_data_type_including_legacy(tmp_path):
    db = Database(tmp_path)
    (tmp_path / "code/t/2022/03/01/21-13-03-230208 11.0.91.89 &k=v").mkdir(parents=True)
    (tmp_path / "archive_tester/t/2022/03/02").mkdir(parents=True)
    (tmp_path / "archive_tester/t/2022/03/02/10-00-00-000001_1.2.3.4_&.pkl").write_bytes(b"")
    assert [i.record_date for i in db.items("t")] == [
        "2022/03/01/21-13-03-230208 11.0.91.89 &k=v", "2022/03/02/10-00-00-000001_1.2.3.4_&"]
    assert db.tasks() == ["t"]


def test_bad_task_names_and_record_dates_are_refused(tmp_path):
    db = Database(tmp_path)
    with pytest.raises(LayoutError, match="may not contain '/'"):
        db.create_item("a/b", "1.2.3.4", [])
    with pytest.raises(LayoutError, match="YYYY/MM/DD"):
        db.item("t", "2022/3/01/x")


def test_clash_in_one_process_advances_one_microsecond(tmp_path):
    db = Database(tmp_path)
    first = db.create_item("t", "1.2.3.4", [("a", 1)], timestamp=STAMP)
    second = db.create_item("t", "1.2.3.4", [("a", 1)], timestamp=STAMP)
    assert first.name.startswith("21-13-03-230208_")
    assert second.name.startswith("21-13-03-230209_")


CLAIM_SCRIPT = """
import datetime as dt, os, sys, time
from RLA.db.layout import Database
start_at = float(sys.argv[2])
while time.time() < start_at:
    pass
item = Database(sys.argv[1]).create_item("t", "1.2.3.4", [("seed", 1)],
                                         timestamp=dt.datetime(2022, 3, 1, 21, 13, 3, 230208))
print(item.name)
"""


def test_concurrent_processes_with_the_same_timestamp_get_distinct_items(tmp_path, write_script):
    script = write_script(CLAIM_SCRIPT)
    start_at = time.time() + 2.0
    procs = [popen_python(script, str(tmp_path), str(start_at)) for _ in range(6)]
    names = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert len(set(names)) == 6
    micros = sorted(int(n.split("_")[0].split("-")[3]) for n in names)
    assert micros == list(range(230208, 230214))
    assert len(os.listdir(tmp_path / "log/t/2022/03/01")) == 6


def test_the_plot_folder_is_never_a_table(tmp_path):
    db = Database(tmp_path)
    db.create_item("t", "1.2.3.4", [])
    db.plots_dir().mkdir(parents=True)
    assert db.tasks() == ["t"]
    with pytest.raises(LayoutError, match="reserved"):
        db.create_item("easy_plot", "1.2.3.4", [])
