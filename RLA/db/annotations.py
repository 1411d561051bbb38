"""Tags and a note on an item: what a researcher writes about a run after it ran.

They live in the item's log folder, in one small JSON file replaced whole and
atomically (``{"tags": ["baseline"], "note": "diverged at 1M steps"}``), so
``rla sync`` carries them as it carries ``params.json``, archiving and moving
take them along, and the query index reads them with the rest of the item:
``-w '"baseline" in tags'`` and ``-w '"diverged" in note'`` select by them
(:meth:`RLA.db.select.ItemFilter.entry_matcher`, and the index in SQL).

Writers on one machine take turns (an ``flock`` on the log folder), so a tag
added from the page and one added by ``rla tag`` at the same moment are both kept.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Iterator, Optional, Tuple, Union

from RLA.db.atomic import atomic_write
from RLA.db.layout import Item, LogFolder
from RLA.db.records import read_record
from RLA.errors import DamagedFileError, ItemNotFoundError, UsageError

__all__ = ["ANNOTATION_NAMES", "MAX_TAG_CHARS", "MAX_TAGS", "MAX_NOTE_CHARS", "Annotations", "check_tag", "as_tag",
           "parse_annotations", "read_annotations", "annotate_item"]

#: the names ``-w`` expressions give an item's tags and note (a parameter of the same name is ``params.<name>``)
ANNOTATION_NAMES = ("tags", "note")
MAX_TAG_CHARS = 64
MAX_TAGS = 100
#: a note is a few paragraphs; the index keeps it whole, to search it
MAX_NOTE_CHARS = 20_000
_BAD_TAG_CHARS = re.compile(r"[\s,\x00-\x1f\x7f-\x9f]+")


@dataclass(frozen=True)
class Annotations:
    """An item's tags (in the order they were added, each once) and its note."""

    tags: Tuple[str, ...] = ()
    note: str = ""

    def to_dict(self) -> Dict[str, Any]:
        return {"tags": list(self.tags), "note": self.note}


def check_tag(tag: Any) -> str:
    """``tag`` when it is a tag (1 to 64 characters, no space, comma or control character), else a UsageError."""
    if not isinstance(tag, str) or not tag or len(tag) > MAX_TAG_CHARS or _BAD_TAG_CHARS.search(tag):
        shown = repr(tag)[:80]
        raise UsageError(f"tag {shown} is not a tag: write 1 to {MAX_TAG_CHARS} characters without spaces, "
                         "commas or control characters, e.g. baseline or paper-fig2")
    return tag


def as_tag(text: str) -> Optional[str]:
    """``text`` made a tag (what another tracker calls a tag may hold spaces): each run of spaces, commas or
    control characters becomes ``-``, and it is cut to :data:`MAX_TAG_CHARS`; None when nothing is left."""
    tag = _BAD_TAG_CHARS.sub("-", text).strip("-")[:MAX_TAG_CHARS]
    return tag or None


def parse_annotations(data: Any) -> Annotations:
    """The annotations a JSON object holds; what is not a tag or a note text is left out
    (the file may have been written by hand)."""
    if not isinstance(data, dict):
        return Annotations()
    tags = data.get("tags")
    kept: Dict[str, None] = {}
    for tag in tags if isinstance(tags, list) else ():
        if isinstance(tag, str) and tag and len(tag) <= MAX_TAG_CHARS and not _BAD_TAG_CHARS.search(tag):
            kept[tag] = None
    note = data.get("note")
    return Annotations(tuple(kept), note if isinstance(note, str) else "")


def read_annotations(item: Union[Item, LogFolder]) -> Tuple[Annotations, Optional[str]]:
    """The annotations of an item (or of its log folder), and what is wrong with their file (None when
    it is fine or missing)."""
    data, damage = read_record(item.annotations_json)
    return parse_annotations(data), damage


def annotate_item(item: Item, add: Iterable[str] = (), remove: Iterable[str] = (), note: Optional[str] = None,
                  append: Optional[str] = None) -> Annotations:
    """Add and remove tags, set the note (``note``) or add a paragraph to it (``append``); the new annotations.

    The file is replaced only when something changed. A damaged file is refused (its content is
    not lost under a new one): the error names it.
    """
    added = [check_tag(t) for t in add]
    removed = {check_tag(t) for t in remove}
    for name, text in (("note", note), ("append", append)):
        if text is not None and not isinstance(text, str):
            raise UsageError(f"{name} must be text, got {type(text).__name__}")
    if note is not None and append is not None:
        raise UsageError("set the note or append to it, not both at once")
    if not item.log_dir.is_dir():
        raise ItemNotFoundError(f"item {item.index} has no log folder to hold its tags and note "
                                f"(moved or deleted?): list it again with rla ls")
    with _turn(item):
        data, damage = read_record(item.annotations_json)
        if damage is not None:
            raise DamagedFileError(f"{damage} ({item.annotations_json}): repair or remove it, then annotate again")
        before = parse_annotations(data)
        tags = [t for t in before.tags if t not in removed] + [t for t in added if t not in before.tags]
        tags = list(dict.fromkeys(tags))
        text = before.note if note is None else note
        if append:
            text = f"{text.rstrip()}\n\n{append}" if text.strip() else append
        if len(tags) > MAX_TAGS:
            raise UsageError(f"item {item.index} would have {len(tags)} tags; at most {MAX_TAGS}")
        if len(text) > MAX_NOTE_CHARS:
            raise UsageError(f"the note of {item.index} would be {len(text):,} characters long; at most "
                             f"{MAX_NOTE_CHARS:,}: keep long reports in a file of the run's results folder")
        after = Annotations(tuple(tags), text)
        if after != before:
            atomic_write(item.annotations_json, json.dumps(after.to_dict(), indent=2, ensure_ascii=False) + "\n")
    if after != before:  # the query index's row too, so that -w '"x" in tags' selects it at once
        from RLA.db.index import register  # the index reads annotations: imported here, not above

        register(item)
    return after


@contextlib.contextmanager
def _turn(item: Item) -> Iterator[None]:
    """Hold the item's log folder (an ``flock``) while its annotations are read and replaced."""
    try:
        import fcntl
    except ImportError:  # no flock on this system: writers may race, each write stays whole
        yield
        return
    fd = os.open(item.log_dir, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):  # a file system without flock: as above
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)

