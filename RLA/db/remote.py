"""Push and pull items between this database and a central one over SSH (SFTP), incrementally.

    push(data_root, endpoint, ItemFilter(task="ppo"))     # this machine -> the central host
    pull(data_root, endpoint, ItemFilter(pattern="2026/12/*"))
    status(data_root, endpoint, ItemFilter(task="ppo"))   # what the central host lacks, per item

What the other side holds is recorded locally per item (:mod:`RLA.db.sync.manifest`),
so a sync sends only what changed: the new bytes of append-only files, whole
other files under a temporary name renamed into place, checkpoint folders and
new items whole or not at all (:mod:`RLA.db.sync.sides`), many files in flight
at once (:mod:`RLA.db.sync.pipeline`). The record is written after every file
(a new item: after the item), so a sync killed at any point continues where it stopped. Item
names carry the host's address: workers pushing into one central database
never write the same item.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Set, Tuple, Type

from RLA.config import SYNC_TYPES
from RLA.db import layout
from RLA.db.annotations import parse_annotations
from RLA.db.data_types import BY_NAME, item_names
from RLA.db.layout import ARCHIVE_DIR, Database, Item, day_folders
from RLA.db.records import flatten_params
from RLA.db.select import ItemFilter
from RLA.db.sync.endpoint import Endpoint, from_setting, from_url
from RLA.db.sync.manifest import Manifest, fingerprint
from RLA.db.sync.pipeline import Task
from RLA.db.sync.plan import Action, ItemPlan, is_append_only, plan_item
from RLA.db.sync.sftp_side import RemoteSide
from RLA.db.sync.sides import LocalSide, Side, chunks
from RLA.errors import SyncError, UsageError

__all__ = ["Endpoint", "SyncReport", "ItemResult", "push", "pull", "status", "connect", "push_items",
           "from_setting", "from_url"]

Progress = Optional[Callable[[Action], None]]


@dataclass
class ItemResult:
    index: str
    actions: int
    planned_bytes: int
    sent_bytes: int = 0


@dataclass
class SyncReport:
    """What a push or pull did (or, dry, would do), per item."""

    direction: str
    remote: str
    dry_run: bool
    items: List[ItemResult] = field(default_factory=list)
    requests: int = 0  # SFTP requests sent

    @property
    def sent_bytes(self) -> int:
        return sum(r.sent_bytes for r in self.items)

    @property
    def actions(self) -> int:
        return sum(r.actions for r in self.items)

    def to_dict(self) -> dict:
        return {"direction": self.direction, "remote": self.remote, "dry_run": self.dry_run,
                "sent_bytes": self.sent_bytes, "requests": self.requests, "items": [vars(r) for r in self.items]}


def connect(endpoint: Endpoint) -> RemoteSide:
    """An open session on the remote data root; close it when done (``side.close()``)."""
    return RemoteSide(endpoint.connect(), endpoint.root, endpoint.url)


def status(data_root: Any, endpoint: Endpoint, item_filter: ItemFilter,
           data_types: Sequence[str] = SYNC_TYPES) -> SyncReport:
    """What a push would send, per item, from the local record alone (no connection)."""
    return push(data_root, endpoint, item_filter, data_types, dry_run=True)


def push(data_root: Any, endpoint: Endpoint, item_filter: ItemFilter, data_types: Sequence[str] = SYNC_TYPES,
         on_progress: Progress = None, dry_run: bool = False) -> SyncReport:
    """Send the selected items of ``data_root`` to the remote database."""
    from RLA.db.query import select

    items = [record.item for record in select(data_root, item_filter)]
    if dry_run:
        return _run(LocalSide(Path(data_root)), None, items, Database(data_root).root, endpoint, "push",
                    data_types, on_progress)
    remote = connect(endpoint)
    try:
        return push_items(remote, items, endpoint, data_types, on_progress)
    finally:
        remote.close()


def push_items(remote: RemoteSide, items: Sequence[Item], endpoint: Endpoint,
               data_types: Sequence[str] = SYNC_TYPES, on_progress: Progress = None) -> SyncReport:
    """Send ``items`` over an open session (the run's background sync keeps one open between calls)."""
    if not items:
        return SyncReport("push", endpoint.url, False)
    root = items[0].root
    return _run(LocalSide(root), remote, items, root, endpoint, "push", data_types, on_progress)


def pull(data_root: Any, endpoint: Endpoint, item_filter: ItemFilter, data_types: Sequence[str] = SYNC_TYPES,
         on_progress: Progress = None, dry_run: bool = False) -> SyncReport:
    """Fetch the selected items of the remote database into ``data_root``."""
    local_root = Database(data_root).root
    local_root.mkdir(parents=True, exist_ok=True)
    remote = connect(endpoint)
    try:
        items = _remote_items(remote, local_root, item_filter, data_types)
        return _run(remote, None if dry_run else LocalSide(local_root), items, local_root, endpoint, "pull",
                    data_types, on_progress)
    except _transport_errors() as exc:
        raise SyncError(f"pull from {endpoint.url} failed: {exc}") from exc
    finally:
        remote.close()


# -- the engine ---------------------------------------------------------------------------

def _run(source: Side, destination: Optional[Side], items: Sequence[Item], local_root: Path, endpoint: Endpoint,
         direction: str, data_types: Sequence[str], on_progress: Progress) -> SyncReport:
    """Plan each item and, with a destination, carry the plans out (many files in flight at once)."""
    unknown = sorted(set(data_types) - set(SYNC_TYPES))
    if unknown:
        raise UsageError(f"cannot sync data types {unknown}; choose among {', '.join(SYNC_TYPES)}")
    report = SyncReport(direction, endpoint.url, destination is None)
    jobs = []
    try:
        for item in items:
            manifest = Manifest.of(local_root, endpoint.key, direction, item)
            jobs.append((plan_item(source, item, manifest, data_types), manifest))
            report.items.append(ItemResult(item.index, jobs[-1][0].count, jobs[-1][0].bytes))
        if destination is not None:
            before = source.requests + destination.requests
            sent = destination.run(_item_task(plan, source, destination, manifest, direction, endpoint, on_progress)
                                   for plan, manifest in jobs)
            for result, item_sent in zip(report.items, sent):
                result.sent_bytes = item_sent
            report.requests = source.requests + destination.requests - before
    except _transport_errors() as exc:
        raise SyncError(f"{direction} to {endpoint.url} stopped: {exc}; what was sent is recorded, the next sync "
                        "continues from there") from exc
    finally:
        for _, manifest in jobs:
            manifest.close()
    return report


def _item_task(plan: ItemPlan, source: Side, destination: Side, manifest: Manifest, direction: str,
               endpoint: Endpoint, on_progress: Progress) -> Task:
    """One item's sync, phase after phase; the bytes sent."""
    sent = 0
    try:
        for phase in plan.phases:
            done = yield [_action_task(a, plan.item, source, destination, manifest, on_progress) for a in phase]
            sent += sum(done)
        if plan.count:  # an item changed in place moves no folder: its date folder says so to the query index
            yield [destination.touch(plan.item.path("log").parent.relative_to(plan.item.root).as_posix())]
    except _transport_errors() as exc:
        raise SyncError(f"{direction} of {plan.item.index} to {endpoint.url} stopped: {exc}; what was sent is "
                        "recorded, the next sync continues from there") from exc
    finally:
        manifest.close()  # one journal open per item in flight, not per item of the sync
    return sent


def _action_task(action: Action, item: Item, source: Side, destination: Side, manifest: Manifest,
                 on_progress: Progress) -> Task:
    try:
        sent = yield from _apply(action, item, source, destination, manifest, on_progress)
    except FileNotFoundError:
        if source.stat(_first_file(action)) is not None:
            raise
        sent = 0  # gone from the source while we sent it (a rotated-out checkpoint): the next plan removes it
    if on_progress is not None:
        on_progress(action)
    return sent


def _apply(action: Action, item: Item, source: Side, destination: Side, manifest: Manifest,
           on_progress: Progress) -> Task:
    """Carry out one action and record its outcome; the bytes sent."""
    rel = action.rel
    if action.kind == "remove":
        yield from destination.remove(rel)
        manifest.record(rel, None)
        return 0
    if action.kind == "folder":
        files = {name: _file_chunks(source, f"{rel}/{name}") for name in sorted(action.files)}
        # recorded first: a sync killed midway leaves a temporary copy of the folder on the destination,
        # which the next sync clears when it sends the folder again or, rotated out meanwhile, removes it
        manifest.record(rel, {"sending": True})
        sent = yield from destination.publish_folder(rel, files)
        manifest.record(rel, {"folder": action.signature})
        return sent
    if action.kind == "tree":
        return (yield from _apply_tree(action, item, source, destination, manifest, on_progress))
    with source.open_read(rel) as (f, (size, mtime)):
        entry = manifest.get(rel)
        offset = _append_offset(f, size, entry) if action.kind == "append" else None
        sent = None
        if offset is not None:
            try:
                sent = yield from destination.append(rel, offset, chunks(f, offset, size - offset))
            except FileNotFoundError:  # gone from the destination: sent whole below
                pass
        if sent is None:
            sent = yield from destination.replace(rel, chunks(f, 0, size))
        manifest.record(rel, _entry(item, rel, f, size, mtime))
    return sent


def _apply_tree(action: Action, item: Item, source: Side, destination: Side, manifest: Manifest,
                on_progress: Progress) -> Task:
    """Send a folder the destination never received under a temporary name, rename it once, record its
    files; when the destination has that folder after all (its record was lost), send file by file."""
    sent_files: Dict[str, dict] = {}
    files = {}
    for part in action.parts:
        names = [f"{part.rel}/{name}" for name in sorted(part.files)] if part.kind == "folder" else [part.rel]
        for rel in names:
            files[rel[len(action.rel) + 1:]] = _file_chunks(source, rel, item, sent_files)
    try:
        sent = yield from destination.publish_folder(action.rel, files, new=True)
    except FileExistsError:
        done = yield [_action_task(part, item, source, destination, manifest, None) for part in action.parts]
        sent = sum(done)
    else:
        manifest.record_many([(part.rel, {"folder": part.signature} if part.kind == "folder" else sent_files[part.rel])
                              for part in action.parts])
    if on_progress is not None:
        for part in action.parts[1:]:
            on_progress(part)
    return sent


def _entry(item: Item, rel: str, f: Any, size: int, mtime: int) -> dict:
    """The record of a file sent: size and time, and a fingerprint of an append-only file."""
    entry: Dict[str, Any] = {"size": size, "mtime": mtime}
    if is_append_only(item, rel):
        entry["fp"] = fingerprint(f, size)
    return entry


def _append_offset(f: Any, size: int, entry: Optional[dict]) -> Optional[int]:
    """Where the new bytes go: the size the record says was sent, when the source only grew since
    (its head and that tail unchanged); ``None`` when the file must be sent whole."""
    if entry is None or not entry["size"] <= size or fingerprint(f, entry["size"]) != entry.get("fp"):
        return None
    return entry["size"]


def _file_chunks(source: Side, rel: str, item: Optional[Item] = None,
                 sent_files: Optional[Dict[str, dict]] = None) -> Iterator[bytes]:
    """The bytes of ``rel``, read as they are sent; with ``sent_files``, its record is put there at the end."""
    with source.open_read(rel) as (f, (size, mtime)):
        yield from chunks(f, 0, size)
        if sent_files is not None and item is not None:
            sent_files[rel] = _entry(item, rel, f, size, mtime)


def _first_file(action: Action) -> str:
    if action.parts:
        return _first_file(action.parts[0])
    return f"{action.rel}/{next(iter(action.files))}" if action.files else action.rel


def _transport_errors() -> Tuple[Type[BaseException], ...]:
    import paramiko

    return OSError, EOFError, paramiko.SSHException


# -- what the remote database holds ------------------------------------------------------

def _remote_items(remote: RemoteSide, local_root: Path, item_filter: ItemFilter,
                  data_types: Sequence[str]) -> List[Item]:
    """The remote items ``item_filter`` selects, as items of the local database."""
    base = ARCHIVE_DIR + "/" if item_filter.archived else ""
    found: Set[Tuple[str, str, str]] = set()
    for data_type in data_types:
        kind = BY_NAME[data_type]
        tasks = [item_filter.task] if item_filter.task else remote.listdir(base + data_type)
        for task in tasks:
            for date, day_rel in day_folders(f"{base}{data_type}/{task}", remote.listdir):
                found.update((task, date, name) for name in item_names(kind, remote.listdir(day_rel))
                             if item_filter.name_matches(date, name))
    items = []
    for task, date, name in sorted(found):
        try:
            item = Database(local_root).item(task, f"{date}/{name}", item_filter.archived)
        except layout.LayoutError:
            continue  # not an item folder (a stray file in the remote tree)
        if item_filter.where or item_filter.status:
            if not item_filter.entry_matcher()(_remote_summary(remote, item, item_filter.uses_annotations)):
                continue
        items.append(item)
    return items


def _remote_summary(remote: RemoteSide, item: Item, annotated: bool) -> Any:
    """Status and parameters of a remote item, read from its run.json and params.json; its tags and note
    too when ``annotated``."""
    def read(path: Path) -> dict:
        rel = path.relative_to(item.root).as_posix()
        if remote.stat(rel) is None:
            return {}
        with remote.open_read(rel) as (f, _):
            try:
                return json.loads(f.read())
            except ValueError:
                return {}

    run = read(item.run_json)
    annotations = parse_annotations(read(item.annotations_json) if annotated else None)
    return SimpleNamespace(status=run.get("status") or "unknown", last_time_step=run.get("last_time_step"),
                           params=flatten_params(read(item.params_json)), tags=annotations.tags,
                           note=annotations.note)
