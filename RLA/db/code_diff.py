"""What changed in the code between two runs: their code snapshots compared file by file.

A snapshot (:mod:`RLA.easy_log.backup`) holds the run's source, ``git.diff``
(its uncommitted changes) and ``requirements.txt``, so comparing the two
folders shows edited sources, different uncommitted changes and different
package versions at once. Text files are compared with :mod:`difflib` as
unified diffs; a binary file is only said to differ. Files, lines and the
work of :mod:`difflib` are bounded, so two huge snapshots still answer
quickly (a file of thousands of changed lines can take difflib minutes: it is
said to differ, not diffed); symbolic links are not followed.
"""
from __future__ import annotations

import difflib
import filecmp
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from RLA.db.layout import Item

__all__ = ["FileChange", "CodeDiff", "diff_code", "MAX_FILES", "MAX_FILE_BYTES", "MAX_LINES", "MAX_CHANGED_LINES",
           "MAX_LINE_CHARS"]

#: files looked at per snapshot at most
MAX_FILES = 2000
#: a larger file is compared by its bytes only
MAX_FILE_BYTES = 1 << 20
#: diff lines returned at most (over every file)
MAX_LINES = 20_000
#: a file with more lines in one snapshot but not the other is compared by its bytes only (difflib's time
#: grows with the product of the lines and the changes: 25,000 interleaved changes take it minutes)
MAX_CHANGED_LINES = 2000
#: characters of a diff line returned at most (a minified file is one line)
MAX_LINE_CHARS = 1000
#: bytes read to tell a binary file (one holding a NUL byte) from text
_SNIFF_BYTES = 8192


@dataclass
class FileChange:
    """One file that is not the same in both snapshots."""

    path: str  # relative to the snapshot, "/"-separated
    # added (only in b), removed (only in a), changed, binary (bytes differ), large (bytes differ: over
    # MAX_FILE_BYTES, or over MAX_CHANGED_LINES lines changed)
    change: str
    lines: List[str] = field(default_factory=list)  # the unified diff's lines after its header, no newlines
    cut: bool = False  # lines were left out (MAX_LINES over every file)
    uncommitted: bool = False  # the file is the snapshot's git diff (the run's uncommitted changes)

    def to_dict(self) -> Dict[str, object]:
        return {"path": self.path, "change": self.change, "lines": self.lines, "cut": self.cut,
                "uncommitted": self.uncommitted}


@dataclass
class CodeDiff:
    """The files that differ between the snapshots of ``a`` and ``b``, and how many are the same."""

    a: str
    b: str
    changes: List[FileChange]
    same: int
    truncated: bool = False  # files or lines were left out (MAX_FILES, MAX_LINES)

    def to_dict(self) -> Dict[str, object]:
        return {"a": self.a, "b": self.b, "changes": [c.to_dict() for c in self.changes], "same": self.same,
                "truncated": self.truncated}


def diff_code(a: Item, b: Item, context: int = 3) -> CodeDiff:
    """The differences between the code snapshots of items ``a`` and ``b`` (``a`` the old side)."""
    files_a, cut_a = _files(a.code_dir)
    files_b, cut_b = _files(b.code_dir)
    changes: List[FileChange] = []
    same = 0
    budget = MAX_LINES
    for rel in sorted(files_a.keys() | files_b.keys()):
        path_a, path_b = files_a.get(rel), files_b.get(rel)
        if path_a is not None and path_b is not None and _same_bytes(path_a, path_b):
            same += 1
            continue
        change = "added" if path_a is None else "removed" if path_b is None else "changed"
        text_a, text_b = _text(path_a), _text(path_b)
        if text_a is None or text_b is None:
            large = any(p is not None and _size(p) > MAX_FILE_BYTES for p in (path_a, path_b))
            changes.append(FileChange(rel, "large" if large else "binary" if change == "changed" else change))
            continue
        if change == "changed" and _changed_lines(text_a, text_b) > MAX_CHANGED_LINES:
            changes.append(FileChange(rel, "large"))  # (an added or removed file is quick to diff)
            continue
        if budget <= 0:  # the lines shown are spent: the file is named, not diffed
            changes.append(FileChange(rel, change, cut=True))
            continue
        lines = list(difflib.unified_diff(text_a, text_b, n=context, lineterm=""))[2:]  # no ---/+++ header
        lines = [_shown(line.rstrip("\r\n")) for line in lines]
        changes.append(FileChange(rel, change, lines[:budget], cut=len(lines) > budget))
        budget -= len(lines)
    git_diff = a.code.git_diff.relative_to(a.code_dir).as_posix()
    for found in changes:
        found.uncommitted = found.path == git_diff
    return CodeDiff(a.index, b.index, changes, same,
                    truncated=cut_a or cut_b or any(change.cut for change in changes))


def _changed_lines(a: List[str], b: List[str]) -> int:
    """The lines of one side that the other lacks (counted with repeats): what a diff shows, found in linear time."""
    count_a, count_b = Counter(a), Counter(b)
    return sum((count_a - count_b).values()) + sum((count_b - count_a).values())


def _shown(line: str) -> str:
    """A diff line of at most :data:`MAX_LINE_CHARS` characters (its end cut, said by an ellipsis)."""
    return line if len(line) <= MAX_LINE_CHARS else line[:MAX_LINE_CHARS - 1] + "…"


def _files(folder: Path) -> Tuple[Dict[str, Path], bool]:
    """The regular files under ``folder`` by relative path (links not followed), and whether some were left out."""
    out: Dict[str, Path] = {}
    if not folder.is_dir() or folder.is_symlink():
        return out, False
    for directory, subdirs, names in os.walk(folder):
        subdirs.sort()
        for name in sorted(names):
            path = Path(directory) / name
            if path.is_symlink() or not path.is_file():
                continue
            if len(out) >= MAX_FILES:
                return out, True
            out[path.relative_to(folder).as_posix()] = path
    return out, False


def _same_bytes(a: Path, b: Path) -> bool:
    try:
        return filecmp.cmp(a, b, shallow=False)
    except OSError:
        return False


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _text(path: Optional[Path]) -> Optional[List[str]]:
    """The lines of a text file (``[]`` for no file); None for a binary, unreadable or too large one."""
    if path is None:
        return []
    if _size(path) > MAX_FILE_BYTES:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:_SNIFF_BYTES]:
        return None
    return data.decode("utf-8", errors="replace").splitlines()
