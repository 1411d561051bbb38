"""A cache of parsed progress.csv columns: one file per run, read a column at a time.

The file of a csv is named by a hash of its path, under
:meth:`RLA.db.layout.Database.column_cache_dir`::

    <cache dir>/<csv path hash>.cols

It starts with a small header (:data:`MAGIC`, then the length and the JSON of
``{"signature": [size, mtime_ns], "stamp": hex, "columns": {name: layout}}``)
followed by the float64 values of each column, each preceded by the file's
random stamp (so a reader that planned its reads from one version of the file
never takes bytes of another one written meanwhile by another process). A
column's layout says what plotting needs without reading it:
``["values", offset, rows, finite]`` (``finite``: no NaN or inf),
``["range", first, step, rows]`` for a column that is exactly
``first + step * i`` (a regular time-step: nothing stored), or ``["absent"]``
when the csv has no such column.

A csv that changes (a run still logging) gets a new signature, so its file no
longer matches and is written again. Columns asked for later are added to the
file. A run's values are read from the file each time they are used
(:class:`CachedColumns`), so holding many runs holds none of their data:
plotting works one group at a time. Files are written atomically
(``RLA.db.atomic``), without fsync: the cache is only a cache. A damaged file is
read as missing and written again; when the cache cannot be read or written (a
read-only database) plotting goes on without it.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Callable, Dict, Iterable, Iterator, List, Mapping, NamedTuple, Optional, Set, Tuple, Union

import numpy as np

from RLA.db.atomic import atomic_writer
from RLA.easy_plot.aggregate import RegularSteps

__all__ = ["ColumnCache", "CachedColumns", "Signature", "signature_of"]

#: (size, mtime in ns) of a csv file
Signature = Tuple[int, int]

MAGIC = b"RLACOLS1"
_SUFFIX = ".cols"
_HEAD = 4096  # bytes read at first: the header of a file of up to a few hundred columns
_FLOAT64 = np.dtype("<f8")
_VALUES, _RANGE, _ABSENT = "values", "range", "absent"
_STAMP_BYTES = 8


def signature_of(path: Union[str, Path]) -> Optional[Signature]:
    """``(size, mtime)`` of a file; ``None`` without one, or when it cannot be reached (a loop of
    links: the listing names such an item as damaged)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns


@functools.lru_cache(maxsize=4096)
def _hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()[:20]


def _as_range(values: np.ndarray) -> Optional[RegularSteps]:
    """The column as :class:`~RLA.easy_plot.aggregate.RegularSteps` when it is exactly
    ``first + step * i`` with ``step > 0``."""
    if len(values) < 2 or not np.isfinite(values[:2]).all() or not values[1] > values[0]:
        return None
    steps = RegularSteps(float(values[0]), float(values[1] - values[0]), len(values))
    return steps if np.array_equal(steps.values(), values) else None


def _well_formed(layout: object) -> bool:
    """Whether a column's layout in a header is one this module writes."""
    if type(layout) is not list or not layout:
        return False
    kind = layout[0]
    if kind == _VALUES and len(layout) == 4:
        _, offset, rows, finite = layout
        return type(offset) is int and offset >= _STAMP_BYTES and type(rows) is int and rows >= 0 \
            and type(finite) is bool
    if kind == _RANGE and len(layout) == 4:
        _, first, step, rows = layout
        return type(first) in (int, float) and type(step) in (int, float) and step > 0 \
            and type(rows) is int and rows >= 2
    return kind == _ABSENT and len(layout) == 1


def _pread_exactly(fd: int, size: int, offset: int) -> Optional[bytes]:
    data = os.pread(fd, size, offset)
    return data if len(data) == size else None


def _read_values(path: str, stored: "_Stored", layout: list) -> Optional[np.ndarray]:
    """The values of a ``values`` column; ``None`` when the file is gone, too short, or no longer
    the one ``stored`` was read from (another process rewrote it: its stamp differs)."""
    _, offset, rows, _ = layout
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        data = _pread_exactly(fd, _STAMP_BYTES + rows * _FLOAT64.itemsize, stored.base + offset - _STAMP_BYTES)
    finally:
        os.close(fd)
    if data is None or data[:_STAMP_BYTES] != stored.stamp:
        return None
    return np.frombuffer(data, dtype=_FLOAT64, offset=_STAMP_BYTES)


