"""Scores of runs across tables: summary tables and the inputs of aggregate metrics.

``collect_scores`` reduces each run's curve to one number (final or best-k
average); ``summary_table`` groups those numbers; ``score_matrices`` shapes
them as runs × tasks arrays for :func:`RLA.easy_plot.aggregate.aggregate_metrics`
and :func:`~RLA.easy_plot.aggregate.performance_profiles`.
"""
from __future__ import annotations

import os
import warnings
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from RLA.db.layout import TIME_STEP_COLUMN
from RLA.easy_plot import aggregate
from RLA.easy_plot.loader import (
    Reg,
    csv_columns,
    load_matched,
    load_runs,
    match_items,
    nothing_logged,
    param_value,
    warn_unknown_keys,
)
from RLA.errors import NoDataError, UsageError

__all__ = ["SCORE_COLUMNS", "collect_scores", "score_records", "summary_table", "score_matrices"]

#: the columns of :func:`collect_scores` beside the split keys (which cannot take these names)
SCORE_COLUMNS = ("task", "index", "score")


def collect_scores(data_root: Union[str, os.PathLike], task_table_names: Union[str, Sequence[str]],
                   regs: Optional[Sequence[Reg]], split_keys: Sequence[str], metric: str,
                   score: str = "final", k: int = 1,
                   xlim: Optional[Tuple[Optional[float], Optional[float]]] = None,
                   scale: Optional[Callable[[np.ndarray], np.ndarray]] = None,
                   x_key: str = TIME_STEP_COLUMN, use_buf: bool = True, where: Optional[str] = None,
                   selection: Optional[Mapping[str, Any]] = None, items: Optional[Sequence[str]] = None) -> Any:
    """One row per run: ``task``, the split keys, ``index`` and its ``score`` of ``metric``
    (see :func:`RLA.easy_plot.aggregate.run_score`: ``"final"``, ``"best"`` or ``"auc"``).
    ``regs``, ``where``, ``items`` and ``selection`` (the other selection words of ``rla ls``)
    select the runs of each table as :func:`RLA.easy_plot.loader.match_items` does.

    Runs without the metric are left out, and so are runs whose metric has no
    finite value (an empty or header-only progress.csv, a diverged run logging NaN):
    they have no score, and a NaN would make every mean NaN and sort to the
    top of an IQM. One ``RuntimeWarning`` names the runs left out.
    """
    import pandas as pd

    return pd.DataFrame(score_records(data_root, task_table_names, regs, split_keys, metric, score, k, xlim, scale,
                                      x_key, use_buf, where, selection, items, stacklevel=3))


