"""Operations on a selection of items as plans: delete, archive, migrate, clean; and view, annotate,
TensorBoard links.

A destructive operation is two steps. ``plan_delete`` / ``plan_clean`` /
``plan_archive`` / ``plan_migrate`` select the items (see
:class:`RLA.db.query.ItemFilter`), refuse a selection that is a whole table
unless ``allow_all``, and list one entry per data type the items have on disk,
without changing anything. :func:`apply` then acts entry by entry and reports
each one to ``on_progress``, so that a progress bar or a web page can follow.
This module never asks or prints: :mod:`RLA.console.plans` shows the plan and
asks first, and holds ``delete``/``clean``/``archive``/``migrate`` of earlier
releases.

Nothing outside the planned entries is touched; emptied date folders are
kept, because a run starting at the same moment may be creating its item in
them. Items whose run.json says ``running`` are skipped (and listed as
skipped, with the reason) unless ``include_running``: moving or deleting the
folders of a live run makes its next heartbeat fail and leaves it ``running``
for good. A run that was killed without a trace (SIGKILL) also stays
``running``; pass ``include_running`` for such stale runs.

A kill or an error midway leaves every data type whole in one place
(:mod:`RLA.db.transfer`) and a journal (:mod:`RLA.db.journal`) naming the items
that may be split; ``rla ls`` says so, and the next plan of the same action
takes the entries still to do and finishes them. An item's ``log`` goes last,
so that the same selection (parameters and status live there) finds the rest.
"""
from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple, Union

from RLA.db import journal, op_lock, transfer
from RLA.db.annotate import annotate_item
from RLA.db.annotations import Annotations
from RLA.db.layout import DATA_TYPES, Database, Item
from RLA.db.liveness import LOST_STATUS, process_gone
from RLA.db.query import ItemFilter, ItemRecord, scan, select, start_time
from RLA.db.records import read_json, write_json_atomic
from RLA.db.tensorboard import launch_tensorboard, tensorboard_command, tensorboard_links
from RLA.errors import ConflictError, RunStateError, SelectionError, UsageError
from RLA.words import counted

__all__ = [
    "Entry", "Plan", "OpResult", "SelectionError", "ConflictError",
    "plan_delete", "plan_clean", "plan_archive", "plan_migrate", "apply", "check_conflicts", "running_reason",
    "revival", "view", "annotate", "tensorboard_links", "tensorboard_command",
    "launch_tensorboard",
]

PathLike = Union[str, os.PathLike]
Skipped = Tuple[ItemRecord, str]


@dataclass(frozen=True)
class Entry:
    """One data type of one item: the unit every operation counts."""

    item: Item
    data_type: str
    destination: Optional[Item] = None  # the item it becomes by a move or copy; None for a deletion
    resumed: bool = False  # left to do by an interrupted operation (its destination may exist: ours)

    @property
    def source(self) -> Path:
        return self.item.path(self.data_type)

    @property
    def target(self) -> Optional[Path]:
        return self.destination.path(self.data_type) if self.destination is not None else None

    def to_dict(self) -> Dict[str, Any]:
        return {"index": self.item.index, "data_type": self.data_type, "source": str(self.source),
                "target": str(self.target) if self.target is not None else None}


@dataclass
class Plan:
    """What an operation will do, read from the files without changing any."""

    action: str  # in words: "delete", "archive", "copy to archive", "move" or "copy"
    records: List[ItemRecord]  # the items acted on
    entries: List[Entry]
    copy: bool = False  # entries with a destination are copied there instead of moved
    #: selected items left alone, with the reason (a run still marked running)
    skipped: List[Skipped] = field(default_factory=list)
    #: entries whose destination already exists when planned; :func:`apply` refuses such a plan
    conflicts: List[Entry] = field(default_factory=list)
    #: the journals of interrupted operations whose remaining entries this plan finishes
    journals: List[Path] = field(default_factory=list)
    #: running items were taken too (stale runs): :func:`apply` does not look at liveness again
    include_running: bool = False

    @property
    def planned(self) -> int:
        return len(self.entries)

    def to_dict(self) -> Dict[str, Any]:
        return {"action": self.action, "items": [r.index for r in self.records], "planned": self.planned,
                "entries": [e.to_dict() for e in self.entries],
                "skipped": [{"index": r.index, "reason": reason} for r, reason in self.skipped],
                "conflicts": [str(e.target) for e in self.conflicts]}


