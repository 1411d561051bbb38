"""A run's ``run.json``: its status, host, pid, heartbeat and resumes, kept current while it runs.

The record is written when the run starts, when it saves a checkpoint, every
:data:`HEARTBEAT_SECONDS` of dumps (so tools can tell a live run from a dead
one) and when it ends. Only the process that started the run writes it: a
forked worker (a data loader, a vectorised env) never rewrites its parent's record.
When it starts, resumes and ends, the run also writes its row of the query index
(:func:`RLA.db.index.register`), so the next listing shows it without looking for it.
"""
from __future__ import annotations

import datetime as _dt
import os
import platform
import sys
import time
from typing import Any, Dict, List, Optional

from RLA.db.index import register
from RLA.db.layout import Item
from RLA.db.records import to_jsonable, write_json_atomic
from RLA.easy_log.net import local_ip

__all__ = ["HEARTBEAT_SECONDS", "RunRecord", "now"]

#: how often (seconds) a dump refreshes run.json's heartbeat and last time-step
HEARTBEAT_SECONDS = 30.0


def now() -> str:
    return _dt.datetime.now().isoformat(timespec="microseconds")


class RunRecord:
    """The run.json of the current run, as a dict (:attr:`data`) and its writer."""

    def __init__(self) -> None:
        self.data: Dict[str, Any] = {}
        self.item: Optional[Item] = None
        self.owner_pid: Optional[int] = None
        self._last_heartbeat = 0.0

    @property
    def running(self) -> bool:
        return self.item is not None and self.data.get("status") == "running"

    def owned_here(self) -> bool:
        """Whether this process started the run (and so may write its record)."""
        return self.item is not None and os.getpid() == self.owner_pid

    def _take(self, item: Item) -> None:
        self.item = item
        self.owner_pid = os.getpid()
        self._last_heartbeat = time.monotonic()

    def start(self, item: Item, record_param: List[str], log_used: List[str]) -> None:
        """Record a new run of ``item``."""
        from RLA.easy_log.backup import environment

        self._take(item)
        self.data = {
            "format": "v1",
            "task": item.task,
            "index": item.index,
            "log_name": item.name,
            "status": "running",
            "start_time": now(),
            "end_time": None,
            "heartbeat": now(),
            "last_time_step": None,
            "record_param": list(record_param),
            "ip": local_ip(),
            "pid": os.getpid(),
            "argv": list(sys.argv),
            "cwd": os.getcwd(),
            **environment(),
            "git": None,
            "log_used": list(log_used),
            "resumes": [],
            "error": None,
        }
        self.write(registered=True)

    def resume(self, item: Item, previous: Dict[str, Any], checkpoint_step: Optional[int],
               last_kept_step: Optional[int]) -> int:
        """Record that this process continues ``item`` (whose record was ``previous``); returns the resume number."""
        self._take(item)
        resumes = list(previous.get("resumes") or [])
        resumes.append({"time": now(), "host": platform.node(), "ip": local_ip(), "pid": os.getpid(),
                        "argv": list(sys.argv), "previous_status": previous.get("status"),
                        "checkpoint_step": checkpoint_step, "last_kept_step": last_kept_step})
        self.data = {**previous, "status": "running", "end_time": None, "heartbeat": now(),
                     "host": platform.node(), "pid": os.getpid(), "error": None, "resumes": resumes}
        self.write(registered=True)
        return len(resumes)

    def update(self, **info: Any) -> None:
        """Add ``info`` to the record and write it."""
        self.data.update(to_jsonable(info))
        self.write()

    def write(self, registered: bool = False) -> None:
        """Write run.json; ``registered``: and the run's row of the query index (start, resume, end)."""
        if self.owned_here():
            assert self.item is not None
            write_json_atomic(self.item.run_json, self.data)
            if registered:
                register(self.item)

    def on_dump(self, step: int) -> None:
        """Note the last dumped step; refresh the heartbeat on disk at most every HEARTBEAT_SECONDS."""
        self.data["last_time_step"] = step
        moment = time.monotonic()
        if moment - self._last_heartbeat >= HEARTBEAT_SECONDS:
            self._last_heartbeat = moment
            self.data["heartbeat"] = now()
            self.write()

    def end(self, status: str, last_step: Optional[int], error: Optional[str] = None) -> None:
        """Record how the run ended: ``finished``, ``failed`` or ``killed``."""
        self.data.update(status=status, end_time=now(), heartbeat=now())
        if error is not None:
            self.data["error"] = error
        if last_step is not None:
            self.data["last_time_step"] = last_step
        self.write(registered=True)
