"""ExperimentLoader: naming an item, load mode, fork mode, importing hyper-parameters."""
from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
import torch
from conftest import read_scalars

from RLA.db import Database
from RLA.easy_log import logger
from RLA.easy_log.exp_loader import ExperimentLoader, ItemNotFoundError, resolve_item
from RLA.easy_log.tester import exp_manager

LOG_USED = ["csv", "json", "tensorboard"]


def start_run(data_root: Path, task: str = "loader", **params) -> None:
    exp_manager.set_hyper_param(**params)
    exp_manager.add_record_param(sorted(params))
    exp_manager.configure(task, {"LOG_USED": LOG_USED}, data_root, code_root=str(data_root.parent))
    exp_manager.log_files_gen()


def progress_steps(log_dir: str) -> list:
    with open(Path(log_dir) / "progress.csv", newline="") as f:
        return [int(row["time-step"]) for row in csv.DictReader(f)]


def train_and_checkpoint(steps: range, checkpoint_every: int, model: torch.nn.Module) -> None:
    for step in steps:
        exp_manager.time_step_holder.set_time(step)
        with torch.no_grad():
            model.weight.add_(1.0)
        logger.record_tabular("train/w", model.weight.sum().item())
        logger.dump_tabular()
        if step % checkpoint_every == 0:
            exp_manager.save_checkpoint({"model": model}, related_variable={"episodes": step * 2})


@pytest.fixture
def three_items(data_root):
    db = Database(data_root)
    made = [db.create_item("loader", "10.0.0.1", [("seed", seed)], dt.datetime(2024, 1, day, 10, 0, 0, 123456))
            for seed, day in ((1, 5), (2, 6), (3, 6))]
    return db, made


def test_record_date_can_be_exact_a_prefix_a_glob_a_regex_or_latest(three_items):
    db, (first, second, third) = three_items
    assert resolve_item(db, "loader", first.record_date) == first
    assert resolve_item(db, "loader", "2024/01/05/10-00-00-123456") == first
    assert resolve_item(db, "loader", "2024/01/05/*") == first
    assert resolve_item(db, "loader", r"2024/01/06/.*seed=3") == third
    assert resolve_item(db, "loader", "*seed=2") == second
    assert resolve_item(db, "loader", "2024/01/05/10-00") == first  # a regex matches from the start
    newest = db.create_item("loader", "10.0.0.1", [("seed", 1)], dt.datetime(2024, 1, 6, 11, 0))
    assert resolve_item(db, "loader", "latest") == newest


def test_ambiguous_or_unknown_record_date_lists_the_candidates(three_items):
    db, (_, second, third) = three_items
    with pytest.raises(ItemNotFoundError) as ambiguous:
        resolve_item(db, "loader", "2024/01/06/*")
    assert "matches 2 items" in str(ambiguous.value)
    assert second.record_date in str(ambiguous.value) and third.record_date in str(ambiguous.value)
    with pytest.raises(ItemNotFoundError, match="no item of task 'loader' matches"):
        resolve_item(db, "loader", "2023/*")
    with pytest.raises(ItemNotFoundError, match="has no item"):
        resolve_item(db, "other_task", "latest")


def test_load_mode_evaluates_a_trained_model_in_a_new_item(data_root):
    start_run(data_root, seed=1)
    trained = torch.nn.Linear(2, 2)
    train_and_checkpoint(range(0, 12), 5, trained)
    trained_item = exp_manager.item
    trained_rows = (Path(exp_manager.log_dir) / "progress.csv").read_text()

    start_run(data_root, seed=1, mode="eval")
    loader = ExperimentLoader().config("loader", trained_item.record_date[:26], str(data_root))
    evaluated = torch.nn.Linear(2, 2)
    step, state, custom = loader.load_from_record_date(model_dict={"model": evaluated}, variable_list=["episodes"])

    assert step == 10 and custom == {"episodes": 20}
    assert torch.equal(evaluated.weight, state["model"]["weight"])
    assert exp_manager.item != trained_item and progress_steps(exp_manager.log_dir) == []
    assert (trained_item.path("log") / "progress.csv").read_text() == trained_rows
    # a variable the run never saved is None, as in 0.6 (whose example asks for one), and said in the log
    assert loader.load_from_record_date(variable_list=["missing", "episodes"])[2] == {"missing": None, "episodes": 20}


def test_fork_mode_starts_a_new_item_from_the_old_logs_and_checkpoint(data_root):
    start_run(data_root, seed=1)
    model = torch.nn.Linear(2, 2)
    train_and_checkpoint(range(0, 9), 5, model)  # checkpoint at 5, rows logged up to 8
    source = exp_manager.item

    loader = ExperimentLoader().config("loader", source.record_date, str(data_root))
    args = loader.import_hyper_parameters()
    exp_manager.set_hyper_param(**vars(args))
    start_run(data_root, seed=1, forked=True)
    loader.fork_log_files()
    forked = torch.nn.Linear(2, 2)
    step, _ = exp_manager.load_checkpoint(model_dict={"model": forked})
    assert step == 5 and exp_manager.get_custom_data("episodes") == 10
    train_and_checkpoint(range(step + 1, step + 4), 100, forked)
    exp_manager.finish()

    assert exp_manager.item != source
    assert progress_steps(exp_manager.log_dir) == list(range(0, 9))
    assert progress_steps(str(source.path("log"))) == list(range(0, 9))
    json_steps = [json.loads(line)["time-step"] for line in (Path(exp_manager.log_dir) / "progress.json").open()]
    assert json_steps == list(range(0, 9))
    scalars = read_scalars(Path(exp_manager.log_dir) / "tb")
    assert [s for s, _ in scalars["train/w"]] == list(range(0, 9))  # each step once
    run = json.loads((Path(exp_manager.log_dir) / "run.json").read_text())
    assert run["forked_from"] == {"index": source.index, "checkpoint_step": 5}
    assert (Path(exp_manager.checkpoint_dir) / "ckpt-5").is_dir()


