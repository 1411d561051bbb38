"""32 processes log into one database at once while rla ls, plot_func and the UI's data functions
read it: every row is there, no two items share a name, no reader crashes on a growing file."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest
from conftest import subprocess_env
from fault_helpers import check_csv, check_readable

from RLA.db.query import ItemFilter, select

TASK = "load"
WORKER = r'''
import os, sys, time
from RLA import exp_manager, logger

data_root, worker, dumps, formats, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
exp_manager.configure({task!r}, {{"LOG_USED": formats.split(",")}}, data_root, code_root=data_root)
exp_manager.set_hyper_param(worker=worker)  # not in the name: all 32 names differ by their time only
exp_manager.log_files_gen()
while not os.path.exists(go):  # all 32 start logging together
    time.sleep(0.01)
for step in range(dumps):
    time.sleep(0.01)  # the training step between two dumps
    exp_manager.time_step_holder.set_time(step)
    logger.logkv("reward", worker * 1000 + step)
    if step == dumps // 2:
        logger.logkv("late", step)  # a column added mid-run rewrites progress.csv while readers read it
    logger.dump_tabular()
exp_manager.finish()
'''.format(task=TASK)


def read_everything(data_root) -> int:
    """One pass of every reader over the database as it is now; the number of items seen."""
    import matplotlib.pyplot as plt

    from RLA.easy_plot.plot_func import plot_func
    from RLA.ui import runs
    from RLA.ui.curves import CurveRequest, curves

    if not data_root.is_dir():
        return 0
    records = select(data_root, ItemFilter(task=TASK))
    runs.RunsTables().table(data_root, f"-t {TASK}", [])
    logged = [r for r in records if r.rows]
    if logged:
        runs.run_detail(data_root, logged[0].index)
        plot_func(data_root, TASK, None, None, ["reward"], items=[r.item.record_date for r in logged],
                  use_buf=False, min_run_fraction=None)
        plt.close("all")
        curves(data_root, CurveRequest(metrics=["reward"], filter=f"-t {TASK}",
                                       indices=[r.index for r in logged]))
    return len(records)


def load(tmp_path, processes: int, dumps: int, formats: str) -> dict:
    import RLA.easy_plot.plot_func  # noqa: F401  (the readers' imports, done before the writers start)
    import RLA.ui.curves  # noqa: F401

    data_root = tmp_path / "db"
    script = tmp_path / "load_worker.py"
    script.write_text(WORKER)
    go = tmp_path / "go"
    workers = [subprocess.Popen([sys.executable, str(script), str(data_root), str(i), str(dumps), formats, str(go)],
                                env=subprocess_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
               for i in range(processes)]
    started = time.monotonic()
    reads, deadline = 0, started + 900
    try:
        while read_everything(data_root) < processes:  # every item made (and the readers warm)
            assert all(w.poll() is None for w in workers), [w.stderr.read() for w in workers if w.poll()]
            assert time.monotonic() < deadline, "the writers did not start within 15 minutes"
        go.touch()
        while any(w.poll() is None for w in workers):  # the readers read while the writers write
            assert time.monotonic() < deadline, "the writers did not finish within 15 minutes"
            read_everything(data_root)
            reads += 1
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    for w in workers:
        assert w.wait() == 0, w.stderr.read()
    records = select(data_root, ItemFilter(task=TASK), refresh=True)
    assert len(records) == processes and len({r.item.name for r in records}) == processes
    assert sorted(r.params["worker"] for r in records) == list(range(processes))
    for record in records:
        assert record.status == "finished" and record.rows == dumps
        assert check_csv(record.item.progress_csv) == dumps
        lines = record.item.progress_csv.read_text().splitlines()
        header = lines[0].split(",")
        column = header.index("reward")
        worker = record.params["worker"]
        assert [int(float(line.split(",")[column])) for line in lines[1:]] == [worker * 1000 + s for s in range(dumps)]
    check_readable(data_root, TASK)
    return {"processes": processes, "dumps": dumps, "rows": processes * dumps, "reader passes": reads,
            "seconds": round(time.monotonic() - started)}


def test_32_processes_write_one_database_while_readers_read(tmp_path):
    # TensorBoard's writer imports torch (seconds per process): the soak variant logs it too
    figures = load(tmp_path, 32, 200, "csv,json")
    assert figures["reader passes"] >= 2, f"the readers did not overlap the writers: {figures}"
    print(f"\nload: {figures}")


@pytest.mark.soak
def test_soak_32_processes_1000_dumps_each(tmp_path):
    figures = load(tmp_path, 32, 1000, "csv,json,tensorboard")
    print(f"\nsoak load: {figures}")