@dataclass
class OpResult(Plan):
    """A plan and what was done of it; ``count`` is the number of entries acted on."""

    dry_run: bool = False
    confirmed: bool = False  # the go-ahead was given: asked and answered yes, or not asked
    done: List[Entry] = field(default_factory=list)
    #: items left alone when applied: their run came back to life after the plan (a resume), with the reason
    revived: List[Skipped] = field(default_factory=list)
    #: entries that were gone when applied (another operation took them meanwhile)
    gone: List[Entry] = field(default_factory=list)

    @classmethod
    def of(cls, plan: Plan, **outcome: Any) -> "OpResult":
        return cls(**{f.name: getattr(plan, f.name) for f in fields(Plan)}, **outcome)

    @property
    def count(self) -> int:
        return len(self.done)

    def to_dict(self) -> Dict[str, Any]:
        return {**super().to_dict(), "count": self.count, "dry_run": self.dry_run, "confirmed": self.confirmed,
                "revived": [{"index": r.index, "reason": reason} for r, reason in self.revived],
                "gone": [e.to_dict() for e in self.gone]}


# -- plans ------------------------------------------------------------------------------------

def plan_delete(data_root: PathLike, task: Optional[str] = None, pattern: Optional[str] = None, *,
                include_running: bool = False, allow_all: bool = False, **filters: Any) -> Plan:
    """Plan deleting every data type of the selected items.

    ``filters`` are the other fields of :class:`ItemFilter`; ``archived=True``
    deletes from ``<data_root>/arc``.
    """
    return _plan("delete", data_root, ItemFilter(task=task, pattern=pattern, **filters), include_running, allow_all)


def plan_clean(data_root: PathLike, task: Optional[str] = None, pattern: Optional[str] = None, *,
               timestep_bound: int, include_running: bool = False, allow_all: bool = False,
               **filters: Any) -> Plan:
    """Plan deleting the selected items whose last time-step is below ``timestep_bound`` or that never logged.

    Running items are kept unless ``include_running`` (their time-step grows).
    """
    item_filter = ItemFilter(task=task, pattern=pattern, timestep_below=timestep_bound, **filters)
    return _plan("delete", data_root, item_filter, include_running, allow_all)


def plan_archive(data_root: PathLike, task: Optional[str] = None, pattern: Optional[str] = None, *,
                 copy: bool = False, include_running: bool = False, allow_all: bool = False,
                 **filters: Any) -> Plan:
    """Plan moving (or ``copy``-ing) the selected items to ``<data_root>/arc/<type>/<task>/...``."""
    if filters.get("archived"):
        raise SelectionError("these items are archived already; select live items (without --archived)")
    return _plan("copy to archive" if copy else "archive", data_root,
                 ItemFilter(task=task, pattern=pattern, **filters), include_running, allow_all,
                 destination=lambda item: item.moved(archived=True), copy=copy)


def plan_migrate(data_root: PathLike, task: Optional[str] = None, pattern: Optional[str] = None, *,
                 to_task: Optional[str] = None, to_data_root: Optional[PathLike] = None, copy: bool = False,
                 include_running: bool = False, allow_all: bool = False, **filters: Any) -> Plan:
    """Plan moving (or ``copy``-ing) the selected items to another table and/or database.

    The items keep their names and dates; applying the plan updates
    ``run.json`` to the new table, so that the item describes itself correctly.
    """
    if to_task is None and to_data_root is None:
        raise UsageError("migrate needs a destination: to_task (another table) and/or to_data_root "
                         "(--to-task / --to-data-root)")
    target_root = Database(to_data_root).root if to_data_root is not None else None
    plan = _plan("copy" if copy else "move", data_root, ItemFilter(task=task, pattern=pattern, **filters),
                 include_running, allow_all, destination=lambda item: item.moved(root=target_root, task=to_task),
                 copy=copy)
    if any(e.source == e.target for e in plan.entries):
        raise UsageError("the destination is where the items already are; give another to_task or to_data_root")
    return plan


