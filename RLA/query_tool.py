"""RLA 0.6's query tools, over :func:`RLA.db.query.select` and the item accessors of :mod:`RLA.db.layout`.

``experiment_data_query(data_root, task, reg, data_type)`` returns
``{record date "YYYY/MM/DD/HH-MM-SS-ffffff": result}`` for the items whose
record date matches the glob ``reg`` and that hold ``data_type``;
``single_experiment_query`` returns the one result of ``log_date + "*"``.
"""
from __future__ import annotations

import os
from typing import Any, Dict, List

from RLA.db.data_types import CODE
from RLA.db.layout import DATA_TYPES, PICKLE_SUFFIX
from RLA.db.query import ItemFilter, select
from RLA.errors import SelectionError, UsageError

__all__ = ["BasicQueryResult", "LogQueryResult", "ArchiveQueryResult", "HyperParamResult", "CkpResult",
           "OtherQueryResult", "experiment_data_query", "single_experiment_query"]


class BasicQueryResult:
    def __init__(self, dirname: str):
        self.dirname = dirname


class LogQueryResult(BasicQueryResult):
    pass


class ArchiveQueryResult(BasicQueryResult):
    def __init__(self, exp_manager: Any, dirname: str):
        super().__init__(dirname)
        self.exp_manager = exp_manager


class HyperParamResult(BasicQueryResult):
    def __init__(self, dirname: str, hyper_param: Dict[str, Any]):
        super().__init__(dirname)
        self.hyper_param = hyper_param


class CkpResult(BasicQueryResult):
    def __init__(self, dirname: str, all_ckps: List[str]):
        super().__init__(dirname)
        self.all_ckps = all_ckps


class OtherQueryResult(BasicQueryResult):
    def __init__(self, dirname: str, ctime: List[float], location: List[str]):
        super().__init__(dirname)
        self.ctime = ctime
        self.location = location


#: what 0.6's query returns: every data type but the code snapshot
_QUERYABLE = tuple(name for name in DATA_TYPES if name != CODE.name)


def _result(item: Any, data_type: str) -> Any:
    path = item.path(data_type)
    if data_type == "log":
        return LogQueryResult(str(path))
    if data_type == "archive_tester":
        import dill

        with open(path, "rb") as f:
            return ArchiveQueryResult(dill.load(f), str(path)[: -len(PICKLE_SUFFIX)])
    if data_type == "hyperparameter":
        from RLA.easy_log.exp_loader import ExperimentLoader

        loader = ExperimentLoader().config(item.task, item.record_date, str(item.root))
        return HyperParamResult(str(path), loader.hyper_parameters())
    if data_type == "checkpoint":
        from RLA.easy_log.open_checkpoints import open_saver

        return CkpResult(str(path), [e["name"] for e in open_saver(path).read_index()["checkpoints"]])
    files = sorted(os.path.join(root, f) for root, _, names in os.walk(path) for f in names)
    return OtherQueryResult(str(path), [os.path.getmtime(f) for f in files], files)


def experiment_data_query(data_root: str, task_table_name: str, reg: str, data_type: str,
                          single_res_filter: bool = False) -> Any:
    """The results of ``data_type`` (LOG, ARCHIVE_TESTER, OTHER_RESULTS, TMP_DATA, HYPARAMETER,
    CHECKPOINT) of the items matching ``reg``, by record date."""
    if data_type not in _QUERYABLE:
        raise UsageError(f"unsupported data type {data_type!r}; choose among {', '.join(_QUERYABLE)}")
    found = {}
    for record in select(data_root, ItemFilter(task=task_table_name, pattern=reg)):
        item = record.item
        has_data = item.path(data_type).exists() or (data_type == "hyperparameter" and item.log_dir.is_dir())
        if has_data:  # keyed by date and time as 0.6 did; two hosts' items of one microsecond keep their names
            key = f"{item.date}/{item.name[:15]}"
            found[key if key not in found else item.record_date] = _result(item, data_type)
    if single_res_filter:
        if len(found) != 1:
            raise SelectionError(f"{len(found)} items of {task_table_name!r} match {reg!r} with {data_type} data "
                                 f"({sorted(found) or 'none'}); give a longer record date")
        return next(iter(found.values()))
    return found


def single_experiment_query(data_root: str, task_table_name: str, log_date: str, data_type: str) -> Any:
    """The one result of ``data_type`` of the item whose record date starts with ``log_date``."""
    return experiment_data_query(data_root, task_table_name, log_date + "*", data_type, single_res_filter=True)
