"""Sample-efficiency curves: an aggregate over runs × tasks (IQM, mean, median) at each x, with a
stratified-bootstrap band, as rliable draws them (Agarwal et al., 2021, figure 9).

Each group's runs on every task are resampled onto one x-grid (the steps, or the wall-clock time,
every run of the group reached), so that at each grid point the group's scores form a runs × tasks
array; the statistic of :data:`RLA.easy_plot.aggregate.METRICS` is taken at each point, and its
interval comes from resampling whole runs within each task: every point sees the same resamples,
so the band is as smooth as the curves, and its interval at each point equals rliable's
(``get_interval_estimates`` on that point's runs × tasks scores, the same seed).
"""
from __future__ import annotations

import os
import warnings
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from RLA import plot_axes
from RLA.easy_plot import aggregate
from RLA.easy_plot.grouping import (
    DEFAULT_X_NAME,
    SharedList,
    default_key_to_legend,
    group_runs,
    long_frame,
    run_points,
)
from RLA.easy_plot.loader import Reg, Run, csv_columns, load_runs, nothing_logged, warn_unknown_keys
from RLA.errors import NoDataError, UsageError

__all__ = ["CURVE_STATS", "aggregate_curves"]

#: the statistics a sample-efficiency curve may show (rliable's aggregate metrics)
CURVE_STATS = ("iqm", "mean", "median")
#: bootstrap resamples drawn at a time (bounds the memory of runs × tasks × points index arrays)
_CHUNK = 64


def _curve_interval(scores: np.ndarray, stat: Callable[[np.ndarray], np.ndarray], ci: float, n_bootstrap: int,
                    seed: Optional[int]) -> Tuple[np.ndarray, np.ndarray]:
    """The percentile interval of ``stat`` at each point of a runs × tasks × points array, whole runs
    resampled within each task: every point sees the same resamples, those of a runs × tasks array."""
    runs, tasks, points = scores.shape
    rng = aggregate.bootstrap_rng(seed)
    run_numbers = np.broadcast_to(np.arange(runs)[:, None], (runs, tasks))
    by_point = np.ascontiguousarray(np.moveaxis(scores, -1, 0))  # points × runs × tasks
    boot = np.empty((points, n_bootstrap))
    for start in range(0, n_bootstrap, _CHUNK):
        reps = min(_CHUNK, n_bootstrap - start)
        chosen = aggregate.stratified_bootstrap(run_numbers, reps, rng)  # reps × runs × tasks: which run
        # points × reps × runs × tasks, gathered whole (an index per value costs more than the statistic)
        boot[:, start:start + reps] = stat(by_point[:, chosen, np.arange(tasks)])
    return aggregate.interval(boot.T, ci)


