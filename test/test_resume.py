"""Continue in place and auto-resume: a killed run picks up exactly where it stopped."""
from __future__ import annotations

import csv
import json
import os
import random
import signal
import time
from pathlib import Path

import pytest
import torch
from conftest import logged_rows, popen_python, read_scalars, run_python

from RLA.db import Database
from RLA.easy_log import logger
from RLA.easy_log.resume import claim
from RLA.easy_log.tester import exp_manager

LOG_USED = ["csv", "json", "tensorboard"]

# A deterministic training loop: every RNG (python, numpy, torch) is used, rows are
# dumped every 3 steps with means accumulated over them, checkpoints every 7 steps.
TRAIN_SCRIPT = """
    import os, random, signal, sys
    import numpy as np, torch
    from RLA import exp_manager, logger

    data_root, out_file, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    kill_at = int(os.environ.get("KILL_AT_STEP", -1))
    exp_manager.set_hyper_param(seed=3, lr=0.05)
    exp_manager.add_record_param(["seed"])
    exp_manager.configure("resume_task", {"LOG_USED": ["csv", "json", "tensorboard"]}, data_root,
                          code_root=os.path.dirname(out_file), resume="auto")
    exp_manager.log_files_gen()
    random.seed(3); np.random.seed(3); torch.manual_seed(3)
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    x = torch.randn(256, 4)
    y = x.sum(dim=1, keepdim=True).sin()
    start = 0
    if exp_manager.has_checkpoint():
        last_step, _ = exp_manager.load_checkpoint(model_dict={"model": model, "optimizer": optimizer})
        start = last_step + 1
    for step in range(start, steps):
        exp_manager.time_step_holder.set_time(step)
        batch = torch.randint(0, len(x), (32,))
        noise = torch.from_numpy(np.random.randn(32, 1).astype("float32")) * 0.01
        scale = 1.0 + 0.1 * random.random()
        loss = torch.nn.functional.mse_loss(model(x[batch]) * scale, y[batch] + noise)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        logger.logkv_mean("train/loss", loss.item())
        logger.ma_record_tabular("train/loss_ma", loss.item(), 5)
        if step % 3 == 2:
            logger.record_tabular("train/scale", scale)
            logger.dump_tabular()
        if step % 7 == 0:
            exp_manager.save_checkpoint({"model": model, "optimizer": optimizer},
                                        related_variable={"episodes": step})
        if step == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, out_file)
"""


def start_run(data_root: Path, task: str = "resume", resume=None, **params) -> None:
    exp_manager.set_hyper_param(**params)
    exp_manager.add_record_param(sorted(params))
    exp_manager.configure(task, {"LOG_USED": LOG_USED}, data_root, code_root=str(data_root.parent), resume=resume)
    exp_manager.log_files_gen()


def log_and_checkpoint(steps: range, checkpoint_at: int) -> None:
    for step in steps:
        exp_manager.time_step_holder.set_time(step)
        logger.record_tabular("value", step * 10)
        logger.dump_tabular()
        if step == checkpoint_at:
            exp_manager.save_checkpoint({"w": torch.tensor([float(step)])})


def progress_steps(log_dir) -> list:
    with open(Path(log_dir) / "progress.csv", newline="") as f:
        return [int(row["time-step"]) for row in csv.DictReader(f)]


def run_record(item) -> dict:
    return json.loads((item.path("log") / "run.json").read_text())


