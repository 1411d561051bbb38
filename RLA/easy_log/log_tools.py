"""RLA 0.6's batch tools (``DeleteLogTool``, ``ArchiveLogTool``, ...), over the plans of :mod:`RLA.db.ops`
as :mod:`RLA.console.plans` shows and applies them.

Each method returns the number of entries (one per data type of an item)
acted on, as 0.6's ``delete_related_log`` did. As in 0.6, archiving and
migrating copy the items (the originals stay) and ``regex`` is a glob on the
record date; unlike 0.6, runs still marked ``running`` are left alone.
"""
from __future__ import annotations

from typing import Any, List, Optional

from RLA.console import plans
from RLA.db.layout import DATA_TYPES
from RLA.easy_log.const import ARCHIVED_TABLE
from RLA.errors import UsageError

__all__ = ["Filter", "BasicLogTool", "DeleteLogTool", "ArchiveLogTool", "MigrateLogTool", "ViewLogTool",
           "PrettyPlotterTool"]


class Filter:
    ALL = "all"
    SMALL_TIMESTEP = "small_ts"

    def config(self, type: str, timstep_bound: int) -> None:
        self.type = type
        self.timstep_bound = timstep_bound


class BasicLogTool:
    """The selection every tool shares: one table of one database, a glob on the record date."""

    def __init__(self, proj_root: str, task_table_name: str, regex: str, *args: Any, **kwargs: Any):
        self.proj_root, self.task_table_name, self.regex = proj_root, task_table_name, regex
        self.log_types: List[str] = list(DATA_TYPES)

    def _select(self) -> dict:
        return dict(task=self.task_table_name or None, pattern=self.regex, allow_all=True)


class DeleteLogTool(BasicLogTool):
    def __init__(self, proj_root: str, task_table_name: str, regex: str, filter: Filter, *args: Any, **kwargs: Any):
        super().__init__(proj_root, task_table_name, regex)
        self.filter = filter

    def delete_related_log(self, skip_ask: bool = False, delete_log_types: Optional[List[str]] = None) -> int:
        if delete_log_types is not None and set(delete_log_types) != set(DATA_TYPES):
            raise UsageError("an item is deleted whole (every data type); delete_log_types is not supported")
        return plans.delete(self.proj_root, skip_ask=skip_ask, **self._select()).count

    def delete_small_timestep_log(self, skip_ask: bool = False) -> int:
        """Delete the items whose last time-step is below ``filter.timstep_bound`` (or that never logged)."""
        return plans.clean(self.proj_root, timestep_bound=self.filter.timstep_bound, skip_ask=skip_ask,
                             **self._select()).count


class ArchiveLogTool(BasicLogTool):
    def __init__(self, proj_root: str, task_table_name: str, regex: str, archive_table_name: str = ARCHIVED_TABLE,
                 *args: Any, **kwargs: Any):
        super().__init__(proj_root, task_table_name, regex)
        if archive_table_name != ARCHIVED_TABLE:
            raise UsageError(f"the archive is {ARCHIVED_TABLE!r} under the data root; archive_table_name is fixed")

    def archive_log(self, skip_ask: bool = False) -> int:
        return plans.archive(self.proj_root, copy=True, skip_ask=skip_ask, **self._select()).count


class MigrateLogTool(BasicLogTool):
    def __init__(self, proj_root: str, task_table_name: str, regex: str, target_task_table_name: str,
                 *args: Any, **kwargs: Any):
        super().__init__(proj_root, task_table_name, regex)
        self.target_task_table_name = target_task_table_name

    def migrate_log(self, skip_ask: bool = False) -> int:
        return plans.migrate(self.proj_root, to_task=self.target_task_table_name, copy=True, skip_ask=skip_ask,
                               **self._select()).count


class ViewLogTool(BasicLogTool):
    def view_log(self, skip_ask: bool = False) -> List[dict]:
        """Print and return the ``backup.txt`` (the printed arguments) of each item that logged."""
        from RLA.db import ops

        found = [v for v in ops.view(self.proj_root, self.task_table_name or None, self.regex)
                 if v.get("last_time_step") is not None]
        for summary in found:
            print("view experiments:", summary["paths"].get("log"))
            print(summary["backup"] or "")
        return found


class PrettyPlotterTool(BasicLogTool):
    """What 0.6's web plotter read: a ``parameter.json`` in each item's log folder (its parameters and
    ``formatted_log_name``). The page of this release is ``rla ui``, which needs none of it."""

    def gen_json(self, regex: Optional[str] = None) -> int:
        """Write the ``parameter.json`` of each selected item (``regex``: a glob on the record date); their number."""
        from RLA.db.query import ItemFilter, select
        from RLA.db.records import read_json, write_json_atomic

        chosen = ItemFilter(task=self.task_table_name or None, pattern=regex or self.regex)
        records = [r for r in select(self.proj_root, chosen) if r.item.log_dir.is_dir()]
        for record in records:
            params = read_json(record.item.params_json) or dict(record.params)
            write_json_atomic(record.item.log_dir / "parameter.json", {**params, "formatted_log_name": record.index})
        return len(records)
