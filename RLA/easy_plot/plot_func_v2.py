"""The import path the README of earlier RLA releases used: ``from RLA.easy_plot.plot_func_v2 import plot_func``."""
from RLA.easy_plot.plot_func import DEFAULT_X_NAME, default_key_to_legend, plot_func

__all__ = ["DEFAULT_X_NAME", "default_key_to_legend", "plot_func"]
