"""torch checkpoints: what is saved and restored, rotation on disk, atomic writes."""
from __future__ import annotations

import json
import random
import signal
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import popen_python

from RLA.db import Database
from RLA.db.atomic import is_temp_name
from RLA.easy_log import logger
from RLA.easy_log.checkpoint import INDEX_FILE, PAUSE_ENV, CheckpointNotFoundError
from RLA.easy_log.tester import exp_manager
from RLA.errors import NoDataError

LOG_USED = ["csv", "json", "tensorboard"]


def start_run(data_root: Path, task: str = "ckpt", framework: str = "torch", **params) -> None:
    exp_manager.set_hyper_param(**params)
    exp_manager.add_record_param(list(params))
    exp_manager.configure(task, {"LOG_USED": LOG_USED, "DL_FRAMEWORK": framework}, data_root,
                          code_root=str(data_root.parent))
    exp_manager.log_files_gen()


def kept_steps(checkpoint_dir: str) -> list:
    index = json.loads((Path(checkpoint_dir) / INDEX_FILE).read_text())
    folders = sorted(p.name for p in Path(checkpoint_dir).iterdir() if p.is_dir())
    assert folders == sorted(e["name"] for e in index["checkpoints"])  # nothing else left on disk
    return [e["step"] for e in index["checkpoints"]]


def test_save_and_load_restore_model_optimizer_rng_custom_data_and_step(data_root):
    start_run(data_root, seed=1)
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(3):
        optimizer.zero_grad()
        model(torch.randn(16, 4)).pow(2).mean().backward()
        optimizer.step()
    exp_manager.time_step_holder.set_time(42)
    exp_manager.save_checkpoint({"model": model, "optimizer": optimizer},
                                related_variable={"buffer": [1, 2, 3], "lr": 0.5})
    expected_draws = (random.random(), np.random.rand(), torch.rand(1).item())
    saved_weights = {k: v.clone() for k, v in model.state_dict().items()}

    fresh = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    fresh_optimizer = torch.optim.Adam(fresh.parameters(), lr=1e-2)
    exp_manager.time_step_holder.set_time(0)
    exp_manager.custom_data.clear()
    random.random(), np.random.rand(), torch.rand(3)  # move every RNG on

    step, state = exp_manager.load_checkpoint(model_dict={"model": fresh, "optimizer": fresh_optimizer})

    assert step == 42 and exp_manager.time_step_holder.get_time() == 42
    assert set(state) == {"model", "optimizer"}
    for key, value in fresh.state_dict().items():
        assert torch.equal(value, saved_weights[key])
    assert fresh_optimizer.state_dict()["state"][0]["step"] == 3
    assert exp_manager.get_custom_data("buffer") == [1, 2, 3] and exp_manager.get_custom_data("lr") == 0.5
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected_draws


def test_load_without_checkpoint_says_what_to_do(data_root):
    start_run(data_root)
    assert not exp_manager.has_checkpoint()
    with pytest.raises(CheckpointNotFoundError, match="save_checkpoint"):
        exp_manager.load_checkpoint()


def test_framework_none_cannot_save(data_root):
    start_run(data_root, framework="none")
    with pytest.raises(ValueError, match="DL_FRAMEWORK"):
        exp_manager.save_checkpoint({"w": torch.zeros(1)})


def test_max_to_keep_keeps_the_last_k_on_disk(data_root):
    start_run(data_root)
    exp_manager.new_saver(max_to_keep=3)
    for step in range(0, 60, 10):
        exp_manager.time_step_holder.set_time(step)
        exp_manager.save_checkpoint({"w": torch.full((2,), float(step))})
    assert kept_steps(exp_manager.checkpoint_dir) == [30, 40, 50]
    step, state = exp_manager.load_checkpoint()
    assert step == 50 and state["w"].tolist() == [50.0, 50.0]
    step, state = exp_manager.load_checkpoint(ckp_index=30)
    assert step == 30 and state["w"].tolist() == [30.0, 30.0]
    with pytest.raises(CheckpointNotFoundError, match=r"kept steps: \[30, 40, 50\]"):
        exp_manager.load_checkpoint(ckp_index=10)


@pytest.mark.parametrize("mode, best", [("max", [10, 30]), ("min", [0, 40])])
def test_best_k_by_logged_metric_survive_rotation(data_root, mode, best):
    start_run(data_root)
    exp_manager.new_saver(max_to_keep=2, keep_best=2)
    returns = {0: -5.0, 10: 9.0, 20: 1.0, 30: 7.0, 40: -9.0, 50: 2.0, 60: 3.0}
    for step, value in returns.items():
        exp_manager.time_step_holder.set_time(step)
        logger.record_tabular("eval/return", value)
        logger.dump_tabular()
        exp_manager.save_checkpoint({"w": torch.tensor([float(step)])}, metric="eval/return", mode=mode)
    assert kept_steps(exp_manager.checkpoint_dir) == sorted(best + [50, 60])
    with pytest.raises(ValueError, match="one mode per run"):
        exp_manager.save_checkpoint({"w": torch.zeros(1)}, metric="eval/return",
                                    mode="min" if mode == "max" else "max")


