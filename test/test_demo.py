"""`make demo`: REINFORCE on CartPole as one sweep of 6 trials, the figure, and a second run that trains
nothing (the README's promise that the demo can be run again)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT, subprocess_env

from RLA.db.query import ItemFilter, select

DEMO = REPO_ROOT / "example" / "sweep" / "run_demo.py"


def run_demo(data_root: Path) -> str:
    done = subprocess.run([sys.executable, str(DEMO), "--data_root", str(data_root)], capture_output=True,
                          text=True, env=subprocess_env({"COLUMNS": "80"}), timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_demo_trains_six_runs_draws_them_and_trains_nothing_the_second_time(tmp_path: Path) -> None:
    data_root = tmp_path / "demo_data"
    first = run_demo(data_root)
    records = select(data_root, ItemFilter(task="cartpole_reinforce"))
    assert sorted((r.params["lr"], r.params["seed"]) for r in records) == [
        (lr, seed) for lr in (0.002, 0.02) for seed in (0, 1, 2)]
    assert all(r.status == "finished" and r.last_time_step >= 15_000 for r in records)
    figure = data_root / "results" / "easy_plot" / "demo_cartpole_lr.png"
    assert figure.stat().st_size > 10_000 and f"figure: {figure}" in first
    assert "rla ui -d" in first and all(len(line) <= 80 for line in first.splitlines() if "steps, run" in line)

    second = run_demo(data_root)
    assert "every trial is finished already; nothing to train" in second
    assert {r.index for r in select(data_root, ItemFilter(task="cartpole_reinforce"))} == {r.index for r in records}
