"""What an importer reads from a run of another tracker, and what every importer answers.

An :class:`Importer` finds the runs of a source (:meth:`Importer.find`, cheap: no
run is read) and reads one of them whole (:meth:`Importer.read`) into a
:class:`SourceRun`, which :mod:`RLA.importers.items` turns into a database item.
Each importer reads with the source's own library where it has one, and never
goes over the network.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Dict, List, Optional, Union

from RLA.errors import RLAError

__all__ = ["SourceRun", "RunRef", "EventFile", "Importer", "SourceError", "UNKNOWN_STATUS", "STATUSES"]

#: the status of a run whose source does not say how it ended (or says it still runs)
UNKNOWN_STATUS = "unknown"
#: the statuses an imported run may have
STATUSES = ("finished", "failed", "killed", UNKNOWN_STATUS)


class SourceError(RLAError, ValueError):
    """A source, or one run of it, cannot be read; the message says which and why."""

    exit_code = 2


@dataclass(frozen=True)
class RunRef:
    """A run found in a source, before it is read."""

    #: the source's id of the run: what finds its item again on the next import
    id: str
    #: how the user knows the run (a folder, a run name): what messages name
    name: str
    #: what changes whenever the run does (JSON); None: read the run every time to know
    fingerprint: Any = None
    #: what the importer needs to read the run
    handle: Any = None


@dataclass
class SourceRun:
    """One run of a source, read whole: what its item will hold."""

    id: str
    name: str
    #: where the run is: a folder, or a tracking URI and the run's id
    location: str
    #: unix seconds; the item's name and day folder come from it
    start_time: float
    end_time: Optional[float] = None
    #: one of :data:`STATUSES`
    status: str = UNKNOWN_STATUS
    #: typed, nested as the source holds them
    params: Dict[str, Any] = field(default_factory=dict)
    #: where the parameters came from (``mlflow params``, ``tensorboard hparams``, ...)
    params_from: List[str] = field(default_factory=list)
    tags: List[str] = field(default_factory=list)
    notes: Optional[str] = None
    #: the machine the run ran on, when the source says
    host: Optional[str] = None
    #: step -> the scalars logged at that step (sparse: a key is in the rows of its own steps)
    rows: Dict[int, Dict[str, float]] = field(default_factory=dict)
    #: step -> unix seconds at which its values were logged
    wall_times: Dict[int, float] = field(default_factory=dict)
    #: TensorBoard event files to keep in the item's ``tb/``: the file, and how many of its bytes are whole records
    event_files: List["EventFile"] = field(default_factory=list)
    #: images and figures, kept in the item's ``results/``: relative name -> the file, or its bytes
    results: Dict[str, Union[Path, bytes]] = field(default_factory=dict)
    #: what else the source says of the run (its experiment, project, ...), kept in run.json
    details: Dict[str, Any] = field(default_factory=dict)
    #: what could not be read, in words (a damaged file, a value of an unknown kind)
    warnings: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class EventFile:
    path: Path
    #: the bytes from the start that are whole records (a file still being written ends in half of one)
    whole_bytes: int


class Importer:
    """Reads the runs of one kind of source; one subclass per kind, registered in :mod:`RLA.importers.registry`."""

    #: the word of ``rla import <name>``
    name: ClassVar[str] = ""

    def __init__(self, source: str):
        self.source = source

    def find(self) -> List[RunRef]:
        """Every run of the source, in a stable order; a source that cannot be opened raises SourceError."""
        raise NotImplementedError

    def read(self, ref: RunRef) -> SourceRun:
        """The run ``ref`` whole; a run that cannot be read raises (any exception: it is reported and skipped)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what :meth:`find` opened."""
