"""The other ``rla run`` commands of a database and the folders they watch: who else may have written
an event file that no process holds and no pid names.

Each ``rla run`` keeps a small record (``Database.capture_file``) of the folders it
watches, from its start to its end. A file nobody can be asked about (a
tensorboardX writer opened and closed between two scans) is taken at the end of
a run only if no other run of the database watched its folder when the file was
written. Records of runs ended more than a day ago are pruned.
"""
from __future__ import annotations

import os
import platform
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from RLA.db.layout import Database
from RLA.db.liveness import process_gone
from RLA.db.records import read_json, write_json_atomic

__all__ = ["WatchRecord"]

#: records of runs that ended (or whose process is gone) this long ago are removed
_PRUNE_SECONDS = 86_400.0


class WatchRecord:
    """This run's record of what it watches, and the question asked of the others'."""

    def __init__(self, database: Database, roots: Sequence[Path]):
        self.database = database
        self.roots = [os.path.realpath(r) for r in roots]
        self.host = platform.node()
        self.path = database.capture_file(f"{os.getpid()}-{uuid.uuid4().hex[:12]}")
        self.start = time.time()

    def begin(self) -> None:
        self._prune()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.path, self._record(end=None))

    def end(self) -> None:
        write_json_atomic(self.path, self._record(end=time.time()))

    def _record(self, end: Optional[float]) -> Dict[str, Any]:
        return {"host": self.host, "pid": os.getpid(), "roots": self.roots, "start": self.start, "end": end}

    def others_watching(self, path: str, written_at: float) -> List[Dict[str, Any]]:
        """The records of other runs watching a folder holding ``path`` at ``written_at`` (a run that
        never recorded its end counts as watching ever since its start)."""
        real = os.path.realpath(path)
        found = []
        for record_path in self.database.capture_files():
            if record_path == self.path:
                continue
            record = read_json(record_path)
            if not record or not isinstance(record.get("roots"), list):
                continue
            end = record.get("end")
            if not isinstance(end, (int, float)):
                end = float("inf")
            start = record.get("start")
            if isinstance(start, (int, float)) and start <= written_at <= end and any(
                    isinstance(root, str) and (real + os.sep).startswith(root.rstrip(os.sep) + os.sep)
                    for root in record["roots"]):
                found.append(record)
        return found

    def _prune(self) -> None:
        old = time.time() - _PRUNE_SECONDS
        for record_path in self.database.capture_files():
            record = read_json(record_path) or {}
            end = record.get("end")
            try:
                stale = (end if isinstance(end, (int, float)) else record_path.stat().st_mtime) < old
            except OSError:
                continue
            if stale and (isinstance(end, (int, float)) or process_gone(record) is not False):
                record_path.unlink(missing_ok=True)
