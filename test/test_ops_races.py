"""Operations racing with runs and with each other, as real processes: `rla rm` waiting at its
prompt while the run it planned to delete is resumed, and two `rla archive` of the same items
confirmed at the same moment."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import List

from conftest import REPO_ROOT, log_run, popen_python, subprocess_env

from RLA.db.layout import Database
from RLA.db.query import ItemFilter, select
from RLA.easy_log.tester import exp_manager

RESUMED_RUN = """
import sys, time
from pathlib import Path
from RLA.easy_log import logger
from RLA.easy_log.tester import exp_manager

data_root, ready, stop = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
exp_manager.configure("race", {"LOG_USED": ["csv"]}, data_root, code_root=str(Path(data_root).parent))
exp_manager.set_hyper_param(seed=1)
exp_manager.add_record_param(["seed"])
exp_manager.log_files_gen()
ready.write_text(exp_manager.item.index)
step = 10
while not stop.exists():
    exp_manager.time_step_holder.set_time(step)
    logger.record_tabular("reward", float(step))
    logger.dump_tabular()
    step += 1
    time.sleep(0.05)
exp_manager.finish("finished")
"""


class Prompted:
    """An `rla` command in a real process, its stderr read as it comes (a prompt ends without a newline)."""

    def __init__(self, *args: str):
        self.process = subprocess.Popen([sys.executable, "-m", "RLA.cli", *args], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        env=subprocess_env({"COLUMNS": "120"}), cwd=REPO_ROOT)
        self.stderr: List[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        while True:
            char = self.process.stderr.read(1)
            if not char:
                return
            self.stderr.append(char)

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in "".join(self.stderr):
            assert self.process.poll() is None, f"exited {self.process.returncode}: {''.join(self.stderr)}"
            assert time.monotonic() < deadline, f"never printed {text!r}: {''.join(self.stderr)}"
            time.sleep(0.05)

    def answer(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def finish(self, timeout: float = 60) -> str:
        """Everything the command printed (its report goes to stderr, a listing to stdout)."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        self.process.wait(timeout=timeout)
        stdout = self.process.stdout.read()
        self._reader.join(5)
        return stdout + "".join(self.stderr)


def test_rm_confirmed_after_its_run_was_resumed_leaves_the_live_run_alone(tmp_path: Path, write_script):
    data_root = tmp_path / "db"
    for seed in (1, 2):
        log_run(data_root, "race", {"seed": seed}, [(step, {"reward": float(step)}) for step in range(10)])
        exp_manager.finish("killed")
    target = select(data_root, ItemFilter(task="race", where="seed == 1"))[0]

    rm = Prompted("rm", "-d", str(data_root), "-t", "race", "-w", "seed == 1")
    rm.wait_for("delete these 5 entries of 1 item?")
    ready, stop = tmp_path / "ready", tmp_path / "stop"
    resumed = popen_python(write_script(RESUMED_RUN), str(data_root), str(ready), str(stop),
                           env={"RLA_RESUME": "auto"})
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert resumed.poll() is None and time.monotonic() < deadline, resumed.stderr.read()
        time.sleep(0.05)
    assert ready.read_text() == target.index  # the run resumed the very item the plan holds

    rm.answer("y")
    said = rm.finish()
    assert rm.process.returncode == 0, said
    assert f"left alone {target.index}: its run came back to life after the plan" in said
    assert "delete: 0 entries of 0 items" in said

    stop.write_text("")
    _, errors = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, errors
    [record] = select(data_root, ItemFilter(task="race", where="seed == 1"))
    assert record.status == "finished" and record.last_time_step is not None and record.last_time_step >= 10
    assert all(target.item.path(t).exists() for t in ("log", "code"))


def test_two_archives_of_the_same_items_confirmed_at_once_serialise(tmp_path: Path):
    data_root = tmp_path / "db"
    for seed in range(12):
        log_run(data_root, "race", {"seed": seed}, [(step, {"reward": float(step)}) for step in range(2000)])
        exp_manager.finish("finished")
    entries = sum(len([t for t in ("log", "code", "checkpoint", "archive_tester", "results")
                       if r.item.path(t).exists()]) for r in select(data_root, ItemFilter(task="race")))

    archives = [Prompted("archive", "-d", str(data_root), "-t", "race", "-w", "seed < 11") for _ in range(2)]
    for archive in archives:
        archive.wait_for("archive these")
    for archive in archives:
        archive.answer("y")
    outputs = [archive.finish() for archive in archives]
    for archive, said in zip(archives, outputs):
        assert archive.process.returncode == 0 and "Traceback" not in said, said
    done = [_number(r"^archive: (\d+) entr", said) for said in outputs]
    gone = [_number(r"^(\d+) entr\w* gone already", said) for said in outputs]
    per_item = entries // 12
    assert sorted(done) == [0, 11 * per_item] and sorted(gone) == [0, 11 * per_item], outputs
    assert any("waiting for the archive of pid" in said for said in outputs)

    ops_dir = Database(data_root).ops_dir()
    assert [p.name for p in ops_dir.iterdir() if p.suffix == ".json"] == []  # no journal left: nothing split
    listed = subprocess.run([sys.executable, "-m", "RLA.cli", "ls", "-d", str(data_root), "--json"],
                            capture_output=True, text=True, env=subprocess_env(), cwd=REPO_ROOT, timeout=60)
    assert listed.returncode == 0 and "split" not in listed.stderr, listed.stderr
    assert len(json.loads(listed.stdout)) == 1  # the one left out by the filter
    archived = select(data_root, ItemFilter(task="race", archived=True))
    assert sorted(r.params["seed"] for r in archived) == list(range(11))
    assert all(r.rows == 2000 for r in archived)


def _number(pattern: str, said: str) -> int:
    """The number ``pattern`` captures in the last line of ``said`` it matches (the report comes after
    the plan's title); 0 when no line matches."""
    found = re.findall(pattern, said, re.MULTILINE)
    return int(found[-1]) if found else 0
