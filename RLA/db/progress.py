"""What a ``progress.csv`` says: how many rows it has and the last time-step logged (read from its
tail), and the final, last, lowest and highest values of some keys (metric columns).

The tail is read without parsing the whole file, so listing many items (the query index),
checking a run before plotting it, or comparing two copies of it (sync) costs one sequential
read per file.
"""
from __future__ import annotations

import csv
import io
import itertools
import math
import os
from typing import Dict, List, NamedTuple, Optional, Union

from RLA.db.late_columns import csv_header, read_late, unfolded
from RLA.db.layout import TIME_STEP_COLUMN, TIME_STEP_RANGE

__all__ = ["ProgressSummary", "ColumnSummary", "summarize_csv", "summarize_columns", "csv_header", "time_step_value"]

_CHUNK = 1 << 20
#: the first read of a progress.csv: most are smaller (a buffer of a chunk, allocated for every
#: file, would cost eight times the read)
_FIRST_READ = 1 << 16
#: how much of the file's end is kept to find the last complete row in
_TAIL = 1 << 16


class ProgressSummary(NamedTuple):
    rows: Optional[int]  # complete rows after the header; None without a file
    last_time_step: Optional[int]  # the time-step of the last complete row that has one


def summarize_csv(path: Union[str, os.PathLike]) -> ProgressSummary:
    """``(rows, last time-step)`` of a progress.csv; ``(None, None)`` without one.

    Counts lines in chunks and parses only the header and the last complete
    rows. A row is complete when it ends with a newline and has as many fields
    as the header: the last line of a run killed mid-write (or of a full disk)
    may be torn (``500`` of ``49900,...``) and is neither counted nor read. A
    row with an empty time-step (a dump without one: ``,,``) counts as a row,
    and the time-step is taken from the rows before it.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return ProgressSummary(None, None)
    try:
        return _summarize(fd)
    except OSError:  # a folder in its place, or a read error
        return ProgressSummary(None, None)
    finally:
        os.close(fd)


def _summarize(fd: int) -> ProgressSummary:
    """:func:`summarize_csv` of the open file ``fd`` (read with os.read: a small file, as most
    are, costs one read; a short read of a file is its end)."""
    first = os.read(fd, _FIRST_READ)
    more = first
    while len(more) == _FIRST_READ and b"\n" not in first:  # a header longer than the first read
        more = os.read(fd, _FIRST_READ)
        first += more
    end = first.find(b"\n")
    header = first[:end + 1] if end >= 0 else first
    if _spans_lines(header):
        return _summarize_quoted(first + _rest(fd))
    if not header.strip() or not header.endswith(b"\n"):
        return ProgressSummary(0, None)
    lines, tail, cut = 0, b"", False
    rest = iter(lambda: os.read(fd, _CHUNK), b"") if len(more) == _FIRST_READ else ()
    for chunk in itertools.chain([first[end + 1:]], rest):
        if _spans_lines(chunk):
            os.lseek(fd, 0, os.SEEK_SET)
            return _summarize_quoted(_rest(fd))
        lines += chunk.count(b"\n")
        tail += chunk
        if len(tail) > _TAIL:
            tail, cut = tail[-_TAIL:], True
    columns = _fields(header)
    if columns is None or TIME_STEP_COLUMN not in columns:
        return ProgressSummary(lines, None)
    step_at = columns.index(TIME_STEP_COLUMN)
    complete = tail.split(b"\n")[:-1]  # the piece after the last newline is partial (or empty)
    if cut:
        complete = complete[1:]  # the first piece of a cut tail may be the end of a longer line
    for line in reversed(complete):
        row = _fields(line)
        if row is None or len(row) != len(columns):
            continue  # blank, or torn and then continued by a resumed run
        if not row[step_at].strip():
            continue  # a dump without a time-step
        return ProgressSummary(lines, time_step_value(row[step_at]))
    return ProgressSummary(lines, None)


def _rest(fd: int) -> bytes:
    """What is left to read of ``fd``."""
    return b"".join(iter(lambda: os.read(fd, _CHUNK), b""))


def time_step_value(value: object) -> Optional[int]:
    """A time-step as stored (a csv cell, a JSON value) as an int; ``None`` when it is none a run
    could have logged (not a number, not whole, outside :data:`TIME_STEP_RANGE`): damage."""
    if isinstance(value, bool):
        return None
    try:
        step = value if isinstance(value, int) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if isinstance(step, float):
        if not step.is_integer():  # nan and inf are not integers either
            return None
        step = int(step)
    return step if TIME_STEP_RANGE[0] <= step <= TIME_STEP_RANGE[1] else None


def _spans_lines(data: bytes) -> bool:
    """Whether a quoted csv field may run over a newline in ``data`` (a line with an odd number of
    quotes); then counting newlines would count such a row twice."""
    return b'"' in data and any(line.count(b'"') % 2 for line in data.split(b"\n"))


def _summarize_quoted(data: bytes) -> ProgressSummary:
    """:func:`summarize_csv` for a file with quoted fields, which may span lines: parsed whole."""
    text = data.decode("utf-8", errors="replace")
    complete = text.endswith("\n")
    try:
        records = [r for r in csv.reader(io.StringIO(text)) if r]
    except csv.Error:
        return ProgressSummary(None, None)
    if not complete and records:
        records.pop()  # torn by a kill
    if not records:
        return ProgressSummary(0, None)
    columns, rows = records[0], records[1:]
    if TIME_STEP_COLUMN not in columns:
        return ProgressSummary(len(rows), None)
    step_at = columns.index(TIME_STEP_COLUMN)
    for row in reversed(rows):
        if len(row) == len(columns) and row[step_at].strip():
            return ProgressSummary(len(rows), time_step_value(row[step_at]))
    return ProgressSummary(len(rows), None)


def _fields(line: bytes) -> Optional[List[str]]:
    """The csv fields of one line; ``None`` for a blank or unreadable line."""
    if not line.strip():
        return None
    if b'"' not in line and b"\r" not in line and b"\0" not in line:  # what the csv module would split alike
        return line.decode("utf-8", errors="replace").split(",")
    try:
        return next(csv.reader(io.StringIO(line.decode("utf-8", errors="replace"))))
    except (csv.Error, StopIteration):
        return None


class ColumnSummary(NamedTuple):
    """What a progress.csv says of one key: its last value (maybe NaN), its last finite value, and
    its lowest and highest finite values; None where the key has no such value."""

    last: Optional[float]
    final: Optional[float]
    low: Optional[float]
    high: Optional[float]


def _take(key: str, cell: str, last: Dict[str, float], final: Dict[str, float], low: Dict[str, float],
          high: Dict[str, float]) -> None:
    """Count one cell of ``key`` (in row order) into its summaries; an empty or non-numeric cell is none."""
    if not cell:
        return
    try:
        value = float(cell)
    except ValueError:
        return
    last[key] = value
    if math.isfinite(value):
        final[key] = value
        low[key] = min(low.get(key, value), value)
        high[key] = max(high.get(key, value), value)


def summarize_columns(path: Union[str, os.PathLike], keys: List[str]) -> Dict[str, ColumnSummary]:
    """:class:`ColumnSummary` of each of ``keys`` in a progress.csv and its late columns
    (:mod:`RLA.db.late_columns`; all None for a key it lacks, or without a file). A key logged at
    its own steps has empty cells in the other rows: its values are read from the rows that have
    one. A last line torn by a kill is not read."""
    return unfolded(path, lambda: _summarize_columns(path, keys))


def _summarize_columns(path: Union[str, os.PathLike], keys: List[str]) -> Dict[str, ColumnSummary]:
    empty = ColumnSummary(None, None, None, None)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return dict.fromkeys(keys, empty)
    data = data[: data.rfind(b"\n") + 1]  # a line without its newline may be torn
    try:
        records = csv.reader(io.StringIO(data.decode("utf-8", errors="replace")))
        header = next(records, None)
        if not header:
            return dict.fromkeys(keys, empty)
        at = {key: header.index(key) for key in keys if key in header}
        last: Dict[str, float] = {}
        final: Dict[str, float] = {}
        low: Dict[str, float] = {}
        high: Dict[str, float] = {}
        width = len(header)
        rows = 0
        for row in records:
            if len(row) != width:
                continue
            rows += 1
            for key, position in at.items():
                _take(key, row[position], last, final, low, high)
    except csv.Error:
        return dict.fromkeys(keys, empty)
    late = read_late(path, [k for k in keys if k not in at], header) if len(at) < len(keys) else {}
    for key, cells in late.items():
        for row_index in sorted(cells):
            if row_index < rows:
                _take(key, cells[row_index], last, final, low, high)
    return {key: ColumnSummary(last.get(key), final.get(key), low.get(key), high.get(key)) for key in keys}
