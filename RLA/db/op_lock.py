"""One operation at a time per database: ``<data_root>/.rla_ops/lock``, held while a plan is applied.

Two ``rla archive`` (or ``rm``, ``mv``, the web page) of the same items at once used to race for the
same folders. Now the second one waits for the first (it is told who holds the lock), then applies
what is left of its plan: entries the first one took are reported as gone, not failed on.

The lock is an advisory ``flock``, released by the kernel when its holder exits, however it
exits: a killed operation never leaves a stale lock. On a file system without ``flock`` (some
NFS mounts) operations go on unlocked; :func:`RLA.db.ops.apply` still skips what vanished.
"""
from __future__ import annotations

import datetime as _dt
import fcntl
import json
import os
import platform
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

from RLA.db.layout import Database

__all__ = ["held", "LOCK_NAME"]

LOCK_NAME = "lock"


@contextmanager
def held(roots: Iterable[Path], action: str, on_wait: Optional[Callable[[str], None]] = None) -> Iterator[None]:
    """Hold the lock of every database in ``roots`` (in one order, so two holders never deadlock);
    ``on_wait(who)`` is called before waiting for another holder, ``who`` saying who that is."""
    with ExitStack() as stack:
        for root in sorted(set(roots)):
            stack.enter_context(_one(Database(root).ops_dir(), action, on_wait))
        yield


@contextmanager
def _one(folder: Path, action: str, on_wait: Optional[Callable[[str], None]]) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait(_holder(fd, folder.parent))
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError:  # no flock here: go on unlocked (see the module's docstring)
            pass
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"action": action, "pid": os.getpid(), "host": platform.node(),
                                  "started": _dt.datetime.now().isoformat(timespec="seconds")}).encode(), 0)
        yield
    finally:
        os.close(fd)


def _holder(fd: int, root: Path) -> str:
    """Who holds the lock, in words (as far as the lock file says: a holder that has just taken
    the lock may not have written it yet)."""
    for _ in range(10):
        try:
            holder = json.loads(os.pread(fd, 4096, 0) or b"{}")
        except ValueError:
            holder = {}
        if isinstance(holder, dict) and "pid" in holder:
            break
        time.sleep(0.05)
    else:
        return f"another operation on {root}"
    return (f"the {holder.get('action', 'operation')} of pid {holder['pid']} on {holder.get('host', '?')} "
            f"(started {holder.get('started', '?')}) in {root}")
