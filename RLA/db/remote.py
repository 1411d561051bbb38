"""Push and pull items between this database and a central one over SSH (SFTP), incrementally.

    push(data_root, endpoint, ItemFilter(task="ppo"))     # this machine -> the central host
    pull(data_root, endpoint, ItemFilter(pattern="2026/12/*"))
    status(data_root, endpoint, ItemFilter(task="ppo"))   # what the central host lacks, per item

What the other side holds is recorded locally per item (:mod:`RLA.db.sync.manifest`),
so a sync sends only what changed: the new bytes of append-only files, whole
other files under a temporary name renamed into place, checkpoint folders
whole or not at all (:mod:`RLA.db.sync.sides`). The record is written after
every file, so a sync killed at any point continues where it stopped. Item
names carry the host's address: workers pushing into one central database
never write the same item.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterator, List, Optional, Sequence, Tuple

from RLA.config import SYNC_TYPES
from RLA.db import layout
from RLA.db.layout import ARCHIVE_DIR, PICKLE_SUFFIX, Database, Item
from RLA.db.records import flatten_params
from RLA.db.select import ItemFilter
from RLA.db.sync.endpoint import Endpoint, from_setting, from_url
from RLA.db.sync.manifest import Manifest, fingerprint
from RLA.db.sync.plan import Action, ItemPlan, is_append_only, plan_item
from RLA.db.sync.sides import LocalSide, RemoteSide, Side, chunks
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

    @property
    def sent_bytes(self) -> int:
        return sum(r.sent_bytes for r in self.items)

    @property
    def actions(self) -> int:
        return sum(r.actions for r in self.items)

    def to_dict(self) -> dict:
        return {"direction": self.direction, "remote": self.remote, "dry_run": self.dry_run,
                "sent_bytes": self.sent_bytes, "items": [vars(r) for r in self.items]}


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
    """Plan each item and, with a destination, carry the plan out file by file."""
    unknown = sorted(set(data_types) - set(SYNC_TYPES))
    if unknown:
        raise UsageError(f"cannot sync data types {unknown}; choose among {', '.join(SYNC_TYPES)}")
    report = SyncReport(direction, endpoint.url, destination is None)
    for item in items:
        manifest = Manifest.of(local_root, endpoint.key, direction, item)
        try:
            plan = plan_item(source, item, manifest, data_types)
            result = ItemResult(item.index, len(plan.actions), plan.bytes)
            report.items.append(result)
            if destination is not None:
                result.sent_bytes = _carry_out(plan, source, destination, manifest, on_progress)
        except _transport_errors() as exc:
            raise SyncError(f"{direction} of {item.index} to {endpoint.url} stopped: {exc}; what was sent is "
                            "recorded, the next sync continues from there") from exc
        finally:
            manifest.close()
    return report


def _carry_out(plan: ItemPlan, source: Side, destination: Side, manifest: Manifest, on_progress: Progress) -> int:
    sent = 0
    for action in plan.actions:
        try:
            sent += _apply(action, plan.item, source, destination, manifest)
        except FileNotFoundError:
            if source.stat(_first_file(action)) is not None:
                raise
            # gone from the source while we sent it (a rotated-out checkpoint): the next plan removes it
        if on_progress is not None:
            on_progress(action)
    return sent


def _apply(action: Action, item: Item, source: Side, destination: Side, manifest: Manifest) -> int:
    """Carry out one action and record its outcome; returns the bytes sent."""
    rel = action.rel
    if action.kind == "remove":
        destination.remove(rel)
        manifest.record(rel, None)
        return 0
    if action.kind == "folder":
        files = {name: _file_chunks(source, f"{rel}/{name}") for name in sorted(action.files)}
        sent = destination.publish_folder(rel, files)
        manifest.record(rel, {"folder": action.signature})
        return sent
    with source.open_read(rel) as (f, (size, mtime)):
        entry = manifest.get(rel)
        offset = _append_offset(f, size, entry, destination, rel) if action.kind == "append" else None
        if offset is None:
            sent = destination.replace(rel, chunks(f, 0, size))
        else:
            sent = destination.append(rel, offset, chunks(f, offset, size - offset))
        new_entry = {"size": size, "mtime": mtime}
        if is_append_only(item, rel):
            new_entry["fp"] = fingerprint(f, size)
        manifest.record(rel, new_entry)
    return sent


def _append_offset(f: Any, size: int, entry: Optional[dict], destination: Side, rel: str) -> Optional[int]:
    """Where the new bytes go: the destination's size, when the source only grew since it was sent
    and the destination holds a prefix of it; ``None`` when the file must be sent whole."""
    if entry is None or fingerprint(f, entry["size"]) != entry.get("fp"):
        return None
    held = destination.stat(rel)
    if held is None or not entry["size"] <= held[0] <= size:
        return None
    return held[0]


def _file_chunks(source: Side, rel: str) -> Iterator[bytes]:
    with source.open_read(rel) as (f, (size, _)):
        yield from chunks(f, 0, size)


def _first_file(action: Action) -> str:
    return f"{action.rel}/{next(iter(action.files))}" if action.files else action.rel


def _transport_errors() -> Tuple[type, ...]:
    import paramiko

    return OSError, EOFError, paramiko.SSHException


# -- what the remote database holds ------------------------------------------------------

def _remote_items(remote: RemoteSide, local_root: Path, item_filter: ItemFilter,
                  data_types: Sequence[str]) -> List[Item]:
    """The remote items ``item_filter`` selects, as items of the local database."""
    base = ARCHIVE_DIR + "/" if item_filter.archived else ""
    found = set()
    for data_type in data_types:
        tasks = [item_filter.task] if item_filter.task else remote.listdir(base + data_type)
        for task in tasks:
            task_rel = f"{base}{data_type}/{task}"
            for year in remote.listdir(task_rel):
                for month in remote.listdir(f"{task_rel}/{year}"):
                    for day in remote.listdir(f"{task_rel}/{year}/{month}"):
                        date = f"{year}/{month}/{day}"
                        for name in remote.listdir(f"{task_rel}/{date}"):
                            if data_type == "archive_tester":
                                if not name.endswith(PICKLE_SUFFIX):
                                    continue
                                name = name[: -len(PICKLE_SUFFIX)]
                            if item_filter.name_matches(date, name):
                                found.add((task, date, name))
    items = []
    for task, date, name in sorted(found):
        try:
            item = Database(local_root).item(task, f"{date}/{name}", item_filter.archived)
        except layout.LayoutError:
            continue  # not an item folder (a stray file in the remote tree)
        if item_filter.where or item_filter.status:
            if not item_filter.entry_matcher()(_remote_summary(remote, item)):
                continue
        items.append(item)
    return items


def _remote_summary(remote: RemoteSide, item: Item) -> Any:
    """Status and parameters of a remote item, read from its run.json and params.json."""
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
    return SimpleNamespace(status=run.get("status") or "unknown", last_time_step=run.get("last_time_step"),
                           params=flatten_params(read(item.params_json)))
