"""The query index under load and kills, with real processes: 32 runs registering at once while
others list, and writers killed (SIGKILL) in the middle of building or updating the index; the
next listing always answers as the files say, the SQLite file stays sound, and a killed build leaves
no reader process behind."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import List

from conftest import subprocess_env
from fault_helpers import kill_after, seeded, start, wait_for
from test_index_equal import full_scan, listed

from RLA.db.index_db import index_path
from RLA.db.layout import Database
from RLA.db.select import ItemFilter

RUNS = 32
RUN = r'''
import json, os, sys, time
from RLA.db.index import register
from RLA.db.layout import Database
root, number, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
while not os.path.exists(go):  # every run starts at the same moment
    time.sleep(0.001)
item = Database(root).create_item("load", "10.0.0.1", [("run", number)])
(item.log_dir / "params.json").write_text(json.dumps({"run": number, "lr": number / 100}))
(item.log_dir / "run.json").write_text(json.dumps({"status": "running", "pid": os.getpid()}))
assert register(item), "the start was not registered"
(item.log_dir / "progress.csv").write_text("time-step,r\n0,1\n10,2\n")
(item.log_dir / "run.json").write_text(json.dumps({"status": "finished", "last_time_step": 10}))
assert register(item), "the end was not registered"
'''
READER = r'''
import os, sys
from RLA.db.query import ItemFilter, select
root, go, stop, ready = sys.argv[1:5]
open(ready, "w").close()
while not os.path.exists(go):
    pass
counts = []
while True:  # one listing at least, the last one after every run ended
    ended = os.path.exists(stop)
    counts.append(len(select(root, ItemFilter(task="load", where="lr >= 0"))))
    if ended:
        break
assert counts == sorted(counts), counts  # runs only come: a listing never loses one
print(len(counts))
'''
BUILDER = r'''
import pathlib, sys
from RLA.db import index
from RLA.db.query import ItemFilter, select
index.PARALLEL_READS = int(sys.argv[3])  # 500: read by a pool of processes
pathlib.Path(sys.argv[2]).touch()
select(sys.argv[1], ItemFilter(where="lr >= 0"))
'''


def _python(script: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(script), *args], env=subprocess_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _sound(root: Path) -> bool:
    with sqlite3.connect(index_path(Database(root))) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_32_runs_register_at_once_while_others_list(tmp_path: Path):
    root = tmp_path / "db"
    Database(root).create_item("load", "10.0.0.1", [("run", -1)])  # the table exists before the runs
    run, reader = tmp_path / "run.py", tmp_path / "reader.py"
    run.write_text(RUN)
    reader.write_text(READER)
    go, stop = tmp_path / "go", tmp_path / "stop"
    runs = [_python(run, str(root), str(n), str(go)) for n in range(RUNS)]
    ready = [tmp_path / f"reader{n}.ready" for n in range(2)]
    readers = [_python(reader, str(root), str(go), str(stop), str(path)) for path in ready]
    for path, process in zip(ready, readers):
        wait_for(path, process, timeout=120)
    time.sleep(1.0)  # let the runs' interpreters start too: they wait for the same moment
    go.touch()
    for process in runs:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    stop.touch()
    for process in readers:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        assert int(out) >= 1
    everything = ItemFilter(task="load")
    records = listed(root, everything)
    assert records == full_scan(root, everything)
    assert sorted(status for _, status, *_ in records) == ["finished"] * RUNS + ["unknown"]
    assert _sound(root)


def test_a_writer_killed_while_it_builds_the_index_leaves_one_that_answers_right(tmp_path: Path):
    rng = seeded()
    root = tmp_path / "db"
    db = Database(root)
    for n in range(1500):
        item = db.create_item(f"t{n % 3}", "10.0.0.1", [("n", n)])
        (item.log_dir / "params.json").write_text(json.dumps({"lr": n / 1000, "n": n}))
        (item.log_dir / "run.json").write_text(json.dumps({"status": "finished"}))
    builder = tmp_path / "builder.py"
    builder.write_text(BUILDER)
    everything = ItemFilter(where="lr >= 0")
    expected = full_scan(root, everything)
    first = start(builder, str(root), str(tmp_path / "ready"), "500")
    wait_for(tmp_path / "ready", first)
    began = time.monotonic()
    assert first.wait(timeout=600) == 0, first.communicate()
    whole = time.monotonic() - began  # how long a build takes here: the kills fall within it
    kills = 0
    for attempt in range(6):
        for suffix in ("", "-wal", "-shm"):  # a new build each time
            Path(f"{index_path(db)}{suffix}").unlink(missing_ok=True)
        ready = tmp_path / f"ready-{attempt}"
        parallel = "500" if attempt % 2 else "1000000"
        kills += kill_after(start(builder, str(root), str(ready), parallel), rng.uniform(0.1, 0.9) * whole, ready)
        assert _sound(root)
        assert listed(root, everything) == expected
    assert kills >= 3, "the builds ended before they could be killed: give them more items"
    assert _running(builder) == [], "a killed build's reader processes were left waiting"


def _running(script: Path, timeout: float = 10.0) -> List[int]:
    """The processes still running ``script`` after up to ``timeout`` seconds (a zombie runs nothing)."""
    deadline = time.monotonic() + timeout
    while True:
        found = []
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and str(script).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:  # ended meanwhile
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)
