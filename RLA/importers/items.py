"""A run read from another tracker, stored as a database item: made on its first import, brought up to date after.

The item is named and dated by the run's start time, with the source's name in place
of the address (``05-27-10-837000_mlflow_&seed=1``). Its run.json keeps the
source's id of the run (``imported``), which is how the next import finds the item
again: the same source imported twice adds nothing, and a run that grew gets its
new rows (appended when the rows it had are unchanged, so a sync sends only them).
Rows are never dropped: when a source holds fewer rows than its item, the item is
left as it is and the import says so.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from RLA.db.annotate import annotate_item
from RLA.db.annotations import MAX_NOTE_CHARS, MAX_TAGS, as_tag, read_annotations
from RLA.db.atomic import atomic_write, atomic_writer
from RLA.db.layout import TIME_STEP_COLUMN, WALL_TIME_COLUMN, Database, Item, result_parts
from RLA.db.progress import summarize_csv
from RLA.db.records import lookup_param, read_json, to_jsonable, write_json_atomic
from RLA.errors import LayoutError
from RLA.importers.base import SourceRun

__all__ = ["IMPORTED", "Outcome", "imported_items", "store"]

#: the run.json key that says where an item was imported from
IMPORTED = "imported"
#: columns progress.csv holds besides the run's keys: a key of the source with one of these names is not kept
_RESERVED = (TIME_STEP_COLUMN, WALL_TIME_COLUMN)


@dataclass
class Outcome:
    """What an import did (or, in a dry run, would do) with one run of the source."""

    #: the run, as the source names it
    name: str
    #: ``new``, ``updated``, ``unchanged`` or ``skipped`` (the run could not be read)
    action: str
    #: the item's index (for a new item in a dry run: the index it would have)
    index: Optional[str] = None
    #: rows added to the item's progress.csv
    rows: int = 0
    #: why a run was skipped
    reason: Optional[str] = None
    warnings: List[str] = field(default_factory=list)


@dataclass
class Known:
    """An item an earlier import made."""

    item: Item
    run: Dict[str, Any]

    def holds(self, fingerprint: Any) -> bool:
        """Whether the item holds what the source held at ``fingerprint``: the same fingerprint, and its
        progress.csv as the import left it (a crash after the import may have cut it: then it is read again)."""
        info = self.run[IMPORTED]
        return fingerprint is not None and info.get("fingerprint") == fingerprint \
            and _size(self.item.progress_csv) == info.get("progress_bytes")


def imported_items(db: Database, task: str, source: str) -> Dict[str, Known]:
    """The items of table ``task`` imported from a ``source`` importer, by the source's id of their run."""
    if task not in db.tasks():
        return {}
    found: Dict[str, Known] = {}
    for item in db.items(task):
        run = read_json(item.run_json)
        info = run.get(IMPORTED) if run else None
        if isinstance(info, dict) and info.get("source") == source and isinstance(info.get("id"), str):
            found[info["id"]] = Known(item, run)  # type: ignore[arg-type]  # run is a dict when info is
    return found


def store(db: Database, task: str, source: str, run: SourceRun, known: Optional[Known], record: Sequence[str],
          fingerprint: Any, dry_run: bool = False) -> Outcome:
    """Make ``run``'s item (``known`` is None) or bring ``known``'s item up to date with it."""
    if _iso(run.start_time) is None:  # before anything is written: the item is named by it
        return Outcome(run.name, "skipped", reason=f"its start time ({run.start_time!r} s) is no date")
    table, keys_left_out = _progress_table(run)
    warnings = list(run.warnings) + [f"the key {key!r} names a column of its own in progress.csv; it is not kept"
                                     for key in keys_left_out]
    if run.end_time is not None and _iso(run.end_time) is None:
        warnings.append(f"its end time ({run.end_time!r} s) is no date: it is not kept")
    warnings += _results_left_out(run)
    tracked = [(key, lookup_param(run.params, key)) for key in record if _has(run.params, key)]
    if known is None:
        unnamed = [f"--record {key!r} is not one of its parameters" for key in record if not _has(run.params, key)]
        item = _new_item(db, task, source, run, tracked, dry_run)
        if not dry_run:
            # first: should this import stop midway, the next one finds the item (no fingerprint: it completes it)
            first = _record(item, source, run, [k for k, _ in tracked], None, warnings, len(table), annotated=False)
            atomic_write(item.run_json, json.dumps(first, indent=2) + "\n", durable=False)
            atomic_write(item.progress_csv, table, durable=False)
            _write_files(item, run)
            write_json_atomic(item.params_json, to_jsonable(run.params))
            _annotate(item, run, None)
            write_json_atomic(item.run_json, _record(item, source, run, [k for k, _ in tracked], fingerprint, warnings,
                                                     len(table)))
        return Outcome(run.name, "new", item.index, len(run.rows), warnings=warnings + unnamed)

    item = known.item
    rewritten, added, kept_warning, progress_bytes = _update_progress(item, table, len(run.rows), dry_run)
    if kept_warning:
        warnings.append(kept_warning)
    earlier = read_json(item.params_json)
    earlier_from = known.run.get("params_from") or []
    # an import that did not read every source an earlier one did (no --name-pattern this time) keeps
    # the parameters they gave, which the item's name may show; one that read them all says them all
    kept = earlier if isinstance(earlier, dict) and not set(earlier_from) <= set(run.params_from) else {}
    params = {**kept, **to_jsonable(run.params)}
    new_params = params != earlier
    files = _missing_files(item, run)
    record_param = known.run.get("record_param") or []
    new_record = _record(item, source, run, list(record_param), fingerprint, warnings, progress_bytes,
                         params_from=earlier_from if kept else [])
    changed = rewritten or new_params or bool(files) or _differs(new_record, known.run)
    if changed and not dry_run:
        _write_files(item, run)
        if new_params:
            write_json_atomic(item.params_json, params)
        _annotate(item, run, known.run[IMPORTED])
        write_json_atomic(item.run_json, new_record)
    return Outcome(run.name, "updated" if changed else "unchanged", item.index, added, warnings=warnings)


