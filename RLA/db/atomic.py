"""Replace a file (or publish a folder) whole or not at all: the one way RLA does it.

A writer fills a temporary file beside the target (one name scheme:
``.<name>.<pid>.<random>.tmp``), flushes it and renames it over the target, so a
reader sees the old file or the new one, never half of one; a process killed
midway leaves at most a temporary file, which readers ignore.

``durable=True`` (the default) also survives a machine crash or power loss:
the file's data is fsynced before the rename (otherwise some file systems
commit the rename first and leave an empty file), and the folder after it
(otherwise the rename itself may be lost). RLA asks for it for everything a
user cannot get back: ``run.json`` and ``params.json``, the run's pickle,
checkpoints and their index, SB3 zips, and progress files when they are
rewritten (a new column, a rewind). Caches that are rebuilt from the items
when they are missing or damaged (the query index) pass ``durable=False``:
an fsync there would only cost time.
"""
from __future__ import annotations

import contextlib
import errno
import os
import secrets
from pathlib import Path
from typing import IO, Any, Iterator, Optional, Union

from RLA.errors import DiskFullError

__all__ = ["atomic_write", "atomic_writer", "temp_path", "is_temp_name", "publish", "fsync_tree", "free_path",
           "reporting_full_disk"]

PathLike = Union[str, os.PathLike]
_TEMP_SUFFIX = ".tmp"
#: the errors of a write that found no room: the device is full, or the user's quota is used up
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


@contextlib.contextmanager
def reporting_full_disk(path: PathLike) -> Iterator[None]:
    """Turn a full disk met in the block into one clear :class:`DiskFullError` naming ``path``."""
    try:
        yield
    except DiskFullError:
        raise
    except OSError as exc:
        if exc.errno in _NO_SPACE:
            raise DiskFullError(path) from None  # one clear error: its message says all the OSError did
        raise


def temp_path(path: PathLike) -> Path:
    """A fresh temporary name beside ``path``, unique across processes and threads."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{_TEMP_SUFFIX}")


def is_temp_name(name: str) -> bool:
    """Whether ``name`` is a temporary file or folder of an unfinished write."""
    return name.startswith(".") and name.endswith(_TEMP_SUFFIX)


@contextlib.contextmanager
def atomic_writer(path: PathLike, mode: str = "w", *, durable: bool = True, encoding: Optional[str] = "utf-8",
                  newline: Optional[str] = None) -> Iterator[IO[Any]]:
    """Open a temporary file to write ``path`` with; on a clean exit it replaces ``path``.

    On an error the temporary file is removed and ``path`` is left as it was; a full disk
    raises :class:`RLA.errors.DiskFullError`.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_writer writes a whole file: mode 'w' or 'wb', got {mode!r}")
    path = Path(path)
    tmp = temp_path(path)
    binary = mode == "wb"
    try:
        with reporting_full_disk(path):
            with open(tmp, mode, encoding=None if binary else encoding, newline=None if binary else newline) as f:
                yield f
                f.flush()
                if durable:
                    os.fsync(f.fileno())
            publish(tmp, path, durable=durable)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write(path: PathLike, data: Union[str, bytes], *, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8)."""
    with atomic_writer(path, "wb" if isinstance(data, bytes) else "w", durable=durable) as f:
        f.write(data)


def publish(prepared: PathLike, target: PathLike, *, durable: bool = True) -> None:
    """Rename a fully written file or folder ``prepared`` to ``target`` (replacing a file there).

    For a folder, call :func:`fsync_tree` on it first when it must be durable.
    """
    os.replace(prepared, target)
    if durable:
        _fsync(Path(target).parent)


def fsync_tree(folder: PathLike) -> None:
    """Flush every file under ``folder`` to disk (before publishing the folder)."""
    for root, _, files in os.walk(os.fspath(folder)):
        for name in files:
            _fsync(Path(root) / name)


def free_path(path: PathLike) -> Path:
    """``path``, or when it exists the first free ``<stem>-<n><suffix>`` beside it."""
    path = Path(path)
    candidate, n = path, 1
    while os.path.lexists(candidate):
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        n += 1
    return candidate


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
