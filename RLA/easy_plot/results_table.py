"""The table of final results RL papers report, computed from the database in one call.

One row per group of runs (the values of the split keys), one column per task
(a statistic of the runs' scores with its bootstrap interval and the number of
runs) and, over several tasks, the aggregate that rliable computes on the runs ×
tasks scores (IQM, mean or median; and the optimality gap of normalized scores),
with stratified-bootstrap intervals (Agarwal et al., 2021). ``versus`` adds the
probability of improvement P(X > Y) of every pair of groups. A column's best
entry is marked ``bold`` only where its interval does not overlap the
runner-up's. Every interval equals rliable's for the same seed and number of
resamples (:func:`RLA.easy_plot.aggregate.bootstrap_rng`).

:func:`results_table` computes; :mod:`RLA.easy_plot.table_format` renders
(markdown, LaTeX, csv, JSON); :mod:`RLA.easy_plot.table_record` writes a table
with what it was made from and makes it again.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import math
import os
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from RLA.db.layout import Database
from RLA.db.records import read_json
from RLA.easy_plot import aggregate
from RLA.easy_plot.grouping import natural_key
from RLA.easy_plot.scores import score_records
from RLA.errors import UsageError

__all__ = ["TABLE_STATS", "KEY_PREFIX", "STAT_NAMES", "TableSpec", "ResultsTable", "results_table", "cell_statistic",
           "parse_normalize"]

#: the statistic of each cell and of the aggregate over tasks
TABLE_STATS = ("iqm", "mean", "median")
#: the columns of :attr:`ResultsTable.cells` holding the split keys' values: ``params.<key>``
KEY_PREFIX = "params."
#: how a statistic is written in a table
STAT_NAMES = {"iqm": "IQM", "mean": "Mean", "median": "Median", "optimality_gap": "Optimality gap"}


def _median_over_runs(scores: np.ndarray) -> np.ndarray:
    return np.median(scores[..., 0], axis=-1)


#: a statistic over the runs of one task (a runs × 1 array, leading axes: resamples); the mean and
#: the IQM are rliable's aggregate metrics on that array, the median is over runs (rliable's
#: aggregate median is over tasks, of the task means)
_CELL_FUNCTIONS: Dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "iqm": aggregate.aggregate_iqm, "mean": aggregate.aggregate_mean, "median": _median_over_runs}


@dataclass
class TableSpec:
    """What a results table is made from, the database aside: kept with the table so that it can
    be made again from a newer state of the database (``rla table --again``).

    ``score`` reduces each run's curve of ``metric`` to a number (``final``/``best``: the mean of
    the last/best ``last`` points; ``auc``: the average over training); ``stat`` is the statistic
    of each cell and of the aggregate over tasks; ``normalize`` maps a task to its
    ``(random, reference)`` scores; ``selection`` holds the selection words of ``rla ls``
    (:class:`RLA.db.select.ItemFilter` fields but the task: ``pattern``, ``where``, ``status``, ...).
    """

    tasks: List[str]
    split_keys: List[str]
    metric: str
    score: str = "final"
    last: int = 1
    stat: str = "iqm"
    normalize: Dict[str, Tuple[float, float]] = field(default_factory=dict)
    selection: Dict[str, Any] = field(default_factory=dict)
    versus: bool = False
    ci: float = 0.95
    n_bootstrap: int = 2000
    seed: int = 0

    def __post_init__(self) -> None:
        if self.stat not in TABLE_STATS:
            raise UsageError(f"stat must be one of {', '.join(TABLE_STATS)}; got {self.stat!r}")
        if not self.tasks:
            raise UsageError("name at least one table (task) for the results table")
        for name in ("last", "n_bootstrap"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise UsageError(f"{name} must be a whole number of at least 1, got {value!r}")
        if not isinstance(self.ci, (int, float)) or not 0 < self.ci < 1:
            raise UsageError(f"ci must be between 0 and 1, got {self.ci!r}")
        unknown = sorted(set(self.normalize) - set(self.tasks))
        if unknown:
            raise UsageError(f"normalize names tables that are not in the table: {unknown}; tables: {self.tasks}")
        for task, (low, high) in self.normalize.items():
            if not np.isfinite([low, high]).all() or low == high:
                raise UsageError(f"normalize {task}={low}:{high}: give two different finite scores, "
                                 "random (0 after normalizing) and reference (1)")

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready: tuples as lists, times of the selection as ISO text."""
        data = dataclasses.asdict(self)
        data["normalize"] = {task: list(bounds) for task, bounds in self.normalize.items()}
        data["selection"] = {key: (value.isoformat() if isinstance(value, _dt.datetime) else
                                   list(value) if isinstance(value, tuple) else value)
                             for key, value in self.selection.items() if value not in (None, (), [], False)}
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "TableSpec":
        """The spec :meth:`to_dict` wrote (unknown keys refused, naming the known ones)."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UsageError(f"a table spec with unknown keys {unknown}; known: {sorted(known)}")
        values = dict(data)
        try:
            values["normalize"] = {task: (float(low), float(high))
                                   for task, (low, high) in dict(values.get("normalize") or {}).items()}
            values["selection"] = {key: tuple(value) if isinstance(value, list) else value
                                   for key, value in dict(values.get("selection") or {}).items()}
            return cls(**values)
        except UsageError:
            raise
        except (TypeError, ValueError) as error:  # a spec edited by hand
            raise UsageError(f"a table spec that cannot be read ({error}): {dict(data)!r:.200}") from None


@dataclass
class ResultsTable:
    """A computed results table.

    ``cells``: one row per group and column (``group``, ``params.<key>`` for each split key (a
    parameter may be named ``n`` or ``value``), ``column``, ``kind``
    ``"task"`` or ``"aggregate"``, ``value``, ``low``, ``high``, ``n`` runs, ``bold``), groups and
    columns in the order of :attr:`groups` and :attr:`columns`. ``versus``: P(X > Y) of every
    ordered pair of groups (``x``, ``y``, ``probability``, ``low``, ``high``) when asked for.
    ``scores``: every run's score (:func:`RLA.easy_plot.scores.collect_scores`, normalized).
    ``commits``: the code commit of the runs (from their run.json) and how many runs ran it.

    These three are pandas DataFrames made on first use from :attr:`cell_records`,
    :attr:`versus_records` and :attr:`score_records`, their rows as dicts, which the renderers
    read: ``rla table`` prints a table without importing pandas (half of what the command cost).
    """

    spec: TableSpec
    data_root: str
    cell_records: List[Dict[str, Any]]
    versus_records: Optional[List[Dict[str, Any]]]
    score_records: List[Dict[str, Any]]
    groups: List[str]
    columns: List[str]
    commits: Dict[str, int]
    made: str

    @functools.cached_property
    def cells(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.cell_records)

    @functools.cached_property
    def versus(self) -> Any:
        import pandas as pd

        if self.versus_records is None:
            return None
        return pd.DataFrame(self.versus_records, columns=list(aggregate.IMPROVEMENT_COLUMNS))

    @functools.cached_property
    def scores(self) -> Any:
        import pandas as pd

        return pd.DataFrame(self.score_records)

    def cell(self, group: str, column: str) -> Dict[str, Any]:
        """The row of :attr:`cells` of one group and column, as a dict."""
        found = self.cells[(self.cells["group"] == group) & (self.cells["column"] == column)]
        if found.empty:
            raise UsageError(f"no cell ({group!r}, {column!r}); groups: {self.groups}; columns: {self.columns}")
        return dict(found.iloc[0])


def parse_normalize(words: Sequence[str]) -> Dict[str, Tuple[float, float]]:
    """``["hopper=0:3500", ...]`` (``TASK=RANDOM:REFERENCE``) -> ``{"hopper": (0.0, 3500.0)}``."""
    out: Dict[str, Tuple[float, float]] = {}
    for word in words:
        task, equals, bounds = word.rpartition("=")
        low, colon, high = bounds.partition(":")
        try:
            if not (equals and colon and task):
                raise ValueError
            out[task] = (float(low), float(high))
        except ValueError:
            raise UsageError(f"--normalize {word!r}: write TASK=RANDOM:REFERENCE, e.g. hopper=0:3500 "
                             "(the random and the reference score of that table)") from None
    return out


def cell_statistic(values: np.ndarray, stat: str, ci: float = 0.95, n_bootstrap: int = 2000,
                   seed: Optional[int] = 0) -> Tuple[float, float, float]:
    """``stat`` of one task's run scores with its bootstrap percentile interval: ``(value, low, high)``.
    The runs are resampled as rliable resamples a runs × 1 array (the same draws for a seed)."""
    scores = np.asarray(values, dtype=np.float64).reshape(-1, 1)
    function = _CELL_FUNCTIONS[stat]
    boot = function(aggregate.stratified_bootstrap(scores, n_bootstrap, aggregate.bootstrap_rng(seed)))
    low, high = aggregate.interval(boot, ci)
    return float(function(scores)), float(low), float(high)


def _group_label(values: Sequence[str], split_keys: Sequence[str]) -> str:
    """A run's group label, ``"lr=0.01 algo=ppo"`` (``"all runs"`` without split keys)."""
    if not split_keys:
        return "all runs"
    return " ".join(f"{key}={value}" for key, value in zip(split_keys, values))