def _plan(action: str, data_root: PathLike, item_filter: ItemFilter, include_running: bool, allow_all: bool,
          destination: Optional[Callable[[Item], Item]] = None, copy: bool = False) -> Plan:
    """The steps every plan shares: select, guard whole tables, leave running items out, list the entries."""
    records = select(data_root, item_filter)
    # The whole-table guard judges the selection before running items are left out. Judged after,
    # `rm -t T` on a table with one live run would pass the guard and delete every other item, and
    # the same command would take the last one once that run ends (or is included as stale).
    _refuse_whole_tables(data_root, records, item_filter.archived, allow_all)
    records, skipped = _skip_running(records, include_running)
    entries = [Entry(r.item, t, destination(r.item) if destination is not None else None)
               for r in records for t in _present(r)]
    plan = Plan(action, records, entries, copy=copy, skipped=skipped, include_running=include_running)
    finishing = _add_interrupted(plan, data_root)
    _refuse_split(plan, finishing)
    plan.conflicts = _conflicts(plan.entries)
    return plan


def _refuse_split(plan: Plan, finishing: Set[str]) -> None:
    """Refuse a plan over items that another, interrupted operation left split (a move now would
    strand the part that operation moved): that operation is finished first, by running it again."""
    split = [r for r in plan.records if r.split and r.index not in finishing]
    if split:
        named = "\n".join(f"  {r.index}: {r.split}" for r in split)
        raise RunStateError(f"{plan.action} refused, nothing changed: {len(split)} of the items may be split by "
                            f"another operation, which must end first:\n{named}")


def _add_interrupted(plan: Plan, data_root: PathLike) -> Set[str]:
    """Put first in ``plan`` what interrupted operations of the same action left to do; the indices
    of the items (on either side) that the plan thereby finishes."""
    left: Dict[Tuple[Item, str], Entry] = {}
    finishing: Set[str] = set()
    for stopped in journal.interrupted(data_root, plan.action, plan.copy):
        plan.journals += stopped.paths
        finishing.update(i.index for item, _, dest in stopped.steps for i in (item, dest) if i is not None)
        left.update({(item, t): Entry(item, t, dest, resumed=True) for item, t, dest in stopped.steps
                     if _left_to_do(item, t, dest)})
    fresh = [left.pop((e.item, e.data_type), e) for e in plan.entries]  # may be half done: resumed
    known = {r.item for r in plan.records}
    for item in dict.fromkeys(e.item for e in left.values()):
        if item not in known:
            plan.records.append(_record_of(item))
    plan.entries = list(left.values()) + fresh
    return finishing


def _left_to_do(item: Item, data_type: str, destination: Optional[Item]) -> bool:
    source = item.path(data_type)
    leftovers = [transfer.scratch(source, "rm")]
    if destination is not None:
        leftovers.append(transfer.scratch(destination.path(data_type), "in"))
    return any(os.path.lexists(p) for p in [source, *leftovers])


def _record_of(item: Item) -> ItemRecord:
    """The record of an item named by a journal (a bare one when nothing of it is listed any more)."""
    found = select(item.root, ItemFilter(task=item.task, pattern=item.record_date, archived=item.archived))
    return found[0] if found else ItemRecord(item, {}, {}, [], "split", None, None)


def _refuse_whole_tables(data_root: PathLike, records: List[ItemRecord], archived: bool, allow_all: bool) -> None:
    """Refuse a selection holding every item of a table, unless ``allow_all``."""
    if allow_all or not records:
        return
    chosen: Dict[str, int] = {}
    for record in records:
        chosen[record.item.task] = chosen.get(record.item.task, 0) + 1
    whole = [task for task, n in chosen.items() if n == len(scan(data_root, task, archived))]
    if whole:
        raise SelectionError(
            f"the selection holds every item of table(s) {', '.join(sorted(whole))} "
            f"({counted(sum(chosen[t] for t in whole), 'item')}); narrow the pattern or filters, "
            "or pass --all (allow_all=True) if you mean the whole table"
        )


def _skip_running(records: List[ItemRecord], include_running: bool) -> Tuple[List[ItemRecord], List[Skipped]]:
    """The records to act on, and the running ones left alone with the reason."""
    if include_running:
        return records, []
    kept, skipped = [], []
    for record in records:
        if record.status in ("running", LOST_STATUS):
            skipped.append((record, running_reason(record)))
        else:
            kept.append(record)
    return kept, skipped