def _has(params: Dict[str, Any], key: str) -> bool:
    try:
        lookup_param(params, key)
    except KeyError:
        return False
    return True


def _new_item(db: Database, task: str, source: str, run: SourceRun, tracked: List[Tuple[str, Any]],
              dry_run: bool) -> Item:
    """The run's new item, named by its start time: claimed on disk, or only named in a dry run."""
    started = _dt.datetime.fromtimestamp(run.start_time)
    if dry_run:
        from RLA.db.names import format_log_name

        return Item(db.root, task, started.strftime("%Y/%m/%d"), format_log_name(started, source, tracked))
    return db.create_item(task, source, tracked, timestamp=started)


def _progress_table(run: SourceRun) -> Tuple[bytes, List[str]]:
    """progress.csv of the run: a row per step in step order, ``time-step`` and ``wall_time`` first, a key's
    cell empty in the rows of the steps it was not logged at; and the keys left out (a reserved name)."""
    keys: Dict[str, None] = {}
    steps = sorted(run.rows)
    for step in steps:
        keys.update(dict.fromkeys(run.rows[step]))
    left_out = [key for key in _RESERVED if key in keys]
    for key in left_out:
        del keys[key]
    timed = bool(run.wall_times)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([TIME_STEP_COLUMN, *([WALL_TIME_COLUMN] if timed else []), *keys])
    for step in steps:
        values = run.rows[step]
        cells = [values.get(key, "") for key in keys]
        writer.writerow([step, run.wall_times.get(step, ""), *cells] if timed else [step, *cells])
    return out.getvalue().encode("utf-8"), left_out


def _update_progress(item: Item, table: bytes, rows: int, dry_run: bool) -> Tuple[bool, int, Optional[str], int]:
    """Bring the item's progress.csv to ``table`` (``rows`` rows): the new rows appended when the old ones
    are unchanged, else the file replaced; never with fewer rows. Whether it changes, the rows it gains,
    a warning when it is kept as it is, and its size then."""
    try:
        with open(item.progress_csv, "rb") as f:
            old = f.read()
    except FileNotFoundError:
        old = b""
    if old == table:
        return False, 0, None, len(old)
    old_rows = summarize_csv(item.progress_csv).rows or 0
    if rows < old_rows:
        return False, 0, (f"the source now holds {rows} rows and the item {old_rows}: its progress.csv is left as "
                          "it is; import into another table (-t) to keep both"), len(old)
    if not dry_run:
        if old and table.startswith(old) and old.endswith(b"\n"):
            with open(item.progress_csv, "ab") as f:
                f.write(table[len(old):])
        else:
            atomic_write(item.progress_csv, table, durable=False)
    return True, rows - old_rows, None, len(table)


def _results_left_out(run: SourceRun) -> List[str]:
    """Warnings for the run's results whose names lead out of an item's results folder, which are dropped
    from ``run`` (an importer makes names that stay inside; a source's own names are checked here again)."""
    warnings = []
    for name in list(run.results):
        try:
            result_parts(name)
        except LayoutError:
            del run.results[name]
            warnings.append(f"the result {name!r} names a place outside the item's results folder: it is not kept")
    return warnings


