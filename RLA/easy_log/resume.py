"""Which item a run continues in place: auto-resume of preempted jobs, or an item named by the user.

``configure(resume="auto")`` (or ``RLA_RESUME=auto``) continues the newest
unfinished run with the same task and tracked parameters; ``resume=<record
date>`` continues that item. A run still marked ``running`` is only taken over
when its process is gone, and two restarted jobs never take the same item.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import platform
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from RLA import environment
from RLA.db.layout import Database, Item
from RLA.db.liveness import STALE_HEARTBEAT_SECONDS, is_alive
from RLA.db.records import lookup_param, read_json, to_jsonable
from RLA.db.resolve import resolve_item
from RLA.errors import RunStateError, UsageError

__all__ = ["RESUME_ENV", "STALE_HEARTBEAT_SECONDS", "resume_request", "is_alive", "tracked_match",
           "find_unfinished", "claim", "claim_item_to_resume"]

RESUME_ENV = environment.RESUME.name
_NEVER = {"", "never", "no", "false", "0"}


def resume_request(value: Union[str, bool, None]) -> Optional[str]:
    """``None`` (start a new item), ``"auto"``, or the record date of the item to continue.

    ``value`` comes from ``configure(resume=...)``; when it is ``None`` the
    ``RLA_RESUME`` environment variable decides.
    """
    if value is None:
        value = environment.RESUME.get()
    if value is None or value is False or str(value).strip().lower() in _NEVER:
        return None
    return "auto" if value is True else str(value).strip()


def tracked_match(item: Item, run: Dict[str, Any], tracked: Sequence[Tuple[str, Any]]) -> bool:
    """Whether ``item`` was run with the same tracked parameters (keys, order and values)."""
    if list(run.get("record_param") or []) != [key for key, _ in tracked]:
        return False
    params = read_json(item.params_json)
    if params is None:
        return False
    try:
        return all(lookup_param(params, key) == to_jsonable(value) for key, value in tracked)
    except KeyError:
        return False


def find_unfinished(database: Database, task: str, tracked: Sequence[Tuple[str, Any]],
                    hyper_param: Dict[str, Any]) -> List[Item]:
    """Unfinished, no longer running items of ``task`` started with the same tracked keys and the
    same hyper-parameters (all of them: two seeds never share an item), newest first."""
    found = []
    expected = to_jsonable(hyper_param)
    for item in reversed(database.items(task)):
        run = read_json(item.run_json)
        if run is None or run.get("status") == "finished" or is_alive(run):
            continue
        if tracked_match(item, run, tracked) and read_json(item.params_json) == expected:
            found.append(item)
    return found


def claim(item: Item, resume_number: int) -> bool:
    """Take ``item`` for its ``resume_number``-th resume; ``False`` when a live process already did.

    The claim is an exclusively created marker file; a marker left by a process
    that died before recording its resume in run.json does not block the item.
    """
    while True:
        marker = item.resume_marker(resume_number)
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            owner = read_json(marker) or {}
            if is_alive({"status": "running", **owner}):
                return False
            resume_number += 1
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"host": platform.node(), "pid": os.getpid(), "heartbeat": _dt.datetime.now().isoformat()}, f)
        return True


def claim_item_to_resume(database: Database, task: str, request: str, tracked: Sequence[Tuple[str, Any]],
                         hyper_param: Dict[str, Any]) -> Optional[Tuple[Item, Dict[str, Any]]]:
    """The item a run continues and its run record, claimed atomically; ``None`` to start a new item.

    ``request`` is ``"auto"`` (the newest unfinished run with the same
    parameters, if any) or the record date of the item to continue.
    """
    if request == "auto":
        candidates = find_unfinished(database, task, tracked, hyper_param)
    else:
        item = resolve_item(database, task, request)
        run = read_json(item.run_json)
        if run is None:
            raise UsageError(f"item {item.index} has no run.json: it cannot be continued in place; "
                             "fork it with ExperimentLoader.fork_log_files() instead")
        if is_alive(run):
            raise RunStateError(f"item {item.index} is still running (pid {run.get('pid')} on "
                                f"{run.get('host')}); stop it before continuing it")
        if not tracked_match(item, run, tracked):
            raise UsageError(f"item {item.index} was run with other tracked parameters than "
                             f"{dict(tracked)}; continue it with the same ones, or fork it")
        candidates = [item]
    for item in candidates:
        run = read_json(item.run_json) or {}
        if claim(item, len(run.get("resumes") or []) + 1):
            return item, run
        if request != "auto":
            raise RunStateError(f"item {item.index} was just resumed by another process")
    return None
