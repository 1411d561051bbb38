"""Log names: ``<HH-MM-SS-ffffff>_<ip>_&k1=v1&k2=v2``, written in v1 form, read in legacy form too.

Legacy names (earlier releases) separate the parts with spaces; they are read
everywhere and never written.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any, Dict, Optional, Sequence, Tuple

__all__ = ["ItemName", "format_log_name", "parse_log_name", "is_log_name", "log_start", "readable_name", "TIME_FORMAT",
           "MAX_NAME_BYTES"]

TIME_FORMAT = "%H-%M-%S-%f"
MAX_NAME_BYTES = 250

_V1_NAME = re.compile(r"^(?P<time>\d{2}-\d{2}-\d{2}-\d{6})_(?P<ip>[^_ ]*)_(?P<info>&.*)$", re.S)
_LEGACY_NAME = re.compile(r"^(?P<time>\d{2}-\d{2}-\d{2}-\d{6}) (?P<ip>\S*) ?(?P<info>.*)$", re.S)
# "&" separates parameters and the first "=" a key from its value: neither may appear where it
# would split a parameter differently when the name is read back
_VALUE_REPLACEMENTS = str.maketrans({"[": "{", "]": "}", "/": "_", "\\": "_", "\0": "_", "\n": " ", "&": "_"})
_KEY_REPLACEMENTS = str.maketrans({"=": "_"})


def readable_name(name: str) -> str:
    """``name`` as text every library can hold: a byte of a folder name that is not UTF-8
    (which Python keeps as a lone surrogate) is shown as ``\\xNN``."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return name


def _format_value(value: Any) -> str:
    return str(value).translate(_VALUE_REPLACEMENTS)


def _format_key(key: Any) -> str:
    return _format_value(key).translate(_KEY_REPLACEMENTS)


def format_log_name(timestamp: _dt.datetime, ip: str, tracked: Sequence[Tuple[str, Any]]) -> str:
    """The v1 log_name: ``<HH-MM-SS-ffffff>_<ip>_&k1=v1&k2=v2`` (``_&`` with no params).

    A name longer than a file system allows is cut and ends in a hash of the
    full info, so two different parameter sets never share a name.
    """
    info = "&" + "&".join(f"{_format_key(k)}={_format_value(v)}" for k, v in tracked)
    prefix = f"{timestamp.strftime(TIME_FORMAT)}_{ip}_"
    name = prefix + info
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        digest = hashlib.sha1(info.encode("utf-8")).hexdigest()[:10]
        budget = MAX_NAME_BYTES - len(prefix.encode("utf-8")) - len(digest) - 1
        cut = info.encode("utf-8")[:budget].decode("utf-8", errors="ignore")
        name = f"{prefix}{cut}~{digest}"
    return name


@dataclass(frozen=True)
class ItemName:
    """A parsed log_name: v1 (``_``-separated) or legacy (space-separated)."""

    time: _dt.time
    ip: str
    info: str
    legacy: bool

    def params(self) -> Dict[str, str]:
        """The tracked parameters encoded in the name, as strings."""
        out: Dict[str, str] = {}
        for part in self.info.split("&"):
            if not part:
                continue
            key, sep, value = part.partition("=")
            out[key] = value if sep else ""
        return out


def parse_log_name(name: str) -> Optional[ItemName]:
    """Parse a log_name (v1 or legacy); ``None`` when it is not an RLA name."""
    for pattern, legacy in ((_V1_NAME, False), (_LEGACY_NAME, True)):
        match = pattern.match(name)
        if match:
            time = _time_of(match["time"])
            return None if time is None else ItemName(time=time, ip=match["ip"], info=match["info"], legacy=legacy)
    return None


def is_log_name(name: str) -> bool:
    """Whether :func:`parse_log_name` parses ``name`` (asked of every entry of a day folder)."""
    match = _V1_NAME.match(name) or _LEGACY_NAME.match(name)
    return match is not None and _time_of(match["time"]) is not None


def _time_of(text: str) -> Optional[_dt.time]:
    """The time of a name's ``HH-MM-SS-ffffff`` (digits; strptime of TIME_FORMAT is ten times slower)."""
    try:
        return _dt.time(int(text[0:2]), int(text[3:5]), int(text[6:8]), int(text[9:15]))
    except ValueError:
        return None


def log_start(date: str, name: str) -> Optional[_dt.datetime]:
    """When a run started, read from its date folder (``YYYY/MM/DD``) and log name; None for another name."""
    try:  # the fast path, for v1 and legacy names alike: HH-MM-SS-ffffff first
        if name[2] == name[5] == name[8] == "-" and name[9:15].isdigit():
            year, month, day = date.split("/")
            return _dt.datetime(int(year), int(month), int(day), int(name[0:2]), int(name[3:5]),
                                int(name[6:8]), int(name[9:15]))
    except (ValueError, IndexError):
        pass
    parsed = parse_log_name(name)
    if parsed is None:
        return None
    return _dt.datetime.combine(_dt.datetime.strptime(date, "%Y/%m/%d").date(), parsed.time)
