"""RLA 0.6's (and baselines') readers of a run's logs as DataFrames: progress.json, progress.csv and
TensorBoard event files. Readers of a whole table use :mod:`RLA.easy_plot.loader` instead."""
from __future__ import annotations

import json
import os
from typing import Any, Union

from RLA.db.late_columns import read_progress
from RLA.errors import UsageError

__all__ = ["read_json", "read_csv", "read_tb"]

PathLike = Union[str, os.PathLike]


def read_json(fname: PathLike) -> Any:
    """progress.json (one object per line) as a DataFrame; a torn last line is left out."""
    import pandas

    rows = []
    with open(fname, encoding="utf-8") as f:
        for line in f:
            try:
                rows.append(json.loads(line))
            except ValueError:
                continue
    return pandas.DataFrame(rows)


def read_csv(fname: PathLike) -> Any:
    """progress.csv as a DataFrame, with its late columns (:mod:`RLA.db.late_columns`) after the
    header's: numbers where every value is one, text otherwise, empty cells NaN."""
    return read_progress(fname, index_col=False, comment="#")


def read_tb(path: PathLike) -> Any:
    """The scalars of an event file, or of every ``events.*`` file under a folder, as a DataFrame
    indexed by step with one column per tag (read with TensorBoard's own reader)."""
    import pandas
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    path = os.fspath(path)
    if os.path.isdir(path):
        files = [os.path.join(d, f) for d, _, names in os.walk(path) for f in sorted(names) if f.startswith("events.")]
    elif os.path.basename(path).startswith("events."):
        files = [path]
    else:
        raise UsageError(f"read_tb needs an events.* file or a folder holding some, got {path}")
    columns: dict = {}
    for file in files:
        events = EventAccumulator(file, size_guidance={"scalars": 0})
        events.Reload()
        for tag in events.Tags()["scalars"]:
            columns.setdefault(tag, {}).update({e.step: e.value for e in events.Scalars(tag)})
    return pandas.DataFrame(columns).sort_index()
