"""`rla sweep` with the local launcher: the space, one item per trial, status, and a re-run that runs only
the unfinished trials. TRAIN_SCRIPT and the helpers here are shared by the other test_sweep_* modules."""
from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path
from typing import Callable, Dict, List

import pytest
from click.testing import CliRunner
from conftest import REPO_ROOT

from RLA.cli import main
from RLA.db.query import select
from RLA.db.records import read_json
from RLA.db.select import ItemFilter
from RLA.errors import UsageError
from RLA.sweep import SweepState, expand, parse_grid, parse_random, run_sweep, sweep_status

# A tiny resumable training: a torch linear model, one row per step, a checkpoint every 3 steps.
# FAIL_AT_STEP=<n> with FAIL_SEED=<seed> makes that trial exit 1 at step n, once (a marker file remembers).
TRAIN_SCRIPT = '''
import argparse, os, sys, time
import torch
from RLA import exp_manager, logger

parser = argparse.ArgumentParser()
parser.add_argument("--data_root", required=True)
parser.add_argument("--lr", type=float, default=0.01)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--steps", type=int, default=9)
parser.add_argument("--sleep", type=float, default=0.0)
args = parser.parse_args()
exp_manager.set_hyper_param(lr=args.lr, seed=args.seed, steps=args.steps)
exp_manager.add_record_param(["lr", "seed"])
exp_manager.configure("sweep_task", {"LOG_USED": ["csv", "tensorboard"]}, args.data_root,
                      code_root=os.path.dirname(os.path.abspath(__file__)))
exp_manager.log_files_gen()
torch.manual_seed(args.seed)
model = torch.nn.Linear(2, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
start = 0
if exp_manager.has_checkpoint():
    start = exp_manager.load_checkpoint(model_dict={"model": model, "optimizer": optimizer})[0] + 1
fail_at = int(os.environ.get("FAIL_AT_STEP", -1))
marker = os.path.join(args.data_root, f"failed-once-{args.seed}-{args.lr}")
for step in range(start, args.steps):
    exp_manager.time_step_holder.set_time(step)
    x = torch.randn(16, 2)
    loss = ((model(x) - x.sum(1, keepdim=True)) ** 2).mean()
    optimizer.zero_grad(); loss.backward(); optimizer.step()
    logger.record_tabular("loss", loss.item())
    logger.record_tabular("lr_seen", args.lr)
    logger.dump_tabular()
    if step % 3 == 2:
        exp_manager.save_checkpoint({"model": model, "optimizer": optimizer})
    if step == fail_at and str(args.seed) == os.environ.get("FAIL_SEED") and not os.path.exists(marker):
        open(marker, "w").close()
        sys.exit(1)
    time.sleep(args.sleep)
'''


def write_train_script(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "train.py"
    path.write_text(TRAIN_SCRIPT)
    return path


def trial_env() -> None:
    """The trials run by launchers inherit this process's environment: let them import RLA."""
    os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)


def steps_of(item) -> List[int]:
    with open(item.progress_csv, newline="") as f:
        return [int(row["time-step"]) for row in csv.DictReader(f)]


def sweep_items(data_root: Path, name: str):
    if not data_root.is_dir():  # a sweep just started has not written anything yet
        return []
    return select(data_root, ItemFilter(where=f'sweep == "{name}"'), refresh=True)


def by_params(records) -> Dict[tuple, object]:
    return {(r.params["lr"], r.params["seed"]): r for r in records}


#: a trial that prints its --code=N argument and exits with status N
EXIT_WITH_CODE = [sys.executable, "-c", "import sys; print('exiting with', sys.argv[1]); "
                                        "sys.exit(int(sys.argv[1].split('=')[1]))"]


def check_exit_statuses_and_output(db: Path, name: str, engine_logs: Callable[[], str] = str) -> SweepState:
    """The sweep ``name`` of EXIT_WITH_CODE over code=0,3: each trial's status, exit status and output."""
    status = {s.trial.params["code"]: s for s in sweep_status(str(db), name)}
    assert (status[0].status, status[0].returncode) == ("finished", 0), engine_logs()
    assert (status[3].status, status[3].returncode) == ("failed", 3)
    state = SweepState(str(db), name)
    assert Path(state.log_path(status[3].trial)).read_text() == "exiting with --code=3\n"
    return state


def test_space_grid_ranges_and_seeded_random_draws():
    assert parse_grid("seed=0..3") == ("seed", [0, 1, 2, 3])
    assert parse_grid("lr=1e-3,3e-4") == ("lr", [0.001, 0.0003])
    assert parse_grid("env=Hopper-v4,Walker2d-v4") == ("env", ["Hopper-v4", "Walker2d-v4"])
    space = dict(grid=[parse_grid("seed=0..1")], random_params=[parse_random("lr=loguniform:1e-5:1e-2"),
                                                                parse_random("act=choice:relu,tanh"),
                                                                parse_random("n=int:1:3")], samples=3)
    trials = expand(**space, seed=7)
    assert len(trials) == 6 and trials == expand(**space, seed=7) and trials != expand(**space, seed=8)
    assert all(1e-5 <= t["lr"] <= 1e-2 and t["act"] in ("relu", "tanh") and t["n"] in (1, 2, 3) for t in trials)
    for bad in ("lr=loguniform:0:1", "lr=gauss:0:1", "n=int:3:1"):
        with pytest.raises(UsageError):
            parse_random(bad)
    with pytest.raises(UsageError):
        parse_grid("seed=3..1")


