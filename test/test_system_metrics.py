"""System metrics of a run's process tree (system.csv): what a real workload uses is what is sampled,
under `rla run` and with SYSTEM_METRICS for exp_manager runs, and the run's page draws those numbers."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import subprocess_env
from test_run_capture import only_item, rla_run, write
from ui_server import page, ui_db, ui_url  # noqa: F401

from RLA.config import load_config
from RLA.errors import ConfigError
from RLA.monitor.system_metrics import COLUMNS, read_system_metrics

#: ~300 MB held, 2.5 CPU seconds in the command and as many in a child process (CPU time, so that a loaded
#: machine stretches the wall time, not the work), 40 MB written and synced
WORKLOAD = """
    import os, subprocess, sys, time
    held = bytearray(300 * 1024 * 1024)
    for i in range(0, len(held), 4096):
        held[i] = 1
    burn = "import time\\nwhile time.process_time() < 2.5: pass"
    burner = subprocess.Popen([sys.executable, "-c", burn])
    while time.process_time() < 2.5:
        pass
    burner.wait()
    with open("blob.bin", "wb") as f:
        f.write(os.urandom(40 * 1024 * 1024))
        f.flush()
        os.fsync(f.fileno())
    time.sleep(1.0)
    import resource
    used = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    open("cpu_seconds", "w").write(str(sum(u.ru_utime + u.ru_stime for u in used)))
"""


def sampled_cpu_seconds(metrics) -> float:
    """The CPU seconds the samples add up to: each sample's share of a core times its interval."""
    times = [0.0, *metrics["elapsed"]]
    return sum(p / 100 * (b - a) for p, a, b in zip(metrics["cpu_percent"], times, times[1:]))


def test_rla_run_samples_the_whole_process_tree(tmp_path: Path):
    project = tmp_path / "project"
    project.mkdir()
    write(project, "work.py", WORKLOAD)
    db = tmp_path / "db"
    done = rla_run(project, db, "--system-metrics", "0.2", "--", sys.executable, "work.py")
    assert done.returncode == 0, done.stderr
    metrics = read_system_metrics(only_item(db, "work").log.system_csv)
    assert list(metrics)[:len(COLUMNS)] == COLUMNS
    assert len(metrics["elapsed"]) >= 10
    assert max(metrics["rss_mb"]) >= 300  # the bytearray, in the command's process
    assert max(metrics["processes"]) >= 3  # rla run, the command and its child
    # the CPU of the command and its child, as they measured it themselves (rla run adds a little; the
    # child's last interval before it ended is not seen)
    measured = float((project / "cpu_seconds").read_text())
    assert measured >= 3.0
    assert 0.75 * measured <= sampled_cpu_seconds(metrics) <= 1.2 * measured + 0.3
    assert metrics["write_mb"][-1] >= 40
    assert metrics["elapsed"] == sorted(metrics["elapsed"])


def test_exp_manager_runs_sample_with_system_metrics_on(tmp_path: Path, write_script):
    script = write_script(f"""
        import time
        from RLA import exp_manager, logger
        exp_manager.configure("sys", rla_config={{"LOG_USED": ["csv"], "SYSTEM_METRICS": 0.2}},
                              data_root={str(tmp_path / "db")!r})
        exp_manager.log_files_gen()
        held = bytearray(200 * 1024 * 1024)
        for i in range(0, len(held), 4096):
            held[i] = 1
        while time.process_time() < 3.0:  # CPU seconds, whatever the machine's load
            pass
        print(time.process_time())
    """)
    done = subprocess.run([sys.executable, str(script)], check=True, env=subprocess_env(), capture_output=True,
                          text=True)
    metrics = read_system_metrics(only_item(tmp_path / "db", "sys").log.system_csv)
    assert len(metrics["elapsed"]) >= 3
    assert max(metrics["rss_mb"]) >= 200
    measured = float(done.stdout.split()[-1])
    assert 0.6 * measured <= sampled_cpu_seconds(metrics) <= 1.2 * measured + 0.3


def test_system_metrics_config_values():
    assert load_config({"SYSTEM_METRICS": True}).SYSTEM_METRICS == 5.0
    assert load_config({"SYSTEM_METRICS": 2}).SYSTEM_METRICS == 2.0
    assert load_config({}).SYSTEM_METRICS == 0.0
    with pytest.raises(ConfigError, match="seconds between two samples"):
        load_config({"SYSTEM_METRICS": -1})


def test_the_run_page_draws_the_sampled_numbers(page, ui_url, ui_db: Path, tmp_path: Path):  # noqa: F811
    project = tmp_path / "project"
    project.mkdir()
    write(project, "work.py", WORKLOAD)
    assert rla_run(project, ui_db, "-t", "captured", "--system-metrics", "0.25", "--", sys.executable,
                   "work.py").returncode == 0
    item = only_item(ui_db, "captured")
    expected = read_system_metrics(item.log.system_csv)
    page.goto(ui_url + "#/run/" + item.index)
    page.wait_for_function("() => window.rlaCharts['system/rss_mb'] !== undefined")
    shown = page.evaluate("() => window.rlaCharts['system/rss_mb'].data.slice(0, 2)")
    assert shown == [expected["elapsed"], expected["rss_mb"]]
    assert "system/cpu_percent" in page.inner_text("#run-system")
    page.screenshot(path=str(tmp_path / "run_system.png"), full_page=True)
