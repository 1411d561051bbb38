"""`make demo`: REINFORCE on CartPole-v1 (main.py), 2 learning rates x 3 seeds as one sweep, then the
grouped learning curves. Run it again and it runs nothing: the sweep's trials are finished (a trial
killed midway, by Ctrl-C say, continues its own item from its last checkpoint)."""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = "cartpole_reinforce"
SWEEP = "demo"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data_root", default=os.path.join(HERE, "..", "..", "demo_data"))
    args = parser.parse_args()
    data_root = os.path.abspath(args.data_root)
    from RLA.sweep import run_sweep, sweep_status

    try:
        launched = run_sweep(SWEEP, [sys.executable, os.path.join(HERE, "main.py"), "--data_root", data_root],
                             data_root, grid=[("lr", [0.002, 0.02]), ("seed", [0, 1, 2])], jobs=2, cwd=HERE)
    except KeyboardInterrupt:  # the trials got the Ctrl-C too, and recorded themselves killed
        sys.exit("interrupted: the unfinished trials are recorded as killed; make demo again continues them")
    if not launched:
        print(f"sweep {SWEEP!r}: every trial is finished already; nothing to train (figure drawn again)")
    for trial in sweep_status(data_root, SWEEP):
        started = (trial.item or "-/-").split("/", 1)[1].split("_", 1)[0]  # YYYY/MM/DD/HH-MM-SS-ffffff
        print(f"{trial.trial.label():<18} {trial.status:<9} {trial.last_time_step} steps, run {started}")
    plot(data_root)
    rla = os.path.join(os.path.dirname(os.path.abspath(sys.executable)), "rla")
    print(f"list the runs:  {rla} ls -d {data_root} -t {TABLE}")
    print(f"browse them:    {rla} ui -d {data_root}")


def plot(data_root: str) -> None:
    """One call: the sweep's runs grouped by learning rate, mean and standard error over the seeds."""
    from RLA import plot_func

    _, data = plot_func(data_root, TABLE, regs=None, split_keys=["lr"], metrics=["eval/return"],
                        where=f'sweep == "{SWEEP}"', resample=200, smooth_step=8, shaded_std=False,
                        shaded_err=True, show_number=True, ylabel="episode return", xlabel="environment steps",
                        title="REINFORCE on CartPole-v1: mean ± standard error of 3 seeds", figsize=(6.4, 4.2),
                        save_name="demo_cartpole_lr")
    for path in data.attrs["saved"]:
        print(f"figure: {path}")


if __name__ == "__main__":
    main()