def test_import_hyper_parameters_overwrites_chosen_keys_and_syncs_the_time_step(data_root):
    start_run(data_root, seed=1, lr=0.1)
    exp_manager.set_hyper_param(net={"hidden": [64, 64]})
    exp_manager.time_step_holder.set_time(30)
    exp_manager.save_checkpoint({"w": torch.zeros(1)})
    record_date = exp_manager.record_date
    exp_manager.finish()

    start_run(data_root, seed=2, lr=0.5)
    args = ExperimentLoader().config("loader", record_date, str(data_root)).import_hyper_parameters(
        hp_to_overwrite=["lr"], sync_timestep=True)
    assert (args.seed, args.lr, args.net) == (1, 0.5, {"hidden": [64, 64]})
    assert args.load_date == record_date and args.load_task_name == "loader"
    assert exp_manager.time_step_holder.get_time() == 30


def test_an_unconfigured_loader_changes_nothing(data_root):
    start_run(data_root, seed=1)
    loader = ExperimentLoader()
    assert loader.load_from_record_date() == (0, {}, {})
    assert vars(loader.import_hyper_parameters()) == {"seed": 1}
    loader.fork_log_files()
    assert progress_steps(exp_manager.log_dir) == []


def test_hyper_parameters_json_cannot_hold_come_from_the_run_pickle(data_root):
    start_run(data_root, seed=1)
    exp_manager.set_hyper_param(actions={"left", "right"})
    record_date = exp_manager.record_date
    exp_manager.serialize_object_and_save()
    exp_manager.finish()

    start_run(data_root, seed=2)
    args = ExperimentLoader().config("loader", record_date, str(data_root)).import_hyper_parameters()
    assert args.actions == {"left", "right"} and args.seed == 1


def test_forking_an_item_without_checkpoints_copies_every_row(data_root):
    start_run(data_root, seed=1)
    for step in range(3):
        exp_manager.time_step_holder.set_time(step)
        logger.record_tabular("a", step)
        logger.dump_tabular()
    source = exp_manager.item
    exp_manager.finish()

    start_run(data_root, seed=1, forked=True)
    ExperimentLoader().config("loader", source.record_date, str(data_root)).fork_log_files()
    for step in range(3, 5):
        exp_manager.time_step_holder.set_time(step)
        logger.record_tabular("a", step)
        logger.record_tabular("b", -step)
        logger.dump_tabular()
    exp_manager.finish()
    with open(Path(exp_manager.log_dir) / "progress.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["time-step"], r["a"], r["b"]) for r in rows] == [
        ("0", "0", ""), ("1", "1", ""), ("2", "2", ""), ("3", "3", "-3"), ("4", "4", "-4")]


def test_fork_at_an_earlier_checkpoint_starts_there_without_a_gap(data_root):
    start_run(data_root, seed=1)
    model = torch.nn.Linear(2, 2)
    train_and_checkpoint(range(0, 9), 3, model)  # checkpoints at 0, 3, 6
    source = exp_manager.item
    start_run(data_root, seed=1, forked=True)
    ExperimentLoader().config("loader", source.record_date, str(data_root)).fork_log_files(ckp_index=3)
    step, _ = exp_manager.load_checkpoint(model_dict={"model": torch.nn.Linear(2, 2)})
    exp_manager.finish()
    assert step == 3
    assert progress_steps(exp_manager.log_dir) == [0, 1, 2, 3]
    assert sorted(p.name for p in Path(exp_manager.checkpoint_dir).glob("ckpt-*")) == ["ckpt-0", "ckpt-3"]


def test_an_empty_loaded_date_means_a_fresh_run_and_latest_skips_the_current_run(data_root):
    start_run(data_root, seed=1)
    train_and_checkpoint(range(0, 2), 1, torch.nn.Linear(2, 2))
    trained = exp_manager.item
    exp_manager.set_hyper_param(loaded_date="", loaded_task_name="")
    start_run(data_root, seed=2)
    fresh = ExperimentLoader()
    assert not fresh.is_valid_config and fresh.load_from_record_date() == (0, {}, {})
    loader = ExperimentLoader().config("loader", "latest", str(data_root))
    assert loader.item == trained
    step, state, custom = loader.load_from_record_date()
    assert step == 1 and custom == {"episodes": 2}


def test_a_legacy_item_with_an_unreadable_pickle_gives_the_parameters_in_its_name(data_root):
    legacy = Database(data_root).item("loader", "2022/03/01/21-13-03-230208 11.0.91.89 &lr=0.01&seed=3")
    legacy.path("log").mkdir(parents=True)
    legacy.path("archive_tester").parent.mkdir(parents=True)
    legacy.path("archive_tester").write_bytes(b"\x80\x04\x95 not a pickle of this release")
    loader = ExperimentLoader().config("loader", legacy.record_date, str(data_root))
    assert loader.hyper_parameters() == {"lr": "0.01", "seed": "3"}
