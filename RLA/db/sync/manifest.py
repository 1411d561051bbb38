"""The local record of what a remote holds of one item: what lets a sync be incremental and resumable.

One JSON-lines journal per item and remote under
``<data_root>/.rla_sync/<remote key>/<push|pull>/<task>/<YYYY>/<MM>/<DD>/<name>.jsonl``;
each line ``[rel_path, entry]`` is appended (and flushed) as soon as a file
has reached the destination, so a sync killed at any point (even SIGKILL)
loses at most the file it was sending. A torn last line is ignored. The
journal is compacted (rewritten atomically) when it grows past twice its
entries. It holds paths, sizes, times and hashes: never a credential.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import IO, Any, Dict, List, Optional, Tuple

from RLA.db.atomic import atomic_write
from RLA.db.layout import SYNC_DIR, Database, Item

__all__ = ["SYNC_DIR", "Manifest", "fingerprint"]

#: bytes hashed at the head and before the end of what was sent of an append-only file
WINDOW = 4096

Entry = Dict[str, Any]


def fingerprint(f: IO[bytes], size: int) -> str:
    """A hash of the first and of the last ``WINDOW`` bytes of ``f`` up to ``size``: when it still
    matches, the file only grew since (a rewrite, e.g. a new csv column or a rewind, changes it)."""
    digest = hashlib.sha1()
    f.seek(0)
    digest.update(f.read(min(WINDOW, size)))
    start = max(0, size - WINDOW)
    f.seek(start)
    digest.update(f.read(size - start))
    return digest.hexdigest()


class Manifest:
    """``rel path -> entry`` of the files (and checkpoint folders) the destination has of one item."""

    def __init__(self, path: Path):
        self.path = path
        self.entries: Dict[str, Entry] = {}
        self._lines = 0
        self._file: Optional[IO[str]] = None
        self._load()

    @classmethod
    def of(cls, local_root: Path, remote_key: str, direction: str, item: Item) -> "Manifest":
        record_date = Path(item.task) / item.date / item.name
        folder = "arc" if item.archived else "live"
        return cls(Database(local_root).root / SYNC_DIR / remote_key / direction / folder
                   / record_date.with_name(item.name + ".jsonl"))

    def _load(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        for line in text.splitlines():
            try:
                rel, entry = json.loads(line)
            except ValueError:
                continue  # the torn last line of a sync killed while writing it
            self._lines += 1
            if entry is None:
                self.entries.pop(rel, None)
            else:
                self.entries[rel] = entry

    def get(self, rel: str) -> Optional[Entry]:
        return self.entries.get(rel)

    def record(self, rel: str, entry: Optional[Entry]) -> None:
        """Note that the destination now holds ``entry`` at ``rel`` (``None``: holds nothing there)."""
        self.record_many([(rel, entry)])

    def record_many(self, entries: List[Tuple[str, Optional[Entry]]]) -> None:
        """:meth:`record` for files that reached the destination together, in one write."""
        for rel, entry in entries:
            if entry is None:
                self.entries.pop(rel, None)
            else:
                self.entries[rel] = entry
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "a", encoding="utf-8")
        self._file.write("".join(json.dumps(pair, separators=(",", ":")) + "\n" for pair in entries))
        self._file.flush()
        self._lines += len(entries)

    def close(self) -> None:
        """Stop writing; compact the journal when most of its lines are outdated."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._lines > 2 * len(self.entries) + 8:
            lines = "".join(json.dumps([k, v], separators=(",", ":")) + "\n" for k, v in self.entries.items())
            atomic_write(self.path, lines, durable=False)
            self._lines = len(self.entries)

