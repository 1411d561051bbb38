"""The journal of a delete / archive / move under way: which items it may leave in two places.

:func:`RLA.db.ops.apply` writes a journal (``<data_root>/.rla_ops/<pid>-<token>.json``,
in the source database and in the destination database) before it changes
anything and removes it when every entry is done. A journal left behind means
the operation was stopped midway (killed, or an error such as a full disk):
its items may be split, some data types moved and others not. ``rla ls`` says
so (:func:`split_items`), and the next plan of the same action takes the
entries still to do (:func:`interrupted`) and finishes them.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from RLA.db.atomic import atomic_write
from RLA.db.layout import Database, Item
from RLA.db.liveness import process_gone

__all__ = ["Journal", "write", "remove", "read_all", "interrupted", "split_items"]

#: (item, data type, destination item or None for a deletion)
Step = Tuple[Item, str, Optional[Item]]


@dataclass
class Journal:
    """One operation's journal, as read back."""

    paths: List[Path]  # the same journal in each database the operation touches
    action: str
    copy: bool
    pid: Optional[int]
    host: Optional[str]
    started: Optional[str]
    steps: List[Step]

    def gone(self) -> bool:
        """Whether the operation is no longer running: its process is gone, or it is this process
        (whose apply ended with an error)."""
        return self.pid == os.getpid() and self.host == platform.node() or \
            process_gone({"pid": self.pid, "host": self.host}) is True

    def describe(self) -> str:
        state = "was interrupted" if self.gone() else f"is under way (pid {self.pid} on {self.host})"
        article = "an" if self.action[:1] in "aeiou" else "a"
        return f"{article} {self.action} started {self.started} {state}"


def _item_json(item: Optional[Item]) -> Optional[Dict[str, Any]]:
    if item is None:
        return None
    return {"root": str(item.root), "task": item.task, "date": item.date, "name": item.name,
            "archived": item.archived}


def _item(data: Optional[Dict[str, Any]]) -> Optional[Item]:
    if data is None:
        return None
    return Item(Path(data["root"]), data["task"], data["date"], data["name"], bool(data["archived"]))


def _source_item(data: Dict[str, Any]) -> Item:
    """The item a step acts on (always written; a missing one makes the journal foreign)."""
    item = _item(data)
    if item is None:
        raise ValueError("a journal step without its item")
    return item


def write(action: str, copy: bool, steps: Sequence[Step]) -> List[Path]:
    """Record an operation about to start, durably, in every database it touches; the journal files."""
    roots = {s[0].root for s in steps} | {s[2].root for s in steps if s[2] is not None}
    name = f"{os.getpid()}-{secrets.token_hex(4)}.json"
    body = json.dumps({
        "action": action, "copy": copy, "pid": os.getpid(), "host": platform.node(),
        "started": _dt.datetime.now().isoformat(timespec="seconds"),
        "steps": [{"item": _item_json(i), "data_type": t, "destination": _item_json(d)} for i, t, d in steps]})
    paths = []
    for root in sorted(roots):
        folder = Database(root).ops_dir()
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(folder / name, body)
        paths.append(folder / name)
    return paths


def remove(paths: Sequence[Path]) -> None:
    """Forget a finished operation."""
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            pass


def read_all(data_root: Any) -> List[Journal]:
    """The journals of ``data_root``: operations under way or stopped midway."""
    folder = Database(data_root).ops_dir()
    try:
        names = sorted(n for n in os.listdir(folder) if n.endswith(".json") and not n.startswith("."))
    except (FileNotFoundError, NotADirectoryError):
        return []
    journals = []
    for name in names:
        try:
            data = json.loads((folder / name).read_text(encoding="utf-8"))
            steps = [(_source_item(s["item"]), s["data_type"], _item(s["destination"])) for s in data["steps"]]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # written atomically: only a foreign file can fail to parse
        roots = {s[0].root for s in steps} | {s[2].root for s in steps if s[2] is not None}
        paths = sorted({folder / name} | {Database(r).ops_dir() / name for r in roots})
        journals.append(Journal(paths, data["action"],
                                bool(data.get("copy")), data.get("pid"), data.get("host"), data.get("started"),
                                steps))
    return journals


def interrupted(data_root: Any, action: str, copy: bool) -> List[Journal]:
    """The stopped journals of ``data_root`` for this action: what the next plan must finish."""
    root = Database(data_root).root
    return [j for j in read_all(root) if j.action == action and j.copy == copy and j.gone()
            and all(step[0].root == root for step in j.steps)]


def split_items(data_root: Any) -> Dict[str, str]:
    """``{item index: why it may be split}`` for the items of every journal of ``data_root``."""
    out: Dict[str, str] = {}
    for journal in read_all(data_root):
        for item, _, destination in journal.steps:
            where = "" if destination is None else (
                f"; part of it may be at {destination.index}" + (" in the archive" if destination.archived else "")
                + ("" if destination.root == item.root else f" in {destination.root}"))
            out.setdefault(item.index, f"{journal.describe()}{where}: run the same {journal.action} again "
                                       "to finish it")
            if destination is not None:
                out.setdefault(destination.index, out[item.index])
    return out
