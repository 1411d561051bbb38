"""`rla sweep ... -- rla run -- python train.py`: each trial of an unchanged script one item, with its sweep
parameter, its status, and a failed trial run again continuing its own item; locally and on a real SLURM."""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from slurm_cluster import slurm_cluster  # noqa: F401  (the fixture)
from test_run_capture import captured, tensorboard_scalars
from test_sweep import by_params, sweep_items, trial_env

from RLA.db.records import read_json
from RLA.sweep import run_sweep, sweep_status

#: a script that knows nothing of RLA: argparse flags, a TensorBoard writer in its own folder; the trial
#: lr=0.2, seed=1 fails once, half-way, while the file FAIL_ONCE exists
SCRIPT = """
    import argparse, os, sys
    from torch.utils.tensorboard import SummaryWriter

    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float)
    parser.add_argument("--seed", type=int)
    args = parser.parse_args()
    writer = SummaryWriter(f"runs/lr{args.lr}_seed{args.seed}_pid{os.getpid()}")
    for step in range(0, 100, 10):
        writer.add_scalar("train/return", args.lr * step + args.seed, step)
        writer.flush()
        if step == 50 and (args.lr, args.seed) == (0.2, 1) and os.path.exists("FAIL_ONCE"):
            os.remove("FAIL_ONCE")
            sys.exit(2)
    writer.close()
"""


def captured_sweep(tmp_path: Path, launcher: str, **options) -> Path:
    trial_env()
    project = tmp_path / "project"
    project.mkdir()
    (project / "train.py").write_text(textwrap.dedent(SCRIPT))
    (project / "FAIL_ONCE").touch()
    db = tmp_path / "db"
    command = [sys.executable, "-m", "RLA.cli", "run", "-d", str(db), "-t", "cap", "--", sys.executable, "train.py"]
    grid = [("lr", [0.1, 0.2]), ("seed", [0, 1])]
    run_sweep("cap", command, str(db), grid=grid, launcher=launcher, jobs=2, cwd=str(project), **options)
    first = by_params(sweep_items(db, "cap"))
    assert sorted(first) == [(0.1, 0), (0.1, 1), (0.2, 0), (0.2, 1)]
    assert first[(0.2, 1)].status == "failed" and read_json(first[(0.2, 1)].item.run_json)["error"] == "exit status 2"
    assert {s.status for s in sweep_status(str(db), "cap")} == {"finished", "failed"}

    run_sweep("cap", command, str(db), grid=grid, launcher=launcher, jobs=2, cwd=str(project), **options)
    again = by_params(sweep_items(db, "cap"))
    assert {k: r.index for k, r in again.items()} == {k: r.index for k, r in first.items()}  # no new item
    assert {s.status for s in sweep_status(str(db), "cap")} == {"finished"}
    for (lr, seed), record in again.items():
        assert record.params["sweep"] == "cap"
        # the re-run trial restarted its script: its item holds that run's rows once, not the failed one's
        assert captured(record.item) == {"train/return": [(s, lr * s + seed) for s in range(0, 100, 10)]}
    resumed = read_json(again[(0.2, 1)].item.run_json)
    assert len(resumed["resumes"]) == 1 and resumed["status"] == "finished"
    # both attempts' event files are kept in the item
    assert len(list(again[(0.2, 1)].item.tb_dir.rglob("events.out.tfevents.*"))) == 2
    assert tensorboard_scalars(again[(0.1, 0)].item.tb_dir) == captured(again[(0.1, 0)].item)
    return db


def test_local_sweep_of_captured_trials(tmp_path):
    captured_sweep(tmp_path, "local")


def test_slurm_sweep_of_captured_trials(slurm_cluster, tmp_path):  # noqa: F811
    captured_sweep(tmp_path, "slurm", slurm={"timeout_min": 5, "cpus_per_task": 1})
