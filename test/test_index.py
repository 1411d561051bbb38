"""The query index cache staying true to the files: reused, rebuilt incrementally, and rebuilt
whole when it is missing, damaged or of another version."""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
from db_builder import LEGACY_RECORD_DATE, db, template_db  # noqa: F401  (fixtures)

from RLA.db import entry, index, query
from RLA.db.entry import IndexEntry, Signature
from RLA.db.layout import DATA_TYPES, Database
from RLA.db.records import read_json, write_json_atomic

LEGACY_INDEX = f"hopper/{LEGACY_RECORD_DATE}"
LEGACY_NAME = LEGACY_RECORD_DATE.rsplit("/", 1)[1]
LEGACY_BRACKETS = "2022/03/02/10-00-00-000000 11.0.91.89 &algo=[ppo]&clip=1_0&lr=0.5"
HOPPER_STATUSES = ["failed", "finished", "finished", "finished", "unknown"]


def age(root: Path, seconds: float = 3600) -> None:
    """Date every file and folder back, as in a database written long ago."""
    past = time.time() - seconds
    for parent, dirs, files in os.walk(root):
        for name in dirs + files:
            os.utime(os.path.join(parent, name), (past, past), follow_symlinks=False)


def count_reads(monkeypatch: pytest.MonkeyPatch) -> list:
    """The names of the items the index reads from their files from now on."""
    reads = []
    real_read = index.read_entry
    monkeypatch.setattr(index, "read_entry", lambda paths, name, now: reads.append(name) or real_read(paths, name, now))
    return reads


def test_the_index_is_reused_and_rebuilt_incrementally(db: Path, monkeypatch: pytest.MonkeyPatch):
    age(db)
    reads = count_reads(monkeypatch)

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
    for data_type in gone.existing_paths():
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


@pytest.mark.parametrize("archived", [False, True])
def test_the_index_joins_the_same_paths_as_the_layout(db: Path, archived: bool):
    database = Database(db)
    for record in query.scan(db):
        table = index.TableIndex(database, record.item.task, archived, refresh=False)
        item = record.item.moved(archived=archived)
        assert table._paths(item.date, item.name, (True,) * len(DATA_TYPES)) == \
            {t: str(item.path(t)) for t in DATA_TYPES}


@pytest.mark.parametrize("signature, damage", [(None, "run.json is a folder, not a file"),
                                               (Signature(1_700_000_000_123456789, -42, 7, None), None)])
def test_an_index_entry_round_trips_through_json(signature, damage):
    original = IndexEntry(signature=signature, sizes=[10, 0, None, 3, None, 5, None],
                          params={"lr": 1e-3, "net.layers": 2, "env": "Hopper-v4", "hidden": [64, 64]},
                          tracked=["lr"], status="finished", last_time_step=49900, rows=500, host="box",
                          ip="10.0.0.1", end_time="2024-01-01T08:00:00", damage=damage,
                          tags=["baseline", "paper"], note="diverged after 1M steps")
    stored = json.loads(json.dumps(original.to_json()))
    assert IndexEntry.from_json(stored) == original
    assert IndexEntry.from_json(stored).signature.__class__ is original.signature.__class__
    for damaged in (["junk"], None, stored[:-1], stored + [1], [stored[0], "sizes"] + stored[2:],
                    [[1, 2]] + stored[1:]):
        with pytest.raises(ValueError, match="not an index entry"):
            IndexEntry.from_json(damaged)


def tamper_statuses(index_file: Path, status: str, version: int) -> None:
    """Rewrite every entry's status in the index file, and its version."""
    cache = json.loads(index_file.read_text())
    for _, entries in cache["items"].values():
        for stored in entries:
            stored[4] = status
    cache["version"] = version
    index_file.write_text(json.dumps(cache))


