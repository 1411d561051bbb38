"""RLA 0.6's "continue to train or resume for another task" workflow, with 0.6 names only, and the
checkpoints 0.6 wrote (torch ``checkpoint_<step>.pt``, TF1 saver prefixes) loaded by this release."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from RLA import exp_manager, logger, time_step_holder

TASK = "demo_task"


def new_process() -> None:
    """What a fresh training process sees: the globals as after import."""
    exp_manager.finish()
    logger.reset()
    exp_manager.__init__(time_step_holder)
    time_step_holder.config(0, 0)


def configure(data_root: Path, **params) -> None:
    exp_manager.set_hyper_param(**params)
    exp_manager.add_record_param(["info"])
    exp_manager.configure(task_table_name=TASK, rla_config={"LOG_USED": ["csv"]}, data_root=str(data_root),
                          code_root=str(data_root.parent))
    exp_manager.log_files_gen()


def progress(log_dir: str) -> list:
    with open(Path(log_dir) / "progress.csv", newline="") as f:
        return [(int(r["time-step"]), float(r["perf/reward"])) for r in csv.DictReader(f) if r["time-step"]]


def write_06_torch_item(root: Path, name: str, steps: int, checkpoints: dict) -> str:
    """An item as RLA 0.6 wrote it: progress.csv ending with ',,', parameter.json, and
    ``torch.save(model_dict, checkpoint_dir + "checkpoint_<step>.pt")`` files."""
    import torch

    log = root / "log" / TASK / "2022/03/01" / name
    log.mkdir(parents=True)
    rows = "\n".join(f"{t},{t * 2.0}" for t in range(steps))
    (log / "progress.csv").write_text("time-step,perf/reward\n" + rows + "\n,\n")
    (log / "parameter.json").write_text(json.dumps({"lr": 0.003, "env_id": "Hopper-v2", "info": "old"}))
    ckp = root / "checkpoint" / TASK / "2022/03/01" / name
    ckp.mkdir(parents=True)
    for step, model_dict in checkpoints.items():
        torch.save(model_dict, str(ckp) + os.sep + f"checkpoint_{step}.pt")
    return f"2022/03/01/{name[:15]}"


def test_continue_to_train_workflow_of_the_06_readme(data_root: Path):
    import torch

    from RLA import fork_log_file_fn, single_experiment_query, update_hyper_parameters_fn
    from RLA.easy_log.const import CHECKPOINT, HYPARAMETER, TMP_DATA

    configure(data_root, lr=0.01, device="cpu", info="first", seed=3)
    exp_manager.new_saver(max_to_keep=3)
    model = torch.nn.Linear(2, 1)
    for step in range(50):
        time_step_holder.set_time(step)
        logger.record_tabular("perf/reward", step * 1.0)
        logger.dump_tabular()
        if step % 10 == 9:
            with torch.no_grad():
                model.weight.fill_(step)
            exp_manager.save_checkpoint({"model": model})
    np.savez(os.path.join(exp_manager.tmp_data_dir, "replay_buffer.npz"), obs=np.arange(5))
    loaded_task_date = exp_manager.record_date[:len("YYYY/MM/DD/HH-MM-SS-ffffff")]
    new_process()

    configure(data_root, lr=0.5, device="cuda:1", info="continued", seed=0)
    query_res = single_experiment_query(str(data_root), TASK, loaded_task_date, HYPARAMETER)
    assert query_res.hyper_param["lr"] == 0.01
    update_hyper_parameters_fn(TASK, loaded_task_date, str(data_root), hp_to_overwrite=["device", "info"])
    assert {k: exp_manager.hyper_param[k] for k in ("lr", "seed", "device", "info")} == \
        {"lr": 0.01, "seed": 3, "device": "cuda:1", "info": "continued"}
    query_res = single_experiment_query(str(data_root), TASK, loaded_task_date, CHECKPOINT)
    assert query_res.all_ckps == ["ckpt-29", "ckpt-39", "ckpt-49"]
    query_res = single_experiment_query(str(data_root), TASK, loaded_task_date, TMP_DATA)
    assert np.load(os.path.join(query_res.dirname, "replay_buffer.npz"))["obs"].tolist() == [0, 1, 2, 3, 4]

    fork_log_file_fn(TASK, loaded_task_date, str(data_root), sync_timestep=True)
    start_steps = logger.get_time()
    assert start_steps == 49
    step, state = exp_manager.load_checkpoint()
    restored = torch.nn.Linear(2, 1)
    restored.load_state_dict(state["model"])
    assert step == 49 and restored.weight.tolist() == [[49.0, 49.0]]
    for step in range(start_steps + 1, 60):
        time_step_holder.set_time(step)
        logger.record_tabular("perf/reward", step * 1.0)
        logger.dump_tabular()
    log_dir = exp_manager.log_dir
    exp_manager.finish()
    assert progress(log_dir) == [(t, float(t)) for t in range(60)]  # the curve goes on, no step twice


def test_a_06_torch_checkpoint_loads_through_exp_manager_and_the_loader(data_root: Path):
    import torch

    from RLA import ExperimentLoader, fork_log_file_fn, single_experiment_query
    from RLA.easy_log.const import CHECKPOINT

    def policy(value: float) -> torch.nn.Module:
        net = torch.nn.Linear(3, 2)
        with torch.no_grad():
            net.weight.fill_(value)
            net.bias.fill_(-value)
        return net

    date = write_06_torch_item(data_root, "21-13-03-230208 11.0.91.89 &env_id=Hopper-v2&lr=0.003", 300, {
        100: {"policy": policy(1.0).state_dict(), "step_info": 100},
        200: {"policy": policy(2.0), "step_info": 200},  # 0.6 users also saved whole modules
    })
    ckps = single_experiment_query(str(data_root), TASK, date, CHECKPOINT)
    assert ckps.all_ckps == ["checkpoint_100.pt", "checkpoint_200.pt"]
    saved = torch.load(os.path.join(ckps.dirname, ckps.all_ckps[-1]), weights_only=False)  # the 0.6 README's loader
    assert saved["step_info"] == 200

    loader = ExperimentLoader()
    loader.config(TASK, date, str(data_root))
    target = policy(0.0)
    step, state, _ = loader.load_from_record_date(ckp_index=100, model_dict={"policy": target})
    assert step == 100 and state["step_info"] == 100 and target.bias.tolist() == [-1.0, -1.0]

    configure(data_root, info="fine-tune")
    fork_log_file_fn(TASK, date, str(data_root), sync_timestep=True)
    assert logger.get_time() == 200
    # the forked curve keeps the rows up to the checkpoint it continues from (0.6 saved no logger state)
    assert progress(exp_manager.log_dir) == [(t, t * 2.0) for t in range(201)]
    target = policy(0.0)
    step, state = exp_manager.load_checkpoint(model_dict={"policy": target})
    assert step == 200 and target.weight.flatten().tolist() == [2.0] * 6
    step, state = exp_manager.load_checkpoint(ckp_index=100)
    assert step == 100 and state["policy"]["bias"].tolist() == [-1.0, -1.0]
    time_step_holder.set_time(201)
    logger.record_tabular("perf/reward", -1.0)
    logger.dump_tabular()
    assert progress(exp_manager.log_dir)[-2:] == [(200, 400.0), (201, -1.0)]


TF1_SCRIPT = """
import os, sys, time
t0 = time.time()
import numpy as np
import tensorflow as tf
from RLA import ExperimentLoader

