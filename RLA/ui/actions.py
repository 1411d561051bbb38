"""Archive, delete and move the runs ticked on the page, with the plans of the ``rla`` command.

Two steps, as on the command line: :meth:`Actions.plan` builds the plan with
:mod:`RLA.db.ops` (running runs skipped unless asked, a whole table refused
unless asked) and keeps it under an id; the page shows it, and
:meth:`Actions.apply` carries out that very plan once the user confirms.
"""
from __future__ import annotations

import re
import secrets
import threading
from pathlib import Path
from typing import Any, Dict, List, Sequence

from RLA.db import ops
from RLA.db.ops import Plan
from RLA.errors import UsageError

__all__ = ["ACTIONS", "Actions"]

ACTIONS = ("delete", "archive", "move")
#: plans kept waiting for a confirmation
MAX_PENDING = 32


def _exact(record_dates: Sequence[str]) -> str:
    """A regex matching exactly these record dates."""
    return "^(?:" + "|".join(re.escape(d) for d in sorted(record_dates)) + ")$"


def _merge(plans: List[Plan]) -> Plan:
    merged = Plan(plans[0].action, [], [], copy=plans[0].copy, include_running=plans[0].include_running)
    for plan in plans:
        merged.records += plan.records
        merged.entries += plan.entries
        merged.skipped += plan.skipped
        merged.conflicts += plan.conflicts
    return merged


class Actions:
    """Plans waiting for the user's confirmation, by id."""

    def __init__(self, data_root: Path):
        self.data_root = data_root
        self._pending: Dict[str, Plan] = {}
        self._lock = threading.Lock()

    def plan(self, action: str, indices: Sequence[str], include_running: bool = False, allow_all: bool = False,
             archived: bool = False, to_task: str = "") -> Dict[str, Any]:
        """The plan of ``action`` on the items ``indices``, nothing changed yet."""
        if action not in ACTIONS:
            raise UsageError(f"action must be one of {ACTIONS}, got {action!r}")
        if not indices:
            raise UsageError("tick the runs to act on first")
        by_task: Dict[str, List[str]] = {}
        for index in indices:
            task, _, record_date = index.partition("/")
            by_task.setdefault(task, []).append(record_date)
        options: Dict[str, Any] = dict(include_running=include_running, allow_all=allow_all, archived=archived)
        if action == "move":
            if not to_task:
                raise UsageError("a move needs the destination table")
            plans = [ops.plan_migrate(self.data_root, task, regex=_exact(dates), to_task=to_task, **options)
                     for task, dates in by_task.items()]
        else:
            plan_of = ops.plan_delete if action == "delete" else ops.plan_archive
            plans = [plan_of(self.data_root, task, regex=_exact(dates), **options) for task, dates in by_task.items()]
        plan = _merge(plans)
        plan_id = secrets.token_urlsafe(12)
        with self._lock:
            while len(self._pending) >= MAX_PENDING:
                self._pending.pop(next(iter(self._pending)))
            self._pending[plan_id] = plan
        return {"id": plan_id, **plan.to_dict()}

    def apply(self, plan_id: str) -> Dict[str, Any]:
        """Carry out a plan shown before; a plan is applied once."""
        with self._lock:
            plan = self._pending.pop(plan_id, None)
        if plan is None:
            raise UsageError("this plan was applied or has expired: plan the action again")
        return ops.apply(plan).to_dict()
