"""RLA 0.6's baselines-style plotting utilities: replaced by :func:`RLA.easy_plot.plot_func.plot_func`."""
from RLA.easy_plot.plot_style import PRETTY_COLORS, PRETTY_MARKERS
from RLA.replaced import replaced

__all__ = ["PRETTY_COLORS", "PRETTY_MARKERS", "smooth", "one_sided_ema", "symmetric_ema", "load_results",
           "plot_results"]

_SMOOTH = "pass smooth_step= and smoothing= to plot_func (each run is smoothed, then the runs are grouped)"
smooth = replaced("RLA.easy_plot.plot_util.smooth", _SMOOTH)
one_sided_ema = replaced("RLA.easy_plot.plot_util.one_sided_ema", _SMOOTH)
symmetric_ema = replaced("RLA.easy_plot.plot_util.symmetric_ema", _SMOOTH)
load_results = replaced("RLA.easy_plot.plot_util.load_results",
                        "use RLA.easy_plot.loader.load_runs(data_root, task, regs, columns)")
plot_results = replaced("RLA.easy_plot.plot_util.plot_results",
                        "use plot_func(data_root, task, regs, split_keys, metrics, ...)")
