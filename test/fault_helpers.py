"""Helpers of the fault, full-disk and load tests: worker scripts run as real processes,
random SIGKILLs, and one check that every item of a database is readable by every reader."""
from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest
from conftest import read_scalars, subprocess_env

from RLA.db.atomic import is_temp_name
from RLA.db.layout import Item
from RLA.db.query import ItemFilter, select

TASK = "faults"

#: a training run: csv/json/log/TensorBoard rows, a code snapshot, params, a late column, checkpoints
RUN_WORKER = r'''
import sys
from pathlib import Path
import torch
from RLA import exp_manager, logger

data_root, code_root, seed, dumps, ready = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
Path(ready).touch()  # imports done: the kill delay counts from here
exp_manager.configure({task!r}, {{"LOG_USED": ["csv", "json", "log", "tensorboard"],
                       "BACKUP_CONFIG": {{"backup_code_dir": ["src"]}}}}, data_root, code_root=code_root)
exp_manager.set_hyper_param(seed=seed, lr=0.01)
exp_manager.add_record_param(["seed"])
exp_manager.log_files_gen()
model = torch.nn.Linear(128, 128)
for step in range(dumps):
    exp_manager.time_step_holder.set_time(step)
    logger.logkv("reward", step * 0.5)
    if step >= 7:
        logger.logkv("late", step)  # a key appearing mid-run rewrites progress.csv once
    logger.dump_tabular()
    if step % 5 == 4:
        exp_manager.save_checkpoint({{"model": model}})
exp_manager.finish()
'''.format(task=TASK)


def write_code_root(folder: Path, files: int = 30) -> Path:
    """A project folder with a ``src`` package for the code snapshot."""
    src = folder / "src"
    src.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        (src / f"module_{i}.py").write_text(f"VALUE = {i}\n" + "# padding\n" * 200)
    return folder


def start(script: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(script), *args], env=subprocess_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for(path: Path, process: subprocess.Popen, timeout: float = 60) -> None:
    """Poll until ``path`` exists (the worker's imports are done)."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"the worker did not start within {timeout} s"
        time.sleep(0.01)


def kill_after(process: subprocess.Popen, delay: float, ready: Optional[Path] = None) -> bool:
    """SIGKILL ``process`` ``delay`` seconds after ``ready`` appears (or now), unless it ended first;
    True when it was killed. The process is reaped either way (a zombie still looks alive)."""
    if ready is not None:
        wait_for(ready, process)
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.005)
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        return True
    _, err = process.communicate()
    assert process.returncode == 0, err
    return False


def check_csv(path: Path) -> int:
    """Every row of a progress.csv but the last has the header's width; the number of whole rows."""
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    complete = text.split("\n")[:-1]  # what follows the last newline is a torn row: readers skip it
    rows = list(csv.reader(complete))
    if not rows:
        return 0
    header = rows[0]
    assert header[0] == "time-step", f"{path}: header {header}"
    for row in rows[1:]:
        assert len(row) == len(header), f"{path}: torn row {row} (header {header})"
    return len(rows) - 1


def check_readable(data_root: Path, task: str = TASK, archived: bool = False) -> List[Item]:
    """Assert that every item of ``task`` is read by rla ls, plot_func, the UI and TensorBoard; the items."""
    import matplotlib.pyplot as plt

    from RLA.easy_log.open_checkpoints import open_saver
    from RLA.easy_plot.plot_func import plot_func
    from RLA.ui import runs
    from RLA.ui.curves import CurveRequest, curves

    records = select(data_root, ItemFilter(task=task, archived=archived), refresh=True)
    items = [r.item for r in records]
    assert len({i.index for i in items}) == len(items)
    plotted = []
    for record in records:
        item = record.item
        for whole in (item.run_json, item.params_json):  # replaced whole or not at all: never torn
            if whole.exists():
                json.loads(whole.read_text(encoding="utf-8"))
        if item.progress_csv.exists():
            rows = check_csv(item.progress_csv)
            if rows:
                plotted.append(item.record_date)
        if item.tb_dir.is_dir():
            read_scalars(item.tb_dir)
        checkpoints = item.path("checkpoint")
        if checkpoints.is_dir():
            saver = open_saver(checkpoints)
            if saver.latest_step() is not None:
                saver.load()
        if not archived:
            runs.run_detail(data_root, item.index)
    if not archived:
        runs.RunsTables().table(data_root, f"-t {task}", [])
    if plotted and not archived:
        figure, _ = plot_func(data_root, task, None, None, ["reward"], items=plotted, use_buf=False)
        plt.close("all")
        curves(data_root, CurveRequest(metrics=["reward"], filter=f"-t {task}", indices=None))
    return items


def digest(item: Item) -> Dict[str, str]:
    """``{data type/relative path: sha1}`` of every file of an item, to compare before and after a move
    (run.json left out: a move to another table updates it; temporary files left out)."""
    out = {}
    for data_type, path in item.existing_paths().items():
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for f in files:
            if f == item.run_json or is_temp_name(f.name):  # a killed atomic write's leftover: readers skip it
                continue
            out[f"{data_type}/{f.relative_to(path) if f != path else ''}"] = hashlib.sha1(f.read_bytes()).hexdigest()
    return out


def seeded(seed: Optional[int] = None) -> random.Random:
    return random.Random(int(os.environ.get("RLA_FAULT_SEED", seed if seed is not None else 14)))


@contextlib.contextmanager
def tmpfs(folder: Path, size: str) -> Iterator[Path]:
    """Mount a tmpfs of ``size`` on ``folder`` for the block (the tests run as root); unmount after."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.fail(f"cannot mount a {size} tmpfs on {folder} (these tests need root and mount): "
                    f"{mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)
