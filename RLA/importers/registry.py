"""The importers, one registry: each names its module and class, its extra and the options it takes.

An importer's module is imported only when its source is imported, so mlflow and
wandb load only for their sources. A new importer is one class (a subclass of
:class:`RLA.importers.base.Importer`) and one :class:`ImporterEntry` line in :data:`IMPORTERS`.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any, Dict, Mapping

from RLA.errors import UsageError
from RLA.importers.base import Importer
from RLA.words import pick

__all__ = ["ImporterEntry", "IMPORTERS", "NAMES", "get"]


@dataclass(frozen=True)
class ImporterEntry:
    """One kind of source ``rla import`` reads."""

    name: str
    #: what SOURCE is, for ``rla import --help``
    doc: str
    #: ``module:Class`` under RLA.importers
    target: str
    #: the packages it reads with (an extra of RLA), for the message when one is missing
    requires: str
    #: the options it takes -> what each does
    options: Mapping[str, str]

    def make(self, source: str, options: Mapping[str, Any]) -> Importer:
        """The importer of ``source``; an option it does not take is refused, naming who takes it."""
        for option, value in options.items():
            if value is None or option in self.options:
                continue
            takers = [other.name for other in IMPORTERS if option in other.options]
            takes = ", ".join(map(repr, self.options)) or "none"
            where = f"; {option!r} is an option of the {' and '.join(takers)} importer" if takers else ""
            raise UsageError(f"the {self.name} importer has no option {option!r} (its options: {takes}){where}")
        module, _, cls = self.target.partition(":")
        try:  # the importer's module, and the library it reads with when it is made
            return getattr(import_module(f"RLA.importers.{module}"), cls)(
                source, **{k: v for k, v in options.items() if v is not None})
        except ModuleNotFoundError as exc:
            raise UsageError(f"rla import {self.name} reads with {self.requires}, which is not installed "
                             f"(no module {exc.name!r}): pip install 'RLA[import]'") from None


IMPORTERS = (
    ImporterEntry("tensorboard", "a logdir; each folder holding event files is one run",
                  "tensorboard_runs:TensorBoardImporter", "tensorboardX",
                  {"name_pattern": "parameters from each run folder's name, e.g. '{env_id}__{exp_name}__{seed}'"}),
    ImporterEntry("mlflow", "sqlite:///mlflow.db, file:///.../mlruns, or a store's path",
                  "mlflow_runs:MlflowImporter", "mlflow",
                  {"experiments": "only the runs of these experiments (names or ids)"}),
    ImporterEntry("wandb", "a wandb/ folder (offline-run-*, run-*) or one run folder", "wandb_runs:WandbImporter",
                  "wandb", {}),
)
NAMES = tuple(entry.name for entry in IMPORTERS)
_BY_NAME: Dict[str, ImporterEntry] = {entry.name: entry for entry in IMPORTERS}


def get(name: str) -> ImporterEntry:
    """The importer called ``name``; an unknown name is refused with the closest known ones."""
    return pick("importer", name, _BY_NAME)
