"""Operations on a selection of items: delete, archive, migrate, clean, view, TensorBoard links.

Every destructive operation follows the same steps: select the items (see
:class:`RLA.db.query.ItemFilter`), refuse a selection that is a whole table
unless ``allow_all``, plan one entry per data type the items have on disk,
show the plan, stop there on ``dry_run``, ask for confirmation (unless
``skip_ask``), then act entry by entry. Nothing outside the planned entries is
touched; emptied date folders are kept, because a run starting at the same
moment may be creating its item in them.

Items whose run.json says ``running`` are skipped (and listed as skipped,
with the reason) unless ``include_running``: moving or deleting the folders
of a live run makes its next heartbeat fail and leaves it ``running`` for
good. A run that was killed without a trace (SIGKILL) also stays
``running``; pass ``include_running`` for such stale runs.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

from RLA.db import layout
from RLA.db.layout import DATA_TYPES, Database, Item
from RLA.db.liveness import process_gone
from RLA.db.query import ItemFilter, ItemRecord, scan, select
from RLA.db.records import read_json, write_json_atomic
from RLA.errors import ConflictError, SelectionError

__all__ = [
    "Entry", "OpResult", "SelectionError", "ConflictError",
    "delete", "archive", "migrate", "clean", "view", "tensorboard_links", "tensorboard_command",
    "launch_tensorboard",
]

PathLike = Union[str, os.PathLike]


@dataclass(frozen=True)
class Entry:
    """One data type of one item: the unit every operation counts."""

    item: Item
    data_type: str
    source: Path
    target: Optional[Path] = None  # None for a deletion

    def to_dict(self) -> Dict[str, Any]:
        return {"index": self.item.index, "data_type": self.data_type, "source": str(self.source),
                "target": str(self.target) if self.target is not None else None}


@dataclass
class OpResult:
    """What an operation planned and did; ``count`` is the number of entries acted on."""

    action: str
    records: List[ItemRecord]
    entries: List[Entry]
    dry_run: bool = False
    confirmed: bool = False
    done: List[Entry] = field(default_factory=list)
    #: selected items left alone, with the reason (a run still marked running)
    skipped: List[Tuple[ItemRecord, str]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.done)

    @property
    def planned(self) -> int:
        return len(self.entries)

    def to_dict(self) -> Dict[str, Any]:
        return {"action": self.action, "items": [r.index for r in self.records], "planned": self.planned,
                "count": self.count, "dry_run": self.dry_run, "confirmed": self.confirmed,
                "entries": [e.to_dict() for e in self.entries],
                "skipped": [{"index": r.index, "reason": reason} for r, reason in self.skipped]}


def delete(data_root: PathLike, task: Optional[str] = None, pattern: Optional[str] = None, *,
           include_running: bool = False, allow_all: bool = False, dry_run: bool = False, skip_ask: bool = False,
           quiet: bool = False, **filters: Any) -> OpResult:
    """Delete every data type of the selected items.

    ``filters`` are the other fields of :class:`ItemFilter`; ``archived=True``
    deletes from ``<data_root>/arc``. Items still ``running`` are skipped
    unless ``include_running``.
    """
    records = _select(data_root, ItemFilter(task=task, pattern=pattern, **filters), allow_all)
    records, skipped = _skip_running(records, include_running)
    entries = [Entry(r.item, t, r.item.path(t)) for r in records for t in _present(r)]
    return _execute("delete", records, entries, _remove, dry_run, skip_ask, quiet, skipped)


def clean(data_root: PathLike, task: Optional[str] = None, pattern: Optional[str] = None, *,
          timestep_bound: int, include_running: bool = False, allow_all: bool = False,
          dry_run: bool = False, skip_ask: bool = False, quiet: bool = False, **filters: Any) -> OpResult:
    """Delete the selected items whose last time-step is below ``timestep_bound`` or that never logged.

    Items still ``running`` are kept unless ``include_running`` (their
    time-step grows; a run killed without a trace stays ``running``, though).
    """
    item_filter = ItemFilter(task=task, pattern=pattern, timestep_below=timestep_bound, **filters)
    records, skipped = _skip_running(select(data_root, item_filter), include_running)
    _refuse_whole_tables(data_root, records, item_filter.archived, allow_all)
    entries = [Entry(r.item, t, r.item.path(t)) for r in records for t in _present(r)]
    return _execute("delete", records, entries, _remove, dry_run, skip_ask, quiet, skipped)


def archive(data_root: PathLike, task: Optional[str] = None, pattern: Optional[str] = None, *,
            copy: bool = False, include_running: bool = False, allow_all: bool = False, dry_run: bool = False,
            skip_ask: bool = False, quiet: bool = False, **filters: Any) -> OpResult:
    """Move (or ``copy``) the selected items to ``<data_root>/arc/<type>/<task>/...``.

    Items still ``running`` are skipped unless ``include_running``.
    """
    if filters.get("archived"):
        raise SelectionError("these items are archived already; select live items (without --archived)")
    records = _select(data_root, ItemFilter(task=task, pattern=pattern, **filters), allow_all)
    records, skipped = _skip_running(records, include_running)
    entries = [Entry(r.item, t, r.item.path(t), r.item.moved(archived=True).path(t))
               for r in records for t in _present(r)]
    return _execute("copy to archive" if copy else "archive", records, entries,
                    _copy if copy else _move, dry_run, skip_ask, quiet, skipped)


def migrate(data_root: PathLike, task: Optional[str] = None, pattern: Optional[str] = None, *,
            to_task: Optional[str] = None, to_data_root: Optional[PathLike] = None, copy: bool = False,
            include_running: bool = False, allow_all: bool = False, dry_run: bool = False, skip_ask: bool = False,
            quiet: bool = False, **filters: Any) -> OpResult:
    """Move (or ``copy``) the selected items to another table and/or database.

    The items keep their names and dates; ``run.json`` is updated to the new
    table so that the item describes itself correctly. Items still
    ``running`` are skipped unless ``include_running``.
    """
    if to_task is None and to_data_root is None:
        raise ValueError("migrate needs a destination: to_task (another table) and/or to_data_root")
    target_root = Database(to_data_root).root if to_data_root is not None else None
    records = _select(data_root, ItemFilter(task=task, pattern=pattern, **filters), allow_all)
    records, skipped = _skip_running(records, include_running)
    entries = [Entry(r.item, t, r.item.path(t), r.item.moved(root=target_root, task=to_task).path(t))
               for r in records for t in _present(r)]
    if any(e.source == e.target for e in entries):
        raise ValueError("the destination is where the items already are; give another to_task or to_data_root")
    transfer = _copy if copy else _move

    def transfer_and_relabel(entry: Entry) -> None:
        transfer(entry)
        if entry.data_type == "log" and entry.target is not None:
            _relabel_run_record(entry.target, entry.item.moved(root=target_root, task=to_task))

    return _execute("copy" if copy else "move", records, entries, transfer_and_relabel, dry_run, skip_ask, quiet,
                    skipped)


def view(data_root: PathLike, task: Optional[str] = None, pattern: Optional[str] = None,
         **filters: Any) -> List[Dict[str, Any]]:
    """Key metadata and the ``backup.txt`` lines of each selected item."""
    out = []
    for record in select(data_root, ItemFilter(task=task, pattern=pattern, **filters)):
        log_dir = record.item.path("log")
        run = read_json(log_dir / layout.RUN_JSON) or {}
        try:
            backup = (log_dir / layout.BACKUP_TXT).read_text(encoding="utf-8", errors="replace")
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


def tensorboard_links(data_root: PathLike, task: Optional[str] = None, pattern: Optional[str] = None, *,
                      link_dir: Optional[PathLike] = None, **filters: Any) -> Path:
    """A folder of symbolic links, one per selected item, for ``tensorboard --logdir``.

    Each link is named by the item's index and points at the item's ``tb``
    folder (or its log folder when it has none). An existing ``link_dir`` may
    only hold links (from an earlier call); they are replaced.
    """
    records = select(data_root, ItemFilter(task=task, pattern=pattern, **filters))
    records = [r for r in records if "log" in r.sizes]
    if not records:
        raise SelectionError("no item with a log folder matches; check the pattern and filters with `rla ls`")
    folder = Path(link_dir) if link_dir is not None else Path(tempfile.mkdtemp(prefix="rla_tb_"))
    _clear_link_dir(folder)
    for record in records:
        log_dir = record.item.path("log")
        source = log_dir / layout.TB_DIR if (log_dir / layout.TB_DIR).is_dir() else log_dir
        link = folder / record.item.task / record.item.date / record.item.name
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(source, link, target_is_directory=True)
    return folder


def tensorboard_command(link_dir: PathLike, port: int = 6006, host: Optional[str] = None) -> List[str]:
    """The command that serves ``link_dir`` with TensorBoard (the one of this interpreter)."""
    command = [sys.executable, "-m", "tensorboard.main", "--logdir", str(link_dir), "--port", str(port)]
    if host is not None:
        command += ["--host", host]
    return command


def launch_tensorboard(command: Sequence[str]) -> int:
    """Run TensorBoard in the foreground until it stops (Ctrl-C)."""
    try:
        return subprocess.call(list(command))
    except KeyboardInterrupt:
        return 0


# -- selection and planning ---------------------------------------------------------------

def _select(data_root: PathLike, item_filter: ItemFilter, allow_all: bool) -> List[ItemRecord]:
    records = select(data_root, item_filter)
    _refuse_whole_tables(data_root, records, item_filter.archived, allow_all)
    return records


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
            f"({sum(chosen[t] for t in whole)} items); narrow the pattern or filters, "
            "or pass --all (allow_all=True) if you mean the whole table"
        )


def _skip_running(records: List[ItemRecord], include_running: bool
                  ) -> Tuple[List[ItemRecord], List[Tuple[ItemRecord, str]]]:
    """The records to act on, and the running ones left alone with the reason."""
    if include_running:
        return records, []
    kept, skipped = [], []
    for record in records:
        if record.status == "running":
            skipped.append((record, running_reason(record)))
        else:
            kept.append(record)
    return kept, skipped


def running_reason(record: ItemRecord) -> str:
    """Why a ``running`` item is left alone, and what to do if its run is in fact dead."""
    run = read_json(record.item.path("log") / layout.RUN_JSON) or {}
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
    """The data types of an item that are on disk now, in the canonical order."""
    return [t for t in DATA_TYPES if os.path.lexists(record.item.path(t))]


def _execute(action: str, records: List[ItemRecord], entries: List[Entry], act: Callable[[Entry], None],
             dry_run: bool, skip_ask: bool, quiet: bool,
             skipped: Sequence[Tuple[ItemRecord, str]] = ()) -> OpResult:
    from RLA.db import display

    result = OpResult(action, records, entries, dry_run=dry_run, skipped=list(skipped))
    conflicts = [e for e in entries if e.target is not None and os.path.lexists(e.target)]
    if conflicts:
        listed = "\n  ".join(str(e.target) for e in conflicts[:10])
        raise ConflictError(f"{len(conflicts)} destination(s) already exist, nothing was changed:\n  {listed}\n"
                            "remove or rename them first, or choose another destination")
    if not quiet or (not skip_ask and not dry_run):
        display.show_plan(result)
    if dry_run or not entries:
        return result
    if not skip_ask:
        import click

        try:
            confirmed = click.confirm(f"{action} these {len(entries)} entries of {len(records)} items?",
                                      default=False, err=True)
        except click.Abort:  # end of input or Ctrl-C at the prompt: a no
            confirmed = False
        if not confirmed:
            return result
    result.confirmed = True
    for entry in display.progress(entries, f"{action}", quiet):
        act(entry)
        result.done.append(entry)
    return result


# -- acting on one entry ---------------------------------------------------------------------

def _remove(entry: Entry) -> None:
    path = entry.source
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()


def _move(entry: Entry) -> None:
    assert entry.target is not None
    entry.target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(entry.source), str(entry.target))


def _copy(entry: Entry) -> None:
    assert entry.target is not None
    entry.target.parent.mkdir(parents=True, exist_ok=True)
    if entry.source.is_dir() and not entry.source.is_symlink():
        shutil.copytree(entry.source, entry.target, symlinks=True)
    else:
        shutil.copy2(entry.source, entry.target, follow_symlinks=False)


def _relabel_run_record(log_dir: Path, item: Item) -> None:
    """Point a migrated item's run.json at its new table and index."""
    path = log_dir / layout.RUN_JSON
    run = read_json(path)
    if run is not None:
        run.update(task=item.task, index=item.index)
        write_json_atomic(path, run)


def _clear_link_dir(folder: Path) -> None:
    """Empty a link folder made by :func:`tensorboard_links`, refusing one holding anything else."""
    if not folder.exists():
        folder.mkdir(parents=True)
        return
    for parent, dirs, files in os.walk(folder):  # does not descend into linked folders
        foreign = [f for f in files if not os.path.islink(os.path.join(parent, f))]
        if foreign:
            raise ConflictError(f"{folder} holds files that are not links ({os.path.join(parent, foreign[0])}); "
                                "give an empty or new folder as the link folder")
    for parent, dirs, files in os.walk(folder, topdown=False):
        for name in dirs + files:
            path = os.path.join(parent, name)
            if os.path.islink(path):
                os.unlink(path)
            else:
                os.rmdir(path)
