"""Delete, move or copy one data type of an item whole or not at all: the file work of ``apply``.

A kill at any point leaves each data type either where it was or where it goes,
never half in one place: a deletion first renames the folder to a hidden
temporary name (readers skip it) and only then removes it; a move within one
file system is a rename; a move or copy to another file system fills a hidden
temporary folder beside the target and renames it into place, then deletes
the source as above. The temporary names are fixed per target, so that
finishing an interrupted operation (:mod:`RLA.db.journal`) clears them.
"""
from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path

from RLA.db.atomic import fsync_tree, publish

__all__ = ["remove", "move", "copy", "scratch"]


def scratch(path: Path, why: str) -> Path:
    """The fixed hidden temporary name beside ``path`` for one kind of work (``"rm"``, ``"in"``)."""
    return path.with_name(f".{path.name}.rla-{why}.tmp")


def _rmtree(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        path.unlink()


def remove(path: Path) -> None:
    """Delete a file or folder: out of sight in one rename, then from the disk."""
    trash = scratch(path, "rm")
    _rmtree(trash)  # the leftover of an interrupted deletion
    if os.path.lexists(path):
        publish(path, trash, durable=False)
    _rmtree(trash)


def copy(source: Path, target: Path) -> None:
    """Copy a file or folder to ``target`` (which must not exist), appearing there whole."""
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming = scratch(target, "in")
    _rmtree(incoming)  # the leftover of an interrupted copy
    if source.is_dir() and not source.is_symlink():
        shutil.copytree(source, incoming, symlinks=True)
        fsync_tree(incoming)
    else:
        shutil.copy2(source, incoming, follow_symlinks=False)
    publish(incoming, target)


def move(source: Path, target: Path) -> None:
    """Move a file or folder to ``target`` (which must not exist): a rename, or copy then delete
    across file systems."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        publish(source, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        copy(source, target)
        remove(source)
