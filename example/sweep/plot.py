"""Learning curves of the sweep `cartpole_lr`: mean return over the seeds of each learning rate, with its
standard error, smoothed (plot_func); saved under db/results/easy_plot/cartpole_lr.png."""
import os

from RLA.easy_plot.plot_func import plot_func

here = os.path.dirname(os.path.abspath(__file__))
_, data = plot_func(os.path.join(here, "db"), "cartpole_reinforce", regs=None, split_keys=["lr"],
                    metrics=["eval/return"], where='sweep == "cartpole_lr"', resample=200, smooth_step=8,
                    shaded_std=False, shaded_err=True, show_number=True, ylabel="episode return",
                    xlabel="environment steps", title="REINFORCE on CartPole-v1: mean and standard error of 3 seeds",
                    figsize=(6.4, 4.2), save_name="cartpole_lr")
print("figure:", data.attrs["saved"][0])
