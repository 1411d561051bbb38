"""The README's demo: 2 learning rates x 2 seeds of main.py, then one grouped figure."""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data_root", default=os.path.join(HERE, "..", "..", "demo_data"))
    args = parser.parse_args()
    for lr in (1e-3, 1e-2):
        for seed in (1, 2):
            subprocess.run([sys.executable, os.path.join(HERE, "main.py"), "--lr", str(lr),
                            "--seed", str(seed), "--data_root", args.data_root], check=True)
    plot(args.data_root)


def plot(data_root: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from RLA.db import Database
    from RLA.db.records import read_json

    figure, axis = plt.subplots(figsize=(6, 4))
    for item in Database(data_root).items("demo_task"):
        params = read_json(item.path("log") / "params.json") or {}
        progress = pd.read_csv(item.path("log") / "progress.csv")
        axis.plot(progress["time-step"], progress["eval/mse"], label=f"lr={params.get('lr')} seed={params.get('seed')}")
    axis.set_xlabel("time-step")
    axis.set_ylabel("eval/mse")
    axis.set_yscale("log")
    axis.legend()
    out = os.path.join(data_root, "demo_task_eval_mse.png")
    figure.savefig(out, dpi=120, bbox_inches="tight")
    print(f"figure: {out}")


if __name__ == "__main__":
    main()