def test_an_index_of_another_version_is_rebuilt_not_misread(db: Path, monkeypatch: pytest.MonkeyPatch):
    age(db)
    query.scan(db, "hopper")
    index_file = Database(db).index_file("hopper")
    # the tampered cache of the current version is trusted (the files did not change) ...
    tamper_statuses(index_file, "bogus", index.INDEX_VERSION)
    assert {r.status for r in query.scan(db, "hopper")} == {"bogus"}
    # ... but not one of an older version: every item is read again
    tamper_statuses(index_file, "bogus", index.INDEX_VERSION - 1)
    reads = count_reads(monkeypatch)
    assert sorted(r.status for r in query.scan(db, "hopper")) == HOPPER_STATUSES and len(reads) == 5
    assert json.loads(index_file.read_text())["version"] == index.INDEX_VERSION


def test_a_damaged_index_is_rebuilt(db: Path):
    query.scan(db, "hopper")
    index_file = Database(db).index_file("hopper")
    version = index.INDEX_VERSION
    whole = index_file.read_text()
    for damaged in (whole[: len(whole) // 2], "", f'{{"version": {version}, "days": [',
                    f'{{"version": {version}, "days": [], "items": {{}}}}'):
        index_file.write_text(damaged)
        assert sorted(r.status for r in query.scan(db, "hopper")) == HOPPER_STATUSES
        assert json.loads(index_file.read_text())["version"] == version
    cache = json.loads(index_file.read_text())
    for date in cache["items"]:
        cache["items"][date][1] = [["junk"] for _ in cache["items"][date][1]]
    index_file.write_text(json.dumps(cache))
    assert sorted(r.status for r in query.scan(db, "hopper")) == HOPPER_STATUSES
    assert os.listdir(index_file.parent) == [index_file.name]  # written by rename: no temporary file left


def test_a_bug_while_reading_items_is_raised_not_retried(db: Path, monkeypatch: pytest.MonkeyPatch):
    shutil.rmtree(db / ".rla_index", ignore_errors=True)
    query.forget_loaded_indexes()
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise TypeError("a bug")

    monkeypatch.setattr(index, "read_entry", broken)
    with pytest.raises(TypeError, match="a bug"):
        query.scan(db, "hopper")
    assert len(calls) == 1  # not read again as if the index were damaged


def test_legacy_values_are_numbers_only_when_they_are_plain_numbers(db: Path):
    date, name = LEGACY_BRACKETS.rsplit("/", 1)
    (db / "log" / "hopper" / date / name).mkdir(parents=True)
    record = query.select(db, query.ItemFilter(task="hopper", pattern="2022/03/02/*"))[0]
    assert record.params == {"algo": "[ppo]", "clip": "1_0", "lr": 0.5}
    assert [entry._coerce(t) for t in ("1_0", "10", "-3", "1e-3", ".5", "inf", "nan", " 1", "True", "x")] == \
        ["1_0", 10, -3, 1e-3, 0.5, "inf", "nan", " 1", True, "x"]


def test_a_warm_query_checks_items_lacking_data_types_by_their_log_folder_alone(db: Path,
                                                                                monkeypatch: pytest.MonkeyPatch):
    age(db)
    records = query.scan(db, "hopper")
    assert any(len(r.sizes) < len(DATA_TYPES) for r in records)           # e.g. no tmp_data folder
    signatures = []
    real_signature = index.read_signature
    monkeypatch.setattr(index, "read_signature", lambda paths: signatures.append(paths) or real_signature(paths))
    reads = count_reads(monkeypatch)
    assert len(query.scan(db, "hopper")) == len(records) and reads == [] and signatures == []
    changed = next(r for r in records if r.status != "unknown" and len(r.sizes) < len(DATA_TYPES))
    params_json = changed.item.path("log") / "params.json"
    write_json_atomic(params_json, dict(read_json(params_json) or {}, lr=0.5))  # still seen on the quick path
    assert query.query(db, "hopper").loc[changed.index, "params.lr"] == 0.5 and reads == [changed.item.name]