def _missing_files(item: Item, run: SourceRun) -> int:
    """How many of the run's event files and results the item lacks (or has only part of)."""
    missing = sum(1 for event_file in run.event_files
                  if _size(item.tb_dir / event_file.path.name) < event_file.whole_bytes)
    return missing + sum(1 for name in run.results if not item.result_file(name).exists())


def _size(path: Path) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _write_files(item: Item, run: SourceRun) -> None:
    """The run's event files into ``tb/`` (the whole records; a file that grew gets its new bytes) and its
    images into ``results/`` (a file already there is kept)."""
    if run.event_files:
        item.tb_dir.mkdir(parents=True, exist_ok=True)
    for event_file in run.event_files:
        copy = item.tb_dir / event_file.path.name
        have = _size(copy)
        if have >= event_file.whole_bytes:
            continue
        if have == 0 and event_file.whole_bytes == _size(event_file.path):
            shutil.copyfile(event_file.path, copy)
            continue
        with open(event_file.path, "rb") as src, open(copy, "ab") as dst:
            src.seek(have)
            dst.write(src.read(event_file.whole_bytes - have))
    for name, content in run.results.items():
        target = item.result_file(name)
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):  # whole or not at all: a file there is taken as imported
            with open(content, "rb") as image, atomic_writer(target, "wb", durable=False) as kept:
                shutil.copyfileobj(image, kept)
        else:
            atomic_write(target, content, durable=False)


def _tags(texts: Sequence[str]) -> List[str]:
    return list(dict.fromkeys(tag for tag in map(as_tag, texts) if tag is not None))[:MAX_TAGS]


def _annotate(item: Item, run: SourceRun, earlier: Optional[Dict[str, Any]]) -> None:
    """The source's tags and notes as the item's (annotations.json). On a later import only what the source
    changed since is carried over: a tag or note edited in RLA meanwhile is kept."""
    said_before = earlier or {}
    tags = [tag for tag in _tags(run.tags) if tag not in (said_before.get("tags") or [])]
    note = (run.notes or "")[:MAX_NOTE_CHARS]
    earlier_note = (said_before.get("notes") or "")[:MAX_NOTE_CHARS]
    if note == earlier_note and earlier is not None:
        note_now = None
    else:
        current = read_annotations(item)[0].note
        note_now = note if current == earlier_note and note != current else None
    if tags or note_now is not None:
        annotate_item(item, add=tags, note=note_now)


def _iso(seconds: Optional[float]) -> Optional[str]:
    """Unix ``seconds`` as a local ISO time; None for None and for a number that is no date (NaN, year 318857)."""
    try:
        return None if seconds is None else _dt.datetime.fromtimestamp(seconds).isoformat(timespec="microseconds")
    except (ValueError, OverflowError, OSError):
        return None


def _record(item: Item, source: str, run: SourceRun, record_param: List[str], fingerprint: Any,
            warnings: List[str], progress_bytes: int, annotated: bool = True,
            params_from: Sequence[str] = ()) -> Dict[str, Any]:
    """The item's run.json: what the source says of the run, and where it came from (with the tags and note
    it had when they were ``annotated`` on the item: what a later import compares the source's with).
    ``params_from``: the sources of parameters that earlier imports kept, before the run's own."""
    steps = sorted(run.rows)
    return to_jsonable({
        "format": "v1", "task": item.task, "index": item.index, "log_name": item.name, "status": run.status,
        "start_time": _iso(run.start_time), "end_time": _iso(run.end_time),
        "last_time_step": steps[-1] if steps else None, "record_param": record_param,
        "ip": source, "host": run.host, "error": None,
        "params_from": list(dict.fromkeys([*params_from, *run.params_from])),
        IMPORTED: {"source": source, "id": run.id, "name": run.name, "location": run.location,
                   "time": _dt.datetime.now().isoformat(timespec="seconds"), "fingerprint": fingerprint,
                   "progress_bytes": progress_bytes,
                   "tags": _tags(run.tags) if annotated else [], "notes": run.notes if annotated else None,
                   "details": run.details, "warnings": warnings},
    })


def _differs(new: Dict[str, Any], old: Dict[str, Any]) -> bool:
    """Whether two run.json records say different things (the time of the import aside)."""
    def said(record: Dict[str, Any]) -> str:
        info = dict(record.get(IMPORTED) or {})
        info.pop("time", None)
        return json.dumps({**record, IMPORTED: info}, sort_keys=True, default=str)

    return said(new) != said(old)