def score_records(data_root: Union[str, os.PathLike], task_table_names: Union[str, Sequence[str]],
                  regs: Optional[Sequence[Reg]], split_keys: Sequence[str], metric: str,
                  score: str = "final", k: int = 1,
                  xlim: Optional[Tuple[Optional[float], Optional[float]]] = None,
                  scale: Optional[Callable[[np.ndarray], np.ndarray]] = None,
                  x_key: str = TIME_STEP_COLUMN, use_buf: bool = True, where: Optional[str] = None,
                  selection: Optional[Mapping[str, Any]] = None, items: Optional[Sequence[str]] = None, *,
                  stacklevel: int = 2) -> List[Dict[str, Any]]:
    """The rows of :func:`collect_scores` as dicts, without pandas (its import alone is half of what
    ``rla table`` costs); ``stacklevel``: of the warnings, as :func:`warnings.warn` takes it."""
    tasks = [task_table_names] if isinstance(task_table_names, str) else list(task_table_names)
    clash = sorted(set(split_keys) & set(SCORE_COLUMNS))
    if clash:
        raise UsageError(f"cannot group by {', '.join(map(repr, clash))}: the scores' own columns are "
                         f"{', '.join(SCORE_COLUMNS)}; select by that parameter with -w instead")
    rows, no_score, loaded_runs = [], [], []
    for task in tasks:
        matched = match_items(data_root, task, regs, where, items, selection)
        if not matched:  # load_runs says why, with the closest table names
            load_runs(data_root, task, regs, [x_key, metric], where=where, items=items, selection=selection)
        runs = load_matched(data_root, matched, [x_key, metric], use_cache=use_buf,
                            archived=bool((selection or {}).get("archived")))
        loaded_runs += runs
        loaded = {run.item.index for run in runs}  # the others matched hold no row (load_runs leaves them out)
        no_score += [record.index for record, _ in matched
                     if record.index not in loaded and record.item.progress_csv.is_file()]
        for run in runs:
            if metric not in run.columns:
                continue
            y = run.columns[metric]
            x = None
            if x_key in run.columns:
                x, y = aggregate.filter_x(*run.xy(x_key, metric), xlim)
            if scale is not None:
                y = np.asarray(scale(y), dtype=np.float64)
            value = aggregate.run_score(y, score, k, x)
            if not np.isfinite(value):
                no_score.append(run.item.index)
                continue
            rows.append({"task": task, **{key: param_value(run.params, key) for key in split_keys},
                         "index": run.item.index, "score": value})
    if no_score:
        warnings.warn(f"{len(no_score)} run(s) left out of the scores: {metric!r} has no finite value in "
                      f"{', '.join(no_score)}", RuntimeWarning, stacklevel=stacklevel)
    warn_unknown_keys(loaded_runs, split_keys, stacklevel=stacklevel)
    if not rows:
        if metric not in csv_columns(loaded_runs):  # a typo: the closest columns the runs logged
            raise NoDataError(nothing_logged(loaded_runs, [metric]))
        raise NoDataError(f"no run of {tasks} logged a finite value of {metric!r}")
    return rows


def summary_table(data_root: Union[str, os.PathLike], task_table_names: Union[str, Sequence[str]],
                  regs: Optional[Sequence[Reg]], split_keys: Sequence[str], metric: str,
                  score: str = "final", k: int = 1, ci: float = 0.95, n_bootstrap: int = 1000,
                  **collect_kwargs: Any) -> Any:
    """Per task and group of ``split_keys``: the mean score over runs with std, stderr,
    bootstrap CI and the number of runs. Render it with
    :func:`RLA.easy_plot.aggregate.format_summary` (markdown or LaTeX)."""
    scores = collect_scores(data_root, task_table_names, regs, split_keys, metric, score, k, **collect_kwargs)
    return aggregate.summarize_scores(scores, ["task", *split_keys], ci=ci, n_bootstrap=n_bootstrap)


def score_matrices(scores: Any, by: Sequence[str],
                   normalize: Optional[Mapping[str, Tuple[float, float]]] = None) -> Dict[str, np.ndarray]:
    """``{group label: runs × tasks array}`` from :func:`collect_scores` rows.

    ``normalize`` maps a task to ``(random score, reference score)`` so that its
    scores become ``(score - random) / (reference - random)``. Every group needs
    the same number of runs on every task (as rliable requires).
    """
    tasks = sorted(scores["task"].unique())
    out = {}
    for key, group in scores.groupby(list(by), sort=True):
        key = key if isinstance(key, tuple) else (key,)
        label = " ".join(f"{name}={value}" for name, value in zip(by, key))
        columns = []
        for task in tasks:
            values = group.loc[group["task"] == task, "score"].to_numpy(dtype=np.float64)
            if normalize is not None and task in normalize:
                low, high = normalize[task]
                values = (values - low) / (high - low)
            columns.append(values)
        counts = {task: len(c) for task, c in zip(tasks, columns)}
        if len(set(counts.values())) != 1:
            raise UsageError(f"group {label!r} has different numbers of runs per task {counts}; aggregate "
                             "metrics need a runs × tasks array: select the same seeds on every task")
        out[label] = np.stack(columns, axis=1)
    return out