def _mark_best(cells: List[Dict[str, Any]]) -> None:
    """``bold`` on a column's best value when its interval lies clear of the runner-up's
    (lower is better for the optimality gap), both from two runs or more: the interval of a
    single run (or of one run per task) is that run, which clears anything and says nothing."""
    by_column: Dict[str, List[Dict[str, Any]]] = {}
    for cell in cells:
        cell["bold"] = False
        by_column.setdefault(cell["column"], []).append(cell)
    for column, rows in by_column.items():
        rows = [row for row in rows if math.isfinite(row["value"])]
        if len(rows) < 2:
            continue
        lower_better = column == STAT_NAMES["optimality_gap"]
        # stable: of equal values, the first group ranks first
        best, runner_up = sorted(rows, key=lambda row: row["value"], reverse=not lower_better)[:2]
        if min(best["n"], runner_up["n"]) < 2:
            continue
        separated = best["high"] < runner_up["low"] if lower_better else best["low"] > runner_up["high"]
        if separated:
            best["bold"] = True


def _commits(data_root: Union[str, os.PathLike], indices: Sequence[str], archived: bool) -> Dict[str, int]:
    """The code commit each run recorded (``unknown`` without one; ``+dirty`` with uncommitted changes)."""
    database = Database(data_root)
    counts: Counter = Counter()
    for index in indices:
        run = read_json(database.item_from_index(index, archived).run_json) or {}
        git = run.get("git") if isinstance(run.get("git"), dict) else None
        commit = str(git.get("commit")) if git and git.get("commit") else "unknown"
        counts[commit + ("+dirty" if git and git.get("dirty") else "")] += 1
    return dict(counts.most_common())


