"""The Curves page: grouped learning curves computed by :mod:`RLA.easy_plot`, never here.

A request names the selection (filter box and chosen rows), the metrics, the
grouping keys and the band. The numbers come from
:func:`RLA.easy_plot.plot_func.curve_data` (what ``plot_func`` draws); the
figure download is ``plot_func``'s own figure. The browser receives the
aggregated series only, at most :data:`MAX_POINTS` points per group.
"""
from __future__ import annotations

import io
import json
import re
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from RLA import plot_bands as bands
from RLA.errors import UsageError
from RLA.ui import arguments
from RLA.ui.metric_names import default_metrics, metrics_of
from RLA.ui.selection import selection_listing

__all__ = ["MAX_POINTS", "BANDS", "CurveRequest", "curve_choices", "curves", "curves_csv",
           "curves_figure"]

MAX_POINTS = 2000
#: runs the curves of one request are drawn over at most (each run's progress.csv is read)
MAX_CURVE_RUNS = 20_000
#: the band menu: plot_func's bands, and none
BANDS = (*bands.NAMES, "none")
#: individual runs drawn per group at most
MAX_RUN_LINES = 20


@dataclass
class CurveRequest:
    """What the Curves page asks for (the JSON body of its requests)."""

    metrics: List[str]
    filter: str = ""
    indices: Optional[List[str]] = None
    split_keys: List[str] = field(default_factory=list)
    band: str = "std"
    resample: int = 512
    x_range: str = "intersection"
    smooth_step: float = 0.0
    smoothing: str = "ema"
    xlim: Optional[Tuple[Optional[float], Optional[float]]] = None
    runs: bool = False

    @classmethod
    def of(cls, body: Dict[str, Any]) -> "CurveRequest":
        """The request a JSON body asks for, each field checked (a UsageError names the wrong one)."""
        arguments.known_only(body, cls.__dataclass_fields__, "curve option")
        request = cls(metrics=arguments.names(body, "metrics") or [], filter=arguments.text(body, "filter"),
                      indices=arguments.names(body, "indices"), split_keys=arguments.names(body, "split_keys") or [],
                      band=arguments.text(body, "band", "std"),
                      resample=int(arguments.number(body, "resample", 512, whole=True)),
                      x_range=arguments.text(body, "x_range", "intersection"),
                      smooth_step=arguments.number(body, "smooth_step", 0.0),
                      smoothing=arguments.text(body, "smoothing", "ema"), xlim=arguments.limits(body, "xlim"),
                      runs=arguments.flag(body, "runs"))
        if not request.metrics:
            raise UsageError("pick at least one metric")
        if request.band not in BANDS:
            raise UsageError(f"band must be one of {', '.join(BANDS)}, got {request.band!r}")
        if not 0 <= request.resample <= MAX_POINTS:
            raise UsageError(f"resample must be 0 (the logged steps) or at most {MAX_POINTS} points")
        if request.smooth_step < 0:
            raise UsageError(f"smooth_step must be 0 (no smoothing) or positive, got {request.smooth_step}")
        return request

    def selection(self, data_root: Path) -> Tuple[str, List[str]]:
        """The table and the record dates of the chosen runs; the curves need one table."""
        listing = selection_listing(data_root, self.filter, self.indices, sizes=False)  # curves show no sizes
        if listing.total > MAX_CURVE_RUNS:
            raise UsageError(f"the selection holds {listing.total:,} runs; curves are drawn over {MAX_CURVE_RUNS:,} "
                             "at most: narrow the filter (-t, -w, --since) or tick the runs to draw")
        records = list(listing)
        tasks = sorted({r.item.task for r in records})
        if not tasks:
            raise UsageError("no run is selected: widen the filter or tick some rows on the Runs page")
        if len(tasks) > 1:
            raise UsageError(f"the curves need the runs of one table, the selection spans {', '.join(tasks)}: "
                             f"add -t {tasks[0]} to the filter, or tick runs of one table")
        return tasks[0], [r.item.record_date for r in records]

    def grouping(self) -> Dict[str, Any]:
        """The arguments of curve_data / plot_func shared by the page and the figure."""
        return dict(split_keys=self.split_keys, xlim=self.xlim, resample=self.resample, x_range=self.x_range,
                    smooth_step=self.smooth_step, smoothing=self.smoothing)


#: runs of a selection whose headers and parameters say what the page offers (a larger one: its first runs)
SAMPLE_RUNS = 2000
#: parameters that tell runs of one setting apart (never a sensible default group)
REPEAT_KEYS = re.compile(r"seed|^sweep$|^info$", re.I)


