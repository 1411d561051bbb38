"""Grouped learning curves from a database table, in one call.

``plot_func`` loads the runs of a table that match ``regs``, groups them by the
values of ``split_keys``, resamples every run onto a common x-grid, averages
each group with an uncertainty band, and returns the figure and the grouped
data (a long DataFrame: one row per metric × group × grid point). Nothing is
shown or saved unless asked (``save_name``), so it works the same in a
notebook and in a script.
"""
from __future__ import annotations

import os
import warnings
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from RLA import plot_axes
from RLA import plot_bands as band_registry
from RLA.easy_plot.figures import new_figure, plot_performance_profile
from RLA.easy_plot.grouping import (
    DEFAULT_X_NAME,
    SharedList,
    default_key_to_legend,
    group_curves,
)
from RLA.easy_plot.loader import (
    Reg,
    load_runs,
    plot_dir,
    warn_unknown_keys,
)
from RLA.easy_plot.plot_style import PlotStyle, hp_filter_items, save_formats, x_bound_to_xlim
from RLA.errors import NoDataError, UsageError

__all__ = ["DEFAULT_X_NAME", "default_key_to_legend", "group_curves", "curve_data", "draw_curves", "plot_func",
           "plot_performance_profile", "plot_res_func", "save_figure"]

def curve_data(data_root: Union[str, os.PathLike], task_table_name: str, regs: Optional[Sequence[Reg]],
               split_keys: Optional[Sequence[str]], metrics: Sequence[str], use_buf: bool = True,
               where: Optional[str] = None, items: Optional[Sequence[str]] = None, x_key: str = DEFAULT_X_NAME,
               hp_filter_dict: Optional[Mapping[str, Sequence[Any]]] = None, x: Optional[str] = None,
               **grouping: Any) -> Any:
    """Load the selected runs and group them (:func:`group_curves`): the numbers of
    :func:`plot_func`'s figure, also served by ``rla ui``. ``items`` keeps only these
    record dates; ``hp_filter_dict`` only the runs whose parameters have one of the listed
    values (:func:`RLA.easy_plot.plot_style.matches_hp_filter`); ``grouping`` are the other
    arguments of :func:`group_curves`."""
    if grouping.get("regs2legends") is not None and (regs is None or len(grouping["regs2legends"]) != len(regs)):
        raise UsageError(f"regs2legends needs one legend per reg: got {len(grouping['regs2legends'])} legends "
                         f"for {0 if regs is None else len(regs)} regs")
    if hp_filter_dict is not None:
        items = hp_filter_items(data_root, task_table_name, regs, hp_filter_dict, where, items)
        if not items:
            raise NoDataError(f"no item of table {task_table_name!r} selected by {regs} has parameters matching "
                              f"hp_filter_dict={dict(hp_filter_dict)}")
    axis = plot_axes.resolve(x, x_key)
    runs = load_runs(data_root, task_table_name, regs, [*axis.columns, *metrics], use_cache=use_buf, where=where,
                     items=items)
    warn_unknown_keys(runs, split_keys or (), stacklevel=3)
    return group_curves(runs, list(split_keys or ()), metrics, x_key=x_key, x=x, **grouping)


