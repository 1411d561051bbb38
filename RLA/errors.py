"""Every exception RLA raises on purpose, under one root: :class:`RLAError`.

A caller (the ``rla`` command, the scripts, the web page) catches
``RLAError`` and shows its message, which says what to do next; anything else
is a bug and keeps its traceback. Each class also keeps the built-in base that
callers of earlier releases caught (``ValueError``, ``LookupError``, ...).
"""
from __future__ import annotations

import errno
import os

__all__ = [
    "RLAError",
    "UsageError",
    "ConfigError",
    "LayoutError",
    "DamagedFileError",
    "ExpressionError",
    "SelectionError",
    "ConflictError",
    "DatabaseNotFoundError",
    "ItemNotFoundError",
    "NoDataError",
    "RunNotStartedError",
    "RunStateError",
    "CheckpointNotFoundError",
    "SyncError",
    "HostKeyError",
    "DiskFullError",
]


class RLAError(Exception):
    """The root of every RLA exception; the message tells the user what to do next."""

    #: the exit status of the ``rla`` command and the scripts when this error ends them
    exit_code = 1


class UsageError(RLAError, ValueError):
    """A call got arguments that cannot work together or are out of range."""

    exit_code = 2


class ConfigError(RLAError, ValueError):
    """A configuration key is unknown, mistyped or has a value out of range."""

    exit_code = 2


class LayoutError(RLAError, ValueError):
    """A name or path does not follow the RLA database layout."""

    exit_code = 2


class DamagedFileError(RLAError, ValueError):
    """A file of an item cannot be read: a folder in its place, bytes that are not text, a broken table.
    Readers leave that item out (and say so); every other item reads normally."""


class ExpressionError(RLAError, ValueError):
    """A parameter expression or pattern that cannot be used, with the reason."""

    exit_code = 2


class SelectionError(RLAError, ValueError):
    """A selection is refused: it would take a whole table without ``allow_all``, or its items are not in
    the one table a command needs."""


class ConflictError(RLAError, FileExistsError):
    """The destination of a move or copy already exists."""


class DatabaseNotFoundError(RLAError, FileNotFoundError):
    """The data root given holds no RLA database."""


class ItemNotFoundError(RLAError, LookupError):
    """A record date matches no item, or more than one."""


class NoDataError(RLAError, LookupError):
    """A value asked for was never recorded: a metric, a parameter, custom data."""


class RunNotStartedError(RLAError, RuntimeError):
    """A call needs a run that ``configure`` + ``log_files_gen`` have not started yet."""


class RunStateError(RLAError, RuntimeError):
    """An item cannot be taken in its present state (still running, claimed by another process)."""


class CheckpointNotFoundError(RLAError, FileNotFoundError):
    """A run has no checkpoint, or none at the asked time-step."""


class SyncError(RLAError, OSError):
    """A push or pull could not reach the remote database or write to it."""


class HostKeyError(SyncError):
    """The remote host's key is unknown or does not match known_hosts: the connection was refused."""

    exit_code = 2


class DiskFullError(RLAError, OSError):
    """A write found no space left on the disk holding ``path`` (or the disk quota used up).

    What was written before is kept whole: the rows dumped so far, the previous checkpoint.
    """

    def __init__(self, path: "str | os.PathLike[str]"):
        folder = os.path.dirname(os.fspath(path)) or "."
        self.message = (
            f"the disk holding {path} is full (no space left on the device, or the quota is used up): "
            "nothing more could be written there; what was written before is kept. Free space on that disk "
            f"(see `df -h {folder}`) or set data_root to another disk, then start the run again "
            "(or resume it from its last checkpoint)")
        super().__init__(errno.ENOSPC, self.message, os.fspath(path))

    def __str__(self) -> str:
        return self.message