def curve_choices(data_root: Path, text: str, indices: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """What the Curves page offers for a selection: its tables, its metrics, the parameters of its runs,
    and what to draw before the user picks: the outcome metrics, grouped by the parameters that vary
    while several runs share each value (2 learning rates x 3 seeds: by the learning rate)."""
    listing = selection_listing(data_root, text, indices)
    records = listing.page(0, SAMPLE_RUNS)  # a large selection is judged by its first runs
    metrics = metrics_of(records)
    values: Dict[str, set] = {}
    for record in records:
        for key, value in record.params.items():
            values.setdefault(key, set()).add(json.dumps(value, sort_keys=True, default=str))
    split = [key for key, seen in values.items()
             if 1 < len(seen) < len(records) and not REPEAT_KEYS.search(key)]
    return {"tables": listing.tables_present(), "runs": listing.total, "metrics": metrics,
            "params": sorted(values), "default_metrics": default_metrics(metrics), "default_split": sorted(split)}


def _data(data_root: Path, request: CurveRequest) -> Tuple[str, Any]:
    from RLA.easy_plot.plot_func import curve_data

    task, items = request.selection(data_root)
    grouping = request.grouping()
    split_keys = grouping.pop("split_keys")
    data = curve_data(data_root, task, None, split_keys, request.metrics, items=items,
                      ci=0.95 if _band_needs_ci(request.band) else None,
                      run_curves=MAX_RUN_LINES if request.runs else 0, **grouping)
    return task, data


def _stride(length: int) -> slice:
    """Every k-th point, so that at most MAX_POINTS remain (the last one kept)."""
    return slice(None, None, max(1, -(-length // MAX_POINTS)))


def _band_needs_ci(name: str) -> bool:
    return name != "none" and bands.get(name).needs_ci


def _series(values: np.ndarray, step: slice) -> List[Optional[float]]:
    return [None if not np.isfinite(v) else float(v) for v in values[step]]


def curves(data_root: Path, request: CurveRequest) -> Dict[str, Any]:
    """Per metric, per group: x, mean, band low/high, n (and the thin per-run lines when asked);
    ``warnings``: what the plot left out and why (a damaged run, runs too short), as ``rla plot`` says.

    Requests run one at a time (the app's lock), so catching the warnings process-wide is safe."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        task, data = _data(data_root, request)
    band = None if request.band == "none" else bands.get(request.band)
    lines: Dict[Tuple[str, str], List[Dict[str, Any]]] = {}
    for line in data.attrs["run_curves"]:
        lines.setdefault((line["metric"], line["legend"]), []).append(line)
    runs_of: Dict[Tuple[str, str], int] = {}
    for row in data.attrs["runs"]:
        runs_of[(row["metric"], row["legend"])] = runs_of.get((row["metric"], row["legend"]), 0) + 1
    out: Dict[str, List[Dict[str, Any]]] = {m: [] for m in request.metrics}
    for (metric, legend), curve in data.groupby(["metric", "legend"], sort=False):
        step = _stride(len(curve))
        mean = curve["mean"].to_numpy()
        group: Dict[str, Any] = {"legend": legend, "keys": {k: str(curve[k].iloc[0]) for k in request.split_keys},
                                 "runs": runs_of.get((metric, legend), 0), "x": _series(curve["x"].to_numpy(), step),
                                 "mean": _series(mean, step), "n": [int(v) for v in curve["n"].to_numpy()[step]]}
        if band is not None:
            low, high = band.bounds(curve, mean)
            group["low"], group["high"] = _series(low, step), _series(high, step)
        group["lines"] = [{"index": line["index"], "y": _series(line["y"], step)}
                          for line in lines.get((metric, legend), [])]
        out[metric].append(group)
    said = dict.fromkeys(str(w.message).removeprefix("RLA: ") for w in caught)
    return {"task": task, "band": request.band, "metrics": out, "warnings": list(said)}


def curves_csv(data_root: Path, request: CurveRequest) -> str:
    """The aggregated data behind the curves (group_curves' long table) as csv."""
    return _data(data_root, request)[1].to_csv(index=False)


def curves_figure(data_root: Path, request: CurveRequest, fmt: str) -> bytes:
    """``plot_func``'s figure of the same request, as png or pdf bytes."""
    from RLA.easy_plot.plot_func import plot_func

    if fmt not in ("png", "pdf"):
        raise UsageError(f"the figure is png or pdf, not {fmt!r}")
    task, items = request.selection(data_root)
    grouping = request.grouping()
    split_keys = grouping.pop("split_keys")
    figure, _ = plot_func(data_root, task, None, split_keys, request.metrics, items=items,
                          **bands.flags([] if request.band == "none" else [request.band]), **grouping)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=150, bbox_inches="tight")
    if "matplotlib.pyplot" in sys.modules:  # a pyplot figure stays alive until closed
        sys.modules["matplotlib.pyplot"].close(figure)
    return buffer.getvalue()
