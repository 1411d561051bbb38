"""The data types of an item, one registry: what each holds, how its entry in a day folder is named,
and which readers care about it. A new data type is one line of :data:`TYPES`.

Nothing of RLA is imported here but :mod:`RLA.db.names`; :mod:`RLA.db.layout` builds paths from it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, Iterator, Optional, Tuple

from RLA.db.names import is_log_name

__all__ = ["DataType", "TYPES", "BY_NAME", "LOG", "CODE", "CHECKPOINT", "ARCHIVE_TESTER", "RESULTS",
           "HYPERPARAMETER", "TMP_DATA", "names_with", "item_names"]

#: who writes a data type, and when (what tells that an item changed after its run ended)
LOG_ROLE = "log"            # the run, while it runs; run.json in it says when it ended
OUTPUT_ROLE = "output"      # the run and tools after it (evaluations, figures)
SNAPSHOT_ROLE = "snapshot"  # the run alone, at its start or end


@dataclass(frozen=True)
class DataType:
    """One data type: a folder ``<type>/<task>/<YYYY>/<MM>/<DD>/<name><suffix>`` per item."""

    name: str
    doc: str
    role: str
    #: the entry is ``<item name><suffix>`` (``archive_tester`` pickles are files ``<name>.pkl``)
    suffix: str = ""
    #: its files are listed on the run page and may be downloaded from it
    browsable: bool = False
    #: a header of a few letters, for tables that must fit 80 columns (``rla ls --sizes``)
    short: str = ""

    @property
    def header(self) -> str:
        return self.short or self.name

    def entry_name(self, item_name: str) -> str:
        """The name of the item's entry in its day folder."""
        return item_name + self.suffix

    def item_name(self, entry_name: str) -> Optional[str]:
        """The item an entry of a day folder holds; None for anything that is not an item: temporary
        files of unfinished writes (``.*``), a package marker of RLA 0.6 (``__init__.py``), stray files."""
        if self.suffix:
            if not entry_name.endswith(self.suffix):
                return None
            entry_name = entry_name[: -len(self.suffix)]
        if entry_name.startswith(".") or not is_log_name(entry_name):
            return None
        return entry_name


LOG = DataType("log", "progress.csv/json, log.txt, TensorBoard events, params.json, run.json", LOG_ROLE)
CODE = DataType("code", "the snapshot of the source code (and git diff) the run started from", SNAPSHOT_ROLE,
                browsable=True)
CHECKPOINT = DataType("checkpoint", "model checkpoints and their index", OUTPUT_ROLE, browsable=True, short="ckpt")
ARCHIVE_TESTER = DataType("archive_tester", "the pickled experiment manager of the run", SNAPSHOT_ROLE,
                          suffix=".pkl", short="pickle")
RESULTS = DataType("results", "figures, videos and other files the run or its tools saved", OUTPUT_ROLE,
                   browsable=True)
HYPERPARAMETER = DataType("hyperparameter", "the parameters as RLA 0.6 wrote them (parameter.json/.yaml)",
                          SNAPSHOT_ROLE, short="hparams")
TMP_DATA = DataType("tmp_data", "per-run scratch data (replay buffers, caches)", OUTPUT_ROLE, short="tmp")

#: every data type, in the order of RLA 0.6's constants (``LOG, CODE, CHECKPOINT, ...``)
TYPES: Tuple[DataType, ...] = (LOG, CODE, CHECKPOINT, ARCHIVE_TESTER, RESULTS, HYPERPARAMETER, TMP_DATA)
BY_NAME: Dict[str, DataType] = {t.name: t for t in TYPES}


def names_with(role: Optional[str] = None, browsable: Optional[bool] = None) -> Tuple[str, ...]:
    """The names of the data types of one role and/or browsability, in registry order."""
    return tuple(t.name for t in TYPES
                 if (role is None or t.role == role) and (browsable is None or t.browsable == browsable))


def item_names(data_type: DataType, entries: Iterable[str]) -> Iterator[str]:
    """The items among the entries of one day folder of ``data_type``."""
    for entry in entries:
        name = data_type.item_name(entry)
        if name is not None:
            yield name
