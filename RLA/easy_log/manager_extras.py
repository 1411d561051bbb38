"""The experiment manager's smaller conveniences: time-step, custom data, timed spans, log sync.

A mixin of :class:`RLA.easy_log.tester.ExperimentManager`, kept apart so the
manager's module stays about the run's lifecycle. The names are those
training scripts of RLA 0.6 call (``get_timestep``, ``time_record``,
``sync_log_file``, ...).
"""
from __future__ import annotations

import time
from typing import Any, Callable, Dict, Optional

from RLA.easy_log import logger
from RLA.easy_log.time_step import TimeStepHolder
from RLA.easy_log.time_tracker import time_record, time_record_end
from RLA.errors import SyncUnavailableError

__all__ = ["ManagerExtras"]


class ManagerExtras:
    """Methods :class:`ExperimentManager` gets on top of its lifecycle."""

    time_step_holder: TimeStepHolder
    task_table_name: Optional[str]
    custom_data: Dict[str, Any]
    is_master_node: bool
    config: Any
    _fph_start: Optional[float] = None

    time_record = staticmethod(time_record)
    time_record_end = staticmethod(time_record_end)

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

    # -- central log collection -----------------------------------------------------------------
    def sync_log_file(self, skip_error: bool = False) -> None:
        """Send this run's logs to the central database when ``SEND_LOG_FILE`` is on (on workers:
        the master node, ``is_master_node=True``, has them already); a no-op when it is off.

        ``skip_error`` logs a failed send as a warning instead of raising it.
        """
        if not self.config.SEND_LOG_FILE or self.is_master_node:
            return
        backend = self._sync_backend()
        if backend is None:
            raise SyncUnavailableError(
                "SEND_LOG_FILE is on in rla_config.yaml, but sending logs to a central database needs RLA's "
                "remote-sync feature, which this installation lacks; set SEND_LOG_FILE: false (or share "
                "the data root over NFS) until it is installed")
        try:
            backend()
        except Exception as exc:  # a network failure must not end a training run when asked to skip
            if not skip_error:
                raise
            logger.warn(f"RLA: sync_log_file failed ({exc}); the run goes on")

    def _sync_backend(self) -> Optional[Callable[[], None]]:
        """The function that sends this run's new log data, or ``None`` without a sync feature."""
        return None
