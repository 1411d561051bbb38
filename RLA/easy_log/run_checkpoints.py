"""The checkpoints of the current run: what one holds besides the model, and rewinding the logs to one.

A checkpoint (written by a saver of :mod:`RLA.easy_log.checkpoint`) also holds
the time-step, the RNG states, the custom data and the logger's position, so
that a resumed or forked run continues its curves exactly: the rows logged
after the checkpoint are dropped from progress.csv/json and hidden in
TensorBoard.

A run that saves its own checkpoints (SB3 zips, a script's own files in the
checkpoint folder) says itself where its logs go on from: on resume its rows
stay until it calls :meth:`RunCheckpoints.rewind_logs_to` with the step of the
checkpoint it loaded (or loads an RLA checkpoint).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Optional, Protocol, Tuple

from RLA.config import RLAConfig
from RLA.easy_log import logger
from RLA.easy_log.time_step import TimeStepHolder
from RLA.errors import NoDataError

if TYPE_CHECKING:
    from RLA.easy_log.checkpoint import Saver

__all__ = ["CheckpointedRun", "RunCheckpoints"]


class CheckpointedRun(Protocol):
    """What :class:`RunCheckpoints` needs of the run it serves (the experiment manager)."""

    config: RLAConfig
    custom_data: Dict[str, Any]
    own_checkpoints: bool
    time_step_holder: TimeStepHolder

    @property
    def checkpoint_dir(self) -> str: ...

    @property
    def log_dir(self) -> str: ...

    @property
    def run_record(self) -> Dict[str, Any]: ...

    def record_run_info(self, **info: Any) -> None: ...

    def reopen_logger(self) -> None: ...

    def write_tensorboard_params(self) -> None: ...


def _last_logged_step(meta: Dict[str, Any]) -> Optional[int]:
    """The last row a checkpoint's logs hold: its logger state, or its time-step for the
    checkpoints of RLA 0.6, which kept no logger state."""
    if "logger" in meta:
        return meta["logger"].get("last_dumped_step")
    return meta.get("time_step")


class RunCheckpoints:
    """Saving, loading and rewinding to the checkpoints of ``manager``'s current run."""

    def __init__(self, manager: CheckpointedRun):
        self.manager = manager
        self._saver: Optional["Saver"] = None
        #: after a resume or fork, until the first load: the last step the logs keep
        self._rewind_pending = False
        self._rewound_to: Optional[int] = None
        #: resumed from the script's own checkpoints: the rows stay until the script says which to keep
        self.logs_rewind_deferred = False

    def new_saver(self, max_to_keep: Optional[int] = 10, keep_best: int = 0,
                  var_prefix: Optional[str] = None) -> "Saver":
        from RLA.easy_log.checkpoint import make_saver

        self._saver = make_saver(self.manager.config.DL_FRAMEWORK, self.manager.checkpoint_dir, max_to_keep,
                                 keep_best, var_prefix)
        return self._saver

    @property
    def saver(self) -> "Saver":
        return self._saver or self.new_saver()

    def _reader(self) -> "Saver":
        """The saver that reads this run's checkpoints: those of RLA 0.6 when the folder holds only those."""
        from RLA.easy_log.legacy_checkpoint import legacy_saver

        return legacy_saver(self.manager.checkpoint_dir, getattr(self._saver, "var_prefix", None)) or self.saver

    def latest_step(self) -> Optional[int]:
        from RLA.easy_log.checkpoint import Saver
        from RLA.easy_log.legacy_checkpoint import legacy_saver

        return (legacy_saver(self.manager.checkpoint_dir) or Saver(self.manager.checkpoint_dir)).latest_step()

    def save(self, model_dict: Optional[Dict[str, Any]], related_variable: Optional[Dict[str, Any]],
             metric: Optional[str], mode: str, metric_value: Optional[float]) -> Path:
        from RLA.easy_log.checkpoint import capture_rng

        manager = self.manager
        if related_variable:
            manager.custom_data.update(related_variable)
        current = logger.get_current()
        value = metric_value
        if metric is not None and value is None:
            value = current.name2val.get(metric, current.last_row.get(metric))
            if value is None:
                raise NoDataError(f"metric {metric!r} was not logged in this row or the last one; record it with "
                                  f"logger.record_tabular({metric!r}, value) first, or pass metric_value=")
        step = manager.time_step_holder.get_time()
        meta = {"time_step": step, "rng": capture_rng(), "custom_data": manager.custom_data,
                "logger": current.pending_state()}
        path = self.saver.save(step, model_dict, meta, metric=value, mode=mode if value is not None else None)
        manager.record_run_info(last_checkpoint_step=step)
        return path

    def load(self, ckp_index: Optional[int], model_dict: Optional[Dict[str, Any]],
             restore_rng: bool) -> Tuple[int, Any]:
        from RLA.easy_log.checkpoint import restore_rng as set_rng

        manager = self.manager
        checkpoint = self._reader().load(ckp_index, model_dict)
        meta = checkpoint.meta
        logger_state = meta.get("logger", {})
        if self._rewind_pending or self.logs_rewind_deferred:
            deferred, self._rewind_pending, self.logs_rewind_deferred = self.logs_rewind_deferred, False, False
            if deferred or _last_logged_step(meta) != self._rewound_to:
                self._rewind_logs(_last_logged_step(meta))
        manager.time_step_holder.set_time(meta.get("time_step", checkpoint.step))
        manager.custom_data.update(meta.get("custom_data", {}))
        if restore_rng:
            set_rng(meta.get("rng", {}))
        if logger_state:
            logger.get_current().restore_pending_state(logger_state)
        return checkpoint.step, checkpoint.state

    def rewind_to(self, ckp_index: Optional[int]) -> Optional[int]:
        """Drop the rows logged after checkpoint ``ckp_index`` (every row without one); the last step kept."""
        logged_step = None
        if self.latest_step() is not None:
            logged_step = _last_logged_step(self._reader().load_meta(ckp_index))
        self._rewind_logs(logged_step)
        self._rewind_pending = ckp_index is None
        return logged_step

    def continue_logs(self) -> Optional[int]:
        """On a resume: rewind the logs to the latest RLA checkpoint (every row without one), the last
        step kept; or, when the script keeps its own checkpoints (``own_checkpoints``, or its files in the
        checkpoint folder: an SB3 zip), keep the rows, writing on after them, until the script says where
        its checkpoint was (rewind_logs_to).
        What a killed save of RLA left (a temporary folder) is not the script's."""
        from RLA.db.atomic import is_temp_name

        if self.latest_step() is None and (self.manager.own_checkpoints or any(
                not is_temp_name(path.name) for path in Path(self.manager.checkpoint_dir).iterdir())):
            self.logs_rewind_deferred = True
            self.manager.reopen_logger()
            return None
        return self.rewind_to(None)

    def rewind_logs_to(self, last_kept_step: Optional[int]) -> None:
        """Drop the rows logged after ``last_kept_step`` (every row if ``None``); the time-step goes there.

        After a deferred resume, the resume in run.json records the step.
        """
        resumes = self.manager.run_record.get("resumes")
        if self.logs_rewind_deferred and resumes:
            resumes[-1].update(checkpoint_step=last_kept_step, last_kept_step=last_kept_step)
            self.manager.record_run_info(resumes=resumes)
        self.logs_rewind_deferred = self._rewind_pending = False
        self._rewind_logs(last_kept_step)
        self.manager.time_step_holder.set_time(last_kept_step or 0)

    def _rewind_logs(self, last_kept_step: Optional[int]) -> None:
        """Truncate the progress files after ``last_kept_step``, reopen the logger, purge TensorBoard."""
        logger.get_current().close()
        logger.truncate_progress(self.manager.log_dir, last_kept_step)
        self.manager.reopen_logger()
        board = logger.get_current().tensorboard()
        if board is not None:
            purge_step = 0 if last_kept_step is None else last_kept_step + 1
            board.write_purge(purge_step)
            if purge_step == 0:
                self.manager.write_tensorboard_params()
        self._rewound_to = last_kept_step
