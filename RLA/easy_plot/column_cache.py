"""A cache of parsed progress.csv columns: one ``.npy`` file per column of a run.

The files of one csv live in a folder named by a hash of its path, under
:meth:`RLA.db.layout.Database.column_cache_dir`, and are named by the csv's
signature (size and modification time) and a hash of the column name::

    <cache dir>/<csv path hash>/<size>-<mtime_ns>.<column hash>.npy        the float64 values
    <cache dir>/<csv path hash>/<size>-<mtime_ns>.<column hash>.range.npy  [first, step, rows] of a
                                                                        column first + step * i
    <cache dir>/<csv path hash>/<size>-<mtime_ns>.<column hash>.absent     the csv has no such column

A csv that changes (a run still logging) gets a new signature, so its old
files no longer match; they are removed when the new ones are written. A run's
columns are read from their files each time they are used
(:class:`CachedColumns`), so holding many runs holds none of their data: plotting
works one group at a time. Files are written atomically (``RLA.db.atomic``),
without fsync: the cache is only a cache. A damaged file is read as missing and
written again; when the cache cannot be read or written (a read-only database)
plotting goes on without it.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import os
from pathlib import Path
from typing import Callable, Dict, Iterator, Mapping, Optional, Sequence, Set, Tuple, Union

import numpy as np

from RLA.db.atomic import atomic_write, atomic_writer, is_temp_name

__all__ = ["ColumnCache", "CachedColumns", "Signature", "signature_of", "read_column", "read_npy"]

#: (size, mtime in ns) of a csv file
Signature = Tuple[int, int]

_NPY, _RANGE, _ABSENT = ".npy", ".range.npy", ".absent"
_NPY_MAGIC = b"\x93NUMPY\x01\x00"  # format 1.0: a 2-byte header length follows
_FLOAT64 = np.dtype("<f8")


def signature_of(path: Union[str, Path]) -> Optional[Signature]:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return stat.st_size, stat.st_mtime_ns


@functools.lru_cache(maxsize=4096)
def _hash(text: str, length: int) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogateescape")).hexdigest()[:length]


def _as_range(values: np.ndarray) -> Optional[np.ndarray]:
    """``[first, step, rows]`` when ``values`` is exactly ``first + step * i`` (a regular time-step)."""
    if len(values) < 2 or not np.isfinite(values[:2]).all():
        return None
    first, step = float(values[0]), float(values[1] - values[0])
    if not np.array_equal(first + step * np.arange(len(values), dtype=np.float64), values):
        return None
    return np.array([first, step, len(values)], dtype=np.float64)


def read_column(path: str) -> Optional[np.ndarray]:
    """A column from its cache file (``.npy`` or ``.range.npy``); ``None`` when it is unreadable."""
    values = read_npy(path)
    if values is None or not path.endswith(_RANGE):
        return values
    if len(values) != 3:
        return None
    first, step, rows = values
    return first + step * np.arange(int(rows), dtype=np.float64)


def read_npy(path: str) -> Optional[np.ndarray]:
    """The 1-D float64 array of a ``.npy`` file this cache wrote, read in one system call;
    ``None`` when it is missing, truncated or not such a file."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    if data[:8] != _NPY_MAGIC or len(data) < 10:
        return None
    start = 10 + int.from_bytes(data[8:10], "little")
    rows, rest = divmod(len(data) - start, _FLOAT64.itemsize)
    header = data[10:start]
    if rest or rows < 0 or b"'descr': '<f8'" not in header or b"'fortran_order': False" not in header \
            or f"'shape': ({rows},)".encode() not in header:
        return None
    return np.frombuffer(data, dtype=_FLOAT64, offset=start)


class CachedColumns(Mapping[str, np.ndarray]):
    """A run's columns, read from their cache files on each access (nothing is kept in memory).

    ``reread(name)`` gives a column whose file turned out damaged or gone (parsed from the csv again).
    """

    __slots__ = ("_files", "_reread")

    def __init__(self, files: Dict[str, str], reread: Callable[[str], np.ndarray]):
        self._files = files
        self._reread = reread

    def __getitem__(self, name: str) -> np.ndarray:
        values = read_column(self._files[name])
        return values if values is not None else self._reread(name)

    def __contains__(self, name: object) -> bool:
        return name in self._files

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)


class ColumnCache:
    """The columns of many runs' progress.csv files, under the folder ``path``."""

    def __init__(self, path: Path, legacy_file: Optional[Path] = None):
        self.path = str(path)
        self.legacy_file = legacy_file  # the SQLite cache of earlier releases, removed on the first write

    def _folder(self, csv: str) -> str:
        return os.path.join(self.path, _hash(csv, 20))

    def files(self, csv: str, signature: Signature, columns: Sequence[str]) -> Optional[Dict[str, str]]:
        """The cache files of the ``columns`` the csv has, when every one of ``columns`` is known
        at ``signature`` (as a file, or as absent); else ``None``."""
        folder = self._folder(csv)
        try:
            names = set(os.listdir(folder))
        except OSError:
            return None
        prefix = "%d-%d." % signature
        found = {}
        for column in columns:
            stem = prefix + _hash(column, 16)
            if stem + _NPY in names:
                found[column] = os.path.join(folder, stem + _NPY)
            elif stem + _RANGE in names:
                found[column] = os.path.join(folder, stem + _RANGE)
            elif stem + _ABSENT not in names:
                return None
        return found

    def put(self, csv: str, signature: Signature, table: Mapping[str, np.ndarray],
            absent: Set[str]) -> Optional[Dict[str, str]]:
        """Store the columns of a csv (and the names it lacks); the files written, or ``None``
        when the cache cannot be written. Files of another signature of that csv are removed."""
        folder = self._folder(csv)
        prefix = "%d-%d." % signature
        written = {}
        try:
            os.makedirs(folder, exist_ok=True)
            for name in os.listdir(folder):
                if not name.startswith(prefix) and not is_temp_name(name):
                    os.unlink(os.path.join(folder, name))
            for column, values in table.items():
                as_range = _as_range(values)
                path = os.path.join(folder, prefix + _hash(column, 16) + (_NPY if as_range is None else _RANGE))
                with atomic_writer(path, "wb", durable=False) as f:
                    np.save(f, np.ascontiguousarray(values if as_range is None else as_range, dtype=_FLOAT64),
                            allow_pickle=False)
                written[column] = path
            for column in absent:
                atomic_write(os.path.join(folder, prefix + _hash(column, 16) + _ABSENT), b"", durable=False)
        except OSError:
            return None
        if self.legacy_file is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.legacy_file)
            self.legacy_file = None
        return written