def running_reason(record: ItemRecord) -> str:
    """Why a ``running`` item is left alone, and what to do if its run is in fact dead."""
    run = read_json(record.item.run_json) or {}
    pid, host = run.get("pid"), run.get("host") or record.host or "?"
    gone = process_gone(run)
    if gone:
        return (f"marked running, but its process (pid {pid}) is gone from this host: a stale run "
                "(killed without a trace); pass --include-running (include_running=True) to include it")
    if gone is False:
        return (f"running: its process (pid {pid}) is alive on this host; moving or deleting it would "
                "crash the run")
    heartbeat = run.get("heartbeat")
    return (f"marked running on host {host} (pid {pid}" + (f", last heartbeat {heartbeat}" if heartbeat else "")
            + "); if that run is dead (killed), pass --include-running (include_running=True)")


def _present(record: ItemRecord) -> List[str]:
    """The data types of an item that are on disk now, ``log`` last (the selection reads it)."""
    present = [t for t in DATA_TYPES if os.path.lexists(record.item.path(t))]
    return [t for t in present if t != "log"] + [t for t in present if t == "log"]


def _conflicts(entries: Sequence[Entry]) -> List[Entry]:
    """Entries whose destination exists; one whose source is gone too was taken by another operation."""
    return [e for e in entries if e.target is not None and not e.resumed and os.path.lexists(e.target)
            and os.path.lexists(e.source)]


# -- applying a plan ----------------------------------------------------------------------------

def check_conflicts(plan: Plan) -> None:
    """Raise :class:`ConflictError` when a destination of ``plan`` exists now."""
    conflicts = _conflicts(plan.entries)
    if conflicts:
        listed = "\n  ".join(str(e.target) for e in conflicts[:10])
        raise ConflictError(f"{len(conflicts)} destination(s) already exist, nothing was changed:\n  {listed}\n"
                            "remove or rename them first, or choose another destination")


def apply(plan: Plan, on_progress: Optional[Callable[[Entry], None]] = None,
          on_wait: Optional[Callable[[str], None]] = None) -> OpResult:
    """Act on the entries of ``plan`` in order, calling ``on_progress(entry)`` after each one.

    A plan may have waited at a prompt for minutes, so it is applied under the databases' lock
    (:mod:`RLA.db.op_lock`; ``on_wait(who)`` is told when another operation holds it), and every
    entry is looked at again just before it is touched: an item whose run came back to life since
    the plan (a resume) is left alone (``revived``), and an entry another operation took meanwhile
    is reported (``gone``). A destination that exists now raises :class:`ConflictError` before
    anything is changed.
    """
    check_conflicts(plan)  # before the lock: a refused plan writes nothing at all
    roots = {e.item.root for e in plan.entries} | {e.destination.root for e in plan.entries if e.destination}
    with op_lock.held(roots, plan.action, on_wait):
        check_conflicts(plan)  # again: the holder we waited for may have made one
        result = OpResult.of(plan, confirmed=True)
        if not plan.entries:
            journal.remove(plan.journals)
            return result
        written = journal.write(plan.action, plan.copy, [(e.item, e.data_type, e.destination) for e in plan.entries])
        revived: Dict[Item, str] = {}
        for entry in plan.entries:
            reason = revived.get(entry.item) or (None if plan.include_running else revival(entry.item))
            if reason is not None:
                revived[entry.item] = reason
            elif entry.resumed or os.path.lexists(entry.source):
                _apply_entry(entry, plan.copy)
                result.done.append(entry)
            else:
                result.gone.append(entry)
            if on_progress is not None:
                on_progress(entry)
        journal.remove(written + plan.journals)
    by_item = {r.item: r for r in plan.records}
    result.revived = [(by_item.get(item) or _record_of(item), reason) for item, reason in revived.items()]
    result.records = [r for r in plan.records if r.item not in revived]
    return result


def revival(item: Item) -> Optional[str]:
    """Why ``item`` must be left alone now although it was not running when planned; None if it may go."""
    run = read_json(item.run_json)
    if not isinstance(run, dict) or run.get("status") != "running" or process_gone(run) is True:
        return None
    return (f"its run came back to life after the plan (pid {run.get('pid')} on {run.get('host') or '?'}, "
            "a resume): left alone; plan again once it ends")


