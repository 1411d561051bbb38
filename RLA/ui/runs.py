"""What the Runs, One run and Compare pages show, as JSON-ready dictionaries."""
from __future__ import annotations

import math
import os
from collections import OrderedDict
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from RLA.db.code_diff import diff_code
from RLA.db.layout import Item
from RLA.db.metrics import metric_column
from RLA.db.names import readable_name
from RLA.db.query import ItemFilter, ItemRecord, Listing
from RLA.db.records import read_json
from RLA.db.select import start_time
from RLA.easy_plot.loader import progress_columns
from RLA.errors import UsageError
from RLA.ui.metric_names import NOT_METRICS, default_metrics, metrics_of
from RLA.ui.selection import find_record, parse_filter, select_records

__all__ = ["RunsTables", "run_detail", "compare", "code_diff"]

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}
VIDEO_SUFFIXES = {".mp4", ".webm", ".ogg"}
#: files listed per folder of a run (results, code, checkpoints)
MAX_FILES = 500
MAX_DIFF_BYTES = 512 * 1024
#: rows of the runs table sent per request: a page asks for what it shows, and a little more
PAGE_ROWS = 100
MAX_PAGE_ROWS = 1000
#: listings kept for the pages that scroll them
KEPT_LISTINGS = 8
#: runs "select all" ticks at most (a filter of more is narrowed first)
MAX_TICKED = 10_000


def _row(record: ItemRecord, chosen: Sequence[str]) -> Dict[str, Any]:
    start = start_time(record.item)
    return {"index": readable_name(record.index), "task": record.item.task,
            "record_date": readable_name(record.item.record_date),
            "start": start.isoformat(sep=" ", timespec="seconds") if start else None, "status": record.status,
            "damage": record.damage,
            "last_time_step": record.last_time_step, "rows": record.rows, "size": sum(record.sizes.values()),
            "tracked": {k: record.params.get(k) for k in record.tracked}, "tags": record.tags, "note": record.note,
            "params": {k: record.params[k] for k in chosen if k in record.params},
            "metrics": {k: _number(v) for k, v in record.metrics.items()}}


def _number(value: Optional[float]) -> Any:
    """A metric value as JSON holds it: NaN and infinities as their names."""
    return value if value is None or math.isfinite(value) else str(value)


class RunsTables:
    """The listings behind the Runs page: each made when the page asks for a first page (a new
    filter, order or columns), kept by its number while the page scrolls it (the newest few)."""

    def __init__(self, kept: int = KEPT_LISTINGS):
        self.kept = kept
        self._listings: "OrderedDict[int, Listing]" = OrderedDict()
        self._made = 0

    def table(self, data_root: Path, text: str, columns: Sequence[str], sort: Optional[str] = None,
              descending: bool = False, offset: int = 0, limit: int = PAGE_ROWS,
              snapshot: Optional[int] = None) -> Dict[str, Any]:
        """Rows ``offset`` to ``offset + limit`` of the filter's runs in that order, with the count
        (``total``) and the listing's number (``snapshot``: the page sends it back to scroll the same
        listing); a first page also names the parameters and metrics one may add as columns, and
        (``notes``) why an empty one may be empty."""
        if not 0 < limit <= MAX_PAGE_ROWS:
            raise UsageError(f"limit must be 1 to {MAX_PAGE_ROWS} rows, got {limit}")
        params = [c[len("params."):] for c in columns if c.startswith("params.")]
        metrics = [c for c in columns if metric_column(c)]
        listing = self._listings.get(snapshot) if snapshot is not None else None
        out: Dict[str, Any] = {}
        if listing is None or snapshot is None:
            listing = Listing(data_root, ItemFilter(**parse_filter(text, data_root)), sort=sort or None,
                              descending=descending, metrics=metrics)
            self._made += 1
            snapshot = self._made
            self._listings[snapshot] = listing
            while len(self._listings) > self.kept:
                self._listings.popitem(last=False)
            out.update(param_keys=listing.param_keys(),
                       metric_keys=[key for key in listing.metric_keys() if key not in NOT_METRICS],
                       notes=listing.unknown_parameters() if not listing.total else [])
        else:
            self._listings.move_to_end(snapshot)
            listing.show_metrics(metrics)
        records = listing.page(offset, limit)
        return {**out, "total": listing.total, "offset": offset, "snapshot": snapshot,
                "runs": [_row(r, params) for r in records]}

    def indices(self, snapshot: int, limit: int = MAX_TICKED) -> Dict[str, Any]:
        """The indices of the first ``limit`` runs of a listing the page shows (to tick them all)."""
        listing = self._listings.get(snapshot)
        if listing is None:
            raise UsageError("that listing is gone: reload the runs table")
        return {"total": listing.total,
                "indices": [readable_name(r.index) for r in listing.page(0, min(limit, MAX_TICKED))]}


