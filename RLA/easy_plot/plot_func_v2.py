"""RLA 0.6's ``plot_func_v2``: :func:`RLA.easy_plot.plot_func.plot_func` (which takes 0.6's keywords:
``hp_filter_dict``, ``x_bound``, ``pretty``, ``use_marker``, ``legend_ncol``, ...), drawn on pyplot as
0.6 did, so ``plt.savefig`` / ``plt.show()`` right after the call act on its figure.
"""
from typing import Any

from RLA.easy_plot.plot_func import DEFAULT_X_NAME, default_key_to_legend
from RLA.easy_plot.plot_func import plot_func as _plot_func

__all__ = ["DEFAULT_X_NAME", "default_key_to_legend", "plot_func"]


def plot_func(*args: Any, **kwargs: Any) -> Any:
    import matplotlib.pyplot  # noqa: F401  (the figure becomes pyplot's current figure)

    return _plot_func(*args, **kwargs)
