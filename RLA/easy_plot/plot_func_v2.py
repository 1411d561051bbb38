"""RLA 0.6's ``plot_func_v2``: :func:`RLA.easy_plot.plot_func.plot_func`, drawn on pyplot as 0.6 did, so
``plt.savefig`` / ``plt.show()`` right after the call act on its figure.

``x_bound`` (0.6: drop the points beyond this time-step) is ``xlim=(None, x_bound)``.
"""
from typing import Any, Optional

from RLA.easy_plot.plot_func import DEFAULT_X_NAME, default_key_to_legend
from RLA.easy_plot.plot_func import plot_func as _plot_func

__all__ = ["DEFAULT_X_NAME", "default_key_to_legend", "plot_func"]


def plot_func(*args: Any, x_bound: Optional[float] = None, **kwargs: Any) -> Any:
    import matplotlib.pyplot  # noqa: F401  (the figure becomes pyplot's current figure)

    if x_bound is not None:
        kwargs["xlim"] = (None, x_bound)
    return _plot_func(*args, **kwargs)
