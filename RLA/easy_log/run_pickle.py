"""The pickled experiment manager of a run (``archive_tester``): what of it is kept, and saving it.

Resuming tools (and RLA 0.6 scripts) unpickle it to get a run's parameters,
custom data and time-step back. It lives in the database, so the remote
credentials are left out.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Dict, Protocol

from RLA.config import RLAConfig
from RLA.db.atomic import atomic_writer
from RLA.easy_log.time_step import TimeStepHolder

__all__ = ["PickledRun", "KEPT_ATTRIBUTES", "state_of", "save"]


class PickledRun(Protocol):
    """What a pickle keeps of the run (the experiment manager): its attributes, run record and time-step."""

    config: RLAConfig
    time_step_holder: TimeStepHolder

    @property
    def run_record(self) -> Dict[str, Any]: ...

#: the manager's attributes a pickle keeps (besides its run record and time-step)
KEPT_ATTRIBUTES = ("hyper_param", "record_param", "custom_data", "config", "task_table_name", "data_root",
                   "run_file", "code_root", "ignore_file_path", "is_master_node", "item")


def state_of(manager: PickledRun) -> Dict[str, Any]:
    """What ``pickle`` keeps of ``manager`` (its ``__getstate__``)."""
    state = {k: v for k, v in manager.__dict__.items() if k in KEPT_ATTRIBUTES}
    state["run_record"] = manager.run_record
    state["time_step"] = manager.time_step_holder.get_time()
    remote = dataclasses.replace(manager.config.REMOTE_SETTING, username="", password="")
    # credentials stay out: the remote login, and the alert target (a webhook's URL is its credential)
    state["config"] = dataclasses.replace(manager.config, REMOTE_SETTING=remote, NOTIFY="")
    return state


def save(manager: PickledRun, path: Path) -> Path:
    """Pickle ``manager`` (with dill) into ``path``, atomically."""
    import dill

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(path, "wb") as f:
        dill.dump(manager, f)
    return path