def test_metric_that_was_not_logged_is_an_error(data_root):
    start_run(data_root)
    with pytest.raises(NoDataError, match="record_tabular"):
        exp_manager.save_checkpoint({"w": torch.zeros(1)}, metric="eval/return")


def test_loading_into_a_state_the_checkpoint_does_not_hold_is_an_error(data_root):
    start_run(data_root)
    exp_manager.save_checkpoint({"model": torch.nn.Linear(1, 1)})
    with pytest.raises(NoDataError, match=r"has no 'critic'; it holds \['model'\]"):
        exp_manager.load_checkpoint(model_dict={"critic": torch.nn.Linear(1, 1)})


def test_saving_the_same_step_twice_keeps_the_newest(data_root):
    start_run(data_root)
    exp_manager.save_checkpoint({"w": torch.zeros(1)})
    exp_manager.save_checkpoint({"w": torch.ones(1)})
    assert kept_steps(exp_manager.checkpoint_dir) == [0]
    assert exp_manager.load_checkpoint()[1]["w"].item() == 1.0


def test_kill_during_save_leaves_the_previous_checkpoint_loadable(data_root, write_script, tmp_path):
    marker = tmp_path / "paused"
    script = write_script(f"""
        import os, sys, torch
        from RLA import exp_manager
        exp_manager.configure("ckpt", {{"LOG_USED": ["csv"]}}, {str(data_root)!r}, code_root={str(tmp_path)!r})
        exp_manager.log_files_gen()
        model = torch.nn.Linear(64, 64)
        with torch.no_grad():
            model.weight.fill_(1.0)
        exp_manager.save_checkpoint({{"model": model}})
        with torch.no_grad():
            model.weight.fill_(2.0)
        exp_manager.time_step_holder.set_time(1)
        os.environ[{PAUSE_ENV!r}] = {str(marker)!r}
        exp_manager.save_checkpoint({{"model": model}})  # pauses before its rename, killed there
    """)
    process = popen_python(script)
    try:
        while not marker.exists():
            assert process.poll() is None, process.communicate()
            time.sleep(0.02)
        temp_folder = Path(marker.read_text())
        assert temp_folder.is_dir() and (temp_folder / "model.pt").is_file()  # the second save was under way
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
    # the killed save left only its temporary folder beside the first checkpoint and the index
    assert is_temp_name(temp_folder.name)
    assert sorted(p.name for p in temp_folder.parent.iterdir()) == sorted([INDEX_FILE, "ckpt-0", temp_folder.name])

    (item,) = Database(data_root).items("ckpt")
    exp_manager.configure("ckpt", {"LOG_USED": ["csv"]}, data_root, code_root=str(tmp_path),
                          resume=item.record_date)
    exp_manager.log_files_gen()
    assert exp_manager.item == item
    step, state = exp_manager.load_checkpoint()
    assert step == 0 and torch.all(state["model"]["weight"] == 1.0)
    # the next save clears the leftover of the killed one
    exp_manager.save_checkpoint({"model": torch.nn.Linear(1, 1)})
    assert not temp_folder.exists()
    assert kept_steps(exp_manager.checkpoint_dir) == [0]


def test_a_latest_checkpoint_lost_in_a_machine_crash_falls_back_to_the_previous(data_root):
    start_run(data_root)
    for step in (1, 2):
        exp_manager.time_step_holder.set_time(step)
        exp_manager.save_checkpoint({"w": torch.tensor([float(step)])})
    latest = Path(exp_manager.checkpoint_dir) / "ckpt-2"
    (latest / "meta.pkl").unlink()  # its folder entry never reached the disk
    assert exp_manager.latest_checkpoint_step() == 1
    assert exp_manager.load_checkpoint()[1]["w"].item() == 1.0


def test_custom_data_plain_pickle_cannot_hold_is_saved_with_dill(data_root):
    start_run(data_root)
    exp_manager.save_checkpoint({"w": torch.zeros(1)}, related_variable={"schedule": lambda t: 0.5 ** t})
    exp_manager.custom_data.clear()
    exp_manager.load_checkpoint()
    assert exp_manager.get_custom_data("schedule")(2) == 0.25
