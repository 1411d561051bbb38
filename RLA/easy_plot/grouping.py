"""Runs grouped into curves: the numbers a learning-curve figure draws.

``group_curves`` groups runs by the values of split keys, puts each run's points on
the chosen x axis, resamples a group's runs onto a common grid and takes the
group's statistics; the sample-efficiency curves and the figures of
:mod:`RLA.easy_plot.plot_func` build on the same pieces.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from RLA import plot_axes
from RLA.db.layout import TIME_STEP_COLUMN
from RLA.easy_plot import aggregate
from RLA.easy_plot.column_cache import CachedColumns
from RLA.easy_plot.loader import Run, csv_columns, nothing_logged, param_value
from RLA.errors import NoDataError, UsageError
from RLA.plot_axes import XAxis
from RLA.words import did_you_mean

__all__ = ["DEFAULT_X_NAME", "SharedList", "default_key_to_legend", "natural_key", "group_runs", "run_points",
           "long_frame", "group_curves"]

DEFAULT_X_NAME = TIME_STEP_COLUMN
#: with x_range="intersection", warn when a run reaches less than this fraction of its group's median reach
SHORT_RUN_WARN_FRACTION = 0.5


def default_key_to_legend(parse_dict: Mapping[str, str], split_keys: Sequence[str], y_name: str,
                          use_y_name: bool = True) -> str:
    """``"lr=0.01 seed=1"``, followed by ``" eval:<metric>"`` when metrics share one axes."""
    legend = " ".join(f"{k}={parse_dict[k]}" for k in split_keys)
    if use_y_name:
        return f"{legend} eval:{y_name}" if legend else y_name
    return legend or "all runs"


def natural_key(value: str) -> Tuple[int, Any]:
    """Sort numbers numerically and before text."""
    try:
        return (0, float(value))
    except ValueError:
        return (1, value)


def group_runs(runs: Sequence[Run], split_keys: Sequence[str],
               by_reg: bool) -> Dict[Tuple[str, ...], List[Run]]:
    """Runs by the values of ``split_keys`` (or by the reg they matched), in natural order."""
    groups: Dict[Tuple[str, ...], List[Run]] = {}
    for run in runs:
        key = (str(run.reg_index),) if by_reg else tuple(param_value(run.params, k) for k in split_keys)
        groups.setdefault(key, []).append(run)
    return {key: groups[key] for key in sorted(groups, key=lambda k: tuple(natural_key(v) for v in k))}


#: a run with its (x, y) points of one metric
_RunPoints = Tuple[Run, aggregate.XValues, np.ndarray]


def run_points(run: Run, axis: XAxis, metric: str, xlim: Optional[Tuple[Optional[float], Optional[float]]],
               scale: Optional[Callable[[np.ndarray], np.ndarray]]) -> Tuple[aggregate.XValues, np.ndarray]:
    """The run's logged (x, y) points of ``metric`` inside ``xlim``, scaled, without empty cells
    (a metric logged every k-th row leaves NaN in the others). x stays a regular time-step
    (:class:`~RLA.easy_plot.aggregate.RegularSteps`, known from the column cache without reading
    it) when every point is kept."""
    columns = run.columns
    if axis.seconds is not None:  # wall-clock time since the run's first row
        y = columns[metric]
        x = axis.values(columns)
        rows = min(len(x), len(y))
        x, y = aggregate.filter_x(x[:rows], y[:rows], xlim)
        if scale is not None:
            y = np.asarray(scale(y), dtype=np.float64)
        return aggregate.finite_xy(x, y)
    x_key = axis.columns[0]
    steps = None
    if isinstance(columns, CachedColumns) and xlim is None:
        y = columns[metric]  # first: a cache file found rewritten is renewed here, x's layout with it
        steps = columns.regular(x_key)
    if steps is not None and steps.rows == len(y):
        if scale is None and isinstance(columns, CachedColumns) and columns.finite(metric):
            return steps, y
        x = steps.values()
    else:
        x, y = aggregate.filter_x(*run.xy(x_key, metric), xlim)
    if scale is not None:
        y = np.asarray(scale(y), dtype=np.float64)
    return aggregate.finite_xy(x, y)


def _last_xs(curves: Sequence[Any], indices: Sequence[int]) -> str:
    """``<index> (last x=...)`` of each of the curves ``indices``, for a warning."""
    return ", ".join(f"{curves[i][0].item.index} (last x={aggregate.x_span(curves[i][1])[1]:g})" for i in indices)


def _short_runs(curves: Sequence[_RunPoints], fraction: float) -> List[int]:
    """Positions of the curves whose reach (last x minus the group's first x) is below
    ``fraction`` of the group's median reach."""
    spans = [aggregate.x_span(x) for _, x, _ in curves]
    first = min(low for low, _ in spans)
    reach = np.array([high - first for _, high in spans])
    median = float(np.median(reach))
    return [i for i, r in enumerate(reach) if r < fraction * median]


def _check_short_runs(curves: List[_RunPoints], where: str, x_range: str,
                      min_run_fraction: Optional[float]) -> List[_RunPoints]:
    """Leave out the runs far shorter than their group (``min_run_fraction``), or warn when
    such runs cut the group's intersection x-range; the other runs are returned."""
    if len(curves) < 2:
        return curves
    ends = [aggregate.x_span(x)[1] for _, x, _ in curves]
    median_end = float(np.median(ends))
    if min_run_fraction is not None:
        short = _short_runs(curves, min_run_fraction)
        if short:
            names = _last_xs(curves, short)
            warnings.warn(f"{where}: left out {len(short)} of {len(curves)} runs that reached less than "
                          f"min_run_fraction={min_run_fraction:g} of the group's median (x={median_end:g}): {names}",
                          RuntimeWarning, stacklevel=3)
            curves = [c for i, c in enumerate(curves) if i not in short]
    if x_range == "intersection":
        short = _short_runs(curves, SHORT_RUN_WARN_FRACTION)
        if short:
            names = _last_xs(curves, short)
            high = min(aggregate.x_span(x)[1] for _, x, _ in curves)
            warnings.warn(f"{where}: x_range='intersection' ends the curve at x={high:g}, far below the group's "
                          f"median last x={median_end:g}, because of {names}; pass min_run_fraction (e.g. 0.5) "
                          "to leave such runs out, or x_range='union'", RuntimeWarning, stacklevel=3)
    return curves


class SharedList(list):
    """A list in ``DataFrame.attrs`` that frames derived from it share: pandas deep-copies attrs
    on every column access and selection, which for a thousand runs costs more than the plot."""

    def __deepcopy__(self, memo: Dict[int, Any]) -> "SharedList":
        return self


def long_frame(parts: Sequence[Tuple[Dict[str, str], np.ndarray, Dict[str, np.ndarray]]]) -> Any:
    """One long DataFrame of every group's curve: its labels repeated on each of its grid points,
    the grid as ``x``, and its statistics (built at once: a frame per group costs more than the numbers)."""
    import pandas as pd

    lengths = [len(grid) for _, grid, _ in parts]
    columns: Dict[str, Any] = {
        name: [value for (labels, _, _), length in zip(parts, lengths) for value in [labels[name]] * length]
        for name in parts[0][0]}
    columns["x"] = np.concatenate([grid for _, grid, _ in parts])
    columns.update((stat, np.concatenate([stats[stat] for _, _, stats in parts])) for stat in parts[0][2])
    return pd.DataFrame(columns)


def group_curves(runs: Sequence[Run], split_keys: Sequence[str], metrics: Sequence[str],
                 x_key: str = DEFAULT_X_NAME, xlim: Optional[Tuple[Optional[float], Optional[float]]] = None,
                 scale_dict: Optional[Mapping[str, Callable[[np.ndarray], np.ndarray]]] = None,
                 regs2legends: Optional[Sequence[str]] = None,
                 key_to_legend_fn: Callable[..., str] = default_key_to_legend, split_by_metrics: bool = True,
                 resample: Optional[int] = 512, x_range: str = "intersection", smooth_step: float = 0.0,
                 smoothing: str = "ema", ci: Optional[float] = None, n_bootstrap: int = 1000,
                 seed: Optional[int] = 0, min_run_fraction: Optional[float] = None, run_curves: int = 0,
                 x: Optional[str] = None) -> Any:
    """The grouped curves behind a figure, as a long DataFrame.

    ``x`` names an axis of :mod:`RLA.plot_axes` (``"step"``, or wall-clock ``"seconds"``,
    ``"minutes"``, ``"hours"`` since each run's first row); without it the x values are the
    column ``x_key`` as logged.

    Columns: ``metric``, ``legend``, one per split key (or ``reg`` in
    regs2legends mode), ``x``, ``mean``, ``std``, ``stderr``, ``min``, ``max``,
    ``n`` (runs present at that x) and, with ``ci``, ``ci_low``/``ci_high``;
    ``attrs["runs"]`` lists the runs behind each curve. ``xlim`` keeps only the
    logged points inside it; ``scale_dict`` maps a metric's values (e.g.
    ``{"loss": np.log}``); each run is smoothed on the grid before the group
    statistics are taken.

    A run of a group that reached less than half of the group's median last x
    (a crashed run) would cut the whole group's curve with
    ``x_range="intersection"``: a ``RuntimeWarning`` names such runs.
    ``min_run_fraction`` (e.g. ``0.5``) leaves out, with a warning, every run
    that reached less than that fraction of its group's median (measured from
    the group's first x); ``None`` (default) keeps every run.

    ``run_curves`` keeps up to that many of each group's runs, smoothed on the
    group's grid, in ``attrs["run_curves"]`` (``metric``, ``legend``, ``index``,
    ``y``): the thin per-run lines of ``rla ui``.
    """
    if min_run_fraction is not None and not 0 < min_run_fraction <= 1:
        raise UsageError(f"min_run_fraction must be in (0, 1], got {min_run_fraction}")
    scale_dict = scale_dict or {}
    axis = plot_axes.resolve(x, x_key)
    _warn_without_axis(runs, axis)
    by_reg = regs2legends is not None
    key_names = ["reg"] if by_reg else list(split_keys)
    groups = group_runs(runs, split_keys, by_reg)
    parts, run_rows, kept_curves = [], [], []
    for metric in metrics:
        for key, members in groups.items():
            if regs2legends is not None:
                legend = regs2legends[int(key[0])]
            else:
                legend = key_to_legend_fn(dict(zip(split_keys, key)), list(split_keys), metric, not split_by_metrics)
            labels = {"metric": metric, "legend": legend, **dict(zip(key_names, key))}
            curves = [(run, *run_points(run, axis, metric, xlim, scale_dict.get(metric)))
                      for run in members if metric in run.columns and axis.source(run.columns) is not None]
            curves = [(run, x, y) for run, x, y in curves if len(y)]
            if not curves:
                continue
            curves = _check_short_runs(curves, f"{metric} | {legend}", x_range, min_run_fraction)
            grid = aggregate.common_grid([x for _, x, _ in curves], resample, x_range)
            resampled = aggregate.smooth_curve(aggregate.resample_points([(x, y) for _, x, y in curves], grid),
                                               smooth_step, smoothing)
            parts.append((labels, grid, aggregate.curve_stats(resampled, ci, n_bootstrap, seed)))
            run_rows += [{**labels, "index": run.item.index} for run, _, _ in curves]
            kept_curves += [{"metric": metric, "legend": legend, "index": run.item.index, "y": y}
                            for (run, _, _), y in zip(curves[:run_curves], resampled)]
            del curves  # the next group's columns are read while this name is still bound: one group at a time
    if not parts:
        raise NoDataError(nothing_logged(runs, [*metrics, *axis.columns]))
    data = long_frame(parts)
    absent = [metric for metric in metrics if metric not in {labels["metric"] for labels, _, _ in parts}]
    if absent:  # the metrics drawn are said by the data; the others, with the closest names the runs logged
        present = csv_columns(runs)
        data.attrs["absent"] = "; ".join(f"{metric!r}{did_you_mean(metric, present)}" for metric in absent)
    data.attrs["axis_names"] = {metric: _scaled_name(metric, scale_dict[metric]) for metric in scale_dict}
    data.attrs["runs"] = SharedList(run_rows)
    data.attrs["run_curves"] = SharedList(kept_curves)
    return data


def _scaled_name(metric: str, scale: Callable[..., Any]) -> str:
    """What an axis of ``metric`` scaled by ``scale`` shows: ``log10(train/loss)``, or ``train/loss (scaled)``
    for a function without a name (a lambda)."""
    name = getattr(scale, "__name__", "")
    return f"{name}({metric})" if name.isidentifier() else f"{metric} (scaled)"


def _warn_without_axis(runs: Sequence[Run], axis: XAxis) -> None:
    """Say which runs have no wall-clock time (logged before rows carried it) when the x axis is one."""
    if axis.seconds is None:
        return
    missing = [run.item.index for run in runs if axis.source(run.columns) is None]
    if missing:
        warnings.warn(f"{len(missing)} of {len(runs)} runs have no wall-clock time (no "
                      f"{' or '.join(map(repr, axis.columns))} column: logged before rows carried it) and are left "
                      f"out of the x axis {axis.name!r}: {', '.join(missing[:3])}{' ...' if len(missing) > 3 else ''}",
                      RuntimeWarning, stacklevel=3)