def test_killed_torch_run_resumed_twice_equals_an_uninterrupted_run(data_root, write_script, tmp_path):
    script = write_script(TRAIN_SCRIPT, "train.py")
    steps = 60
    reference = run_python(script, str(data_root), str(tmp_path / "reference.pt"), str(steps))
    assert reference.returncode == 0, reference.stderr
    (reference_item,) = Database(data_root).items("resume_task")

    rng = random.Random()
    first_kill = rng.randrange(3, 30)
    second_kill = rng.randrange(first_kill + 1, 55)
    for kill_at in (first_kill, second_kill):
        killed = run_python(script, str(data_root), str(tmp_path / "resumed.pt"), str(steps),
                            env={"KILL_AT_STEP": str(kill_at)})
        assert killed.returncode == -signal.SIGKILL, (kill_at, killed.stderr)
    finished = run_python(script, str(data_root), str(tmp_path / "resumed.pt"), str(steps))
    assert finished.returncode == 0, finished.stderr

    items = Database(data_root).items("resume_task")
    assert len(items) == 2, "the finished reference must not be resumed; the killed run must be"
    (resumed_item,) = [i for i in items if i != reference_item]
    context = f"killed at steps {first_kill} and {second_kill}"
    expected = torch.load(tmp_path / "reference.pt")
    actual = torch.load(tmp_path / "resumed.pt")
    for key, value in expected["model"].items():
        assert torch.equal(value, actual["model"][key]), context
    assert expected["optimizer"]["state"][0]["step"] == actual["optimizer"]["state"][0]["step"] == steps
    for name in ("progress.csv", "progress.json"):
        assert (logged_rows(resumed_item.path("log") / name)
                == logged_rows(reference_item.path("log") / name)), (name, context)
    reference_scalars = read_scalars(reference_item.path("log") / "tb")
    resumed_scalars = read_scalars(resumed_item.path("log") / "tb")
    assert resumed_scalars == reference_scalars, context  # each step once, same values
    assert [s for s, _ in resumed_scalars["train/loss"]] == list(range(2, steps, 3))

    record = run_record(resumed_item)
    assert record["status"] == "finished" and record["last_time_step"] == steps - 1
    assert [r["previous_status"] for r in record["resumes"]] == ["running", "running"]  # SIGKILL leaves "running"
    assert [r["checkpoint_step"] for r in record["resumes"]] == [first_kill // 7 * 7, second_kill // 7 * 7]
    assert record["resumes"][0]["pid"] != record["resumes"][1]["pid"]


def test_continue_in_place_drops_rows_after_the_checkpoint(data_root):
    start_run(data_root, seed=1)
    log_and_checkpoint(range(0, 10), checkpoint_at=5)
    item = exp_manager.item
    exp_manager.finish("failed")

    start_run(data_root, seed=1, resume=item.record_date)
    assert exp_manager.item == item
    assert progress_steps(exp_manager.log_dir) == [0, 1, 2, 3, 4, 5]
    step, state = exp_manager.load_checkpoint()
    assert step == 5 and state["w"].item() == 5.0
    log_and_checkpoint(range(step + 1, 12), checkpoint_at=-1)
    exp_manager.finish()

    assert progress_steps(exp_manager.log_dir) == list(range(0, 12))
    json_rows = [json.loads(line) for line in (item.path("log") / "progress.json").open()]
    assert [r["time-step"] for r in json_rows] == list(range(0, 12))
    assert read_scalars(item.path("log") / "tb")["value"] == [(s, s * 10.0) for s in range(0, 12)]
    record = run_record(item)
    assert record["status"] == "finished" and len(record["resumes"]) == 1
    assert record["resumes"][0]["previous_status"] == "failed" and record["resumes"][0]["last_kept_step"] == 5


def test_loading_an_older_checkpoint_after_a_resume_rewinds_further(data_root):
    start_run(data_root, seed=1)
    exp_manager.new_saver(max_to_keep=None)
    for step in range(0, 10):
        log_and_checkpoint(range(step, step + 1), checkpoint_at=step if step in (3, 7) else -1)
    item = exp_manager.item
    exp_manager.finish()

    start_run(data_root, seed=1, resume=item.record_date)
    assert progress_steps(exp_manager.log_dir) == list(range(0, 8))
    step, _ = exp_manager.load_checkpoint(ckp_index=3)
    assert progress_steps(exp_manager.log_dir) == [0, 1, 2, 3]
    log_and_checkpoint(range(step + 1, 6), checkpoint_at=-1)
    exp_manager.finish()
    assert [s for s, _ in read_scalars(item.path("log") / "tb")["value"]] == list(range(0, 6))


def test_resume_without_a_checkpoint_starts_the_item_over(data_root):
    start_run(data_root, seed=1)
    log_and_checkpoint(range(0, 4), checkpoint_at=-1)
    item = exp_manager.item
    exp_manager.finish("killed")

    start_run(data_root, seed=1, resume="auto")
    assert exp_manager.item == item and not exp_manager.has_checkpoint()
    log_and_checkpoint(range(0, 2), checkpoint_at=-1)
    exp_manager.finish()
    assert progress_steps(exp_manager.log_dir) == [0, 1]
    tb = read_scalars(item.path("log") / "tb")
    assert [s for s, _ in tb["value"]] == [0, 1]


def test_a_run_killed_in_its_first_save_resumes_from_scratch_and_logs_on(data_root, write_script, tmp_path):
    """The temporary folder a save killed midway leaves is not a checkpoint of the script's own: the resume starts
    the item over, and its rows are written (they were lost: the logger stayed closed)."""
    marker = tmp_path / "paused"
    script = write_script(f"""
        import os
        from RLA import exp_manager, logger
        exp_manager.set_hyper_param(seed=1)
        exp_manager.add_record_param(["seed"])
        exp_manager.configure("resume", {{"LOG_USED": {LOG_USED!r}}}, {str(data_root)!r},
                              code_root={str(tmp_path)!r})
        exp_manager.log_files_gen()
        for step in range(5):
            exp_manager.time_step_holder.set_time(step)
            logger.record_tabular("value", step)
            logger.dump_tabular()
        os.environ["RLA_TEST_PAUSE_IN_SAVE"] = {str(marker)!r}
        exp_manager.save_checkpoint({{"w": 1.0}})  # paused before its rename, killed there
    """)
    process = popen_python(script)
    try:
        while not marker.exists():
            assert process.poll() is None, process.communicate()
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    (item,) = Database(data_root).items("resume")
    assert [p.name.startswith(".") for p in Path(item.checkpoint_dir).iterdir()] == [True]

    start_run(data_root, seed=1, resume="auto")
    assert exp_manager.item == item and not exp_manager.logs_rewind_deferred
    log_and_checkpoint(range(0, 3), checkpoint_at=-1)
    exp_manager.finish()
    assert progress_steps(item.log_dir) == [0, 1, 2]
    assert [s for s, _ in read_scalars(item.log_dir / "tb")["value"]] == [0, 1, 2]


def test_a_resume_deferred_to_the_scripts_own_checkpoint_logs_on_until_told_where(data_root):
    start_run(data_root, seed=1)
    log_and_checkpoint(range(0, 4), checkpoint_at=-1)
    item = exp_manager.item
    (Path(exp_manager.checkpoint_dir) / "rl_model_2_steps.zip").write_bytes(b"an SB3 zip")
    exp_manager.finish("killed")

    start_run(data_root, seed=1, resume="auto")
    assert exp_manager.item == item and exp_manager.logs_rewind_deferred
    log_and_checkpoint(range(4, 6), checkpoint_at=-1)  # the script never calls rewind_logs_to
    exp_manager.finish()
    assert progress_steps(item.log_dir) == [0, 1, 2, 3, 4, 5]


def test_auto_resume_picks_the_newest_unfinished_run_with_the_same_tracked_params(data_root, monkeypatch):
    runs = {}
    for name, seed, status in (("old_killed", 1, "killed"), ("newer_killed", 1, "failed"),
                               ("finished", 1, "finished"), ("other_seed", 2, "killed")):
        start_run(data_root, seed=seed)
        runs[name] = exp_manager.item
        exp_manager.finish(status)

    monkeypatch.setenv("RLA_RESUME", "auto")
    start_run(data_root, seed=1)
    assert exp_manager.item == runs["newer_killed"]
    exp_manager.finish()
    start_run(data_root, seed=1)
    assert exp_manager.item == runs["old_killed"]
    exp_manager.finish()
    start_run(data_root, seed=1)  # nothing unfinished left: a new item
    assert exp_manager.item not in runs.values()
    exp_manager.finish("killed")
    monkeypatch.setenv("RLA_RESUME", "never")
    start_run(data_root, seed=1)
    assert exp_manager.item not in runs.values() and len(Database(data_root).items("resume")) == 6


def test_auto_resume_never_takes_a_run_whose_process_is_alive(data_root):
    start_run(data_root, seed=1)
    live = exp_manager.item
    exp_manager.finish("killed")
    record = run_record(live)
    record.update(status="running", pid=os.getppid())  # an alive process on this host
    (live.path("log") / "run.json").write_text(json.dumps(record))

    start_run(data_root, seed=1, resume="auto")
    assert exp_manager.item != live
    exp_manager.finish()
    with pytest.raises(RuntimeError, match="still running"):
        start_run(data_root, seed=1, resume=live.record_date)


def test_explicit_resume_checks_the_tracked_params(data_root):
    start_run(data_root, seed=1)
    item = exp_manager.item
    exp_manager.finish()
    with pytest.raises(ValueError, match="other tracked parameters"):
        start_run(data_root, seed=2, resume=item.record_date)


def test_two_processes_never_claim_the_same_resume(data_root, write_script):
    start_run(data_root, seed=1)
    item = exp_manager.item
    claimer = write_script(f"""
        import threading
        from RLA.db import Database
        from RLA.easy_log.resume import claim
        item = Database({str(data_root)!r}).item_from_index({item.index!r})
        print(claim(item, 1), flush=True)
        threading.Event().wait()  # hold the claim until killed
    """)
    holder = popen_python(claimer)
    try:
        assert holder.stdout.readline().strip() == "True"
        assert not claim(item, 1)  # the holder is alive
    finally:
        holder.kill()
        holder.wait()
    assert claim(item, 1)  # the holder died before recording its resume: the item is free again


def test_auto_resume_never_takes_over_a_run_with_other_untracked_parameters(data_root):
    from RLA import exp_manager

    def start(seed):
        exp_manager.set_hyper_param(lr=0.1, seed=seed)
        exp_manager.add_record_param(["lr"])
        exp_manager.configure(task_table_name="t", rla_config={"LOG_USED": ["csv"], "DL_FRAMEWORK": "none"},
                              data_root=data_root, resume="auto")
        return exp_manager.log_files_gen()

    preempted = start(seed=1)
    exp_manager.finish("killed")
    other_seed = start(seed=2)
    exp_manager.finish("killed")
    assert other_seed != preempted
    assert start(seed=1) == preempted