class CachedColumns(Mapping[str, np.ndarray]):
    """A run's columns, read from its cache file on each access (nothing is kept in memory).

    :meth:`regular` and :meth:`finite` answer from the header, without reading values. When
    the file turns out rewritten (by another reader, or because the csv grew) or damaged, the
    run switches to the file as it is now, written again from the csv if need be, for all its
    columns at once: a time-step and a metric always come from the same version of the csv.
    """

    __slots__ = ("_cache", "_csv", "_stored", "_layouts", "_table")

    def __init__(self, cache: "ColumnCache", csv: str, stored: "_Stored", layouts: Dict[str, list]):
        self._cache = cache
        self._csv = csv
        self._stored = stored  # the file's header, as read
        self._layouts = layouts  # present columns only
        self._table: Optional[Dict[str, np.ndarray]] = None  # the parsed columns, when the cache cannot be written

    def __getitem__(self, name: str) -> np.ndarray:
        values = self._values(name)
        if values is None:
            self._renew()
            values = self._values(name)
        return values if values is not None else np.empty(0)

    def _values(self, name: str) -> Optional[np.ndarray]:
        if self._table is not None:
            return self._table.get(name)
        layout = self._layouts.get(name)
        if layout is None:
            return None
        if layout[0] == _RANGE:
            return RegularSteps(*layout[1:]).values()
        return _read_values(self._cache.file(self._csv), self._stored, layout)

    def _renew(self) -> None:
        current = self._cache.current(self._csv, list(self._layouts))
        if isinstance(current, CachedColumns):
            self._stored, self._layouts, self._table = current._stored, current._layouts, current._table
        else:
            self._table = current

    def regular(self, name: str) -> Optional[RegularSteps]:
        """The column as ``first + step * i``, when it is one."""
        layout = self._layouts[name] if self._table is None else None
        return RegularSteps(*layout[1:]) if layout is not None and layout[0] == _RANGE else None

    def finite(self, name: str) -> bool:
        """Whether every value of the column is finite (no NaN, no inf)."""
        if self._table is not None:
            return bool(np.isfinite(self._table[name]).all())
        layout = self._layouts[name]
        return layout[0] == _RANGE or bool(layout[3])

    def __contains__(self, name: object) -> bool:
        return name in (self._layouts if self._table is None else self._table)

    def __iter__(self) -> Iterator[str]:
        return iter(self._layouts if self._table is None else self._table)

    def __len__(self) -> int:
        return len(self._layouts if self._table is None else self._table)


class _Stored(NamedTuple):
    """What a cache file's header says."""

    signature: Optional[Signature]
    stamp: bytes  # random, written before each column's values: a reader knows it reads the file it planned
    base: int  # where the values start
    layouts: Dict[str, list]


