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
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from RLA import plot_axes
from RLA.easy_plot import aggregate
from RLA.easy_plot.loader import Reg, Run, load_runs
from RLA.easy_plot.plot_func import DEFAULT_X_NAME, default_key_to_legend, group_runs, long_frame, run_points
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
    runs, tasks, _ = scores.shape
    rng = aggregate.bootstrap_rng(seed)
    run_numbers = np.broadcast_to(np.arange(runs)[:, None], (runs, tasks))
    boot = np.empty((n_bootstrap, scores.shape[-1]))
    for start in range(0, n_bootstrap, _CHUNK):
        reps = min(_CHUNK, n_bootstrap - start)
        chosen = aggregate.stratified_bootstrap(run_numbers, reps, rng)  # reps × runs × tasks: which run
        resampled = np.take_along_axis(scores[None], chosen[..., None], axis=1)  # reps × runs × tasks × points
        boot[start:start + reps] = stat(np.moveaxis(resampled, -1, 1))
    return aggregate.interval(boot, ci)


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
    :func:`RLA.easy_plot.scores.score_matrices` takes it. Every group needs the same number of
    runs on every table (a runs × tasks array, as rliable requires); the grid spans the x every
    run of the group reached (``resample`` points). ``selection`` holds other selection words of
    ``rla ls`` (:func:`RLA.easy_plot.loader.match_items`).
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
    groups = group_runs(everyone, split_keys, by_reg=False)
    task_of = {id(run): task for task, runs in runs_of.items() for run in runs}
    parts: List[Tuple[Dict[str, str], np.ndarray, Dict[str, np.ndarray]]] = []
    run_rows: List[Dict[str, str]] = []
    for key, members in groups.items():
        legend = key_to_legend_fn(dict(zip(split_keys, key)), list(split_keys), metric, False)
        curves = [(run, *run_points(run, axis, metric, xlim, None)) for run in members
                  if metric in run.columns and axis.source(run.columns) is not None]
        curves = [(run, x_values, y) for run, x_values, y in curves if len(y)]
        by_task = {task: [c for c in curves if task_of[id(c[0])] == task] for task in tasks}
        counts = {task: len(found) for task, found in by_task.items()}
        if not any(counts.values()):
            continue
        if len(set(counts.values())) != 1:
            raise UsageError(f"group {legend!r} has different numbers of runs per table {counts}; an aggregate "
                             "over runs × tasks needs the same number on every table: select the same seeds")
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
        scores = np.stack(columns, axis=1)  # runs × tasks × points
        function = aggregate.METRICS[stat]
        value = function(np.moveaxis(scores, -1, 0))
        low, high = _curve_interval(scores, function, ci, n_bootstrap, seed)
        labels = {"metric": metric, "legend": legend, **dict(zip(split_keys, key))}
        parts.append((labels, grid, {stat: value, "ci_low": low, "ci_high": high,
                                     "n": np.full(len(grid), scores.shape[0])}))
        run_rows += [{**labels, "task": task_of[id(run)], "index": run.item.index} for run, _, _ in curves]
    if not parts:
        raise NoDataError(f"no selected run of {tasks} logged {metric!r} with {' or '.join(axis.columns)}")
    data = long_frame(parts)
    data.attrs.update(runs=run_rows, center=stat, tasks=tasks)
    return data
