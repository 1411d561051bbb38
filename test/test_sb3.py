"""stable-baselines3 PPO on CartPole, logged into an RLA run through SB3's own logger hooks."""
from __future__ import annotations

import json

import matplotlib
import pandas as pd
import pytest

matplotlib.use("Agg")
pytest.importorskip("stable_baselines3")
import gymnasium as gym  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402
from conftest import REPO_ROOT, read_scalars, run_python  # noqa: E402
from stable_baselines3 import PPO  # noqa: E402
from stable_baselines3.common.callbacks import EveryNTimesteps  # noqa: E402
from stable_baselines3.common.evaluation import evaluate_policy  # noqa: E402
from stable_baselines3.common.logger import Figure, HParam, Video  # noqa: E402
from stable_baselines3.common.monitor import Monitor  # noqa: E402

from RLA.db import Database  # noqa: E402
from RLA.easy_log.tester import exp_manager  # noqa: E402
from RLA.integrations.sb3 import RLACheckpointCallback, RLAVideoCallback, latest_checkpoint, sb3_logger  # noqa: E402

CONFIG = {"LOG_USED": ["csv", "tensorboard"], "BACKUP_CONFIG": {"backup_code_dir": []}}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One PPO run of 2048 steps: checkpoints every 1024 steps, evaluation videos at 1024 and 2048,
    and a video, a figure and hyper-parameters recorded through SB3's logger before the first dump."""
    data_root = tmp_path_factory.mktemp("sb3") / "db"
    exp_manager.set_hyper_param(learning_rate=1e-3, seed=0)
    exp_manager.add_record_param(["learning_rate", "seed"])
    exp_manager.configure(task_table_name="sb3_ppo", rla_config=CONFIG, data_root=data_root,
                          code_root=str(data_root.parent))
    exp_manager.log_files_gen()
    model = PPO("MlpPolicy", "CartPole-v1", n_steps=256, batch_size=64, n_epochs=2,
                learning_rate=1e-3, seed=0, device="cpu")
    model.set_logger(sb3_logger())
    model.logger.record("hparams", HParam({"gamma": model.gamma}, {"rollout/ep_rew_mean": 0.0}))
    model.logger.record("debug/video", Video(torch.rand(1, 4, 3, 16, 16), fps=4))
    model.logger.record("debug/figure", Figure(plt.figure(), close=True))
    # as the README's snippet: CartPole rendered by gymnasium (pygame, of the video extra)
    video = EveryNTimesteps(n_steps=1024, callback=RLAVideoCallback(gym.make("CartPole-v1", render_mode="rgb_array"),
                                                                    max_steps=50))
    model.learn(2048, callback=[RLACheckpointCallback(save_freq=1024), video])
    item = exp_manager.item
    exp_manager.finish()
    return item


def test_sb3_keys_in_progress_csv_with_sb3_time_steps(trained):
    progress = pd.read_csv(trained.path("log") / "progress.csv")
    assert {"rollout/ep_rew_mean", "rollout/ep_len_mean", "train/loss", "train/entropy_loss",
            "time/fps", "time/iterations"} <= set(progress.columns)
    assert list(progress["time-step"]) == [256 * i for i in range(1, 9)]
    assert progress["train/loss"].notna().sum() == 7  # SB3 dumps an update's losses with the next rollout


def test_sb3_keys_in_tensorboard_keeping_sb3_excludes(trained):
    scalars = read_scalars(trained.path("log") / "tb")
    assert [step for step, _ in scalars["rollout/ep_rew_mean"]] == [256 * i for i in range(1, 9)]
    assert len(scalars["train/loss"]) == 7
    assert "time/iterations" not in scalars  # SB3 logs it with exclude="tensorboard"


def test_hparam_values_become_hyper_parameters(trained):
    params = json.loads((trained.path("log") / "params.json").read_text())
    assert params["gamma"] == pytest.approx(0.99)


def test_checkpoint_loads_back_into_ppo_and_evaluates(trained):
    names = sorted(p.name for p in trained.path("checkpoint").glob("*.zip"))
    assert names == ["rl_model_1024_steps.zip", "rl_model_2048_steps.zip"]
    path = latest_checkpoint(trained.path("checkpoint"))
    assert path is not None and path.name == "rl_model_2048_steps.zip"
    model = PPO.load(path, device="cpu")
    mean_reward, _ = evaluate_policy(model, Monitor(gym.make("CartPole-v1")), n_eval_episodes=2)
    assert mean_reward >= 8


def test_videos_and_figures_in_results(trained):
    videos = sorted(str(v.relative_to(trained.path("results"))) for v in trained.path("results").rglob("*.mp4"))
    assert videos == ["1024-eval.mp4", "2048-eval.mp4", "debug/256-video.mp4"]
    assert (trained.path("results") / "debug" / "figure_256.png").stat().st_size > 0


def test_example_trains_two_learning_rates_three_seeds_then_plots(tmp_path):
    demo = REPO_ROOT / "example" / "sb3_ppo" / "run_demo.py"
    run = run_python(demo, "--data_root", str(tmp_path / "db"), "--total_timesteps", "512", timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    items = Database(tmp_path / "db").items("sb3_ppo_cartpole")
    assert sorted(item.name.split("_&")[1] for item in items) == sorted(
        f"learning_rate={lr}&seed={seed}" for lr in ("0.0003", "0.003") for seed in (1, 2, 3))
    assert all(latest_checkpoint(item.path("checkpoint")).name == "rl_model_512_steps.zip" for item in items)
    figure = tmp_path / "db" / "results" / "easy_plot" / "sb3_ppo_cartpole.png"
    assert figure.stat().st_size > 0 and f"figure: {figure}" in run.stdout
    # TensorFlow, which SB3's TensorBoard writer imports when installed, keeps its start-up messages to itself
    assert "absl" not in run.stderr and "oneDNN" not in run.stderr and "cpu_feature_guard" not in run.stderr


def test_import_rla_loads_no_integration_library(write_script):
    script = write_script("""
        import sys
        import RLA
        from RLA.easy_log.tester import exp_manager
        heavy = {"stable_baselines3", "gymnasium", "omegaconf", "torch"} & {m.split(".")[0] for m in sys.modules}
        print(sorted(heavy))
    """)
    run = run_python(script)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