def results_table(data_root: Union[str, os.PathLike], spec: TableSpec, use_buf: bool = True) -> ResultsTable:
    """The results table ``spec`` describes, from the database as it is now (see the module doc).

    A group with as many runs on every task is the runs × tasks array of rliable (the same numbers);
    one with different numbers of runs per task (a crashed seed) has each task's runs resampled on
    their own (:func:`RLA.easy_plot.aggregate.aggregate_metrics`); a group without runs on some task
    gets no aggregate (NaN), a warning, and no place in the P(X > Y) matrix. Runs without a finite
    score are left out with a warning (:func:`RLA.easy_plot.scores.collect_scores`)."""
    scores = score_records(data_root, spec.tasks, None, spec.split_keys, spec.metric, score=spec.score,
                           k=spec.last, use_buf=use_buf, selection=spec.selection)
    by_cell_lists: Dict[Tuple[str, str], List[float]] = {}
    keys_of: Dict[str, Dict[str, Any]] = {}
    for row in scores:
        if row["task"] in spec.normalize:
            random_score, reference = spec.normalize[row["task"]]
            row["score"] = (row["score"] - random_score) / (reference - random_score)
        key_values = [row[key] for key in spec.split_keys]
        row["group"] = _group_label(key_values, spec.split_keys)
        by_cell_lists.setdefault((row["group"], row["task"]), []).append(row["score"])
        keys_of[row["group"]] = {KEY_PREFIX + key: value for key, value in zip(spec.split_keys, key_values)}
    group_order = sorted(keys_of, key=lambda group: tuple(natural_key(v) for v in keys_of[group].values()))
    # over one task the aggregate is that task's column again: only the optimality gap adds to it
    aggregates = ([spec.stat] if len(spec.tasks) > 1 else []) + \
        (["optimality_gap"] if set(spec.normalize) == set(spec.tasks) else [])
    columns = list(spec.tasks) + [STAT_NAMES[name] for name in aggregates]
    by_cell = {key: np.asarray(values, dtype=np.float64) for key, values in by_cell_lists.items()}
    empty = np.empty(0)
    rows: List[Dict[str, Any]] = []
    matrices: Dict[str, Any] = {}  # a runs × tasks array, or one array of runs per task
    missing: Dict[str, List[str]] = {}
    for group in group_order:
        by_task = {task: by_cell.get((group, task), empty) for task in spec.tasks}
        for task, values in by_task.items():
            value, low, high = (cell_statistic(values, spec.stat, spec.ci, spec.n_bootstrap, spec.seed)
                                if values.size else (np.nan, np.nan, np.nan))
            rows.append({"group": group, **keys_of[group], "column": task, "kind": "task", "value": value,
                         "low": low, "high": high, "n": int(values.size)})
        counts = {task: int(values.size) for task, values in by_task.items()}
        if len(set(counts.values())) == 1:
            matrices[group] = np.stack(list(by_task.values()), axis=1)
        elif min(counts.values()) > 0:  # each task's runs resampled on their own
            matrices[group] = list(by_task.values())
        else:
            missing[group] = [task for task, count in counts.items() if not count]
    metrics = aggregate.aggregate_metric_records(matrices, aggregates, spec.ci, spec.n_bootstrap, spec.seed) \
        if matrices and aggregates else {}
    for group in group_order:
        found = metrics.get(group, {})
        for name in aggregates:
            rows.append({"group": group, **keys_of[group], "column": STAT_NAMES[name], "kind": "aggregate",
                         "value": found.get(name, np.nan), "low": found.get(f"{name}_low", np.nan),
                         "high": found.get(f"{name}_high", np.nan),
                         "n": min(by_cell.get((group, task), empty).size for task in spec.tasks)})
    order = {name: i for i, name in enumerate(group_order)}
    rows.sort(key=lambda row: order[row["group"]])  # each group's cells together, tasks then aggregates
    if missing:
        warnings.warn(f"no aggregate over tasks for {len(missing)} group(s) without runs on some task "
                      f"({'; '.join(g + ': ' + ', '.join(t) for g, t in missing.items())})", RuntimeWarning,
                      stacklevel=2)
    _mark_best(rows)
    versus = None
    if spec.versus:
        if len(matrices) < 2:
            raise UsageError(f"--versus compares groups: {len(matrices)} group(s) have runs on every task "
                             f"({', '.join(matrices) or 'none'}); split the runs with -k into groups")
        versus = aggregate.improvement_records(matrices, spec.ci, spec.n_bootstrap, spec.seed)
    made = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    commits = _commits(data_root, [row["index"] for row in scores], bool(spec.selection.get("archived")))
    return ResultsTable(spec, os.path.abspath(data_root), rows, versus, scores, group_order, columns, commits, made)