class ColumnCache:
    """The columns of many runs' progress.csv files, under the folder ``path``.

    ``parse(csv, names)`` reads the columns ``names`` of a csv file (those it has) from the csv itself.
    """

    def __init__(self, path: Path, parse: Callable[[str, List[str]], Dict[str, np.ndarray]],
                 legacy_file: Optional[Path] = None):
        self.path = str(path)
        self.parse = parse
        self.legacy_file = legacy_file  # the SQLite cache of earlier releases, removed on the first write

    def file(self, csv: str) -> str:
        return os.path.join(self.path, _hash(csv) + _SUFFIX)

    def _stored(self, path: str) -> Optional[_Stored]:
        """The header of the file at ``path``; ``None`` when there is no readable one."""
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None
        try:
            head = os.pread(fd, _HEAD, 0)
            start = len(MAGIC) + 4
            if head[:len(MAGIC)] != MAGIC or len(head) < start:
                return None
            end = start + int.from_bytes(head[len(MAGIC):start], "little")
            text = head[start:end] if end <= len(head) else _pread_exactly(fd, end - start, start)
            header = json.loads(text) if text is not None else None
            if type(header) is not dict or type(header.get("columns")) is not dict \
                    or type(header.get("signature")) is not list or type(header.get("stamp")) is not str \
                    or not all(map(_well_formed, header["columns"].values())):
                return None
            stamp = bytes.fromhex(header["stamp"])
        except (OSError, ValueError):
            return None
        finally:
            os.close(fd)
        if len(stamp) != _STAMP_BYTES:
            return None
        return _Stored(tuple(header["signature"]), stamp, end + -end % _FLOAT64.itemsize, header["columns"])

    def _columns(self, csv: str, stored: _Stored, names: Iterable[str]) -> CachedColumns:
        layouts = {name: stored.layouts[name] for name in names if stored.layouts[name][0] != _ABSENT}
        return CachedColumns(self, csv, stored, layouts)

    def get(self, csv: str, signature: Signature, names: List[str]) -> Optional[CachedColumns]:
        """The ``names`` the csv has, when every one of them is known at ``signature``; else ``None``."""
        stored = self._stored(self.file(csv))
        if stored is None or stored.signature != signature or not all(n in stored.layouts for n in names):
            return None
        return self._columns(csv, stored, names)

    def current(self, csv: str, names: List[str]) -> Union[CachedColumns, Dict[str, np.ndarray]]:
        """The ``names`` the csv has as it is now: from the cache, else parsed and cached again (the
        parsed table itself when the cache cannot be written)."""
        signature = signature_of(csv)  # taken before parsing: rows added meanwhile make a newer signature
        cached = self.get(csv, signature, names) if signature is not None else None
        if cached is not None:
            return cached
        table = self.parse(csv, names)
        stored = self.put(csv, signature, table, set(names) - set(table)) if signature is not None else None
        return stored if stored is not None else table

    def put(self, csv: str, signature: Signature, table: Mapping[str, np.ndarray],
            absent: Set[str]) -> Optional[CachedColumns]:
        """Store the parsed columns ``table`` of a csv (and the names in ``absent`` it lacks) beside
        what its file already holds; the columns the file held at another signature are parsed
        again, so a run still logging keeps every column asked for. ``table``'s columns as
        :meth:`get` gives them, or ``None`` when the cache cannot be written."""
        path = self.file(csv)
        values: Dict[str, np.ndarray] = {}
        missing = set(absent)
        stored = self._stored(path)
        if stored is not None:
            kept = [c for c in stored.layouts if c not in table and c not in absent]
            if stored.signature == signature:
                for name in kept:
                    layout = stored.layouts[name]
                    if layout[0] == _ABSENT:
                        missing.add(name)
                    elif layout[0] == _RANGE:
                        values[name] = RegularSteps(*layout[1:]).values()
                    elif (old := _read_values(path, stored, layout)) is not None:
                        values[name] = old
            elif kept:
                reparsed = self.parse(csv, kept)
                values.update(reparsed)
                missing.update(set(kept) - set(reparsed))
        values.update(table)
        new = _Stored(signature, os.urandom(_STAMP_BYTES), 0, {})
        blobs = []
        offset = 0
        for name, column in values.items():
            steps = _as_range(column)
            if steps is not None:
                new.layouts[name] = [_RANGE, *steps]
                continue
            blobs.append(new.stamp + np.ascontiguousarray(column, dtype=_FLOAT64).tobytes())
            new.layouts[name] = [_VALUES, offset + _STAMP_BYTES, len(column), bool(np.isfinite(column).all())]
            offset += len(blobs[-1])
        new.layouts.update((name, [_ABSENT]) for name in missing)
        header = json.dumps({"signature": list(signature), "stamp": new.stamp.hex(), "columns": new.layouts},
                            separators=(",", ":")).encode()
        head = MAGIC + len(header).to_bytes(4, "little") + header
        head += b"\0" * (-len(head) % _FLOAT64.itemsize)  # the values start 8-byte aligned
        try:
            os.makedirs(self.path, exist_ok=True)
            with atomic_writer(path, "wb", durable=False) as f:
                f.write(head)
                for blob in blobs:
                    f.write(blob)
        except OSError:
            return None
        self._remove_earlier_formats(csv)
        return self._columns(csv, new._replace(base=len(head)), table)

    def _remove_earlier_formats(self, csv: str) -> None:
        """The per-column files of the previous release (a folder per csv) and the SQLite cache before it."""
        with contextlib.suppress(OSError):
            shutil.rmtree(os.path.join(self.path, _hash(csv)))
        if self.legacy_file is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.legacy_file)
            self.legacy_file = None
