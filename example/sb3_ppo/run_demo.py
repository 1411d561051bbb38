"""PPO on CartPole: 2 learning rates x 3 seeds, then the grouped learning curves.

    python run_demo.py --data_root ../../demo_data [--total_timesteps 10000] [--jobs 2]
"""
import argparse
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
TASK_TABLE_NAME = "sb3_ppo_cartpole"
LEARNING_RATES = (3e-4, 3e-3)
SEEDS = (1, 2, 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data_root", default=os.path.join(HERE, "..", "..", "demo_data"))
    parser.add_argument("--total_timesteps", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=2, help="runs trained at the same time")
    args = parser.parse_args()
    data_root = os.path.abspath(args.data_root)

    # SB3's TensorBoard writer (torch.utils.tensorboard) imports TensorFlow when it is installed: its
    # start-up messages would be most of the demo's output
    quiet = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_ENABLE_ONEDNN_OPTS": "0"}

    def train(lr_seed: tuple) -> None:
        lr, seed = lr_seed
        subprocess.run([sys.executable, os.path.join(HERE, "main.py"), "--learning_rate", str(lr),
                        "--seed", str(seed), "--total_timesteps", str(args.total_timesteps),
                        "--data_root", data_root], check=True, env=quiet)
        print(f"trained learning_rate={lr} seed={seed}", flush=True)

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        list(pool.map(train, [(lr, seed) for lr in LEARNING_RATES for seed in SEEDS]))
    print(f"figure: {plot(data_root)}")


def plot(data_root: str) -> str:
    """One call: the runs grouped by learning rate, mean ± std over seeds; returns the png's path."""
    from RLA import plot_func

    _, data = plot_func(data_root, TASK_TABLE_NAME, regs=None, split_keys=["learning_rate"],
                        metrics=["rollout/ep_rew_mean"], shaded_std=True, save_name="sb3_ppo_cartpole")
    return next(path for path in data.attrs["saved"] if str(path).endswith(".png"))


if __name__ == "__main__":
    main()