def _ragged_curve(columns: Sequence[np.ndarray], stat: str, ci: float, n_bootstrap: int,
                  seed: Optional[int]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The statistic at each point of tasks with different numbers of runs (a runs × points array per
    task) and its interval, each task's whole runs resampled on their own: at each point, what
    :func:`RLA.easy_plot.aggregate.aggregate_metrics` gives those per-task scores (the same draws)."""
    draws = aggregate.stratified_draws([len(column) for column in columns], n_bootstrap,
                                       aggregate.bootstrap_rng(seed))
    boot = np.empty((n_bootstrap, columns[0].shape[-1]))
    for start in range(0, n_bootstrap, _CHUNK):
        chunk = slice(start, start + _CHUNK)
        resampled = [np.moveaxis(column[drawn[chunk]], 1, -1) for column, drawn in zip(columns, draws)]
        boot[chunk] = aggregate.ragged_metric(stat, resampled)  # reps × points, runs last
    low, high = aggregate.interval(boot, ci)
    return aggregate.ragged_metric(stat, [column.T for column in columns]), low, high


def aggregate_curves(data_root: Union[str, os.PathLike], task_table_names: Union[str, Sequence[str]],
                     regs: Optional[Sequence[Reg]], split_keys: Sequence[str], metric: str, stat: str = "iqm",
                     x: Optional[str] = None, x_key: str = DEFAULT_X_NAME,
                     normalize: Optional[Mapping[str, Tuple[float, float]]] = None, resample: int = 100,
                     xlim: Optional[Tuple[Optional[float], Optional[float]]] = None, smooth_step: float = 0.0,
                     smoothing: str = "ema", ci: float = 0.95, n_bootstrap: int = 2000, seed: Optional[int] = 0,
                     where: Optional[str] = None, selection: Optional[Mapping[str, Any]] = None,
                     items: Optional[Sequence[str]] = None, use_buf: bool = True,
                     key_to_legend_fn: Callable[..., str] = default_key_to_legend) -> Any:
    """The sample-efficiency curve of each group of ``split_keys`` over the tables
    ``task_table_names``: ``stat`` (``"iqm"``, ``"mean"`` or ``"median"``, as rliable's aggregate
    metrics) of the runs × tasks scores of ``metric`` at each x, with its stratified-bootstrap
    ``ci`` interval.

    A long DataFrame as :func:`RLA.easy_plot.plot_func.group_curves` gives, drawn by
    :func:`~RLA.easy_plot.plot_func.draw_curves`: ``metric``, ``legend``, the split keys, ``x``,
    the statistic (a column named ``stat``; ``attrs["center"]`` names it), ``ci_low``, ``ci_high``
    and ``n`` (the runs of each task); ``attrs["runs"]`` lists the runs behind each curve.

    ``x`` is an axis of :mod:`RLA.plot_axes` (``"step"``, wall-clock ``"seconds"`` ... ``"hours"``),
    else the column ``x_key``; ``normalize`` maps a table to ``(random, reference)`` scores, as
    :func:`RLA.easy_plot.scores.score_matrices` takes it. A group with as many runs on every table
    is rliable's runs × tasks array; one with different numbers (a crashed seed) has each table's
    runs resampled on their own, as :func:`RLA.easy_plot.results_table.results_table` does (``n``:
    the fewest runs of a table); a group without runs on some table is left out with a warning.
    The grid spans the x every run of the group reached (``resample`` points). ``selection`` holds
    other selection words of ``rla ls`` (:func:`RLA.easy_plot.loader.match_items`).
    """
    if stat not in CURVE_STATS:
        raise UsageError(f"stat must be one of {', '.join(CURVE_STATS)}; got {stat!r}")
    if not resample or resample < 2:
        raise UsageError(f"resample must be at least 2 grid points, got {resample!r}")
    tasks = [task_table_names] if isinstance(task_table_names, str) else list(task_table_names)
    axis = plot_axes.resolve(x, x_key)
    runs_of: Dict[str, List[Run]] = {
        task: load_runs(data_root, task, regs, [*axis.columns, metric], use_cache=use_buf, where=where,
                        items=items, selection=selection) for task in tasks}
    everyone = [run for runs in runs_of.values() for run in runs]
    warn_unknown_keys(everyone, split_keys, stacklevel=2)
    groups = group_runs(everyone, split_keys, by_reg=False)
    task_of = {id(run): task for task, runs in runs_of.items() for run in runs}
    parts: List[Tuple[Dict[str, str], np.ndarray, Dict[str, np.ndarray]]] = []
    run_rows: List[Dict[str, str]] = []
    missing: Dict[str, List[str]] = {}
    for key, members in groups.items():
        legend = key_to_legend_fn(dict(zip(split_keys, key)), list(split_keys), metric, False)
        curves = [(run, *run_points(run, axis, metric, xlim, None)) for run in members
                  if metric in run.columns and axis.source(run.columns) is not None]
        curves = [(run, x_values, y) for run, x_values, y in curves if len(y)]
        by_task = {task: [c for c in curves if task_of[id(c[0])] == task] for task in tasks}
        counts = {task: len(found) for task, found in by_task.items()}
        if not any(counts.values()):
            continue
        if not all(counts.values()):
            missing[legend] = [task for task, count in counts.items() if not count]
            continue
        grid = aggregate.common_grid([x_values for _, x_values, _ in curves], resample, "intersection")
        columns = []
        for task in tasks:
            resampled = aggregate.smooth_curve(
                aggregate.resample_points([(x_values, y) for _, x_values, y in by_task[task]], grid),
                smooth_step, smoothing)
            if normalize is not None and task in normalize:
                random_score, reference = normalize[task]
                resampled = (resampled - random_score) / (reference - random_score)
            columns.append(resampled)
        if len(set(counts.values())) == 1:
            scores = np.stack(columns, axis=1)  # runs × tasks × points
            function = aggregate.METRICS[stat]
            value = function(np.moveaxis(scores, -1, 0))
            low, high = _curve_interval(scores, function, ci, n_bootstrap, seed)
        else:  # each table's runs resampled on their own
            value, low, high = _ragged_curve(columns, stat, ci, n_bootstrap, seed)
        labels = {"metric": metric, "legend": legend, **dict(zip(split_keys, key))}
        parts.append((labels, grid, {stat: value, "ci_low": low, "ci_high": high,
                                     "n": np.full(len(grid), min(counts.values()))}))
        run_rows += [{**labels, "task": task_of[id(run)], "index": run.item.index} for run, _, _ in curves]
    if missing:
        warnings.warn(f"no curve for {len(missing)} group(s) without runs on some table "
                      f"({'; '.join(g + ': ' + ', '.join(t) for g, t in missing.items())})", RuntimeWarning,
                      stacklevel=2)
    if not parts:
        if metric not in csv_columns(everyone):  # a typo: the closest columns the runs logged
            raise NoDataError(nothing_logged(everyone, [metric]))
        raise NoDataError(f"no selected run of {tasks} logged {metric!r} with {' or '.join(axis.columns)}")
    data = long_frame(parts)
    data.attrs.update(runs=SharedList(run_rows), center=stat, tasks=tasks)  # shared, never deep-copied
    return data
