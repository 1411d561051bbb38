"""run.json follows a real process: finished, failed (raised), killed (SIGTERM / SIGINT).

Every case runs in both forms: the fallback hooks of a script that calls
``log_files_gen()``, and the explicit ``with exp_manager.run():``.
"""
import json
import re
import signal
import subprocess
import sys

import pandas as pd
import pytest
from conftest import popen_python, run_python, subprocess_env

from RLA.db import query
from RLA.db.layout import Database

TRAIN_SCRIPT = """
import contextlib, os, signal, sys, time
from RLA import exp_manager, logger
mode, data_root, form = sys.argv[1], sys.argv[2], sys.argv[3]
# as from a terminal, even in a suite started by nohup or in the background, which ignore SIGHUP or SIGINT
# (RLA keeps a signal ignored)
signal.signal(signal.SIGHUP, signal.SIG_DFL)
signal.signal(signal.SIGINT, signal.default_int_handler)
original_exit = sys.exit
exp_manager.set_hyper_param(mode=mode)
exp_manager.add_record_param(["mode"])
exp_manager.configure(task_table_name="life", rla_config={"LOG_USED": ["csv", "tensorboard"]},
                      data_root=data_root)
if mode in ("signalled_twice", "signalled_at_end", "interrupted_at_end"):  # a signal just as the end is recorded
    record_end = exp_manager._record.end
    def end_after_another_signal(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT if mode == "interrupted_at_end" else signal.SIGTERM)
        return record_end(*args, **kwargs)
    exp_manager._record.end = end_after_another_signal
if form == "hooks":
    exp_manager.log_files_gen()
with exp_manager.run() if form == "explicit" else contextlib.nullcontext():
    if form == "explicit":
        assert sys.exit is original_exit, "the explicit form must leave sys.exit alone"
    for t in range(1000000):
        exp_manager.time_step_holder.set_time(t)
        logger.record_tabular("t", t)
        logger.dump_tabular()
        if t == 20:
            if mode == "raise":
                raise ValueError("diverged at step 20")
            if mode == "exit":
                sys.exit(3)
            if mode in ("finish", "signalled_at_end", "interrupted_at_end"):
                break
            print("ready", flush=True)
            time.sleep(0.01 if mode == "hang" else 0)
        if t > 20:
            time.sleep(0.01)
print("went on after the run", flush=True)
"""

FORMS = pytest.mark.parametrize("form", ["hooks", "explicit"])


def run_record(data_root):
    (item,) = Database(data_root).items("life")
    return item, json.loads(item.run_json.read_text())


@FORMS
def test_finished_run(data_root, write_script, form):
    result = run_python(write_script(TRAIN_SCRIPT), "finish", str(data_root), form)
    assert result.returncode == 0, result.stderr
    item, record = run_record(data_root)
    assert record["status"] == "finished" and record["last_time_step"] == 20
    assert record["end_time"] is not None and record["error"] is None


@FORMS
def test_uncaught_exception_marks_the_run_failed(data_root, write_script, form):
    result = run_python(write_script(TRAIN_SCRIPT), "raise", str(data_root), form)
    assert result.returncode == 1 and "diverged at step 20" in result.stderr
    item, record = run_record(data_root)
    assert record["status"] == "failed"
    assert record["error"] == "ValueError: diverged at step 20"
    assert record["last_time_step"] == 20
    assert pd.read_csv(item.path("log") / "progress.csv")["t"].tolist() == list(range(21))


@FORMS
def test_a_non_zero_sys_exit_marks_the_run_failed(data_root, write_script, form):
    result = run_python(write_script(TRAIN_SCRIPT), "exit", str(data_root), form)
    assert result.returncode == 3
    item, record = run_record(data_root)
    assert record["status"] == "failed" and record["error"] == "sys.exit(3)"


@FORMS
@pytest.mark.parametrize("signum, expected_code", [(signal.SIGTERM, 128 + 15), (signal.SIGHUP, 128 + 1),
                                                   (signal.SIGINT, -signal.SIGINT)])
