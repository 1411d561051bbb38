"""The arguments of an API request, checked: each reader returns the kind it names or raises a
:class:`~RLA.errors.UsageError` saying which argument is wrong and what it takes.

The page only sends what these readers accept; anything else comes from a script or a
hand-made request, and gets a 400 that says what to send instead, never a 500.
"""
from __future__ import annotations

import math
from typing import Any, Collection, Dict, List, Optional, Tuple

from RLA.errors import UsageError
from RLA.words import did_you_mean

__all__ = ["MAX_TEXT", "MAX_NAMES", "known_only", "text", "names", "number", "flag", "limits"]

#: characters of one text argument at most (a filter is a few words; an index about a hundred characters)
MAX_TEXT = 10_000
#: names in one list argument at most (ticked runs, metrics, grouping keys)
MAX_NAMES = 100_000

Arguments = Dict[str, Any]


def known_only(arguments: Arguments, known: Collection[str], what: str) -> None:
    """Refuse an argument not in ``known`` (a typo would otherwise be ignored), naming the closest known ones."""
    unknown = sorted(set(arguments) - set(known))
    if unknown:
        raise UsageError(f"unknown {what} {unknown[0]!r}{did_you_mean(unknown[0], known)}; known: "
                         f"{', '.join(sorted(known))}")


def text(arguments: Arguments, name: str, default: str = "", limit: int = MAX_TEXT) -> str:
    """A string of at most ``limit`` characters."""
    value = arguments.get(name, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise UsageError(f"{name} must be a string, got {_kind(value)}")
    if len(value) > limit:
        raise UsageError(f"{name} is {len(value):,} characters long; at most {limit:,}")
    return value


def names(arguments: Arguments, name: str) -> Optional[List[str]]:
    """A list of strings, or None when not given (a single string is refused: ``"lr"`` is not ``["lr"]``)."""
    value = arguments.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UsageError(f"{name} must be a list of strings, e.g. [\"lr\"], got {_kind(value)}")
    if len(value) > MAX_NAMES:
        raise UsageError(f"{name} holds {len(value):,} names; at most {MAX_NAMES:,}")
    if any(len(v) > MAX_TEXT for v in value):
        raise UsageError(f"a name in {name} is longer than {MAX_TEXT:,} characters")
    return value


def number(arguments: Arguments, name: str, default: float, whole: bool = False) -> float:
    """A finite number (a JSON number or its text, as a query string sends it)."""
    value = arguments.get(name, default)
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise UsageError(f"{name} must be a number, got {_kind(value)}")
    try:
        parsed = int(value) if whole else float(value)
    except (ValueError, OverflowError):
        kind = "a whole number" if whole else "a number"
        raise UsageError(f"{name} must be {kind}, got {str(value)[:40]!r}") from None
    if not math.isfinite(parsed):
        raise UsageError(f"{name} must be finite, got {value!r}")
    return parsed


def flag(arguments: Arguments, name: str) -> bool:
    return arguments.get(name) in (True, "1", "true", "yes")


def limits(arguments: Arguments, name: str) -> Optional[Tuple[Optional[float], Optional[float]]]:
    """``[low, high]``, either end null or empty for open; None when not given."""
    value = arguments.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise UsageError(f"{name} must be [low, high] (null for an open end), got {_kind(value)}")
    ends = {"low": value[0], "high": value[1]}
    low, high = (None if ends[end] in (None, "") else number(ends, end, 0.0) for end in ("low", "high"))
    return low, high


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return f"{type(value).__name__} {str(value)[:40]!r}"
