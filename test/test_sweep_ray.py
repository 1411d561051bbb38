"""Sweeps on a local Ray (2 CPUs, one instance for the module): the ray launcher (a Ray task per trial), and
rla_trainable under ASHA, whose early-stopped trials are recorded as stopped."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from test_sweep import (
    EXIT_WITH_CODE,
    by_params,
    check_exit_statuses_and_output,
    steps_of,
    sweep_items,
    trial_env,
    write_train_script,
)

from RLA.db.query import select
from RLA.db.select import ItemFilter
from RLA.sweep import run_sweep


@pytest.fixture(scope="module")
def ray_instance():
    trial_env()  # the workers inherit the environment Ray starts with: RLA, and this module (train_fn)
    os.environ["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parent), os.environ["PYTHONPATH"]])
    import ray
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_ray_launcher_2x2_makes_four_items(ray_instance, tmp_path):
    db = tmp_path / "db"
    script = write_train_script(tmp_path / "code")
    launched = run_sweep("ray_scan", [sys.executable, str(script), f"--data_root={db}"], str(db),
                         grid=[("lr", [0.01, 0.1]), ("seed", [0, 1])], launcher="ray", jobs=2)
    assert len(launched) == 4
    records = by_params(sweep_items(db, "ray_scan"))
    assert sorted(records) == [(0.01, 0), (0.01, 1), (0.1, 0), (0.1, 1)]
    assert all(r.status == "finished" and steps_of(r.item) == list(range(9)) for r in records.values())


def test_ray_launcher_records_each_trials_exit_status_and_output(ray_instance, tmp_path):
    db = tmp_path / "db"
    launched = run_sweep("exits", EXIT_WITH_CODE, str(db), grid=[("code", [0, 3])], launcher="ray", jobs=2)
    assert len(launched) == 2
    check_exit_statuses_and_output(db, "exits")


def train_fn(config):
    from RLA.easy_log import logger
    from RLA.easy_log.tester import exp_manager

    for step in range(12):
        exp_manager.time_step_holder.set_time(step)
        logger.record_tabular("score", config["quality"] * (step + 1))
        logger.dump_tabular()


def test_rla_trainable_under_asha_records_stopped_trials(ray_instance, tmp_path):
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler

    from RLA.integrations.ray import rla_trainable

    db = tmp_path / "db"
    tuner = tune.Tuner(
        rla_trainable(train_fn, task_table_name="asha", data_root=str(db), rla_config={"LOG_USED": ["csv"]},
                      code_root=str(tmp_path)),
        # better trials first: ASHA compares the later ones with them and stops the worse
        param_space={"quality": tune.grid_search([4.0, 3.0, 1.0, 0.5])},
        tune_config=tune.TuneConfig(scheduler=ASHAScheduler(metric="score", mode="max", max_t=100, grace_period=1,
                                                            reduction_factor=2), max_concurrent_trials=1),
        run_config=tune.RunConfig(name="asha_exp", storage_path=str(tmp_path / "ray"), verbose=0),
    )
    results = tuner.fit()
    assert not results.errors
    records = {r.params["quality"]: r for r in select(db, ItemFilter(task="asha"), refresh=True)}
    assert sorted(records) == [0.5, 1.0, 3.0, 4.0]
    assert all(r.params["sweep"] == "asha_exp" for r in records.values())
    assert records[4.0].status == "finished" and steps_of(records[4.0].item) == list(range(12))
    stopped = [q for q, r in records.items() if r.status == "stopped"]
    assert stopped and 0.5 in stopped
    assert "failed" not in {r.status for r in records.values()}
    for quality in stopped:
        assert len(steps_of(records[quality].item)) < 12
