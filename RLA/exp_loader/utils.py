"""RLA 0.6's private query helper of the loader: replaced."""
from RLA.replaced import replaced

__all__ = ["_archive_tester_query"]

_archive_tester_query = replaced(
    "RLA.exp_loader.utils._archive_tester_query",
    "use RLA.single_experiment_query(data_root, task, record_date, ARCHIVE_TESTER)")
