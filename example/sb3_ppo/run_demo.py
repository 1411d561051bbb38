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

    def train(lr_seed: tuple) -> None:
        lr, seed = lr_seed
        subprocess.run([sys.executable, os.path.join(HERE, "main.py"), "--learning_rate", str(lr),
                        "--seed", str(seed), "--total_timesteps", str(args.total_timesteps),
                        "--data_root", data_root], check=True)
        print(f"trained learning_rate={lr} seed={seed}", flush=True)

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        list(pool.map(train, [(lr, seed) for lr in LEARNING_RATES for seed in SEEDS]))
    print(f"figure: {plot(data_root)}")


def plot(data_root: str) -> str:
    """One figure of the runs grouped by learning rate; returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = os.path.join(data_root, f"{TASK_TABLE_NAME}_ep_rew_mean.png")
    try:
        from RLA.easy_plot.plot_func import plot_func
    except ImportError:
        plot_grouped_means(data_root, out)
        return out
    plot_func(data_root=data_root, task_table_name=TASK_TABLE_NAME, regs=[".*"],
              split_keys=["learning_rate"], metrics=["rollout/ep_rew_mean"])
    plt.gcf().savefig(out, dpi=120, bbox_inches="tight")
    return out


def plot_grouped_means(data_root: str, out: str) -> None:
    """Mean episode return per learning rate over the seeds (shaded: min to max)."""
    import matplotlib.pyplot as plt
    import pandas as pd

    from RLA.db import Database
    from RLA.db.records import read_json

    runs = []
    for item in Database(data_root).items(TASK_TABLE_NAME):
        params = read_json(item.path("log") / "params.json") or {}
        progress = pd.read_csv(item.path("log") / "progress.csv", usecols=["time-step", "rollout/ep_rew_mean"])
        runs.append(progress.assign(learning_rate=params.get("learning_rate"), run=item.name))
    curves = pd.concat(runs).groupby(["learning_rate", "time-step"])["rollout/ep_rew_mean"].agg(["mean", "min", "max"])
    figure, axis = plt.subplots(figsize=(6, 4))
    for lr, curve in curves.groupby(level="learning_rate"):
        steps = curve.index.get_level_values("time-step")
        axis.plot(steps, curve["mean"], label=f"learning_rate={lr}")
        axis.fill_between(steps, curve["min"], curve["max"], alpha=0.2)
    axis.set_xlabel("time-step")
    axis.set_ylabel("rollout/ep_rew_mean")
    axis.legend()
    figure.savefig(out, dpi=120, bbox_inches="tight")


if __name__ == "__main__":
    main()
