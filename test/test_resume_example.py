"""example/resume_example works as its docstrings say: preempt, resume, evaluate, fork."""
from __future__ import annotations

import csv
import json
import signal

from conftest import REPO_ROOT, run_python

from RLA.db import Database

EXAMPLE = REPO_ROOT / "example" / "resume_example"


def steps_of(item) -> list:
    with open(item.path("log") / "progress.csv", newline="") as f:
        return [int(row["time-step"]) for row in csv.DictReader(f)]


def test_resume_example_preempt_resume_evaluate_fork(data_root):
    common = ["--data_root", str(data_root), "--steps", "60", "--checkpoint_every", "10"]
    preempted = run_python(EXAMPLE / "train.py", *common, "--preempt_at", "33")
    assert preempted.returncode == -signal.SIGKILL, preempted.stderr
    resumed = run_python(EXAMPLE / "train.py", *common)
    assert resumed.returncode == 0, resumed.stderr
    assert "resumed after step 29" in resumed.stdout

    (trained,) = Database(data_root).items("resume_demo")
    assert steps_of(trained) == list(range(4, 60, 5))
    run = json.loads((trained.path("log") / "run.json").read_text())
    assert run["status"] == "finished" and len(run["resumes"]) == 1

    evaluated = run_python(EXAMPLE / "evaluate.py", "--data_root", str(data_root))
    assert evaluated.returncode == 0, evaluated.stderr
    (evaluation,) = Database(data_root).items("resume_demo_eval")
    assert steps_of(evaluation) == [59]

    forked = run_python(EXAMPLE / "fork.py", "--data_root", str(data_root), "--extra_steps", "10")
    assert forked.returncode == 0, forked.stderr
    (fork,) = [i for i in Database(data_root).items("resume_demo") if i != trained]
    assert steps_of(fork) == list(range(4, 70, 5))
