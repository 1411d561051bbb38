"""Whether the process of a run marked ``running`` may still be writing to it.

Kept in RLA.db (which imports nothing from RLA.easy_log) so that both the
database tools and auto-resume (RLA.easy_log.resume) use the same check.
"""
from __future__ import annotations

import datetime as _dt
import errno
import os
import platform
import time
from typing import Any, Dict, Optional

__all__ = ["STALE_HEARTBEAT_SECONDS", "LOST_STATUS", "is_alive", "process_gone", "shown_status"]

#: a run on another host whose heartbeat is older than this is taken as dead
STALE_HEARTBEAT_SECONDS = 600.0
#: the status shown for a run marked ``running`` whose process is gone (killed without a trace)
LOST_STATUS = "lost"


def process_gone(run: Dict[str, Any]) -> Optional[bool]:
    """``True`` when the run's process provably no longer exists on this host, ``False``
    when it exists, ``None`` when this host cannot tell (another host, no pid, this process)."""
    if run.get("host") != platform.node():
        return None
    pid = run.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0 or pid == os.getpid():
        return None
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.ESRCH
    return False


def is_alive(run: Dict[str, Any]) -> bool:
    """Whether the process of a run marked ``running`` may still be writing to it."""
    if run.get("status") != "running":
        return False
    if run.get("host") == platform.node():
        return run.get("pid") == os.getpid() or process_gone(run) is False
    try:
        heartbeat = _dt.datetime.fromisoformat(run["heartbeat"]).timestamp()
    except (KeyError, TypeError, ValueError):
        return False
    return time.time() - heartbeat < STALE_HEARTBEAT_SECONDS


def shown_status(run: Dict[str, Any]) -> Optional[str]:
    """The run's status as the tools show it: ``lost`` for a ``running`` run that is not alive."""
    status = run.get("status")
    if status == "running" and not is_alive(run):
        return LOST_STATUS
    return status
