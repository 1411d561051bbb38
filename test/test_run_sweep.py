"""`rla sweep ... -- rla run -- python train.py`: each trial of an unchanged script one item, with its sweep
parameter, its status, and a failed trial run again continuing its own item (from the script's own checkpoint, or
from its start); locally and on a real SLURM."""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from slurm_cluster import slurm_cluster  # noqa: F401  (the fixture)
from test_run_capture import captured, tensorboard_scalars
from test_sweep import by_params, sweep_items, trial_env

from RLA.db.records import read_json
from RLA.sweep import run_sweep, sweep_status

#: a script that knows nothing of RLA: argparse flags, a TensorBoard writer in its own folder, a checkpoint of its
#: own at step 30 (a file holding the step). The trials lr=0.2, seed=1 and lr=0.1, seed=1 fail once, at step 50,
#: while their file FAIL_ONCE_<lr>_<seed> exists; run again, the first goes on from its checkpoint, the second (which
#: saves none) from the start. Values logged by a second attempt are 0.5 higher.
SCRIPT = """
    import argparse, os, sys
    from torch.utils.tensorboard import SummaryWriter

    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float)
    parser.add_argument("--seed", type=int)
    args = parser.parse_args()
    fail_once, checkpoint = f"FAIL_ONCE_{args.lr}_{args.seed}", f"checkpoint_{args.lr}_{args.seed}"
    again = 0.5 if os.path.exists(f"{fail_once}.failed") else 0.0
    start = int(open(checkpoint).read()) if os.path.exists(checkpoint) else 0
    writer = SummaryWriter(f"runs/lr{args.lr}_seed{args.seed}_pid{os.getpid()}")
    for step in range(start, 100, 10):
        writer.add_scalar("train/return", args.lr * step + args.seed + again, step)
        writer.flush()
        if step == 30 and (args.lr, args.seed) == (0.2, 1):
            open(checkpoint, "w").write(str(step))
        if step == 50 and os.path.exists(fail_once):
            os.rename(fail_once, f"{fail_once}.failed")
            sys.exit(2)
    writer.close()
"""


def captured_sweep(tmp_path: Path, launcher: str, **options) -> Path:
    trial_env()
    project = tmp_path / "project"
    project.mkdir()
    (project / "train.py").write_text(textwrap.dedent(SCRIPT))
    for failing in ("0.2_1", "0.1_1"):
        (project / f"FAIL_ONCE_{failing}").touch()
    db = tmp_path / "db"
    command = [sys.executable, "-m", "RLA.cli", "run", "-d", str(db), "-t", "cap", "--", sys.executable, "train.py"]
    grid = [("lr", [0.1, 0.2]), ("seed", [0, 1])]
    run_sweep("cap", command, str(db), grid=grid, launcher=launcher, jobs=2, cwd=str(project), **options)
    first = by_params(sweep_items(db, "cap"))
    assert sorted(first) == [(0.1, 0), (0.1, 1), (0.2, 0), (0.2, 1)]
    for failed in ((0.2, 1), (0.1, 1)):
        assert first[failed].status == "failed" and read_json(first[failed].item.run_json)["error"] == "exit status 2"
    assert {s.status for s in sweep_status(str(db), "cap")} == {"finished", "failed"}

    run_sweep("cap", command, str(db), grid=grid, launcher=launcher, jobs=2, cwd=str(project), **options)
    again = by_params(sweep_items(db, "cap"))
    assert {k: r.index for k, r in again.items()} == {k: r.index for k, r in first.items()}  # no new item
    assert {s.status for s in sweep_status(str(db), "cap")} == {"finished"}
    for (lr, seed), record in again.items():
        assert record.params["sweep"] == "cap"
        # each step once: the rows before the step a re-run trial went back to are the failed attempt's
        # (before its checkpoint), those from it on the second attempt's (every row, for the restarted one)
        went_back_to = {(0.2, 1): 30, (0.1, 1): 0}.get((lr, seed), 100)
        assert captured(record.item) == {"train/return": [(s, lr * s + seed + (0.5 if s >= went_back_to else 0.0))
                                                          for s in range(0, 100, 10)]}
    for failed, went_back_to in (((0.2, 1), 30), ((0.1, 1), None)):
        resumed = read_json(again[failed].item.run_json)
        assert resumed["status"] == "finished" and len(resumed["resumes"]) == 1
        assert resumed["resumes"][0]["last_kept_step"] == (None if went_back_to is None else went_back_to - 1)
    # both attempts' event files are kept in the item
    assert len(list(again[(0.2, 1)].item.tb_dir.rglob("events.out.tfevents.*"))) == 2
    assert tensorboard_scalars(again[(0.1, 0)].item.tb_dir) == captured(again[(0.1, 0)].item)
    return db


def test_local_sweep_of_captured_trials(tmp_path):
    captured_sweep(tmp_path, "local")


def test_slurm_sweep_of_captured_trials(slurm_cluster, tmp_path):  # noqa: F811
    captured_sweep(tmp_path, "slurm", slurm={"timeout_min": 5, "cpus_per_task": 1})
