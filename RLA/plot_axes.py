"""The x axes a curve or a score can be read against, one registry: ``plot_func(x=...)``, ``rla plot
--x`` and the web page read it. A new axis is one :class:`XAxis` line in :data:`AXES`.

``step`` is the logged time-step; ``seconds``, ``minutes`` and ``hours`` are wall-clock time since
the run's first logged row, read from the rows' ``wall_time`` (``timestamp`` in runs of RLA 0.6).
Like :mod:`RLA.plot_bands` it sits beside :mod:`RLA.errors` so that ``rla`` names the axes in its
options without loading the plotting code.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Tuple

from RLA.db.layout import TIME_STEP_COLUMN, WALL_TIME_COLUMNS
from RLA.words import pick

__all__ = ["XAxis", "AXES", "NAMES", "get", "column", "resolve"]


@dataclass(frozen=True)
class XAxis:
    """An x axis: the progress.csv columns it is read from, and how."""

    name: str
    doc: str
    #: the axis label of a figure
    label: str
    #: the columns it is read from; the first a run has is used
    columns: Tuple[str, ...]
    #: seconds per unit of a wall-clock axis (its values are time since the run's first row);
    #: ``None``: the column's values as logged
    seconds: Optional[float] = None

    def source(self, columns: Mapping[str, Any]) -> Optional[str]:
        """The column of a run's ``columns`` this axis is read from; ``None`` when it has none."""
        return next((name for name in self.columns if name in columns), None)

    def values(self, columns: Mapping[str, Any]) -> Any:
        """The axis' value at each row of a run (a float array; NaN where a row has none), or
        ``None`` when the run has no column to read it from."""
        import numpy as np

        name = self.source(columns)
        if name is None:
            return None
        values = np.asarray(columns[name], dtype=np.float64)
        if self.seconds is None:
            return values
        finite = np.flatnonzero(np.isfinite(values))
        start = values[finite[0]] if finite.size else 0.0
        return (values - start) / self.seconds


AXES: Tuple[XAxis, ...] = (
    XAxis("step", "the logged time-step", TIME_STEP_COLUMN, (TIME_STEP_COLUMN,)),
    XAxis("seconds", "wall-clock seconds since the run's first row", "wall-clock seconds", WALL_TIME_COLUMNS, 1.0),
    XAxis("minutes", "wall-clock minutes since the run's first row", "wall-clock minutes", WALL_TIME_COLUMNS, 60.0),
    XAxis("hours", "wall-clock hours since the run's first row", "wall-clock hours", WALL_TIME_COLUMNS, 3600.0),
)
NAMES = tuple(axis.name for axis in AXES)
_BY_NAME: Dict[str, XAxis] = {axis.name: axis for axis in AXES}


def get(name: str) -> XAxis:
    """The axis called ``name``; a UsageError naming the others when there is none."""
    return pick("x axis", name, _BY_NAME)


def column(name: str) -> XAxis:
    """A progress.csv column read as it is logged (``x_key`` of plot_func: ``"epoch"``, ``"time-step"``)."""
    return XAxis(name, f"the logged column {name!r}", name, (name,))


def resolve(x: Optional[str], x_key: str = TIME_STEP_COLUMN) -> XAxis:
    """``x`` (an axis name) when given, else the column ``x_key``."""
    return get(x) if x is not None else column(x_key)
