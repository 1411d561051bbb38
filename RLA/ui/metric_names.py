"""Which of a selection's logged columns are metrics, and which the pages draw before the user picks."""
from __future__ import annotations

import re
from typing import Dict, List, Sequence

from RLA.db.layout import TIME_STEP_COLUMN, WALL_TIME_COLUMNS
from RLA.db.query import ItemRecord
from RLA.easy_plot.loader import progress_columns

__all__ = ["NOT_METRICS", "metrics_of", "default_metrics"]

#: progress.csv headers read to list the metrics of a selection
MAX_HEADERS = 200
#: the columns of every row that are no metric: the time-step and the wall-clock time
NOT_METRICS = (TIME_STEP_COLUMN, *WALL_TIME_COLUMNS)
#: what a metric's name says when it is what a run is judged by: drawn first when nothing is picked
_OUTCOME = re.compile(r"return|reward|score|success|ep_rew", re.I)


def metrics_of(records: Sequence[ItemRecord]) -> List[str]:
    """The metrics of the records: their progress table columns (late ones too) but :data:`NOT_METRICS`,
    sorted; up to MAX_HEADERS headers are read."""
    names: Dict[str, None] = {}
    for record in records[:MAX_HEADERS]:
        try:
            names.update(dict.fromkeys(progress_columns(record.item.progress_csv)))
        except (OSError, ValueError):  # a damaged header: the listing of the run says so
            continue
    return sorted(name for name in names if name not in NOT_METRICS)


def default_metrics(metrics: Sequence[str], count: int = 2) -> List[str]:
    """The metrics drawn before the user picks, at most ``count``: those named like an outcome (return,
    reward, score, success; evaluation ones first), else the first ones."""
    candidates = [m for m in metrics if m not in NOT_METRICS]
    outcomes = sorted((m for m in candidates if _OUTCOME.search(m)), key=lambda m: (not m.startswith("eval"),
                                                                                    candidates.index(m)))
    return (outcomes or candidates)[:count]
