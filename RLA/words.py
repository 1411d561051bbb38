"""How messages say things: counts with the right number (``1 item``, ``2 items``) and the known
names closest to a mistyped one. A leaf every floor can use."""
from __future__ import annotations

import difflib
from typing import Iterable, List, Mapping, Optional, TypeVar

from RLA.errors import UsageError

__all__ = ["counted", "closest", "did_you_mean", "pick"]

T = TypeVar("T")

_IRREGULAR = {"entry": "entries", "index": "indexes", "match": "matches"}


def counted(count: int, noun: str, plural: Optional[str] = None) -> str:
    """``count`` and ``noun`` as said: ``1 item``, ``0 items``, ``3 entries``."""
    if count == 1:
        return f"{count} {noun}"
    return f"{count} {plural or _IRREGULAR.get(noun, noun + 's')}"


def closest(name: str, known: Iterable[str], limit: int = 3) -> List[str]:
    """The known names a mistyped ``name`` most likely meant, best first (none when nothing is close)."""
    candidates = sorted(set(known))
    by_case = {candidate.lower(): candidate for candidate in candidates}
    matches = difflib.get_close_matches(name.lower(), list(by_case), n=limit, cutoff=0.6)
    return [by_case[match] for match in matches]


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean a or b?)`` with the known names closest to ``name``; empty when none is close."""
    near = closest(name, known)
    return f" (did you mean {' or '.join(near)}?)" if near else ""


def pick(kind: str, name: str, by_name: Mapping[str, T]) -> T:
    """``by_name[name]``, else a UsageError naming the ``kind`` asked for, the closest names and all of them."""
    if name in by_name:
        return by_name[name]
    raise UsageError(f"unknown {kind} {name!r}{did_you_mean(str(name), by_name)}; choose from {', '.join(by_name)}")
