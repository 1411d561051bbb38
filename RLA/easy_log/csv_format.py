"""The logger's ``csv`` format: ``progress.csv``, one row per dump, and its late columns.

A key that first appears mid-run adds a column. While progress.csv is small
(:data:`RLA.db.late_columns.SMALL_FILE`) the file is rewritten with it at once,
atomically and durably (:mod:`RLA.db.atomic`). Once it has grown, the new keys'
values go to the late-columns file beside it (:mod:`RLA.db.late_columns`), and
all late columns are folded into progress.csv by one rewrite when that file
reaches :data:`RLA.db.late_columns.LATE_SHARE` of its size: a dump costs a bounded
multiple of its own row, however many new keys arrive, instead of the file's size.

Each record lands whole or not at all (:class:`RLA.easy_log.append_file.AppendFile`);
a row's late cells are written before the row, and taken back if the row cannot
be written, so a late line always names a row of progress.csv. Opening the file
again (a resumed run) cuts a row torn by a kill and late lines of rows that never
landed, and finishes a fold that was stopped before its late file was removed.
"""
from __future__ import annotations

import contextlib
import csv
import io
import os
from typing import Any, Dict, List, Optional, Union

from RLA.db.atomic import atomic_writer
from RLA.db.late_columns import (
    LATE_SHARE,
    SMALL_FILE,
    cell_text,
    late_file,
    late_line,
    late_lines,
    late_rows,
)
from RLA.db.progress import csv_header, summarize_csv
from RLA.easy_log.append_file import AppendFile
from RLA.easy_log.kv_writer import KVWriter

__all__ = ["CSVOutputFormat"]

PathLike = Union[str, "os.PathLike[str]"]


class CSVOutputFormat(KVWriter):
    """``progress.csv``: one row per dump, ``time-step`` first; see the module."""

    name = "csv"

    def __init__(self, path: PathLike, late_share: float = LATE_SHARE, small_file: int = SMALL_FILE):
        self.path = os.fspath(path)
        self.late_path = os.fspath(late_file(self.path))
        #: a fold happens when the late file reaches this share of progress.csv (0: at every new key)
        self.late_share = late_share
        self.small_file = small_file
        self._cut_torn_row()
        self.keys: List[str] = csv_header(self.path) if os.path.exists(self.path) else []
        self._key_set = set(self.keys)
        self.rows = summarize_csv(self.path).rows or 0
        self.csv_bytes = os.path.getsize(self.path) if os.path.exists(self.path) else 0
        #: keys whose values go to the late file, in the order they appeared
        self.late_keys: List[str] = []
        self.late_bytes = 0
        self._open_late()
        self._late_set = set(self.late_keys)
        self.file = AppendFile(self.path)
        self._late: Optional[AppendFile] = None

    def _cut_torn_row(self) -> None:
        """Drop the end of a row a kill tore (no newline after it), so the next row starts on its own line."""
        try:
            with open(self.path, "rb") as f:
                size = f.seek(0, os.SEEK_END)
                if size == 0:
                    return
                f.seek(max(0, size - 1))
                if f.read(1) == b"\n":
                    return
                keep = _after_last_newline(f, size)
        except (FileNotFoundError, IsADirectoryError):
            return
        os.truncate(self.path, keep)

    def _open_late(self) -> None:
        """Read the late keys; cut late lines of rows that never landed, and a late file holding nothing
        the header lacks (a fold stopped before removing it)."""
        keep = 0
        for row, cells, end in late_lines(self.path):
            if row >= self.rows:
                break  # written just before a kill stopped its row
            keep = end
            self.late_keys += [k for k in cells if k not in self._key_set and k not in self.late_keys]
        if not os.path.isfile(self.late_path):
            return
        if not self.late_keys:
            os.remove(self.late_path)
        elif os.path.getsize(self.late_path) > keep:
            os.truncate(self.late_path, keep)
        self.late_bytes = keep if self.late_keys else 0

    def write(self, key_values: Dict[str, Any], step: int) -> None:
        cells = {k: cell_text(v) for k, v in key_values.items() if k not in self._key_set}  # the late ones
        if not cells:
            self._append(self._row(key_values), b"")
            return
        new_keys = [k for k in cells if k not in self._late_set]
        line = late_line(self.rows, cells).encode("utf-8")
        row = self._row(key_values)
        if self._fold_due(bool(new_keys), len(row), len(line)):
            self._fold(self.late_keys + new_keys)
            self._append(self._row(key_values), b"")
        else:
            self._append(row, line)
            self.late_keys += new_keys
            self._late_set.update(new_keys)

    def _row(self, key_values: Dict[str, Any]) -> bytes:
        text = io.StringIO()
        csv.writer(text).writerow([cell_text(key_values.get(k)) for k in self.keys])
        return text.getvalue().encode("utf-8")

    def _fold_due(self, new_keys: bool, row: int, line: int) -> bool:
        """Whether to rewrite progress.csv with the late columns now: for a new key while the file is
        small, or once the late file would reach its share of it."""
        return ((new_keys and self.csv_bytes + row <= self.small_file)
                or self.late_bytes + line >= self.late_share * self.csv_bytes)

    def _append(self, row: bytes, line: bytes) -> None:
        """The row's late cells (if any), then the row; both or neither."""
        if line:
            if self._late is None:
                self._late = AppendFile(self.late_path)
            self._late.append(line.decode("utf-8"))
        try:
            self.file.append(row.decode("utf-8"))
        except OSError:
            if line:
                with contextlib.suppress(OSError):
                    os.truncate(self.late_path, self.late_bytes)
            raise
        self.late_bytes += len(line)
        self.csv_bytes += len(row)
        self.rows += 1

    def _fold(self, late_keys: List[str]) -> None:
        """Rewrite progress.csv with the late columns; on an error (a full disk) both files and the keys stay."""
        _, by_row = late_rows(self.path, self.keys)
        keys = self.keys + late_keys
        with atomic_writer(self.path, durable=True, newline="") as out:
            writer = csv.writer(out)
            writer.writerow(keys)
            if self.keys:
                with open(self.path, encoding="utf-8", newline="") as old:
                    reader = csv.reader(old)
                    next(reader, None)
                    padding = [""] * len(late_keys)
                    for index, cells in enumerate(reader):
                        late = by_row.get(index)
                        writer.writerow(cells + ([late.get(k, "") for k in late_keys] if late else padding))
        self.close()
        with contextlib.suppress(FileNotFoundError):
            os.remove(self.late_path)  # after the rewrite: until then the late cells are still read from it
        self.file = AppendFile(self.path)  # the rewrite is a new file
        self.keys, self._key_set = keys, set(keys)
        self.late_keys, self._late_set, self.late_bytes = [], set(), 0
        self.csv_bytes = os.path.getsize(self.path)

    def close(self) -> None:
        self.file.close()
        if self._late is not None:
            self._late.close()
            self._late = None


def _after_last_newline(f: Any, size: int) -> int:
    """The offset just after the last newline of the open file ``f`` of ``size`` bytes (0 without one)."""
    end = size
    while end > 0:
        start = max(0, end - (1 << 16))
        f.seek(start)
        chunk = f.read(end - start)
        at = chunk.rfind(b"\n")
        if at >= 0:
            return start + at + 1
        end = start
    return 0
