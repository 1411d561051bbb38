"""How long runs took: wall-clock time and steps per second of each run and each group.

A run's wall time is the span of its rows' wall-clock times (``wall_time``, or
``timestamp`` in runs of RLA 0.6): from its first logged row to its last, so a
resumed run counts the time it was down. Runs logged before rows carried their
time have none (NaN) and are not counted in their group's times.
"""
from __future__ import annotations

import os
from typing import Any, List, Mapping, NamedTuple, Optional, Sequence, Union

import numpy as np

from RLA import plot_axes
from RLA.db.layout import TIME_STEP_COLUMN, WALL_TIME_COLUMNS
from RLA.easy_plot.loader import Reg, load_runs, param_value
from RLA.errors import NoDataError

__all__ = ["Runtime", "runtime_table"]


class Runtime(NamedTuple):
    """``runs``: one row per run (``task``, the split keys, ``index``, ``rows``, ``steps``,
    ``seconds``, ``steps_per_second``); ``groups``: one row per task and group (``runs``, ``timed``:
    the runs with a wall time, ``mean_seconds``, ``total_seconds``, ``mean_steps_per_second``)."""

    runs: Any
    groups: Any


def _span(values: Any) -> float:
    """Last minus first finite value; NaN without two."""
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    return float(finite[-1] - finite[0]) if finite.size >= 2 else float("nan")


def runtime_table(data_root: Union[str, os.PathLike], task_table_names: Union[str, Sequence[str]],
                  regs: Optional[Sequence[Reg]], split_keys: Sequence[str], where: Optional[str] = None,
                  selection: Optional[Mapping[str, Any]] = None, items: Optional[Sequence[str]] = None,
                  use_buf: bool = True) -> Runtime:
    """The wall time and speed of the selected runs of each table, per run and per group of
    ``split_keys`` (see :class:`Runtime`); runs are selected as
    :func:`RLA.easy_plot.loader.match_items` selects them."""
    import pandas as pd

    tasks = [task_table_names] if isinstance(task_table_names, str) else list(task_table_names)
    seconds_axis = plot_axes.get("seconds")
    rows: List[dict] = []
    for task in tasks:
        for run in load_runs(data_root, task, regs, [TIME_STEP_COLUMN, *WALL_TIME_COLUMNS], use_cache=use_buf,
                             where=where, items=items, selection=selection):
            steps = _span(run.columns[TIME_STEP_COLUMN]) if TIME_STEP_COLUMN in run.columns else float("nan")
            wall = seconds_axis.values(run.columns)
            seconds = _span(wall) if wall is not None else float("nan")
            speed = steps / seconds if np.isfinite(seconds) and seconds > 0 else float("nan")
            rows.append({"task": task, **{key: param_value(run.params, key) for key in split_keys},
                         "index": run.item.index, "rows": len(next(iter(run.columns.values()))),
                         "steps": steps, "seconds": seconds, "steps_per_second": speed})
    if not rows:
        raise NoDataError(f"no selected run of {tasks} has a progress.csv with rows")
    runs = pd.DataFrame(rows)
    by = ["task", *split_keys]
    groups = runs.groupby(by, sort=False).agg(
        runs=("index", "size"), timed=("seconds", "count"), mean_seconds=("seconds", "mean"),
        total_seconds=("seconds", lambda seconds: seconds.sum(min_count=1)),  # NaN, not 0, without a timed run
        mean_steps_per_second=("steps_per_second", "mean")).reset_index()
    return Runtime(runs, groups)
