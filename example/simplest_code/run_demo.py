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
    """One call: the runs grouped by learning rate, mean ± std over seeds, saved as png and pdf."""
    import numpy as np

    from RLA import plot_func

    _, data = plot_func(data_root, "demo_task", regs=None, split_keys=["lr"],
                        metrics=["eval/neg_log_mse", "train/loss"], scale_dict={"train/loss": np.log10},
                        ylabel=["-log eval/mse (higher is better)", "log10 train/loss"], smooth_step=4,
                        shaded_std=True, title="MLP on a noisy sine: 2 learning rates x 2 seeds",
                        save_name="demo_task_lr")
    for path in data.attrs["saved"]:
        print(f"figure: {path}")


if __name__ == "__main__":
    main()
