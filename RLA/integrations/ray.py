"""Ray Tune trials as RLA items, for users who call Tune themselves.

    from RLA.integrations.ray import rla_trainable
    tuner = tune.Tuner(rla_trainable(train_fn, task_table_name="ppo", data_root="/data/rla"),
                       param_space={"lr": tune.loguniform(1e-5, 1e-2), "seed": tune.randint(0, 1000)},
                       tune_config=tune.TuneConfig(scheduler=ASHAScheduler(metric="eval/return", mode="max")))

Each trial is one item named by its config (every key tracked) with the
parameter ``sweep`` = the Tune experiment's name. ``logger.dump_tabular()``
also reports the row to Tune, so its schedulers (ASHA, PBT) can stop a trial:
the item is then recorded as ``stopped``, not failed. The trial starts with
``resume="auto"``: a restored Tune experiment continues the same items.
"""
from __future__ import annotations

import atexit
import math
import os
from typing import Any, Callable, Dict, Optional, Sequence, Union

from RLA.config import RLAConfig
from RLA.easy_log import logger
from RLA.easy_log.hooks import exit_status
from RLA.easy_log.output_formats import KVWriter

__all__ = ["TuneReportFormat", "rla_trainable", "STOPPED"]

#: the status of a trial a Tune scheduler ended early
STOPPED = "stopped"


class TuneReportFormat(KVWriter):
    """An output format reporting every dumped row (its numbers) to Ray Tune.

    When Tune decides to stop the trial, its ``report`` ends the training
    thread with ``SystemExit``; :attr:`stopped` remembers that it did.
    """

    name = "tune"

    def __init__(self) -> None:
        self.stopped = False

    def write(self, key_values: Dict[str, Any], step: int) -> None:
        from ray import tune

        metrics = {k: v for k, v in key_values.items()
                   if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}
        try:
            tune.report(metrics)
        except SystemExit:
            self.stopped = True
            raise

    def close(self) -> None:
        """Nothing to close: Tune owns the session."""


def rla_trainable(train_fn: Callable[[Dict[str, Any]], Any], task_table_name: str,
                  data_root: Union[str, os.PathLike, None] = None,
                  rla_config: Union[str, os.PathLike, Dict[str, Any], RLAConfig, None] = None,
                  record_param: Optional[Sequence[str]] = None,
                  code_root: Optional[str] = None) -> Callable[[Dict[str, Any]], None]:
    """A Tune function trainable running ``train_fn(config)`` as one RLA run per trial.

    ``record_param`` names the config keys in the item's name (default: all).
    ``train_fn`` logs with ``RLA.easy_log.logger`` as any RLA script does.
    """
    def trainable(config: Dict[str, Any]) -> None:
        from ray import tune

        # the worker's own exp_manager (the one train_fn logs through); a captured one would be a pickled copy
        from RLA.easy_log.tester import exp_manager as run_manager

        run_manager.configure(task_table_name, rla_config, data_root, code_root=code_root, resume="auto")
        # the sweep's name as a parameter (not through the environment: a reused worker runs other trials too)
        run_manager.hyper_param = {**config, "sweep": tune.get_context().get_experiment_name()}
        run_manager.clear_record_param()
        run_manager.add_record_param(list(record_param) if record_param is not None else sorted(config))
        run_manager.log_files_gen()
        reporter = TuneReportFormat()
        logger.get_current().output_formats.append(reporter)

        # Tune may end the actor before the training thread sees its stop: the run was stopped on purpose
        def stopped_at_exit() -> None:
            run_manager.finish(STOPPED)

        atexit.register(stopped_at_exit)
        try:
            train_fn(config)
        except SystemExit as exc:
            run_manager.finish(*((STOPPED, None) if reporter.stopped else exit_status(exc)))
            if not reporter.stopped:
                raise
        except BaseException as exc:
            run_manager.finish(*exit_status(exc))
            raise
        else:
            run_manager.finish()
        finally:
            atexit.unregister(stopped_at_exit)

    trainable.__name__ = getattr(train_fn, "__name__", "trainable")
    return trainable
