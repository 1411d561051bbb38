"""Learning curves of the sweep `cartpole_lr`, one band per learning rate (plot_func)."""
import os

from RLA.easy_plot.plot_func import plot_func

here = os.path.dirname(os.path.abspath(__file__))
plot_func(os.path.join(here, "db"), "cartpole_reinforce", regs=None, split_keys=["lr"], metrics=["eval/return"],
          where='sweep == "cartpole_lr"', shaded_err=True, save_name="cartpole_lr")
