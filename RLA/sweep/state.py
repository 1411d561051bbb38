"""The record of a sweep (``<data_root>/.rla_sweeps/<name>.json``) and each trial's item and status.

The record holds the command and the trials with what the launcher saw (job
id, exit status); a trial's item, status and last step are read from the
database itself (the items whose parameter ``sweep`` is the sweep's name and
whose parameters are the trial's), so they are right even while a job runs on
a cluster node.
"""
from __future__ import annotations

import datetime as _dt
import math
import threading
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from RLA.db.layout import Database
from RLA.db.query import ItemRecord, select
from RLA.db.records import read_json, to_jsonable, write_json_atomic
from RLA.db.select import ItemFilter
from RLA.errors import ItemNotFoundError, UsageError
from RLA.sweep.trial import Trial

__all__ = ["TrialStatus", "SweepState"]

#: launcher-side states before the trial's run has written its item
PENDING, SUBMITTED, LAUNCH_FAILED = "pending", "submitted", "failed"
#: a trial whose run ended on purpose: finished, or stopped early by a scheduler (ASHA, PBT)
DONE = ("finished", "stopped")


@dataclass
class TrialStatus:
    """One row of ``rla sweep --status``."""

    trial: Trial
    status: str
    item: Optional[str]
    last_time_step: Optional[int]
    job_id: Optional[str]
    returncode: Optional[int]


def _same(expected: Any, found: Any) -> bool:
    if isinstance(expected, float) and isinstance(found, (int, float)) and not isinstance(found, bool):
        return math.isclose(expected, found, rel_tol=1e-9)
    return expected == found or (found is not None and str(found) == str(expected))


class SweepState:
    """The record of the sweep ``name`` in the database at ``data_root``; safe to update from threads."""

    def __init__(self, data_root: str, name: str):
        self.database = Database(data_root)
        self.name = name
        self.path = self.database.sweep_file(name)
        self.data: Dict[str, Any] = read_json(self.path) or {}
        self._lock = threading.Lock()

    @property
    def exists(self) -> bool:
        return bool(self.data)

    def begin(self, command: Sequence[str], cwd: str, launcher: str, trials: Sequence[Trial]) -> None:
        """Record (or extend) the sweep with ``trials``; a re-run with another command is refused."""
        if self.data and list(self.data.get("command") or []) != list(command):
            raise UsageError(f"sweep {self.name!r} was run with the command {self.data['command']!r}; "
                             "give this one another --name")
        self.data.setdefault("name", self.name)
        self.data.setdefault("created", _dt.datetime.now().isoformat(timespec="seconds"))
        self.data.update(command=list(command), cwd=cwd, launcher=launcher)
        known = self.data.setdefault("trials", {})
        for trial in trials:
            known.setdefault(trial.trial_id, {"params": to_jsonable(trial.params), "status": PENDING})
        self._write()

    def note(self, trial: Trial, **info: Any) -> None:
        """Record what the launcher learnt of ``trial`` (``status``, ``job_id``, ``returncode``)."""
        self.note_each([(trial, info)])

    def note_each(self, notes: Iterable[Tuple[Trial, Dict[str, Any]]]) -> None:
        """:meth:`note` for many trials in one write of the record (which holds every trial: a write per
        trial made submitting a sweep of 1,000 trials take 20 s)."""
        with self._lock:
            for trial, info in notes:
                self.data["trials"].setdefault(trial.trial_id, {"params": to_jsonable(trial.params)}).update(
                    to_jsonable(info))
            self._write()

    def log_path(self, trial: Trial) -> str:
        """Where a launcher sends ``trial``'s output (every launcher the same place)."""
        return str(self.database.sweep_dir(self.name) / "logs" / f"{trial.trial_id}.log")

    def _write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.path, self.data)

    def trials(self) -> List[Trial]:
        if not self.data:
            raise ItemNotFoundError(f"no sweep named {self.name!r} in {self.database.root}; "
                                    f"known: {', '.join(self.known()) or 'none'}")
        return [Trial(entry["params"], self.data["command"]) for entry in self.data["trials"].values()]

    def known(self) -> List[str]:
        folder = self.database.sweep_file(self.name).parent
        return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []

    def statuses(self, trials: Optional[Sequence[Trial]] = None) -> List[TrialStatus]:
        """Each trial's status: its newest item's, else what the launcher recorded."""
        trials = list(trials) if trials is not None else self.trials()
        records: List[ItemRecord] = []
        if self.database.root.is_dir():
            records = select(self.database.root, ItemFilter(where=f"sweep == {self.name!r}"))
        out = []
        for trial in trials:
            noted = (self.data.get("trials") or {}).get(trial.trial_id, {})
            mine = [r for r in records if all(_same(v, r.params.get(k)) for k, v in trial.params.items())]
            newest = mine[-1] if mine else None
            status = newest.status if newest is not None else noted.get("status", PENDING)
            if newest is not None and noted.get("status") == LAUNCH_FAILED and status == "running":
                status = "killed"  # the launcher saw the process end without its run recording it
            out.append(TrialStatus(trial, status, newest.index if newest else None,
                                   newest.last_time_step if newest else None, noted.get("job_id"),
                                   noted.get("returncode")))
        return out

    def unfinished(self, trials: Sequence[Trial]) -> List[Trial]:
        """The trials of ``trials`` still to run: never started, failed, killed or lost (not finished, not
        stopped, and not running now: a second process would start a second item of the same trial)."""
        return [s.trial for s in self.statuses(trials) if s.status not in DONE and s.status != "running"]
