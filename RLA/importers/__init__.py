"""``rla import``: runs of other trackers (TensorBoard logdirs, MLflow stores, W&B run folders) as database
items; ``rla export``: the database's runs as one tidy table.

``registry`` names the importers (one class each: ``tensorboard_runs``, ``mlflow_runs``, ``wandb_runs``),
``items`` stores a run read by one of them, ``importing`` ties them together, ``export`` goes the other way.
"""
from RLA.importers.export import ExportResult, export_table, tidy_frame
from RLA.importers.importing import ImportReport, import_runs
from RLA.importers.registry import IMPORTERS, NAMES

__all__ = ["import_runs", "ImportReport", "IMPORTERS", "NAMES", "export_table", "tidy_frame", "ExportResult"]
