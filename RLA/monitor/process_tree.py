"""A command's process tree and the files it holds open: how ``rla run`` tells its command's event files
from those of another run writing into the same folder (two trials of a sweep, a shared cluster folder).

Read from ``/proc`` on Linux; the tree from psutil elsewhere when it is installed, and who holds a
file is unknown there (``None``).
"""
from __future__ import annotations

import os
from typing import Dict, Iterable, List, Optional, Set

__all__ = ["process_tree", "holders"]

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


def holders(paths: Iterable[str]) -> Optional[Dict[str, Set[int]]]:
    """Which processes hold each of ``paths`` (real paths) open, or None where this cannot be known."""
    wanted = set(paths)
    parents = _parents()
    if parents is None:
        return None
    held: Dict[str, Set[int]] = {}
    for pid in parents:
        folder = os.path.join(_PROC, str(pid), "fd")
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            try:
                target = os.readlink(os.path.join(folder, name))
            except OSError:
                continue
            if target in wanted:
                held.setdefault(target, set()).add(pid)
    return held
