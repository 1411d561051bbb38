"""A command's process tree and the files it holds open: how ``rla run`` tells its command's event files
from those of another run writing into the same folder (two trials of a sweep, a shared cluster folder).

Read from ``/proc`` on Linux; elsewhere from psutil when it is installed; otherwise unknown (``None``).
"""
from __future__ import annotations

import os
from typing import Dict, Iterable, List, Optional, Set

__all__ = ["process_tree", "open_files"]

_PROC = "/proc"


def _parents() -> Optional[Dict[int, int]]:
    """pid -> parent pid of every process, or None where /proc cannot say."""
    if not os.path.isdir(os.path.join(_PROC, "self")):
        return None
    parents = {}
    for name in os.listdir(_PROC):
        if not name.isdigit():
            continue
        try:
            with open(os.path.join(_PROC, name, "stat"), "rb") as f:
                stat = f.read()
        except OSError:
            continue  # ended meanwhile
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses
        fields = stat[stat.rfind(b")") + 2:].split()
        if len(fields) > 1:
            parents[int(name)] = int(fields[1])
    return parents


def process_tree(root: int) -> Set[int]:
    """``root`` and every process below it now."""
    parents = _parents()
    if parents is None:
        return _psutil_tree(root)
    children: Dict[int, List[int]] = {}
    for pid, parent in parents.items():
        children.setdefault(parent, []).append(pid)
    tree, stack = {root}, [root]
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in tree:
                tree.add(child)
                stack.append(child)
    return tree


def _psutil_tree(root: int) -> Set[int]:
    try:
        import psutil

        return {root, *(p.pid for p in psutil.Process(root).children(recursive=True))}
    except Exception:  # psutil missing, or the process ended
        return {root}


def open_files(pids: Iterable[int]) -> Optional[Set[str]]:
    """The real paths of the files ``pids`` hold open, or None where this cannot be known."""
    pids = list(pids)
    if os.path.isdir(os.path.join(_PROC, "self", "fd")):
        found: Set[str] = set()
        for pid in pids:
            folder = os.path.join(_PROC, str(pid), "fd")
            try:
                names = os.listdir(folder)
            except OSError:
                continue
            for name in names:
                try:
                    found.add(os.readlink(os.path.join(folder, name)))
                except OSError:
                    continue
        return found
    try:
        import psutil
    except ImportError:
        return None
    found = set()
    for pid in pids:
        try:
            found.update(os.path.realpath(f.path) for f in psutil.Process(pid).open_files())
        except Exception:
            continue
    return found
