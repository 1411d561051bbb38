"""The pickled experiment manager of a run (``archive_tester``): what of it is kept, and saving it.

Resuming tools (and RLA 0.6 scripts) unpickle it to get a run's parameters,
custom data and time-step back. It lives in the database, so the remote
credentials are left out.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict

from RLA.db.atomic import atomic_writer

if TYPE_CHECKING:
    from RLA.easy_log.tester import ExperimentManager

__all__ = ["KEPT_ATTRIBUTES", "state_of", "save"]

#: the manager's attributes a pickle keeps (besides its run record and time-step)
KEPT_ATTRIBUTES = ("hyper_param", "record_param", "custom_data", "config", "task_table_name", "data_root",
                   "run_file", "code_root", "ignore_file_path", "is_master_node", "item")


def state_of(manager: "ExperimentManager") -> Dict[str, Any]:
    """What ``pickle`` keeps of ``manager`` (its ``__getstate__``)."""
    state = {k: v for k, v in manager.__dict__.items() if k in KEPT_ATTRIBUTES}
    state["run_record"] = manager.run_record
    state["time_step"] = manager.time_step_holder.get_time()
    remote = dataclasses.replace(manager.config.REMOTE_SETTING, username="", password="")
    state["config"] = dataclasses.replace(manager.config, REMOTE_SETTING=remote)
    return state


def save(manager: "ExperimentManager", path: Path) -> Path:
    """Pickle ``manager`` (with dill) into ``path``, atomically."""
    import dill

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_writer(path, "wb") as f:
        dill.dump(manager, f)
    return path