def _files(data_root: Path, folder: Path) -> List[Dict[str, Any]]:
    """The files under ``folder`` (relative path, size, kind), at most MAX_FILES; symbolic links
    are not followed (a folder linked out of the data root is not listed)."""
    out: List[Dict[str, Any]] = []
    if not folder.is_dir() or not folder.resolve().is_relative_to(data_root.resolve()):
        return out
    for directory, subdirs, names in os.walk(folder):
        subdirs.sort()
        for name in sorted(names):
            path = Path(directory) / name
            if path.is_symlink():
                continue
            suffix = path.suffix.lower()
            kind = "image" if suffix in IMAGE_SUFFIXES else "video" if suffix in VIDEO_SUFFIXES else "file"
            try:
                size = path.stat().st_size
            except OSError:
                continue
            out.append({"path": path.relative_to(folder).as_posix(), "size": size, "kind": kind})
            if len(out) >= MAX_FILES:
                return out
    return out


def _read_diff(path: Path) -> Optional[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read(MAX_DIFF_BYTES)
    except OSError:
        return None


def run_detail(data_root: Path, index: str, archived: bool = False) -> Dict[str, Any]:
    """One run: parameters, run.json, metrics, results, code snapshot with git.diff, checkpoints."""
    record = find_record(data_root, index, archived)
    item = record.item
    try:
        metrics = [name for name in progress_columns(item.progress_csv) if name not in NOT_METRICS]
    except OSError:
        metrics = []
    return {"row": _row(record, []), "params": read_json(item.params_json) or record.params,
            "run": read_json(item.run_json), "metrics": metrics,
            "results": _files(data_root, item.results_dir), "code": _files(data_root, item.code_dir),
            "git_diff": _read_diff(item.code.git_diff), "checkpoints": _files(data_root, item.checkpoint_dir),
            "system": _system_metrics(item)}


def _system_metrics(item: Item) -> Dict[str, List[Optional[float]]]:
    """The run's system.csv, column by column, thinned to a page's worth of points (NaN as null)."""
    from RLA.monitor.system_metrics import read_system_metrics

    return {name: [v if math.isfinite(v) else None for v in values]
            for name, values in read_system_metrics(item.log.system_csv).items()}


def _label(record: ItemRecord) -> str:
    """A run as a column header says it: its start time and tracked parameters (its index is the tooltip)."""
    start = start_time(record.item)
    tracked = " ".join(f"{k}={record.params.get(k)}" for k in record.tracked)
    return " · ".join(part for part in (start.strftime("%m-%d %H:%M:%S") if start else record.item.name, tracked)
                      if part)


def _final_values(records: Sequence[ItemRecord]) -> List[Dict[str, Any]]:
    """Each metric the runs logged with each run's last finite value of it (``None``: never logged)."""
    from RLA.easy_plot.aggregate import run_score
    from RLA.easy_plot.loader import read_columns
    from RLA.errors import DamagedFileError

    metrics = metrics_of(records)
    columns = []
    for record in records:
        try:
            columns.append(read_columns(record.item.progress_csv, metrics))
        except DamagedFileError:  # the run's listing says what is wrong with it
            columns.append({})
    out = []
    for metric in metrics:
        values = [run_score(run[metric]) if metric in run else math.nan for run in columns]
        out.append({"metric": metric, "values": [v if math.isfinite(v) else None for v in values]})
    return out


def compare(data_root: Path, text: str, indices: Sequence[str]) -> Dict[str, Any]:
    """The selected runs side by side: every parameter (``differs`` when the runs disagree; ``differing``
    and ``same`` as earlier releases sent them) and each metric's final value."""
    records = select_records(data_root, text, indices)
    missing = object()
    keys: Dict[str, None] = {}
    for record in records:
        keys.update(dict.fromkeys(record.params))
    params, differing, same = [], [], 0
    for key in keys:
        values = [record.params.get(key, missing) for record in records]
        differs = not all(v == values[0] and v is not missing for v in values)
        row = {"key": key, "values": [None if v is missing else v for v in values]}
        params.append({**row, "differs": differs})
        if differs:
            differing.append(row)
        else:
            same += 1
    final = _final_values(records)
    return {"runs": [readable_name(r.index) for r in records], "labels": [_label(r) for r in records],
            "tables": [r.item.task for r in records], "params": params, "differing": differing, "same": same,
            "final": final, "default_metrics": default_metrics([row["metric"] for row in final], count=4)}


def code_diff(data_root: Path, a: str, b: str, archived: bool = False) -> Dict[str, Any]:
    """The differences between the code snapshots of runs ``a`` and ``b`` (:func:`RLA.db.code_diff.diff_code`),
    with the git commit each ran from."""
    if not a or not b:
        raise UsageError("a and b must name the two runs whose code to compare")
    records = [find_record(data_root, index, archived) for index in (a, b)]
    diff = diff_code(records[0].item, records[1].item).to_dict()
    diff.update(a=a, b=b, git=[(read_json(r.item.run_json) or {}).get("git") for r in records])
    return diff
