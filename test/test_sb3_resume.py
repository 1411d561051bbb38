"""An SB3 PPO trial killed after its first checkpoint and run again with RLA_RESUME=auto: one item, each step once."""
from __future__ import annotations

import json
import os
import signal
import time

import pandas as pd
import pytest

pytest.importorskip("stable_baselines3")

from conftest import popen_python, read_scalars, run_python  # noqa: E402

from RLA.db import Database  # noqa: E402

N_STEPS, TOTAL, SAVE_FREQ, STALL_AT = 64, 640, 128, 320

SCRIPT = """
    import sys, time
    from pathlib import Path
    import gymnasium as gym
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback
    from RLA.easy_log.tester import exp_manager
    from RLA.integrations.sb3 import RLACheckpointCallback, resume_model, sb3_logger

    data_root, stall_at, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

    class Stall(BaseCallback):
        '''Hang (until killed) once the rollouts up to ``stall_at`` are logged: a preempted trial.'''
        def _on_rollout_start(self):
            if 0 < stall_at <= self.num_timesteps:
                Path(data_root, "stalled").write_text(str(self.num_timesteps))
                time.sleep(600)
        def _on_step(self):
            return True

    exp_manager.set_hyper_param(learning_rate=1e-3, seed=0)
    exp_manager.add_record_param(["seed"])
    exp_manager.configure(task_table_name="sb3_resume", data_root=data_root, code_root=data_root,
                          rla_config={"LOG_USED": ["csv", "tensorboard"], "BACKUP_CONFIG": {"backup_code_dir": []}})
    with exp_manager.run():
        env = gym.make("CartPole-v1")
        model = resume_model(PPO, env, device="cpu") or PPO(
            "MlpPolicy", env, n_steps=%d, batch_size=32, n_epochs=1, seed=0, device="cpu")
        model.set_logger(sb3_logger())
        model.learn(total - model.num_timesteps, callback=[RLACheckpointCallback(save_freq=%d), Stall()],
                    reset_num_timesteps=False)
""" % (N_STEPS, SAVE_FREQ)


def test_sb3_trial_killed_after_a_checkpoint_resumes_with_each_step_once(tmp_path, write_script):
    data_root = tmp_path / "db"
    data_root.mkdir()
    script = write_script(SCRIPT)
    env = {"RLA_RESUME": "auto", "RLA_SWEEP": "sb3_scan"}
    first = popen_python(script, str(data_root), str(STALL_AT), str(TOTAL), env=env)
    stalled = data_root / "stalled"
    deadline = time.monotonic() + 120
    while not stalled.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stalled.exists(), f"the first run never reached step {STALL_AT}: {first.communicate()[1][-2000:]}"
    os.kill(first.pid, signal.SIGKILL)
    first.communicate()
    (item,) = Database(data_root).items("sb3_resume")
    killed_steps = list(pd.read_csv(item.progress_csv)["time-step"])
    assert killed_steps == list(range(N_STEPS, STALL_AT + 1, N_STEPS))  # rows after the 256-step zip were logged

    second = run_python(script, str(data_root), "0", str(TOTAL), env=env, timeout=180)
    assert second.returncode == 0, second.stderr[-2000:]

    assert [i.index for i in Database(data_root).items("sb3_resume")] == [item.index]
    expected = list(range(N_STEPS, TOTAL + 1, N_STEPS))
    assert list(pd.read_csv(item.progress_csv)["time-step"]) == expected
    assert [step for step, _ in read_scalars(item.tb_dir)["rollout/ep_rew_mean"]] == expected
    run = json.loads(item.run_json.read_text())
    assert run["status"] == "finished" and len(run["resumes"]) == 1
    assert run["resumes"][0]["previous_status"] in ("running", "killed")
    assert run["resumes"][0]["checkpoint_step"] == run["resumes"][0]["last_kept_step"] == 256
    assert json.loads(item.params_json.read_text())["sweep"] == "sb3_scan"
    assert sorted(p.name for p in item.checkpoint_dir.glob("*.zip"))[-1] == "rl_model_640_steps.zip"