def draw_curves(data: Any, bands: Sequence[str] = ("std",), split_by_metrics: bool = True,
                xlabel: Optional[str] = DEFAULT_X_NAME, ylabel: Union[None, str, Sequence[str]] = None,
                ylim: Optional[Tuple[float, float]] = None, title: Optional[str] = None,
                legend_outside: bool = False, show_number: bool = False,
                colors: Optional[Sequence[Any]] = None, ncols: Optional[int] = None,
                figsize: Optional[Tuple[float, float]] = None, style: Optional[PlotStyle] = None) -> Any:
    """Draw the output of :func:`group_curves` (or of :func:`RLA.easy_plot.efficiency.aggregate_curves`):
    one subplot per metric (or all in one), the group mean (the column ``data.attrs["center"]``
    names, when set: an IQM) as a line and each of ``bands`` (std, stderr, range, ci) shaded;
    ``style`` sets markers, fonts, the legend layout and the subplot grid."""
    shaded = [band_registry.get(name) for name in bands]
    center = data.attrs.get("center", "mean")
    style = style or PlotStyle()
    metrics = list(data["metric"].unique())  # in order of appearance
    panels = metrics if split_by_metrics else [None]
    nrows, ncols = style.grid(len(panels), ncols)
    figure = new_figure(figsize or (5.0 * ncols, 3.8 * nrows))
    axes_list = figure.subplots(nrows, ncols, squeeze=False).ravel()
    for extra in axes_list[len(panels):]:
        figure.delaxes(extra)
    palette = style.palette(colors)
    legends = list(data["legend"].unique())
    color_of = {legend: palette[i % len(palette)] for i, legend in enumerate(legends)}
    index_of = {legend: i for i, legend in enumerate(legends)}
    ylabels = [ylabel] * len(panels) if ylabel is None or isinstance(ylabel, str) else list(ylabel)
    if len(ylabels) != len(panels):
        raise UsageError(f"ylabel has {len(ylabels)} labels for {len(panels)} subplots ({metrics}); "
                         "give one label per metric, or a single string")
    for i, (axes, panel) in enumerate(zip(axes_list, panels)):
        subset = data if panel is None else data[data["metric"] == panel]
        for (_, legend), curve in subset.groupby(["metric", "legend"], sort=False):
            color = color_of[legend]
            x = curve["x"].to_numpy()
            mean = curve[center].to_numpy()
            axes.plot(x, mean, color=color, label=legend, **style.line_kwargs(index_of[legend], len(x)))
            for k, band in enumerate(shaded):  # the first band shaded, the others outlined: they overlap
                low, high = band.bounds(curve, mean)
                if k == 0:
                    axes.fill_between(x, low, high, color=color, alpha=band.alpha, linewidth=0)
                else:
                    for bound in (low, high):
                        axes.plot(x, bound, color=color, linewidth=0.9, alpha=0.8,
                                  linestyle=_OUTLINES[(k - 1) % len(_OUTLINES)])
            if show_number and len(mean):
                axes.annotate(f"{mean[-1]:.3g}", xy=(x[-1], mean[-1]), color=color, fontsize=9,
                              xytext=(3, 0), textcoords="offset points", va="center")
        axes.set_xlabel(xlabel or "", fontsize=style.font("label"))
        axis_names = data.attrs.get("axis_names", {})
        axes.set_ylabel(ylabels[i] if ylabels[i] is not None else
                        ", ".join(axis_names.get(metric, metric) for metric in ([panel] if panel else metrics)),
                        fontsize=style.font("label"))
        if ylim is not None:
            axes.set_ylim(*ylim)
        axes.grid(True, alpha=0.3)
        style.style_axes(axes)
    first = axes_list[0]
    entries: Dict[str, Any] = {}  # every group once, even one missing from the first subplot
    for axes in axes_list[:len(panels)]:
        for handle, label in zip(*axes.get_legend_handles_labels()):
            entries.setdefault(label, handle)
    if len(shaded) > 1:  # which band is which
        entries.update(_band_entries(shaded))
    handles, labels, font = list(entries.values()), list(entries), style.font("legend")
    if style.skip_legend:
        pass
    elif legend_outside:
        figure.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False,
                      ncols=style.legend_ncol, fontsize=font)
    elif len(panels) > 1 and style.legend_ncol > 1:  # one legend row under all subplots, as RLA 0.6 drew it
        figure.legend(handles, labels, loc="outside lower center", ncols=style.legend_ncol, fontsize=font)
    else:
        first.legend(handles, labels, fontsize=font or 9, ncols=style.legend_ncol)
    if title:
        if len(panels) == 1:
            first.set_title(title, fontsize=style.font("title"))
        else:
            figure.suptitle(title, fontsize=style.font("title"))
    return figure


