"""Tags and a note written on an item (:mod:`RLA.db.annotations` is their file).

Writers on one machine take turns (an ``flock`` on the log folder), so a tag
added from the page and one added by ``rla tag`` at the same moment are both kept;
the item's row of the query index is written at once.
"""
from __future__ import annotations

import contextlib
import json
import os
from typing import Iterable, Iterator, Optional

from RLA.db.annotations import MAX_NOTE_CHARS, MAX_TAGS, Annotations, check_tag, parse_annotations
from RLA.db.atomic import atomic_write
from RLA.db.index import register
from RLA.db.layout import Item
from RLA.db.records import read_record
from RLA.errors import DamagedFileError, ItemNotFoundError, UsageError

__all__ = ["annotate_item"]


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

