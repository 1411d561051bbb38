"""Figures and tables from a database: grouped learning curves, summary tables and
rliable-style aggregate metrics. ``from RLA.easy_plot.plot_func import plot_func``
keeps working as in earlier releases."""
from RLA.easy_plot.plot_func import (
    default_key_to_legend,
    draw_curves,
    group_curves,
    plot_func,
    plot_performance_profile,
)

__all__ = ["default_key_to_legend", "draw_curves", "group_curves", "plot_func", "plot_performance_profile"]