def test_local_sweep_one_item_per_trial_and_rerun_runs_only_unfinished(tmp_path, monkeypatch):
    trial_env()
    db = tmp_path / "db"
    script = write_train_script(tmp_path / "code")
    # the trial seed=1, lr=0.01 fails at step 4 (after its checkpoint at step 2)
    monkeypatch.setenv("FAIL_AT_STEP", "4")
    monkeypatch.setenv("FAIL_SEED", "1")
    command = [sys.executable, str(script), f"--data_root={db}"]
    runner = CliRunner()
    result = runner.invoke(main, ["sweep", "--data-root", str(db), "--name", "lr_scan", "--grid", "lr=0.01,0.1",
                                  "--grid", "seed=0,1", "-j", "2", "--", *command])
    assert result.exit_code == 0, result.output
    records = by_params(sweep_items(db, "lr_scan"))
    assert sorted(records) == [(0.01, 0), (0.01, 1), (0.1, 0), (0.1, 1)]
    assert records[(0.01, 1)].status == "failed" and records[(0.1, 1)].status == "failed"
    assert [records[k].status for k in [(0.01, 0), (0.1, 0)]] == ["finished", "finished"]
    assert all(r.params["sweep"] == "lr_scan" for r in records.values())
    status = {tuple(s.trial.params.values()): s for s in sweep_status(str(db), "lr_scan")}
    assert status[(0.01, 0)].status == "finished" and status[(0.01, 0)].last_time_step == 8
    assert status[(0.1, 1)].status == "failed" and status[(0.1, 1)].item == records[(0.1, 1)].index
    finished_run = read_json(records[(0.01, 0)].item.run_json)

    # the same command again: only the two failed trials run, each continuing its own item
    result = runner.invoke(main, ["sweep", "--data-root", str(db), "--name", "lr_scan", "--grid", "lr=0.01,0.1",
                                  "--grid", "seed=0,1", "-j", "2", "--", *command])
    assert result.exit_code == 0, result.output
    again = by_params(sweep_items(db, "lr_scan"))
    assert sorted(again) == sorted(records) and {r.index for r in again.values()} == {
        r.index for r in records.values()}
    assert all(r.status == "finished" for r in again.values())
    assert read_json(records[(0.01, 0)].item.run_json) == finished_run  # never run again
    for key in [(0.01, 1), (0.1, 1)]:
        run = read_json(again[key].item.run_json)
        assert len(run["resumes"]) == 1 and run["resumes"][0]["checkpoint_step"] == 2
        assert steps_of(again[key].item) == list(range(9))
        assert {row["lr_seen"] for row in csv.DictReader(open(again[key].item.progress_csv))} == {str(key[0])}

    # a third time: nothing to do; --status lists every trial
    result = runner.invoke(main, ["sweep", "--data-root", str(db), "--name", "lr_scan", "--grid", "lr=0.01,0.1",
                                  "--grid", "seed=0,1", "--", *command])
    assert result.exit_code == 0 and "nothing to run" in result.output
    shown = runner.invoke(main, ["sweep", "--data-root", str(db), "--status", "lr_scan", "--json"])
    rows = json.loads(shown.output)
    assert len(rows) == 4 and {r["status"] for r in rows} == {"finished"}
    assert {r["item"] for r in rows} == {r.index for r in again.values()}
    listed = runner.invoke(main, ["ls", "--data-root", str(db), "-w", 'sweep == "lr_scan"', "--json"])
    assert len(json.loads(listed.output)) == 4
    # in an 80-column terminal: one line per trial, its item named by its start time as rla ls names it
    table = runner.invoke(main, ["sweep", "--data-root", str(db), "--status", "lr_scan"], env={"COLUMNS": "80"})
    lines = table.output.splitlines()
    assert max(map(len, lines)) <= 80 and lines[1].split() == ["parameters", "status", "started", "step", "trial"]
    trials = lines[3:]
    assert len(trials) == 4 and all(line.split()[2] == "finished" and line.split()[-2] == "8" for line in trials)
    ls_lines = runner.invoke(main, ["ls", "--data-root", str(db), "-t", "sweep_task"],
                             env={"COLUMNS": "80"}).stdout.splitlines()
    ls_rows = ls_lines[next(i for i, line in enumerate(ls_lines) if "──" in line) + 1:]  # the title may wrap
    assert {" ".join(line.split()[3:5]) for line in trials} == {" ".join(line.split()[:2]) for line in ls_rows}


def test_sweep_refuses_another_command_under_the_same_name(tmp_path):
    db = tmp_path / "db"
    run_sweep("s", [sys.executable, "-c", "pass"], str(db), grid=[("x", [1])])
    with pytest.raises(UsageError, match="another --name"):
        run_sweep("s", [sys.executable, "-c", "print()"], str(db), grid=[("x", [1])])
    result = CliRunner().invoke(main, ["sweep", "--data-root", str(db), "--status", "nope"])
    assert result.exit_code != 0 and "no sweep named 'nope'" in result.output


def test_sweep_status_shows_a_name_with_brackets_as_it_is(tmp_path):
    db = tmp_path / "db"
    run_sweep("[red]scan[bold]", [sys.executable, "-c", "pass"], str(db), grid=[("x", [1])])
    result = CliRunner().invoke(main, ["sweep", "--data-root", str(db), "--status", "[red]scan[bold]"])
    assert result.exit_code == 0 and result.output.startswith("sweep [red]scan[bold]: 1/1 finished"), result.output
