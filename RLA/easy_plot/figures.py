"""Figures that no global pyplot state keeps alive, and the performance-profile figure."""
from __future__ import annotations

import sys
from typing import Any, Mapping, Optional, Sequence, Tuple

import numpy as np

__all__ = ["new_figure", "plot_performance_profile"]


def new_figure(figsize: Tuple[float, float]) -> Any:
    """A pyplot figure when pyplot is in use (notebooks, ``plt.show()``), else a standalone
    Agg-rendered Figure that no global state keeps alive."""
    if "matplotlib.pyplot" in sys.modules:
        return sys.modules["matplotlib.pyplot"].figure(figsize=figsize, layout="constrained")
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def plot_performance_profile(profiles: Mapping[str, Mapping[str, np.ndarray]], taus: Sequence[float],
                             xlabel: str = r"normalized score $\tau$",
                             ylabel: str = r"fraction of runs with score $> \tau$",
                             colors: Optional[Sequence[Any]] = None, figsize: Tuple[float, float] = (5.0, 3.8)) -> Any:
    """Draw the output of :func:`RLA.easy_plot.aggregate.performance_profiles`: one
    line per algorithm with its confidence band."""
    figure = new_figure(figsize)
    axes = figure.add_subplot()
    palette = list(colors) if colors is not None else [f"C{i}" for i in range(10)]
    for i, (algorithm, profile) in enumerate(profiles.items()):
        color = palette[i % len(palette)]
        axes.plot(taus, profile["profile"], color=color, label=algorithm)
        axes.fill_between(taus, profile["low"], profile["high"], color=color, alpha=0.2, linewidth=0)
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_ylim(0, 1.02)
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=9)
    return figure
