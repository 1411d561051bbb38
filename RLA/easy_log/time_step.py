"""The global time-step: the x-axis of every logged row and TensorBoard point."""
from __future__ import annotations

import math
import numbers
from typing import Any

from RLA.db.layout import TIME_STEP_RANGE
from RLA.db.records import unwrap_scalar
from RLA.errors import UsageError

__all__ = ["TimeStepHolder", "time_step_holder", "checked_step"]



def checked_step(step: Any) -> int:
    """``step`` as an int if it can be a time-step (an integer, or a float with an integral value,
    that fits TensorBoard's 64 bits; numpy and torch scalars too), else a UsageError: before
    anything is logged at it."""
    step = unwrap_scalar(step)
    if isinstance(step, numbers.Integral) and not isinstance(step, bool):
        value = int(step)
    elif isinstance(step, numbers.Real) and not isinstance(step, bool) and math.isfinite(step) \
            and float(step).is_integer():
        value = int(float(step))
    else:
        raise UsageError(f"a time-step must be an integer, got {type(step).__name__} {step!r}; "
                         "e.g. logger.set_time(int(total_steps))")
    if not TIME_STEP_RANGE[0] <= value <= TIME_STEP_RANGE[1]:
        raise UsageError(f"time-step {value} does not fit the 64-bit steps TensorBoard stores "
                         f"({TIME_STEP_RANGE[0]} .. {TIME_STEP_RANGE[1]})")
    return value


class TimeStepHolder:
    """Holds the current time-step of a run (and an optional outer step)."""

    def __init__(self, time: int = 0, outer_time: int = 0):
        self._time = checked_step(time)
        self._outer_time = outer_time

    def config(self, time: int = 0, outer_time: int = 0) -> None:
        self._time = checked_step(time)
        self._outer_time = outer_time

    def set_time(self, time: int) -> None:
        self._time = checked_step(time)

    def inc_time(self, delta: int = 1) -> None:
        self._time = checked_step(self._time + checked_step(delta))

    def get_time(self) -> int:
        return self._time

    def set_outer_epoch(self, outer_time: int) -> None:
        self._outer_time = outer_time

    def get_outer_epoch(self) -> int:
        return self._outer_time

    def __repr__(self) -> str:
        return f"TimeStepHolder(time={self._time})"


time_step_holder = TimeStepHolder()