def test_signal_marks_the_run_killed_and_keeps_every_dumped_row(data_root, write_script, signum,
                                                                expected_code, form):
    proc = popen_python(write_script(TRAIN_SCRIPT), "hang", str(data_root), form)
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == expected_code, stderr
    item, record = run_record(data_root)
    assert record["status"] == "killed" and record["end_time"] is not None
    rows = pd.read_csv(item.path("log") / "progress.csv")["t"].tolist()
    assert rows == list(range(len(rows))) and rows[-1] >= 20
    assert record["last_time_step"] == rows[-1]
    if signum == signal.SIGINT:  # Ctrl-C: one line saying what became of the run, no traceback
        (line,) = stderr.splitlines()
        assert re.fullmatch(rf"interrupted: run {re.escape(item.index)} stopped at time-step \d+, recorded as killed",
                            line), stderr


PIPED_SCRIPT = """
import sys
from RLA import exp_manager, logger
exp_manager.configure(task_table_name="life", rla_config={"LOG_USED": ["stdout", "csv"]}, data_root=sys.argv[1])
exp_manager.log_files_gen()
for t in range(2000):
    exp_manager.time_step_holder.set_time(t)
    logger.record_tabular("t", t)
    logger.dump_tabular()
print("the script's own print, after the reader left")
"""


def test_a_closed_stdout_is_not_a_failure_of_the_run(data_root, write_script):
    """``python main.py | head``: the reader of the pipe leaves; the run goes on and finishes, one line says so."""
    script = write_script(PIPED_SCRIPT)
    result = subprocess.run(["bash", "-c", 'set -o pipefail; "$0" "$1" "$2" | head -n 3', sys.executable,
                             str(script), str(data_root)], env=subprocess_env(), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and len(result.stdout.splitlines()) == 3, result.stderr
    assert result.stderr.splitlines() == ["RLA: stdout was closed (its reader ended): the run goes on, its rows and "
                                          "messages still reach its files"]
    item, record = run_record(data_root)
    assert record["status"] == "finished" and record["last_time_step"] == 1999
    assert pd.read_csv(item.path("log") / "progress.csv")["t"].tolist() == list(range(2000))


@FORMS
def test_a_second_sigterm_does_not_interrupt_recording_the_end(data_root, write_script, form):
    """SLURM, ending a job, signals every process of it, and a launcher may have signalled the command too:
    the run records ``killed`` all the same."""
    proc = popen_python(write_script(TRAIN_SCRIPT), "signalled_twice", str(data_root), form)
    assert proc.stdout.readline().strip() == "ready"
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM and "Traceback" not in stderr, stderr
    item, record = run_record(data_root)
    assert record["status"] == "killed" and record["end_time"] is not None


@FORMS
def test_a_sigterm_while_the_end_is_recorded_is_acted_on_after(data_root, write_script, form):
    """The run finished and records it; the signal then ends the script (the explicit form: the hooks record
    at the script's exit)."""
    result = run_python(write_script(TRAIN_SCRIPT), "signalled_at_end", str(data_root), form)
    if form == "explicit":
        assert result.returncode == 128 + signal.SIGTERM and "went on" not in result.stdout, result.stderr
    else:
        assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    item, record = run_record(data_root)
    assert record["status"] == "finished" and record["last_time_step"] == 20


def test_a_ctrl_c_while_the_end_is_recorded_at_exit_waits_for_it(data_root, write_script):
    result = run_python(write_script(TRAIN_SCRIPT), "interrupted_at_end", str(data_root), "hooks")
    assert "went on after the run" in result.stdout and "Traceback" not in result.stderr, result.stderr
    item, record = run_record(data_root)
    assert record["status"] == "finished" and record["last_time_step"] == 20


def test_sigkill_leaves_running_status_and_every_dumped_row(data_root, write_script):
    proc = popen_python(write_script(TRAIN_SCRIPT), "hang", str(data_root), "hooks")
    assert proc.stdout.readline().strip() == "ready"
    proc.kill()
    proc.communicate(timeout=60)
    item, record = run_record(data_root)
    assert record["status"] == "running"
    assert [r.status for r in query.scan(data_root)] == ["lost"]  # what rla ls shows: its process is gone
    rows = pd.read_csv(item.path("log") / "progress.csv")["t"].tolist()
    assert rows == list(range(len(rows))) and rows[-1] >= 20
