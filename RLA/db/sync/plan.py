"""What a sync of one item must do: compare the source's files with the record of the destination.

Each file of the item becomes at most one :class:`Action`: ``append`` (an
append-only file grew: send its new bytes), ``replace`` (send it whole under a
temporary name, rename it into place), ``folder`` (a checkpoint folder, sent
whole or not at all) or ``remove`` (gone from the source since it was sent,
e.g. a rotated-out checkpoint). The folders of an item the destination has
never received (its log folder, code snapshot, ...) of at most ``STAGE_LIMIT``
bytes become one ``tree`` action holding those: the folder is sent under a
temporary name and renamed once, so a new item appears whole (a push killed
midway sends it again; larger folders go file by file, resumable per file).
Planning reads only the source and the local record, so ``rla sync status``
needs no connection.
"""
from __future__ import annotations

import hashlib
import json
import posixpath
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from RLA.db import layout
from RLA.db.layout import Item
from RLA.db.sync.manifest import Manifest
from RLA.db.sync.sides import Side, Stat

__all__ = ["Action", "ItemPlan", "plan_item", "item_paths", "is_append_only", "STAGE_LIMIT"]

STAGE_LIMIT = 32 << 20

_APPEND_ONLY = {layout.PROGRESS_CSV, layout.PROGRESS_JSON, layout.PROGRESS_LATE, layout.LOG_TXT, layout.WARN_TXT,
                layout.BACKUP_TXT, layout.OUTPUT_TXT, layout.SYSTEM_CSV}


@dataclass
class Action:
    kind: str  # append | replace | folder | remove | tree
    rel: str
    size: int = 0  # bytes to send (an estimate for append: the growth seen when planning)
    files: Dict[str, Stat] = field(default_factory=dict)  # a folder's files, by name inside it
    signature: str = ""  # a folder's files, sizes and times, hashed
    parts: List["Action"] = field(default_factory=list)  # a tree's actions, one per file or checkpoint folder


@dataclass
class ItemPlan:
    """The actions of one item in phases: a phase starts when the one before is done."""

    item: Item
    phases: List[List[Action]]

    @property
    def actions(self) -> List[Action]:
        return [a for phase in self.phases for a in phase]

    @property
    def bytes(self) -> int:
        return sum(a.size for a in self.actions)

    @property
    def count(self) -> int:
        """Files and checkpoint folders to send or remove."""
        return sum(len(a.parts) or 1 for a in self.actions)


def item_paths(item: Item, data_types: Sequence[str]) -> Dict[str, str]:
    """``data type -> path relative to the data root`` of ``item``, ``/``-separated."""
    return {t: item.path(t).relative_to(item.root).as_posix() for t in data_types}


def is_append_only(item: Item, rel: str) -> bool:
    """Whether ``rel`` is one of the item's append-only files (progress, logs, TensorBoard events, in ``tb``
    or a folder below it as ``rla run`` keeps a command's own event files)."""
    log_rel = item.log_dir.relative_to(item.root).as_posix()
    folder, name = posixpath.split(rel)
    if folder == log_rel:
        return name in _APPEND_ONLY
    tb_rel = f"{log_rel}/{layout.TB_DIR}"
    return (folder == tb_rel or folder.startswith(tb_rel + "/")) and name.startswith(layout.EVENT_FILE_PREFIX)


def plan_item(source: Side, item: Item, manifest: Manifest, data_types: Sequence[str]) -> ItemPlan:
    """The actions that bring the destination of ``manifest`` level with ``source`` for ``item``."""
    paths = item_paths(item, data_types)
    files: Dict[str, Stat] = {}
    for rel in paths.values():
        files.update(source.scan(rel))
    checkpoint_rel = paths.get("checkpoint")
    folders: Dict[str, Dict[str, Stat]] = {}
    loose: Dict[str, Stat] = {}
    for rel, stat in files.items():
        folder = _checkpoint_folder(rel, checkpoint_rel)
        if folder is None:
            loose[rel] = stat
        else:
            folders.setdefault(folder, {})[rel[len(folder) + 1:]] = stat

    first: List[Action] = []
    last: List[Action] = []  # what points at other files goes after them: checkpoint index, run.json
    for rel, (size, mtime) in sorted(loose.items()):
        entry = manifest.get(rel)
        if entry is not None and entry.get("size") == size and entry.get("mtime") == mtime:
            continue
        if entry is not None and "fp" in entry and size > entry["size"]:
            action = Action("append", rel, size - entry["size"])
        else:
            action = Action("replace", rel, size)
        points_at_others = rel == f"{paths.get('log')}/{layout.RUN_JSON}" or posixpath.dirname(rel) == checkpoint_rel
        (last if points_at_others else first).append(action)
    folder_actions = []
    for rel, content in sorted(folders.items()):
        signature = _signature(content)
        entry = manifest.get(rel)
        if entry is None or entry.get("folder") != signature:
            folder_actions.append(Action("folder", rel, sum(s for s, _ in content.values()), content, signature))
    present = set(loose) | set(folders)
    roots = tuple(rel + "/" for rel in paths.values())
    removals = [Action("remove", rel) for rel in sorted(manifest.entries)
                if rel not in present and (rel.startswith(roots) or rel in paths.values())]
    trees = _new_trees(paths, manifest, folder_actions + first + last)
    staged = {id(part) for tree in trees for part in tree.parts}
    log_tree = [t for t in trees if t.rel == paths.get("log")]  # holds run.json: last, like run.json
    first_phase = [t for t in trees if t not in log_tree] + [a for a in folder_actions + first if id(a) not in staged]
    last_phase = [a for a in last if id(a) not in staged] + log_tree
    return ItemPlan(item, [first_phase, last_phase, removals])


def _new_trees(paths: Dict[str, str], manifest: Manifest, actions: List[Action]) -> List[Action]:
    """The item folders the destination never received, small enough to send whole, as tree actions."""
    trees = []
    for root in paths.values():
        parts = [a for a in actions if a.rel.startswith(root + "/")]
        size = sum(a.size for a in parts)
        received = any(rel == root or rel.startswith(root + "/") for rel in manifest.entries)
        if not parts or size > STAGE_LIMIT or received:
            continue
        trees.append(Action("tree", root, size, parts=parts))
    return trees


def _checkpoint_folder(rel: str, checkpoint_rel: Optional[str]) -> Optional[str]:
    """The checkpoint folder (``<item checkpoint dir>/<folder>``) that holds ``rel``, if any."""
    if checkpoint_rel is None or not rel.startswith(checkpoint_rel + "/"):
        return None
    inner = rel[len(checkpoint_rel) + 1:]
    if "/" not in inner:
        return None
    return f"{checkpoint_rel}/{inner.split('/', 1)[0]}"


def _signature(content: Dict[str, Stat]) -> str:
    return hashlib.sha1(json.dumps(sorted(content.items())).encode()).hexdigest()