root, ckp_dir = sys.argv[1], sys.argv[2]
os.makedirs(ckp_dir)
with tf.Graph().as_default(), tf.compat.v1.Session() as session, session.as_default():
    w = tf.compat.v1.get_variable("pi/w", initializer=tf.constant([1.0, 2.0]))
    v = tf.compat.v1.get_variable("vf/w", initializer=tf.constant([3.0]))
    session.run(tf.compat.v1.global_variables_initializer())
    saver = tf.compat.v1.train.Saver(var_list=[w, v], max_to_keep=5, save_relative_paths=True)
    for step in (100, 200):
        session.run(w.assign(w * 10.0))
        saver.save(session, os.path.join(ckp_dir, "checkpoint"), global_step=step)  # as RLA 0.6 saved
with tf.Graph().as_default(), tf.compat.v1.Session() as session, session.as_default():
    w = tf.compat.v1.get_variable("pi/w", initializer=tf.constant([0.0, 0.0]))
    v = tf.compat.v1.get_variable("vf/w", initializer=tf.constant([0.0]))
    session.run(tf.compat.v1.global_variables_initializer())
    loader = ExperimentLoader().config("demo_task", sys.argv[3], root)
    step, state, _ = loader.load_from_record_date(ckp_index=100)
    print("RESULT", step, session.run(w).tolist(), session.run(v).tolist(), sorted(state))
    step, _, _ = loader.load_from_record_date(var_prefix="pi")
    print("LATEST", step, session.run(w).tolist())
print("SECONDS", time.time() - t0)
"""


def test_a_06_tf1_saver_checkpoint_restores_into_the_default_session(data_root: Path, tmp_path: Path):
    from conftest import subprocess_env

    name = "21-13-03-230208 11.0.91.89 &env_id=Hopper-v2"
    (data_root / "log" / TASK / "2022/03/01" / name).mkdir(parents=True)
    ckp_dir = data_root / "checkpoint" / TASK / "2022/03/01" / name
    script = tmp_path / "tf1.py"
    script.write_text(textwrap.dedent(TF1_SCRIPT))
    done = subprocess.run([sys.executable, str(script), str(data_root), str(ckp_dir), "2022/03/01/21-13-03"],
                          capture_output=True, text=True, timeout=120, env=subprocess_env())
    assert done.returncode == 0, "tensorflow-cpu must be installed (the `tf` extra): " + done.stderr[-3000:]
    lines = {line.split(" ", 1)[0]: line.split(" ", 1)[1] for line in done.stdout.splitlines() if " " in line}
    assert lines["RESULT"] == "100 [10.0, 20.0] [3.0] ['pi/w:0', 'vf/w:0']"
    assert lines["LATEST"] == "200 [100.0, 200.0]"
