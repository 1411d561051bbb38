"""``import_runs``: every run of a source becomes an item of a table, once.

The importer (:mod:`RLA.importers.registry`) finds the source's runs; each is read
and stored (:mod:`RLA.importers.items`) unless its item already holds what the
source holds now (the run's fingerprint is unchanged: nothing is read). A run the
importer cannot read is reported by name and skipped; the others are imported.
The import holds the database's operation lock, so two imports of one source at
once never make a run's item twice.
"""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, List, Optional, Sequence, Union

from RLA.db import op_lock
from RLA.db.layout import Database, validate_task_name
from RLA.errors import RLAError
from RLA.importers import registry
from RLA.importers.items import Outcome, imported_items, store

__all__ = ["ImportReport", "import_runs"]


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do), run by run."""

    kind: str
    source: str
    task: str
    dry_run: bool
    outcomes: List[Outcome] = field(default_factory=list)

    def with_action(self, action: str) -> List[Outcome]:
        return [outcome for outcome in self.outcomes if outcome.action == action]

    @property
    def rows(self) -> int:
        """Rows added (or that would be) to the items' progress.csv."""
        return sum(outcome.rows for outcome in self.outcomes)


def import_runs(kind: str, source: Union[str, os.PathLike], data_root: Union[str, os.PathLike], task: str,
                record: Sequence[str] = (), dry_run: bool = False,
                on_found: Optional[Callable[[int], None]] = None,
                on_progress: Optional[Callable[[Outcome], None]] = None, **options: Any) -> ImportReport:
    """Import every run of ``source`` (read by the importer ``kind``) into table ``task`` of ``data_root``.

    ``record`` names the parameters in each new item's name; ``options`` are the importer's own
    (``name_pattern`` for TensorBoard, ``experiments`` for MLflow). ``dry_run`` reads the runs and
    reports what would be made without writing. ``on_found(n)`` is called once the source's runs are
    found, ``on_progress(outcome)`` after each.
    """
    entry = registry.get(kind)
    validate_task_name(task)
    importer = entry.make(os.fspath(source), options)
    report = ImportReport(kind, os.fspath(source), task, dry_run)
    fingerprint_options = {k: v for k, v in sorted(options.items()) if v is not None}
    try:
        refs = importer.find()
        if on_found is not None:
            on_found(len(refs))
        db = Database(data_root)
        with _locked(db, f"import {kind}", dry_run):
            known = imported_items(db, task, kind)
            for ref in refs:
                fingerprint = None if ref.fingerprint is None else {"run": ref.fingerprint,
                                                                    "options": fingerprint_options}
                earlier = known.get(ref.id)
                if earlier is not None and earlier.holds(fingerprint):
                    outcome = Outcome(ref.name, "unchanged", earlier.item.index)
                else:
                    try:
                        run = importer.read(ref)
                    except Exception as exc:  # the source's libraries raise anything; the other runs go on
                        outcome = Outcome(ref.name, "skipped", reason=_reason(exc))
                    else:
                        outcome = store(db, task, kind, run, earlier, record, fingerprint, dry_run)
                report.outcomes.append(outcome)
                if on_progress is not None:
                    on_progress(outcome)
    finally:
        importer.close()
    return report


@contextlib.contextmanager
def _locked(db: Database, action: str, dry_run: bool) -> Iterator[None]:
    if dry_run:
        yield
        return
    with op_lock.held([db.root], action):
        yield


def _reason(exc: Exception) -> str:
    """Why a run could not be read, in one line: an RLAError's message, else the exception's type and message."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text if isinstance(exc, RLAError) else f"{type(exc).__name__}: {text}" if text else type(exc).__name__
