"""run.json follows a real process: finished, failed (raised), killed (SIGTERM / SIGINT)."""
import json
import signal

import pandas as pd
import pytest

from RLA.db.layout import Database
from conftest import popen_python, run_python

TRAIN_SCRIPT = """
import sys, time
from RLA import exp_manager, logger
mode, data_root = sys.argv[1], sys.argv[2]
exp_manager.set_hyper_param(mode=mode)
exp_manager.add_record_param(["mode"])
exp_manager.configure(task_table_name="life", rla_config={"LOG_USED": ["csv", "tensorboard"]},
                      data_root=data_root)
exp_manager.log_files_gen()
for t in range(1000000):
    exp_manager.time_step_holder.set_time(t)
    logger.record_tabular("t", t)
    logger.dump_tabular()
    if t == 20:
        if mode == "raise":
            raise ValueError("diverged at step 20")
        if mode == "exit":
            sys.exit(3)
        if mode == "finish":
            break
        print("ready", flush=True)
        time.sleep(0.01 if mode == "hang" else 0)
    if t > 20:
        time.sleep(0.01)
"""


def run_record(data_root):
    (item,) = Database(data_root).items("life")
    return item, json.loads((item.path("log") / "run.json").read_text())


def test_finished_run(data_root, write_script):
    result = run_python(write_script(TRAIN_SCRIPT), "finish", str(data_root))
    assert result.returncode == 0, result.stderr
    item, record = run_record(data_root)
    assert record["status"] == "finished" and record["last_time_step"] == 20
    assert record["end_time"] is not None and record["error"] is None


def test_uncaught_exception_marks_the_run_failed(data_root, write_script):
    result = run_python(write_script(TRAIN_SCRIPT), "raise", str(data_root))
    assert result.returncode == 1 and "diverged at step 20" in result.stderr
    item, record = run_record(data_root)
    assert record["status"] == "failed"
    assert record["error"] == "ValueError: diverged at step 20"
    assert record["last_time_step"] == 20
    assert pd.read_csv(item.path("log") / "progress.csv")["t"].tolist() == list(range(21))


def test_a_non_zero_sys_exit_marks_the_run_failed(data_root, write_script):
    result = run_python(write_script(TRAIN_SCRIPT), "exit", str(data_root))
    assert result.returncode == 3
    item, record = run_record(data_root)
    assert record["status"] == "failed" and record["error"] == "sys.exit(3)"


@pytest.mark.parametrize("signum, expected_code", [(signal.SIGTERM, 128 + 15), (signal.SIGHUP, 128 + 1),
                                                   (signal.SIGINT, -signal.SIGINT)])
def test_signal_marks_the_run_killed_and_keeps_every_dumped_row(data_root, write_script, signum,
                                                                expected_code):
    proc = popen_python(write_script(TRAIN_SCRIPT), "hang", str(data_root))
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == expected_code, stderr
    item, record = run_record(data_root)
    assert record["status"] == "killed" and record["end_time"] is not None
    rows = pd.read_csv(item.path("log") / "progress.csv")["t"].tolist()
    assert rows == list(range(len(rows))) and rows[-1] >= 20
    assert record["last_time_step"] == rows[-1]


def test_sigkill_leaves_running_status_and_every_dumped_row(data_root, write_script):
    proc = popen_python(write_script(TRAIN_SCRIPT), "hang", str(data_root))
    assert proc.stdout.readline().strip() == "ready"
    proc.kill()
    proc.communicate(timeout=60)
    item, record = run_record(data_root)
    assert record["status"] == "running"
    rows = pd.read_csv(item.path("log") / "progress.csv")["t"].tolist()
    assert rows == list(range(len(rows))) and rows[-1] >= 20
