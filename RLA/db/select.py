"""Which items an operation selects: globs and regexes on the record date, start-time bounds,
status, a time-step bound and expressions on parameters, tags and notes (:mod:`RLA.db.expr`).

:class:`ItemFilter` is the one selection model: ``rla ls``, the operations of
:mod:`RLA.db.ops`, plot loading and :func:`RLA.db.resolve.resolve_item` all
match items by it.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Protocol, Sequence, Tuple, Union

from RLA.db import layout
from RLA.db.annotations import ANNOTATION_NAMES
from RLA.db.entry import DAMAGED_STATUS, UNKNOWN_STATUS
from RLA.db.expr import compile_where, where_names
from RLA.db.layout import Item
from RLA.db.liveness import LOST_STATUS
from RLA.db.names import log_start
from RLA.db.records import RUN_STATUSES
from RLA.errors import ExpressionError, UsageError
from RLA.words import did_you_mean

#: every status a listing shows: what runs record, and what readers conclude
SHOWN_STATUSES = (*RUN_STATUSES, LOST_STATUS, UNKNOWN_STATUS, DAMAGED_STATUS)

__all__ = ["SHOWN_STATUSES", "ItemFilter", "ItemSummary", "parse_time", "parse_until", "start_time"]

_BARE_DATE = re.compile(r"^\s*\d{4}[-/]\d{1,2}[-/]\d{1,2}\s*$")
_GLOB_CACHE: Dict[str, "re.Pattern[str]"] = {}


class ItemSummary(Protocol):
    """What :meth:`ItemFilter.entry_matcher` reads of an item: an index entry, or an ItemRecord."""

    @property
    def status(self) -> str: ...

    @property
    def last_time_step(self) -> Optional[int]: ...

    @property
    def params(self) -> Mapping[str, Any]: ...

    @property
    def tags(self) -> Sequence[str]: ...

    @property
    def note(self) -> str: ...


@dataclass(frozen=True)
class ItemFilter:
    """Which items an operation selects; every field narrows the selection.

    ``pattern`` is a glob on the record date ``YYYY/MM/DD/<name>`` as earlier
    releases took it (``2022/03/01/21-13*``; ``*`` stops at ``/``, and a
    pattern naming a date folder such as ``2022/03/*`` selects its items).
    ``regex`` is a Python regular expression searched in the record date.
    ``where`` is an expression on the parameters (see :mod:`RLA.db.expr`); in it ``tags`` and
    ``note`` are the item's tags and note (``"baseline" in tags``, ``"diverged" in note``), and
    ``params.<name>`` a parameter whose name is one of those.
    ``timestep_below`` keeps the items whose last time-step is below it or
    that never logged one. ``since`` and ``until`` bound the start time
    (inclusive); a bare date as ``until`` (``2022-03-01``) means the end of
    that day, so that day's items are kept.
    """

    task: Optional[str] = None
    pattern: Optional[str] = None
    regex: Optional[str] = None
    where: Optional[str] = None
    status: Tuple[str, ...] = ()
    since: Optional[_dt.datetime] = None
    until: Optional[_dt.datetime] = None
    timestep_below: Optional[int] = None
    archived: bool = False

    def __post_init__(self) -> None:
        statuses = (self.status,) if isinstance(self.status, str) else tuple(self.status or ())
        object.__setattr__(self, "status", statuses)
        for status in statuses:
            if status not in SHOWN_STATUSES:
                raise UsageError(f"no status {status!r}{did_you_mean(status, SHOWN_STATUSES)}; "
                                 f"statuses: {', '.join(SHOWN_STATUSES)}")
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, _dt.datetime):
                object.__setattr__(self, name, parse_until(value) if name == "until" else parse_time(value))
        if self.task is not None:
            layout.validate_task_name(self.task)
        if self.pattern is not None:
            _glob_regex(self.pattern)
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except re.error as exc:
                raise ExpressionError(f"--regex {self.regex!r} is not a regular expression: {exc}") from None

    @property
    def uses_annotations(self) -> bool:
        """Whether :attr:`where` reads the items' tags or note (or a parameter as ``params.<name>``)."""
        return self.where is not None and any(name in ANNOTATION_NAMES or name.startswith(_PARAMS_PREFIX)
                                              for name in where_names(self.where))

    @property
    def uses_name(self) -> bool:
        """Whether :meth:`name_matches` can leave an item out (a glob, a regex or a time bound is set)."""
        return self.pattern is not None or self.regex is not None or self.since is not None \
            or self.until is not None

    def name_matches(self, date: str, name: str) -> bool:
        """The filters that need only the item's date folder and name."""
        record_date = f"{date}/{name}"
        if self.pattern is not None and not _glob_regex(self.pattern).match(record_date):
            return False
        if self.regex is not None and not re.search(self.regex, record_date):
            return False
        if self.since is None and self.until is None:
            return True
        start = log_start(date, name)
        if self.since is not None and (start is None or start < self.since):
            return False
        if self.until is not None and (start is None or start > self.until):
            return False
        return True

    def entry_matcher(self) -> Callable[[ItemSummary], bool]:
        """The filters that need what is read from the item's files (status, time-step, parameters)."""
        predicate = compile_where(self.where) if self.where else None
        statuses = set(self.status)
        bound = self.timestep_below
        fields: Callable[[ItemSummary], Mapping[str, Any]] = \
            _ExpressionFields if self.uses_annotations else (lambda summary: summary.params)

        def matches(summary: ItemSummary) -> bool:
            if statuses and summary.status not in statuses:
                return False
            step = summary.last_time_step
            if bound is not None and step is not None and step >= bound:
                return False
            return predicate is None or predicate(fields(summary))

        return matches


_PARAMS_PREFIX = "params."


class _ExpressionFields(Mapping[str, Any]):
    """What a ``-w`` expression names of an item: its parameters, ``tags``, ``note``, and ``params.<name>``
    for a parameter whose name is taken by those (built only for expressions that name them)."""

    __slots__ = ("summary",)

    def __init__(self, summary: ItemSummary):
        self.summary = summary

    def __getitem__(self, key: str) -> Any:
        if key == "tags":
            return list(self.summary.tags)
        if key == "note":
            return self.summary.note
        params = self.summary.params
        if key not in params and key.startswith(_PARAMS_PREFIX):
            return params[key[len(_PARAMS_PREFIX):]]
        return params[key]

    def __iter__(self) -> Iterator[str]:
        yield from ANNOTATION_NAMES
        yield from (key for key in self.summary.params if key not in ANNOTATION_NAMES)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def parse_time(value: Union[str, _dt.date, _dt.datetime]) -> _dt.datetime:
    """``2022-03-01``, ``2022/03/01 21:13``, an ISO time, a date or a datetime -> datetime."""
    if isinstance(value, _dt.datetime):
        return value
    if isinstance(value, _dt.date):
        return _dt.datetime.combine(value, _dt.time())
    text = str(value).strip().replace("/", "-")
    try:
        return _dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"cannot read time {value!r}; write it as 2022-03-01 or '2022-03-01 21:13'") from None


def parse_until(value: Union[str, _dt.date, _dt.datetime]) -> _dt.datetime:
    """Like :func:`parse_time`, but a bare date (``2022-03-01``, a ``date``) is the end of that day."""
    if isinstance(value, _dt.datetime):
        return value
    if isinstance(value, _dt.date):
        return _dt.datetime.combine(value, _dt.time.max)
    if _BARE_DATE.match(str(value)):
        return _dt.datetime.combine(parse_time(value).date(), _dt.time.max)
    return parse_time(value)


def start_time(item: Item) -> Optional[_dt.datetime]:
    """When the item's run started, read from its date folder and name."""
    return log_start(item.date, item.name)


def _glob_regex(pattern: str) -> "re.Pattern[str]":
    """A glob on ``YYYY/MM/DD/<name>``: ``*``/``?`` stay within one ``/`` part, and a
    pattern matching a leading part (a date folder) matches everything below it.
    A pattern without ``/`` also matches the name alone (``*lr=0.01*``)."""
    compiled = _GLOB_CACHE.get(pattern)
    if compiled is None:
        parts = []
        i = 0
        text = pattern.strip().strip("/")
        while i < len(text):
            char = text[i]
            if char == "*":
                parts.append("[^/]*")
            elif char == "?":
                parts.append("[^/]")
            elif char == "[":
                end = text.find("]", i + 2 if text[i + 1: i + 2] in ("!", "]") else i + 1)
                if end < 0:
                    parts.append(re.escape(char))
                else:
                    body = text[i + 1: end].replace("\\", "\\\\")
                    parts.append("[^" + body[1:] + "]" if body.startswith("!") else "[" + body + "]")
                    i = end
            else:
                parts.append(re.escape(char))
            i += 1
        body = "".join(parts)
        regex = body + r"(?:/.*)?" if "/" in text else rf"(?:{body}(?:/.*)?|[^/]*/[^/]*/[^/]*/{body})"
        try:
            compiled = _GLOB_CACHE[pattern] = re.compile(regex + r"\Z", re.S)
        except re.error as exc:  # a bracket such as [z-a]
            raise ExpressionError(f"pattern {pattern!r} is not a glob RLA can read ({exc}); "
                                  "write it as 2022/03/01/21-13* (* and ? within one part, [abc] a set)") from None
    return compiled