def _apply_entry(entry: Entry, copy: bool) -> None:
    """Do one entry; an entry left by an interrupted operation may be done already, or half done."""
    target = entry.target
    if target is None:
        transfer.remove(entry.source)
        return
    if entry.resumed and os.path.lexists(target):  # it got there before the interruption
        if not copy:
            transfer.remove(entry.source)
    elif os.path.lexists(entry.source):
        (transfer.copy if copy else transfer.move)(entry.source, target)
    if entry.data_type == "log" and entry.destination is not None and os.path.lexists(target):
        _relabel_run_record(entry.destination)


def _relabel_run_record(item: Item) -> None:
    """Point the run.json of an item that moved to another table at its new table and index."""
    run = read_json(item.run_json)
    if run is not None and (run.get("task"), run.get("index")) != (item.task, item.index):
        run.update(task=item.task, index=item.index)
        write_json_atomic(item.run_json, run)


# -- view ------------------------------------------------------------------------------------------

def view(data_root: PathLike, task: Optional[str] = None, pattern: Optional[str] = None,
         **filters: Any) -> List[Dict[str, Any]]:
    """Key metadata and the ``backup.txt`` lines of each selected item.

    The pattern ``latest`` selects the item that started last (of ``task``, and
    among those the other filters keep).
    """
    out = []
    for record in _selected(data_root, task, pattern, filters):
        run = read_json(record.item.run_json) or {}
        try:
            backup = record.item.log.backup_txt.read_text(encoding="utf-8", errors="replace")
        except OSError:
            backup = None
        summary = record.to_dict()
        summary["paths"] = {t: str(p) for t, p in record.item.existing_paths().items()}
        summary["git"] = run.get("git")
        summary["argv"] = run.get("argv")
        summary["error"] = run.get("error")
        summary["backup"] = backup
        out.append(summary)
    return out


def annotate(data_root: PathLike, task: Optional[str] = None, pattern: Optional[str] = None, *,
             add: Sequence[str] = (), remove: Sequence[str] = (), note: Optional[str] = None,
             append: Optional[str] = None, allow_all: bool = False, **filters: Any) -> List[Dict[str, Any]]:
    """Add / remove tags and set / append to the note of each selected item (:func:`RLA.db.annotate.annotate_item`);
    ``[{"index", "tags", "note"}]`` after the change. Writing needs a selection (a pattern, ``latest``
    or a filter) unless ``allow_all``: every item of the database is rarely what was meant."""
    writes = bool(add or remove) or note is not None or append is not None
    item_filter = ItemFilter(task=task, pattern=None if pattern == "latest" else pattern, **filters)
    if writes and not allow_all and pattern is None and item_filter == ItemFilter(archived=item_filter.archived):
        raise SelectionError("no item is named: select the items to annotate (a PATTERN, -t TASK, -w ...), "
                             "or pass --all (allow_all=True) for every item of the database")
    out = []
    for record in _selected(data_root, task, pattern, filters):
        if writes:
            after = annotate_item(record.item, add, remove, note, append)
        else:
            after = Annotations(tuple(record.tags), record.note)
        out.append({"index": record.index, **after.to_dict()})
    return out


def _selected(data_root: PathLike, task: Optional[str], pattern: Optional[str],
              filters: Dict[str, Any]) -> List[ItemRecord]:
    """The records a selection names; the pattern ``latest`` keeps the item that started last."""
    latest = pattern == "latest"
    records = select(data_root, ItemFilter(task=task, pattern=None if latest else pattern, **filters))
    if latest and records:
        records = [max(records, key=lambda r: (start_time(r.item) or _dt.datetime.min, r.item.record_date))]
    return records


def __getattr__(name: str) -> Any:
    """``delete``, ``clean``, ``archive`` and ``migrate`` of earlier releases show the plan and ask
    first, so they live in :mod:`RLA.console.plans` now (the database layer never prints, asks, or
    imports anything above it): the old name says where to find them.

    An :class:`ImportError`, not an AttributeError, so that ``from RLA.db.ops import delete``
    shows this message instead of Python's bare "cannot import name"."""
    if name in _MOVED_TO_CONSOLE:
        raise ImportError(f"RLA.db.ops.{name} moved to RLA.console.plans.{name} (it shows the plan and "
                          f"asks first): write `from RLA.console.plans import {name}`", name=name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: the names of earlier releases that :func:`__getattr__` points to their new module
_MOVED_TO_CONSOLE = ("delete", "clean", "archive", "migrate")