#: the line styles outlining the second, third, ... band of a figure
_OUTLINES: Tuple[Any, ...] = ("--", ":", "-.")


def _band_entries(shaded: Sequence[band_registry.Band]) -> Dict[str, Any]:
    """Legend entries saying which band is which: a grey patch for the shaded one, a grey outline for the others."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    entries: Dict[str, Any] = {shaded[0].label: Patch(facecolor="0.35", alpha=shaded[0].alpha * 2, linewidth=0)}
    for k, band in enumerate(shaded[1:]):
        entries[band.label] = Line2D([], [], color="0.35", linewidth=0.9, linestyle=_OUTLINES[k % len(_OUTLINES)])
    return entries


def save_figure(figure: Any, data_root: Union[str, os.PathLike], save_name: str) -> List[Path]:
    """Save ``figure`` as ``<data_root>/results/easy_plot/<save_name>``: png and pdf, or the one
    format its suffix names (``.svg``, ``.jpg``, ...; :func:`RLA.easy_plot.plot_style.save_formats`)."""
    relative, suffixes = save_formats(save_name)
    base = plot_dir(data_root) / relative
    base.parent.mkdir(parents=True, exist_ok=True)
    paths = [base.with_name(base.name + suffix) for suffix in suffixes]
    for path in paths:
        figure.savefig(path, dpi=150, bbox_inches="tight")
    return paths


def plot_func(data_root: Union[str, os.PathLike], task_table_name: Union[str, Sequence[str]],
              regs: Optional[Sequence[Reg]], split_keys: Optional[Sequence[str]], metrics: Sequence[str],
              use_buf: bool = True, verbose: bool = False,
              xlim: Optional[Tuple[Optional[float], Optional[float]]] = None,
              xlabel: Optional[str] = DEFAULT_X_NAME, ylabel: Union[None, str, Sequence[str]] = None,
              scale_dict: Optional[Mapping[str, Callable[[np.ndarray], np.ndarray]]] = None,
              regs2legends: Optional[Sequence[str]] = None,
              key_to_legend_fn: Callable[..., str] = default_key_to_legend, split_by_metrics: bool = True,
              save_name: Optional[str] = None, shaded_std: bool = True, shaded_err: bool = False,
              shaded_range: bool = False, shaded_ci: bool = False, ci: float = 0.95, n_bootstrap: int = 1000,
              resample: Optional[int] = 512, x_range: str = "intersection", smooth_step: float = 0.0,
              smoothing: str = "ema", ylim: Optional[Tuple[float, float]] = None, title: Optional[str] = None,
              legend_outside: bool = False, show_number: bool = False, colors: Optional[Sequence[Any]] = None,
              x_key: str = DEFAULT_X_NAME, figsize: Optional[Tuple[float, float]] = None,
              min_run_fraction: Optional[float] = None, where: Optional[str] = None,
              items: Optional[Sequence[str]] = None, hp_filter_dict: Optional[Mapping[str, Sequence[Any]]] = None,
              x_bound: Union[None, float, Tuple[Optional[float], Optional[float]]] = None, pretty: bool = False,
              use_marker: bool = False, markers: Optional[Sequence[str]] = None, legend_ncol: int = 1,
              skip_legend: bool = False, log: bool = False, tiling: str = "symmetric",
              ncols: Optional[int] = None, x: Optional[str] = None, aggregate: Optional[str] = None,
              normalize: Optional[Mapping[str, Tuple[float, float]]] = None) -> Tuple[Any, Any]:
    """Plot ``metrics`` of the runs of ``task_table_name`` matching ``regs``, one curve per
    group of ``split_keys`` values; return ``(figure, data)``.

    - ``regs``: globs matched against record dates ``YYYY/MM/DD/<name>`` by the rule
      of ``rla ls``: ``*`` stops at ``/`` and a date folder selects its items
      (``"2024/05/01/*"``, ``"2024/05"``, ``"*lr=0.01*"``); a compiled regex is
      searched in the record date; ``None`` for all runs.
    - ``where``: a parameter expression as ``rla ls -w`` (``"lr == 0.01 and seed < 3"``).
    - ``items``: only these record dates (a selection made in ``rla ui``).
    - ``regs2legends``: one curve per reg, with these legends, instead of split_keys
      (which may then be ``None``).
    - ``hp_filter_dict``: keep the runs whose parameters take one of the listed values
      (``{"lr": [0.01, 0.1]}``; a run without the key is kept, as in RLA 0.6).
    - ``xlim=(low, high)`` filters the logged points (``x_bound=high`` or ``(low, high)``,
      RLA 0.6's name, too); ``ylim`` sets the axes.
    - ``resample``: grid points per curve (0/None: the logged x values);
      ``x_range``: ``"intersection"`` (steps all runs reached) or ``"union"``.
    - ``min_run_fraction``: leave out (with a warning) the runs that reached less
      than this fraction of their group's median last x; by default every run is
      kept, with a warning naming a run that cuts its group's intersection range
      below half of the group's median.
    - ``smooth_step``: smoothing over that many grid points, ``smoothing`` ``"ema"``
      or ``"window"``; each run is smoothed before averaging.
    - bands: ``shaded_std`` (sample std), ``shaded_err`` (standard error),
      ``shaded_range`` (min-max), ``shaded_ci`` (bootstrap ``ci`` interval of the mean).
    - the look (:class:`RLA.easy_plot.plot_style.PlotStyle`): ``pretty`` (RLA 0.6's paper
      style), ``use_marker``/``markers``, ``legend_ncol``, ``skip_legend``, ``log`` (log y axes),
      ``tiling``/``ncols`` (the subplot grid; 3 columns by default); ``ylabel`` may list one
      label per metric.
    - ``save_name``: also save under ``<data_root>/results/easy_plot/``, png and pdf, or the one
      format its suffix names (``.svg``, ``.jpg``, ...); the paths are in ``data.attrs["saved"]``.
    - ``use_buf``: use the per-run column cache; ``verbose``: print how many runs
      each group has.
    - ``x``: the x axis by name (:mod:`RLA.plot_axes`): ``"step"``, or the wall-clock
      ``"seconds"``, ``"minutes"``, ``"hours"`` since each run's first row (``x_key``: any
      logged column instead).
    - ``aggregate``: ``"iqm"``, ``"mean"`` or ``"median"``: sample-efficiency curves, the
      statistic over runs × tasks at each x with its stratified-bootstrap ``ci`` band, as rliable
      draws them (:func:`RLA.easy_plot.efficiency.aggregate_curves`); ``task_table_name`` may then
      list several tables, and ``normalize`` maps a table to its ``(random, reference)`` scores.

    When pyplot is imported (a notebook, a script calling ``plt.show()``) the
    figure is a pyplot figure: close it with ``plt.close(figure)`` when done.
    """
    style = PlotStyle(pretty=pretty, use_marker=use_marker, markers=markers, legend_ncol=legend_ncol,
                      skip_legend=skip_legend, log=log, tiling=tiling)
    if x is not None and xlabel == DEFAULT_X_NAME:
        xlabel = plot_axes.get(x).label
    if aggregate is not None:  # the name of the statistic here, not the module
        data = _aggregate_curve_data(data_root, task_table_name, regs, split_keys, metrics, aggregate,
                                     x=x, x_key=x_key, normalize=normalize, resample=resample or 100,
                                     xlim=x_bound_to_xlim(x_bound, xlim), smooth_step=smooth_step, smoothing=smoothing,
                                     ci=ci, n_bootstrap=n_bootstrap, where=where, items=items, use_buf=use_buf,
                                     key_to_legend_fn=key_to_legend_fn)
        shaded_std, shaded_err, shaded_range, shaded_ci = False, False, False, True
        if ylabel is None:  # "IQM of normalized eval/return"
            from RLA.easy_plot.results_table import STAT_NAMES

            labels = [f"{STAT_NAMES.get(aggregate, aggregate)} of {'normalized ' if normalize else ''}{metric}"
                      for metric in metrics]
            ylabel = labels if split_by_metrics else ", ".join(labels)
    else:
        if not isinstance(task_table_name, str):
            raise UsageError(f"plot_func draws the runs of one table; for {list(task_table_name)} pass "
                             "aggregate='iqm' (a sample-efficiency curve over the tables)")
        data = curve_data(data_root, task_table_name, regs, split_keys, metrics, use_buf=use_buf, where=where,
                          items=items, x_key=x_key, x=x, hp_filter_dict=hp_filter_dict,
                          xlim=x_bound_to_xlim(x_bound, xlim), scale_dict=scale_dict, regs2legends=regs2legends,
                          key_to_legend_fn=key_to_legend_fn, split_by_metrics=split_by_metrics, resample=resample,
                          x_range=x_range, smooth_step=smooth_step, smoothing=smoothing, ci=ci if shaded_ci else None,
                          n_bootstrap=n_bootstrap, min_run_fraction=min_run_fraction)
    if verbose:
        counts = Counter((row["metric"], row["legend"]) for row in data.attrs["runs"])
        for (metric, legend), count in counts.items():
            print(f"plot_func: {metric} | {legend}: {count} runs")
    bands = band_registry.from_flags(shaded_std=shaded_std, shaded_err=shaded_err, shaded_range=shaded_range,
                                     shaded_ci=shaded_ci)
    drawn = list(data["metric"].unique())
    if len(drawn) < len(metrics):  # as RLA 0.6: draw what the runs have, each label with its metric
        warnings.warn(f"no selected run logged {data.attrs['absent']}: drawing {', '.join(drawn)}", UserWarning,
                      stacklevel=2)
        if ylabel is not None and not isinstance(ylabel, str) and len(ylabel) == len(metrics):
            ylabel = [label for metric, label in zip(metrics, ylabel) if metric in drawn]
    figure = draw_curves(data, bands, split_by_metrics=split_by_metrics, xlabel=xlabel, ylabel=ylabel, ylim=ylim,
                         title=title, legend_outside=legend_outside, show_number=show_number, colors=colors,
                         figsize=figsize, style=style, ncols=ncols)
    data.attrs["saved"] = save_figure(figure, data_root, save_name) if save_name else []
    return figure, data


def _aggregate_curve_data(data_root: Union[str, os.PathLike], tasks: Union[str, Sequence[str]],
                          regs: Optional[Sequence[Reg]], split_keys: Optional[Sequence[str]], metrics: Sequence[str],
                          stat: str, **options: Any) -> Any:
    """The sample-efficiency curves of every metric, in one long frame."""
    import pandas as pd

    from RLA.easy_plot.efficiency import aggregate_curves

    frames = [aggregate_curves(data_root, tasks, regs, list(split_keys or ()), metric, stat, **options)
              for metric in metrics]
    data = pd.concat(frames, ignore_index=True)
    data.attrs = {"center": stat, "runs": SharedList(row for frame in frames for row in frame.attrs["runs"]),
                  "tasks": frames[0].attrs["tasks"]}
    return data


def plot_res_func(prefix_dir: Union[str, os.PathLike], regs: Sequence[Reg], param_keys: Sequence[str],
                  value_keys: Sequence[str], *args: Any, **kwargs: Any) -> Any:
    """RLA 0.6's first plotting function: ``prefix_dir`` is a table's log folder
    (``<data_root>/log/<task>``) and the rest as :func:`plot_func` takes it."""
    warnings.warn("plot_res_func is RLA 0.6's; call plot_func(data_root, task, regs, split_keys, metrics, ...)",
                  DeprecationWarning, stacklevel=2)
    table = Path(prefix_dir).resolve()
    if table.parent.name != "log":
        raise UsageError(f"plot_res_func needs a table's log folder, <data_root>/log/<task>; got {prefix_dir}")
    return plot_func(table.parent.parent, table.name, [r.lstrip("/") if isinstance(r, str) else r for r in regs],
                     param_keys, value_keys, *args, **kwargs)
