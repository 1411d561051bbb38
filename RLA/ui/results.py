"""The Results page: the numbers RL papers report, computed by :mod:`RLA.easy_plot`, never here.

A request names the selection (filter box and ticked rows), the tables
(tasks), the metric, the grouping keys, how a run's curve becomes a score and
the statistic. Each panel is its own request, so the page draws the table
while the curves and the importance are still being computed.
"""
from __future__ import annotations

import json
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from RLA import plot_axes
from RLA.db.query import ItemRecord
from RLA.errors import UsageError
from RLA.ui import arguments
from RLA.ui.curves import REPEAT_KEYS
from RLA.ui.metric_names import metrics_of
from RLA.ui.selection import parse_filter, select_records

__all__ = ["ResultsRequest", "options", "table", "versus", "table_file", "curves", "importance"]

#: points of a sample-efficiency curve
CURVE_POINTS = 200


def _varying(records: Sequence[ItemRecord]) -> List[str]:
    """The parameters that take more than one value among the records (a constant one groups nothing)."""
    values: Dict[str, set] = {}
    for record in records:
        for key, value in record.params.items():
            values.setdefault(key, set()).add(repr(value))
    return sorted(key for key, seen in values.items() if len(seen) > 1 or
                  any(key not in r.params for r in records))


def options(data_root: Path, text: str, indices: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """What the controls offer for a selection: its tables, metrics and the parameters that vary
    (the tracked ones but seeds suggested as the grouping: :data:`RLA.ui.curves.REPEAT_KEYS`)."""
    records = select_records(data_root, text, indices)
    if not records:
        raise UsageError("no run is selected: widen the filter or tick some rows on the Runs page")
    tracked: Dict[str, None] = {}
    for record in records:
        tracked.update(dict.fromkeys(record.tracked))
    keys = _varying(records)
    by_table: Dict[str, List[ItemRecord]] = {}
    for record in records:
        by_table.setdefault(record.item.task, []).append(record)
    metrics: Dict[str, None] = {}
    for table in by_table.values():  # each table's own headers, as a metric may be logged by one table only
        metrics.update(dict.fromkeys(metrics_of(table)))
    return {"tasks": sorted(by_table), "metrics": sorted(metrics), "param_keys": keys,
            "suggested_keys": [k for k in tracked if k in keys and not REPEAT_KEYS.search(k)]}


@dataclass
class ResultsRequest:
    """What the Results page asks for (the JSON body of its requests), each field checked."""

    metric: str
    tasks: List[str]
    filter: str = ""
    indices: Optional[List[str]] = None
    split_keys: List[str] = field(default_factory=list)
    score: str = "final"
    k: int = 1
    stat: str = "iqm"
    x: str = "step"
    smooth_step: float = 0.0
    normalize: str = ""

    @classmethod
    def of(cls, body: Dict[str, Any]) -> "ResultsRequest":
        """The request a JSON body asks for (a UsageError names the wrong field)."""
        from RLA.easy_plot.aggregate import SCORES
        from RLA.easy_plot.results_table import TABLE_STATS  # each cell's, the aggregate's and the curves'

        arguments.known_only(body, cls.__dataclass_fields__, "results option")
        request = cls(metric=arguments.text(body, "metric"), tasks=arguments.names(body, "tasks") or [],
                      filter=arguments.text(body, "filter"), indices=arguments.names(body, "indices"),
                      split_keys=arguments.names(body, "split_keys") or [],
                      score=arguments.text(body, "score", "final"),
                      k=int(arguments.number(body, "k", 1, whole=True)), stat=arguments.text(body, "stat", "iqm"),
                      x=arguments.text(body, "x", "step"), smooth_step=arguments.number(body, "smooth_step", 0.0),
                      normalize=arguments.text(body, "normalize"))
        if not request.metric:
            raise UsageError("pick the metric to score the runs by")
        if not request.tasks:
            raise UsageError("pick at least one task (table)")
        if request.k < 1:
            raise UsageError(f"k (the points a score averages) must be at least 1, got {request.k}")
        if request.score not in SCORES:
            raise UsageError(f"score must be one of {', '.join(SCORES)}, got {request.score!r}")
        if request.stat not in TABLE_STATS:
            raise UsageError(f"stat must be one of {', '.join(TABLE_STATS)}, got {request.stat!r}")
        plot_axes.get(request.x)  # an unknown axis is named with the known ones
        if request.smooth_step < 0:
            raise UsageError(f"smooth_step must be 0 (no smoothing) or positive, got {request.smooth_step}")
        return request

    def selection(self) -> Dict[str, Any]:
        """The selection words of the filter box (the task aside: the page names the tables), and the
        ticked rows as an exact regex on their record dates."""
        fields = {k: v for k, v in parse_filter(self.filter).items() if k != "task" and v not in (None, (), False)}
        if self.indices is not None:
            dates = sorted({index.split("/", 1)[1] for index in self.indices if "/" in index})
            if not dates:
                raise UsageError("indices name no run: tick rows on the Runs page, or send none for the filter")
            fields["regex"] = "^(?:" + "|".join(re.escape(d) for d in dates) + ")$"
        return fields

    def normalized(self) -> Dict[str, Tuple[float, float]]:
        """``TASK=RANDOM:REFERENCE`` words of the normalize box."""
        from RLA.easy_plot.results_table import parse_normalize

        return parse_normalize(self.normalize.split())


def _said(work: Callable[[], Any]) -> Tuple[Any, List[str]]:
    """What ``work`` returns and the warnings it gave, each once (requests run one at a time, under the
    app's lock, so catching them process-wide is safe)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = work()
    return result, list(dict.fromkeys(str(w.message).removeprefix("RLA: ") for w in caught))


def _spec(request: ResultsRequest, versus: bool) -> Any:
    from RLA.easy_plot.results_table import TableSpec

    return TableSpec(tasks=request.tasks, split_keys=request.split_keys, metric=request.metric, score=request.score,
                     last=request.k, stat=request.stat, normalize=request.normalized(),
                     selection=request.selection(), versus=versus)


def _results_table(data_root: Path, request: ResultsRequest, versus: bool) -> Tuple[Any, List[str]]:
    """:func:`RLA.easy_plot.results_table.results_table`; with ``versus``, with the P(X > Y) matrix when
    there are two groups or more to compare (without it, and saying why, otherwise)."""
    from RLA.easy_plot.results_table import results_table

    if not versus:
        return _said(lambda: results_table(data_root, _spec(request, versus=False)))
    try:
        return _said(lambda: results_table(data_root, _spec(request, versus=True)))
    except UsageError as error:
        computed, said = _said(lambda: results_table(data_root, _spec(request, versus=False)))
        return computed, [*said, f"no P(X > Y) matrix: {error}"]


def _rendered(data_root: Path, request: ResultsRequest, versus: bool) -> Dict[str, Any]:
    """The table's JSON rendering, with its caption (what the numbers are) and the warnings."""
    from RLA.easy_plot.table_format import caption, render

    computed, said = _results_table(data_root, request, versus)
    return {**json.loads(render(computed, "json", "rla ui")), "caption": caption(computed), "warnings": said}


def table(data_root: Path, request: ResultsRequest) -> Dict[str, Any]:
    """The results table as its JSON rendering (cells, how it was made) and the warnings; the
    P(X > Y) matrix, which takes longer, is :func:`versus`."""
    return _rendered(data_root, request, versus=False)


def versus(data_root: Path, request: ResultsRequest) -> Dict[str, Any]:
    """The same table with the P(X > Y) matrix of its groups (``versus`` null when they are fewer than two)."""
    return _rendered(data_root, request, versus=True)


def table_file(data_root: Path, request: ResultsRequest, fmt: str) -> str:
    """The same table as markdown, LaTeX or csv text (:func:`RLA.easy_plot.table_format.render`)."""
    from RLA.easy_plot.table_format import render

    return render(_results_table(data_root, request, versus=True)[0], fmt, "rla ui")


def _numbers(values: Any) -> List[Optional[float]]:
    return [float(v) if math.isfinite(v) else None for v in values]


def curves(data_root: Path, request: ResultsRequest) -> Dict[str, Any]:
    """The sample-efficiency curve of each group (:func:`RLA.easy_plot.efficiency.aggregate_curves`):
    its statistic at each x with the stratified-bootstrap band, and the runs behind it."""
    from RLA.easy_plot.efficiency import aggregate_curves

    data, said = _said(lambda: aggregate_curves(
        data_root, request.tasks, None, request.split_keys, request.metric, request.stat, x=request.x,
        normalize=request.normalized() or None, resample=CURVE_POINTS, smooth_step=request.smooth_step,
        selection=request.selection()))
    center = data.attrs["center"]
    runs: Dict[str, int] = {}
    for row in data.attrs["runs"]:
        runs[row["legend"]] = runs.get(row["legend"], 0) + 1
    groups = [{"legend": legend, "x": _numbers(curve["x"]), "mean": _numbers(curve[center]),
               "low": _numbers(curve["ci_low"]), "high": _numbers(curve["ci_high"]),
               "n": [int(v) for v in curve["n"]], "runs": runs.get(legend, 0)}
              for legend, curve in data.groupby("legend", sort=False)]
    return {"metric": request.metric, "stat": center, "x_label": plot_axes.get(request.x).label, "groups": groups,
            "tasks": data.attrs["tasks"], "warnings": said}


def importance(data_root: Path, request: ResultsRequest) -> Dict[str, Any]:
    """Which parameters explain the score, on configurations with their seeds aggregated
    (:func:`RLA.easy_plot.importance.param_importance`), and those configurations."""
    from RLA.easy_plot.importance import param_importance

    found, said = _said(lambda: param_importance(
        data_root, request.tasks, request.metric, score=request.score, k=request.k,
        normalize=request.normalized() or None, selection=request.selection()))
    parameters = list(found.parameters["parameter"])
    rows = [{"values": {p: _plain(row[p]) for p in parameters}, "score": float(row["score"]),
             "std": None if not math.isfinite(row["std"]) else float(row["std"]), "seeds": int(row["seeds"])}
            for row in found.configurations.to_dict("records")]
    return {"metric": request.metric, "score": request.score,
            "parameters": [{"parameter": r["parameter"], "importance": float(r["importance"]), "low": float(r["low"]),
                            "high": float(r["high"]), "values": int(r["values"])}
                           for r in found.parameters.to_dict("records")],
            "configurations": {"parameters": parameters, "rows": rows}, "warnings": said}


def _plain(value: Any) -> Any:
    """A parameter value as JSON holds it (numpy numbers as Python's)."""
    item = getattr(value, "item", None)
    return item() if item is not None else value
