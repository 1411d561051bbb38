"""Tags and notes edited on the page: the runs ticked in the table, or the run on its own page,
annotated with :func:`RLA.db.annotate.annotate_item` (what ``rla tag`` and ``rla note`` call)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Optional, Sequence

from RLA.db.annotate import annotate_item
from RLA.db.names import readable_name
from RLA.errors import ItemNotFoundError, UsageError
from RLA.ui.selection import select_records

__all__ = ["annotate_runs"]


def annotate_runs(data_root: Path, indices: Sequence[str], archived: bool = False, add: Sequence[str] = (),
                  remove: Sequence[str] = (), note: Optional[str] = None,
                  append: Optional[str] = None) -> Dict[str, Any]:
    """Annotate the runs named by ``indices`` (as the page spells them); ``{"runs": [{index, tags, note}]}``."""
    if not indices:
        raise UsageError("indices must name the runs to annotate (tick them in the table)")
    records = select_records(data_root, "--archived" if archived else "", indices)
    missing = set(indices) - {readable_name(r.index) for r in records}
    if missing:
        raise ItemNotFoundError(f"no item {sorted(missing)[0]!r} in {data_root}; it may have been moved or "
                                "deleted: reload the list")
    return {"runs": [{"index": readable_name(r.index), **annotate_item(r.item, add, remove, note, append).to_dict()}
                     for r in records]}
