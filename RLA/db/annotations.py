"""Tags and a note on an item: what a researcher writes about a run after it ran.

They live in the item's log folder, in one small JSON file replaced whole and
atomically (``{"tags": ["baseline"], "note": "diverged at 1M steps"}``), so
``rla sync`` carries them as it carries ``params.json``, archiving and moving
take them along, and the query index reads them with the rest of the item:
``-w '"baseline" in tags'`` and ``-w '"diverged" in note'`` select by them
(:meth:`RLA.db.select.ItemFilter.entry_matcher`, and the index in SQL).
Written by :mod:`RLA.db.annotate`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple, Union

from RLA.db.layout import Item, LogFolder
from RLA.db.records import read_record
from RLA.errors import UsageError

__all__ = ["ANNOTATION_NAMES", "MAX_TAG_CHARS", "MAX_TAGS", "MAX_NOTE_CHARS", "Annotations", "check_tag", "as_tag",
           "parse_annotations", "read_annotations"]

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
