"""Episode statistics of real gymnasium envs, logged into an RLA run from a custom loop."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

gym = pytest.importorskip("gymnasium")

from RLA.easy_log import logger  # noqa: E402
from RLA.easy_log.tester import exp_manager  # noqa: E402
from RLA.integrations.gym import log_episode_statistics, record_episode_statistics  # noqa: E402

CONFIG = {"LOG_USED": ["csv"], "BACKUP_CONFIG": {"backup_code_dir": []}}


def start_run(data_root, tmp_path):
    exp_manager.configure(task_table_name="gym", rla_config=CONFIG, data_root=data_root, code_root=str(tmp_path))
    exp_manager.log_files_gen()


def test_custom_loop_logs_episode_return_and_length(data_root, tmp_path):
    start_run(data_root, tmp_path)
    env = record_episode_statistics(gym.make("CartPole-v1"), buffer_length=5)
    assert record_episode_statistics(env) is env
    env.reset(seed=0)
    env.action_space.seed(0)
    returns, episode_return = [], 0.0
    for t in range(300):
        exp_manager.time_step_holder.set_time(t)
        _, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        episode_return += reward
        if terminated or truncated:
            returns.append(episode_return)
            episode_return = 0.0
            env.reset()
        if t % 50 == 49:
            log_episode_statistics(env)
            logger.record_tabular("t", t)
            logger.dump_tabular()
    exp_manager.finish()

    progress = pd.read_csv(exp_manager.item.path("log") / "progress.csv")
    last = progress.iloc[-1]
    assert last["episode/count"] == len(returns)
    # CartPole pays 1 per step, so an episode's return is its length
    assert last["episode/return_mean"] == pytest.approx(np.mean(returns[-5:]))
    assert last["episode/length_mean"] == pytest.approx(np.mean(returns[-5:]))


def test_vector_env_and_no_episode_yet():
    envs = record_episode_statistics(gym.make_vec("CartPole-v1", num_envs=2, vectorization_mode="sync"))
    envs.reset(seed=1)
    assert log_episode_statistics(envs) is None
    for _ in range(200):
        envs.step(envs.action_space.sample())
    stats = log_episode_statistics(envs, prefix="train/")
    assert stats is not None and stats["count"] >= 2 and stats["return_mean"] > 0
    assert set(logger.getkvs()) == {"train/return_mean", "train/return_std", "train/length_mean", "train/count"}


def test_unwrapped_env_says_how_to_fix():
    with pytest.raises(ValueError, match="record_episode_statistics"):
        log_episode_statistics(gym.make("CartPole-v1"))
