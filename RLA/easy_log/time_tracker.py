"""Runtime statistics of code snippets, logged as ``time_used/...`` keys.

``with time_tracker("rollout"): ...`` counts the calls and the time spent in
a snippet; :meth:`TimeTracker.log` records, per snippet, ``total calls``,
``total time cost``, ``time cost per call`` and ``time cost percentage`` (of
the time since the tracker started) under ``time_used/<statistic>/<name>``,
kept out of progress.csv by default (they are diagnostics, not results).
``time_record(name)`` / ``time_record_end(name)`` time one span into
``time_used/<name>``.

This module sits below the logger: it records through the function that
:func:`record_into` was given, which the logger sets to its ``logkv`` when it
is imported (``import RLA`` imports it).
"""
from __future__ import annotations

import time
from typing import Any, Callable, Dict, Optional, Sequence

from RLA.errors import UsageError

__all__ = ["SnippetTimer", "TimeTracker", "record_into", "time_tracker", "time_record", "time_record_end"]

#: records one value for the next dump: ``record(key, value, exclude)``
Record = Callable[[str, float, Any], None]


def _no_logger(key: str, value: float, exclude: Any) -> None:
    raise UsageError(f"cannot record {key!r}: no logger; import RLA (or RLA.easy_log.logger) first")


_record: Record = _no_logger


def record_into(record: Record) -> None:
    """Send what the time trackers record to ``record(key, value, exclude)``."""
    global _record
    _record = record


class SnippetTimer:
    """A context manager that adds each pass through it to its call count and total time."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.call_time = 0
        self.time_cost = 0.0
        self._started = 0.0

    def __enter__(self) -> "SnippetTimer":
        self.call_time += 1
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.time_cost += time.perf_counter() - self._started


class TimeTracker:
    """Named :class:`SnippetTimer` s and their statistics since the tracker started."""

    def __init__(self) -> None:
        self.t0 = time.time()
        self.time_dict: Dict[str, SnippetTimer] = {}

    def __call__(self, name: str) -> SnippetTimer:
        """The timer of ``name`` (made on first use): ``with time_tracker(name): ...``."""
        return self.time_dict.setdefault(name, SnippetTimer(name))

    add = __call__

    def clear(self) -> None:
        self.time_dict = {}
        self.t0 = time.time()

    def statistic_entry(self, name: str) -> Dict[str, float]:
        if name not in self.time_dict:
            raise UsageError(f"no time tracker named {name!r}; known: {sorted(self.time_dict)}")
        timer, elapsed = self.time_dict[name], time.time() - self.t0
        return {
            f"total calls/{name}": timer.call_time,
            f"total time cost/{name}": timer.time_cost,
            f"time cost per call/{name}": timer.time_cost / max(timer.call_time, 1),
            f"time cost percentage/{name}": timer.time_cost / elapsed if elapsed > 0 else 0.0,
        }

    def get_info(self) -> Dict[str, float]:
        return {k: v for name in self.time_dict for k, v in self.statistic_entry(name).items()}

    def log(self, exclude_lst: Optional[Sequence[str]] = ("csv",)) -> Dict[str, float]:
        """Record every statistic as ``time_used/<statistic>/<name>`` for the next dump."""
        info = self.get_info()
        for key, value in info.items():
            _record(f"time_used/{key}", value, tuple(exclude_lst or ()))
        return info


#: the process-wide tracker behind ``logger.open_time_tracker`` / ``logger.log_time_tracker``
time_tracker = TimeTracker()
_span_starts: Dict[str, float] = {}


def time_record(name: str) -> None:
    """Start timing the span ``name``; :func:`time_record_end` records it."""
    if name in _span_starts:
        raise UsageError(f"time_record({name!r}) is already running; call time_record_end({name!r}) first")
    _span_starts[name] = time.time()


def time_record_end(name: str) -> float:
    """Record the seconds since ``time_record(name)`` as ``time_used/<name>``; returns them."""
    if name not in _span_starts:
        raise UsageError(f"time_record_end({name!r}) without time_record({name!r})")
    seconds = time.time() - _span_starts.pop(name)
    _record(f"time_used/{name}", seconds, None)
    return seconds
