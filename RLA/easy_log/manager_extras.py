"""The experiment manager's smaller conveniences: time-step, custom data, timed spans.

A mixin of :class:`RLA.easy_log.tester.ExperimentManager`, kept apart so the
manager's module stays about the run's lifecycle. The names are those
training scripts of RLA 0.6 call (``get_timestep``, ``time_record``,
``update_fph``, ...).
"""
from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple

from RLA.easy_log import logger
from RLA.easy_log.time_step import TimeStepHolder
from RLA.easy_log.time_tracker import time_record, time_record_end
from RLA.errors import UsageError

__all__ = ["ManagerExtras"]


class ManagerExtras:
    """Methods :class:`ExperimentManager` gets on top of its lifecycle."""

    time_step_holder: TimeStepHolder

    if TYPE_CHECKING:  # from RunParams, beside this mixin in ExperimentManager
        def tracked_params(self) -> List[Tuple[str, Any]]: ...
    task_table_name: Optional[str]
    custom_data: Dict[str, Any]
    _fph_start: Optional[float] = None

    time_record = staticmethod(time_record)
    time_record_end = staticmethod(time_record_end)

    @classmethod
    def load_tester(cls, record_date: str, task_table_name: str, log_root: str) -> Any:
        """RLA 0.6's way to read back the experiment manager a run pickled (its ``archive_tester``)."""
        import dill

        from RLA.db.layout import Database
        from RLA.db.resolve import resolve_item

        item = resolve_item(Database(log_root), task_table_name, record_date)
        with open(item.path("archive_tester"), "rb") as f:
            return dill.load(f)

    @classmethod
    def log_file_finder(cls, record_date: str, task_table_name: str = "train", file_root: str = "../checkpoint/",
                        log_type: str = "dir") -> Tuple[str, str]:
        """RLA 0.6: ``(day folder, name)`` of the entry of ``file_root/<task>/YYYY/MM/DD`` whose name
        starts with the time of ``record_date`` (``YYYY/MM/DD/HH-MM-SS-ffffff``); name ``""`` when none."""
        if log_type not in ("dir", "files"):
            raise UsageError(f"log_type must be 'dir' or 'files', got {log_type!r}")
        parts = record_date.split("/")
        if len(parts) < 4:
            raise UsageError(f"record_date must look like YYYY/MM/DD/HH-MM-SS-ffffff, got {record_date!r}")
        folder = os.path.join(file_root, task_table_name, *parts[:3])
        start = parts[3][:len("HH-MM-SS-ffffff")]
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except FileNotFoundError:
            return folder, ""
        wanted = [e.name for e in entries if e.name.startswith(start) and e.is_dir() == (log_type == "dir")]
        return folder, wanted[0] if wanted else ""

    @staticmethod
    def task_gen(task_pattern_list: Sequence[str]) -> str:
        """RLA 0.6: a table name made of parts, ``"-".join(parts)``."""
        return "-".join(task_pattern_list)

    def auto_parse_info(self) -> str:
        """RLA 0.6: the tracked parameters as in the item's name, ``k1=v1&k2=v2``."""
        return "&".join(f"{key}={value}" for key, value in self.tracked_params())

    def dict_to_table_text_summary(self, input_dict: Mapping[str, Any], name: str) -> str:
        """RLA 0.6: ``input_dict`` as a two-column table in the run's TensorBoard (a text summary at the
        current time-step); returns the table's markdown."""
        table = "| key | value |\n|---|---|\n" + "".join(f"| {k} | {v} |\n" for k, v in input_dict.items())
        logger.get_tbx_writer().add_text(name, table, self.time_step_holder.get_time())
        return table

    def get_task_table_name(self) -> Optional[str]:
        return self.task_table_name

    def get_timestep(self) -> int:
        return self.time_step_holder.get_time()

    get_timstep = get_timestep  # RLA 0.6's spelling

    def set_timestep(self, ts: int) -> None:
        self.time_step_holder.set_time(ts)

    def print_custom_data(self, key: str, prefix: str = "") -> None:
        """Record the mean of the custom data ``key`` as ``<prefix><key>``."""
        import numpy as np

        logger.record_tabular(prefix + key, float(np.mean(self.custom_data[key])))

    def clear_custom_data(self, key: str) -> None:
        if self.custom_data.pop(key, None) is None:
            logger.warn(f"RLA: no custom data {key!r} to clear")

    def update_fph(self, cum_epochs: float) -> None:
        """Record ``fph``: epochs per hour since the first call."""
        if self._fph_start is None:
            self._fph_start = time.time()
            return
        hours = (time.time() - self._fph_start) / 3600
        if hours > 0:
            logger.record_tabular("fph", cum_epochs / hours)
