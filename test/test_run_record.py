"""run.json's lifecycle, written by RunRecord on a real item."""
import json
import os

from RLA.db.layout import Database
from RLA.easy_log import run_record
from RLA.easy_log.run_record import RunRecord


def read(item):
    return json.loads(item.run_json.read_text())


def test_start_heartbeat_and_end(data_root, monkeypatch):
    item = Database(data_root).create_item("rec", "127.0.0.1", [("seed", 1)])
    record = RunRecord()
    record.start(item, ["seed"], ["csv"])
    started = read(item)
    assert started["status"] == "running" and started["pid"] == os.getpid()
    assert started["record_param"] == ["seed"] and started["index"] == item.index

    record.on_dump(10)  # within the heartbeat period: kept in memory only
    assert read(item)["last_time_step"] is None
    monkeypatch.setattr(run_record, "HEARTBEAT_SECONDS", 0.0)
    record.on_dump(20)
    beat = read(item)
    assert beat["last_time_step"] == 20 and beat["heartbeat"] >= started["heartbeat"]

    record.end("failed", 25, error="ValueError: diverged")
    ended = read(item)
    assert (ended["status"], ended["last_time_step"], ended["error"]) == ("failed", 25, "ValueError: diverged")
    assert not record.running


def test_a_resume_appends_to_the_previous_record(data_root):
    item = Database(data_root).create_item("rec", "127.0.0.1", [])
    first = RunRecord()
    first.start(item, [], ["csv"])
    first.end("killed", 7)
    second = RunRecord()
    assert second.resume(item, read(item), checkpoint_step=5, last_kept_step=5) == 1
    resumed = read(item)
    assert resumed["status"] == "running" and resumed["start_time"] == read(item)["start_time"]
    assert resumed["resumes"][0]["previous_status"] == "killed"
    assert resumed["resumes"][0]["checkpoint_step"] == 5


def test_a_forked_child_never_writes_its_parents_record(data_root):
    item = Database(data_root).create_item("rec", "127.0.0.1", [])
    record = RunRecord()
    record.start(item, [], ["csv"])
    pid = os.fork()
    if pid == 0:  # the child: a data-loader worker that ends its copy of the run
        record.end("finished", 99)
        os._exit(0)
    os.waitpid(pid, 0)
    assert read(item)["status"] == "running"
