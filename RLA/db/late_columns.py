"""progress.csv's late columns: the values of keys that first appeared once the file had grown.

A csv file names its columns once, in its header, so a key that appears mid-run
means rewriting the whole file: at a new key per dump, each dump would cost the
size of the file. Instead, while the file is larger than :data:`SMALL_FILE`, the
values of keys its header lacks go to ``progress.late.jsonl`` beside it, one
JSON line per row that has any::

    [row, {"key": "cell", ...}]

``row`` is the row's 0-based position in progress.csv (whose rows are all still
written there, with the header's columns) and ``cell`` the text the csv would hold.
The writer folds the late columns into progress.csv (one atomic rewrite, then the
side file is removed) once the side file reaches :data:`LATE_SHARE` of the csv's
size, so the rewrites cost a bounded share of what is written. Both files are
append-only between folds.

Every reader of progress.csv merges the side file (:func:`progress_columns`,
:func:`read_late`): a late key is one more column, empty in the rows that have
no value for it. A key the header already has is never taken from the side file
(a fold that stopped before removing it left it there). A reader reads
progress.csv first, then the side file (the writer writes a row's late cells
before the row, so every row read finds its cells), and reads both again when a
fold replaced progress.csv meanwhile (:func:`unfolded`): the side file it would
read next may already be gone.
"""
from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path
from typing import Any, Callable, Collection, Dict, Iterator, List, Optional, Tuple, TypeVar, Union

from RLA.db.item_files import PROGRESS_LATE

__all__ = ["SMALL_FILE", "LATE_SHARE", "late_file", "cell_text", "late_line", "late_lines", "late_rows",
           "read_late", "late_numbers", "csv_header", "progress_columns", "read_progress", "unfolded"]

PathLike = Union[str, "os.PathLike[str]"]
T = TypeVar("T")

#: a progress.csv up to this size gets a new column by a rewrite at once (what most runs ever see)
SMALL_FILE = 64 << 10
#: the late columns are folded into progress.csv when the side file reaches this share of its size
LATE_SHARE = 0.25
#: reads of a progress table tried while folds keep replacing its file (each fold takes a quarter of it)
_READ_ATTEMPTS = 5


def late_file(csv_path: PathLike) -> Path:
    """The side file of the late columns of ``csv_path``."""
    return Path(csv_path).with_name(PROGRESS_LATE)


def cell_text(value: Any) -> str:
    """A value as a csv cell holds it (what ``csv.writer`` writes for it)."""
    return "" if value is None else value if isinstance(value, str) else str(value)


def late_line(row: int, cells: Dict[str, str]) -> str:
    """One line of the side file: the late cells of row ``row``."""
    return json.dumps([row, cells], ensure_ascii=False, separators=(",", ":")) + "\n"


def late_lines(csv_path: PathLike) -> Iterator[Tuple[int, Dict[str, str], int]]:
    """``(row, cells, offset after the line)`` of every whole, readable line of the side file; a torn
    last line or a damaged one is skipped. Nothing when there is no side file."""
    try:
        f = open(late_file(csv_path), "rb")
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return
    with f:
        offset = 0
        for line in f:
            offset += len(line)
            if not line.endswith(b"\n"):
                break  # torn by a kill: the writer cuts it before appending
            parsed = _parse(line)
            if parsed is not None:
                yield parsed[0], parsed[1], offset


def _parse(line: bytes) -> Optional[Tuple[int, Dict[str, str]]]:
    try:
        row, cells = json.loads(line.decode("utf-8", errors="replace"))
    except (ValueError, TypeError):
        return None
    if isinstance(row, bool) or not isinstance(row, int) or row < 0 or not isinstance(cells, dict):
        return None
    return row, {str(k): v if isinstance(v, str) else cell_text(v) for k, v in cells.items()}


