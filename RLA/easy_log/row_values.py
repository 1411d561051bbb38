"""What a logged row may hold: keys every output format can name, values as they are stored.

The logger checks each key and value when it is recorded, so a bad one is an
:class:`RLA.errors.UsageError` at the line that passed it, never a failed dump.
"""
from __future__ import annotations

import numbers
from typing import Any

from RLA.db.layout import TIME_STEP_COLUMN
from RLA.db.records import unwrap_scalar
from RLA.errors import UsageError

__all__ = ["checked_key", "cell_value", "number"]


def checked_key(key: Any) -> str:
    """``key`` if it can name a column of every output format, else a UsageError saying why."""
    if not isinstance(key, str) or not key:
        raise UsageError(f"a logged key must be a non-empty string, got {key!r}; e.g. record_tabular('loss', x)")
    if "\0" in key or not _is_utf8(key):
        raise UsageError(f"logged key {key!r} holds a NUL or a lone surrogate, which no file can store; "
                         "write it as plain text")
    if key == TIME_STEP_COLUMN:
        raise UsageError(f"the key {TIME_STEP_COLUMN!r} names the column of the row's time-step, which the "
                         "logger writes itself; set it with logger.set_time(step), or log your value under "
                         "another name")
    return key


def cell_value(key: str, val: Any) -> Any:
    """What a row stores for ``val``: a number as a python number, an array as its full list
    (``str`` of a big array would cut it with '...'), anything else as given (written as ``str``)."""
    val = unwrap_scalar(val)
    tolist = getattr(val, "tolist", None)
    if tolist is not None and getattr(val, "ndim", 0) >= 1:
        return tolist()
    if isinstance(val, str) and not _is_utf8(val):
        raise UsageError(f"the value of {key!r} holds a lone surrogate, which no file can store: {val!r}")
    return val


def number(key: str, val: Any, function: str) -> numbers.Real:
    """``val`` as a python number for an average, else a UsageError naming ``function``."""
    val = unwrap_scalar(val)
    if not isinstance(val, numbers.Real):
        raise UsageError(f"{function}({key!r}, ...) averages numbers, got {type(val).__name__} {val!r}; "
                         "record other values with record_tabular")
    return val


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
