"""Files replaced whole or not at all: RLA.db.atomic, and real writers killed mid-write."""
import json
import random
import signal
import sqlite3

import dill
import pytest
from conftest import popen_python

from RLA.db.atomic import atomic_write, atomic_writer, free_path, is_temp_name, temp_path
from RLA.db.index_db import index_path
from RLA.db.layout import Database
from RLA.db.query import ItemFilter, select


def test_atomic_write_replaces_the_file_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "run.json"
    target.write_text("old")
    atomic_write(target, '{"status": "finished"}')
    assert json.loads(target.read_text()) == {"status": "finished"}
    atomic_write(target, b"\x00bytes")
    assert target.read_bytes() == b"\x00bytes"
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


def test_a_failing_writer_keeps_the_previous_file(tmp_path):
    target = tmp_path / "params.json"
    target.write_text('{"lr": 1}')
    with pytest.raises(RuntimeError, match="serialisation failed"):
        with atomic_writer(target) as f:
            f.write('{"lr": ')
            raise RuntimeError("serialisation failed")
    assert json.loads(target.read_text()) == {"lr": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["params.json"]


def test_temporary_names_are_unique_and_recognised(tmp_path):
    names = {temp_path(tmp_path / "run.json").name for _ in range(100)}
    assert len(names) == 100 and all(is_temp_name(n) for n in names)
    assert not is_temp_name("run.json") and not is_temp_name(".resume-1")


def test_free_path_counts_up_beside_the_taken_name(tmp_path):
    (tmp_path / "ckpt-5").mkdir()
    (tmp_path / "ckpt-5-1").mkdir()
    assert free_path(tmp_path / "ckpt-5") == tmp_path / "ckpt-5-2"
    (tmp_path / "0-fig.png").write_bytes(b"")
    assert free_path(tmp_path / "0-fig.png") == tmp_path / "0-fig-1.png"
    assert free_path(tmp_path / "new.png") == tmp_path / "new.png"


# Each writer rewrites its file in a loop with a large value whose every element is the
# iteration number: a torn or mixed file would fail to parse or hold two numbers.
WRITER_SCRIPT = """
import sys
from RLA import exp_manager
from RLA.db.layout import Database
from RLA.db.query import ItemFilter, select

target, data_root = sys.argv[1], sys.argv[2]
exp_manager.configure(task_table_name="atomic", rla_config={"LOG_USED": ["csv"], "DL_FRAMEWORK": "none"},
                      data_root=data_root, code_root=data_root)
exp_manager.log_files_gen()
database = Database(data_root)
for i in range(10**9):
    blob = [i] * 200_000
    if target == "run.json":
        exp_manager.record_run_info(blob=blob)
    elif target == "params.json":
        exp_manager.add_run_params(blob=blob)
    elif target == "pickle":
        exp_manager.add_custom_data("blob", blob, dtype=object)
        exp_manager.serialize_object_and_save()
    else:  # the query index: a new item makes the table's day folder change, the next select writes its row
        database.create_item("atomic", "127.0.0.1", [("blob", i)])
        select(data_root, ItemFilter(task="atomic"))
    if i == 1:
        print("ready", flush=True)
"""


def _read_back(target, item, database):
    """The iteration numbers the file holds (one, if it is whole)."""
    if target == "run.json":
        return set(json.loads(item.run_json.read_text())["blob"])
    if target == "params.json":
        return set(json.loads(item.params_json.read_text())["blob"])
    if target == "pickle":
        with open(item.pickle_file, "rb") as f:
            return set(dill.load(f).custom_data["blob"])
    with sqlite3.connect(index_path(database)) as connection:  # sound, and listing what is on disk
        sound = connection.execute("PRAGMA integrity_check").fetchone()[0]
    listed = [r.item for r in select(database.root, ItemFilter(task="atomic"))]
    return {(sound, listed == database.items("atomic"))}


@pytest.mark.parametrize("target", ["run.json", "params.json", "pickle", "index"])
def test_sigkill_during_a_write_leaves_the_previous_or_the_new_file(data_root, write_script, target):
    script = write_script(WRITER_SCRIPT)
    rng = random.Random(target)
    for kill in range(4):
        proc = popen_python(script, target, str(data_root / str(kill)))
        assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
        try:
            proc.wait(timeout=rng.uniform(0.0, 0.3))
        except Exception:  # still writing, as intended: kill it wherever it is
            pass
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
        database = Database(data_root / str(kill))
        (item,) = [i for i in database.items("atomic") if i.run_json.exists()]
        assert len(_read_back(target, item, database)) == 1
