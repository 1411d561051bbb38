"""Sweeps on a real single-node SLURM (started by test/slurm_cluster.py): one item per array task, and a
trial requeued mid-run (``scontrol requeue``) continuing its own item."""
from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from slurm_cluster import slurm_cluster, wait_for  # noqa: F401  (the fixture)
from test_sweep import (
    EXIT_WITH_CODE,
    by_params,
    check_exit_statuses_and_output,
    steps_of,
    sweep_items,
    trial_env,
    write_train_script,
)

from RLA.db.records import read_json
from RLA.sweep import SweepState, run_sweep, sweep_status


def test_slurm_sweep_2x2_makes_four_finished_items(slurm_cluster, tmp_path):  # noqa: F811
    trial_env()
    db = tmp_path / "db"
    script = write_train_script(tmp_path / "code")
    launched = run_sweep("slurm_scan", [sys.executable, str(script), f"--data_root={db}"], str(db),
                         grid=[("lr", [0.01, 0.1]), ("seed", [0, 1])], launcher="slurm", jobs=2,
                         slurm={"timeout_min": 5, "cpus_per_task": 1})
    assert len(launched) == 4
    records = by_params(sweep_items(db, "slurm_scan"))
    assert sorted(records) == [(0.01, 0), (0.01, 1), (0.1, 0), (0.1, 1)], slurm_cluster.logs()
    for record in records.values():
        assert record.status == "finished" and record.params["sweep"] == "slurm_scan"
        assert steps_of(record.item) == list(range(9))
    jobs = {s.job_id for s in sweep_status(str(db), "slurm_scan")}
    assert len(jobs) == 4 and all("_" in j for j in jobs)  # one job array


def test_slurm_sweep_records_each_trials_exit_status_and_output(slurm_cluster, tmp_path):  # noqa: F811
    db = tmp_path / "db"
    run_sweep("exits", EXIT_WITH_CODE, str(db), grid=[("code", [0, 3])], launcher="slurm", jobs=2,
              slurm={"timeout_min": 5})
    state = check_exit_statuses_and_output(db, "exits", slurm_cluster.logs)
    finished = next(s.trial for s in sweep_status(str(db), "exits") if s.trial.params["code"] == 0)
    assert Path(state.log_path(finished)).read_text() == "exiting with --code=0\n"


#: two ways SLURM stops a running trial: a requeue (an admin, a node failure), and the signal it sends ahead
#: of a time limit or a preemption (submitit's --signal, sent by hand here so as not to wait for the limit),
#: on which submitit calls TrialJob.checkpoint and requeues the job itself
INTERRUPTIONS = {"requeue": lambda job_id: ["scontrol", "requeue", job_id],
                 "time_limit_warning": lambda job_id: ["scancel", "--signal=USR2", job_id]}


@pytest.mark.parametrize("interruption", list(INTERRUPTIONS))
def test_interrupted_trial_continues_its_item(slurm_cluster, tmp_path, interruption):  # noqa: F811
    """Either way the trial runs again and continues its item; its first run, ended by the requeue's
    SIGTERM, recorded itself as killed."""
    trial_env()
    db = tmp_path / "db"
    script = write_train_script(tmp_path / "code")
    command = [sys.executable, str(script), f"--data_root={db}", "--steps=30", "--sleep=0.25"]
    sweep = threading.Thread(target=run_sweep, args=("stopped", command, str(db)),
                             kwargs=dict(grid=[("lr", [0.05]), ("seed", [3])], launcher="slurm",
                                         slurm={"timeout_min": 5}))
    sweep.start()

    def past_first_checkpoint():
        records = sweep_items(db, "stopped")
        return records and (records[0].last_time_step or 0) >= 6 and records[0]

    first = wait_for(past_first_checkpoint, 120, "the trial to pass its checkpoint at step 5",
                     on_timeout=slurm_cluster.logs())
    (status,) = sweep_status(str(db), "stopped")
    subprocess.run(INTERRUPTIONS[interruption](status.job_id), check=True, capture_output=True)
    # SLURM holds a requeued batch job back for a while before it may start again: release it now
    base_id = status.job_id.split("_")[0]
    wait_for(lambda: "BeginTime" in slurm_cluster.squeue_reasons(base_id), 60, "the requeued job to be held",
             on_timeout=slurm_cluster.logs())
    subprocess.run(["scontrol", "update", f"JobId={status.job_id}", "StartTime=now"], check=True,
                   capture_output=True)
    sweep.join(240)
    assert not sweep.is_alive(), slurm_cluster.squeue()
    records = sweep_items(db, "stopped")
    assert [r.index for r in records] == [first.index]
    assert records[0].status == "finished"
    run = read_json(records[0].item.run_json)
    assert [r["previous_status"] for r in run["resumes"]] == ["killed"]
    assert steps_of(records[0].item) == list(range(30))
    output = Path(SweepState(str(db), "stopped").log_path(status.trial)).read_text()
    assert "Traceback" not in output, output