def late_numbers(cells: Dict[int, str], rows: int) -> Tuple[List[float], bool]:
    """A late column over ``rows`` rows as numbers (NaN where a row has no number), and whether every
    cell it has is one (a column of text otherwise)."""
    values = [math.nan] * rows
    numbers = True
    for row, cell in cells.items():
        if row >= rows or cell == "":
            continue
        try:
            values[row] = float(cell)
        except ValueError:
            numbers = False
    return values, numbers


def csv_header(csv_path: PathLike) -> List[str]:
    """The column names of a csv file's own header (its first line; a byte that is not UTF-8 reads
    as U+FFFD)."""
    with open(csv_path, encoding="utf-8", errors="replace", newline="") as f:  # a quoted name may span lines
        return next(csv.reader(f), [])


def read_late(csv_path: PathLike, wanted: Optional[Collection[str]] = None,
              header: Optional[List[str]] = None) -> Dict[str, Dict[int, str]]:
    """``{key: {row: cell}}`` of the late columns of ``csv_path`` (those in ``wanted``, or all), in the
    order they first appear; the header's own columns (``header``, read when not given) are left out."""
    own = set(csv_header(csv_path) if header is None else header)
    found: Dict[str, Dict[int, str]] = {}
    for row, cells, _ in late_lines(csv_path):
        for key, cell in cells.items():
            if key in own or (wanted is not None and key not in wanted):
                continue
            found.setdefault(key, {})[row] = cell
    return found


def late_rows(csv_path: PathLike, header: Collection[str]) -> Tuple[List[str], Dict[int, Dict[str, str]]]:
    """``(late keys in the order they appeared, {row: {key: cell}})``: what folding the late columns
    into a progress.csv whose header is ``header`` adds to each row."""
    own = set(header)
    keys: Dict[str, None] = {}
    by_row: Dict[int, Dict[str, str]] = {}
    for row, cells, _ in late_lines(csv_path):
        late = {k: v for k, v in cells.items() if k not in own}
        if late:
            keys.update(dict.fromkeys(late))
            by_row.setdefault(row, {}).update(late)
    return list(keys), by_row


def unfolded(csv_path: PathLike, read: Callable[[], T]) -> T:
    """``read()``, a read of progress.csv and then of its late columns, done again while a fold replaced
    progress.csv during it: such a read may have met the old file and no side file (removed by the fold)."""
    for _ in range(_READ_ATTEMPTS - 1):
        before = _identity(csv_path)
        result = read()
        if _identity(csv_path) == before:
            return result
    return read()


def _identity(csv_path: PathLike) -> Optional[Tuple[int, int]]:
    try:
        stat = os.stat(csv_path)
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def progress_columns(csv_path: PathLike) -> List[str]:
    """Every column of a progress table: its header's, then its late columns'."""
    def read() -> List[str]:
        header = csv_header(csv_path)
        return header + list(read_late(csv_path, header=header))

    return unfolded(csv_path, read)


def read_progress(csv_path: PathLike, as_text: bool = False, **read_csv: Any) -> Any:
    """A progress table as a pandas DataFrame (``read_csv`` passed to ``pandas.read_csv``), its late
    columns after the header's: numbers where every value is one, text otherwise, empty cells NaN.
    ``as_text``: every cell as the file holds it, ``""`` where a row has no value (a logged NaN is
    ``nan``, not an empty cell)."""
    import pandas

    if as_text:
        read_csv = {**read_csv, "dtype": str, "keep_default_na": False}

    def read() -> Any:
        frame = pandas.read_csv(csv_path, **read_csv)
        if as_text:
            frame = frame.fillna("")  # the fields a short row lacks
        late = {}
        for key, cells in read_late(csv_path, header=list(frame.columns)).items():
            values, numbers = late_numbers(cells, len(frame))
            late[key] = [cells.get(row, "") for row in range(len(frame))] if as_text else \
                values if numbers else [cells.get(row) or None for row in range(len(frame))]
        return pandas.concat([frame, pandas.DataFrame(late, index=frame.index)], axis=1) if late else frame

    return unfolded(csv_path, read)
