"""Metric columns: the final, last, best, lowest or highest value of a key of progress.csv, per item.

``final:eval/return`` (or just ``eval/return``) is the last finite value the run logged for
``eval/return``; ``last:`` the last value whatever it is (NaN shows a run that diverged);
``max:`` (alias ``best:``) and ``min:`` the highest and lowest finite values. A key may be
logged at its own steps (empty cells in the other rows): its values are read from the rows
that have one. The values are cached in the query index beside the item and read again when
its progress.csv changes.
"""
from __future__ import annotations

from typing import NamedTuple, Optional

__all__ = ["REDUCERS", "DEFAULT_REDUCER", "MetricColumn", "metric_column"]

#: reducer -> the column of the index's ``metrics`` table holding it
REDUCERS = {"final": "final", "last": "last", "max": "high", "best": "high", "min": "low"}
DEFAULT_REDUCER = "final"


class MetricColumn(NamedTuple):
    """One metric column: which value (``reducer``) of which progress.csv key."""

    reducer: str
    key: str

    @property
    def name(self) -> str:
        """As written in ``-c`` and ``-w``: ``final:eval/return``."""
        return f"{self.reducer}:{self.key}"


def metric_column(text: str) -> Optional[MetricColumn]:
    """``final:eval/return`` -> MetricColumn("final", "eval/return"); None for text naming no reducer."""
    reducer, sep, key = text.partition(":")
    if sep and reducer in REDUCERS and key:
        return MetricColumn(reducer, key)
    return None
