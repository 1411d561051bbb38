"""The global time-step: the x-axis of every logged row and TensorBoard point."""
from __future__ import annotations

__all__ = ["TimeStepHolder", "time_step_holder"]


class TimeStepHolder:
    """Holds the current time-step of a run (and an optional outer step)."""

    def __init__(self, time: int = 0, outer_time: int = 0):
        self._time = time
        self._outer_time = outer_time

    def config(self, time: int = 0, outer_time: int = 0) -> None:
        self._time = time
        self._outer_time = outer_time

    def set_time(self, time: int) -> None:
        self._time = time

    def inc_time(self, delta: int = 1) -> None:
        self._time += delta

    def get_time(self) -> int:
        return self._time

    def set_outer_epoch(self, outer_time: int) -> None:
        self._outer_time = outer_time

    def get_outer_epoch(self) -> int:
        return self._outer_time

    def __repr__(self) -> str:
        return f"TimeStepHolder(time={self._time})"


time_step_holder = TimeStepHolder()
