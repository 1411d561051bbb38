"""Several processes of one run (torch DDP, MPI, SLURM tasks): rank 0 owns the item.

Rank 0 (``RANK``, else ``SLURM_PROCID``, ``OMPI_COMM_WORLD_RANK``, ``PMI_RANK``,
``LOCAL_RANK``) starts the run as usual and publishes its item under a key all
processes of the group share (``RLA_RUN_GROUP``, else torchrun's
``MASTER_ADDR:MASTER_PORT`` and run id, srun's job and step ids, or the MPI job
id); the other ranks wait for it and write nothing but ``log-rank<N>.txt``
into that item. A trial of ``rla sweep`` (``RLA_SWEEP`` set) records its sweep
as the hyper-parameter ``sweep``.
"""
from __future__ import annotations

import hashlib
import os
import platform
import time
from typing import Any, Dict, Optional

from RLA import environment
from RLA.db.layout import Database, Item
from RLA.db.liveness import is_alive
from RLA.db.records import read_json, write_json_atomic
from RLA.easy_log import logger
from RLA.easy_log.logger import HumanOutputFormat, Logger
from RLA.easy_log.time_step import TimeStepHolder
from RLA.errors import RunStateError, UsageError

__all__ = ["RANK_ENVS", "GROUP_ENV", "WAIT_ENV", "process_rank", "in_group", "group_key", "publish_item",
           "wait_for_item", "rank_logger", "join_rank0", "note_sweep"]

#: the variables that carry a process's rank, first found wins (LOCAL_RANK alone: one node)
RANK_ENVS = ("RANK", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "LOCAL_RANK")
GROUP_ENV = environment.RUN_GROUP.name
WAIT_ENV = environment.RANK_WAIT.name
_SIZE_ENVS = ("WORLD_SIZE", "SLURM_STEP_NUM_TASKS", "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "LOCAL_WORLD_SIZE")
_GROUP_ENVS = (("TORCHELASTIC_RUN_ID", "MASTER_ADDR", "MASTER_PORT"), ("SLURM_JOB_ID", "SLURM_STEP_ID"),
               ("OMPI_MCA_ess_base_jobid",), ("PMIX_NAMESPACE",), ("MASTER_ADDR", "MASTER_PORT"))


def process_rank() -> int:
    """This process's rank in its group; 0 for a single-process run."""
    for name in RANK_ENVS:
        value = os.environ.get(name, "").strip()
        if value:
            try:
                return int(value)
            except ValueError:
                raise UsageError(f"${name}={value!r} is not a process rank (an integer)") from None
    return 0


def in_group() -> bool:
    """Whether this process is one of several of the same run (so rank 0 must publish its item)."""
    if environment.RUN_GROUP.is_set():
        return True
    return any(os.environ.get(name, "1").strip() not in ("", "0", "1") for name in _SIZE_ENVS)


def group_key(task: str) -> str:
    """A file-name-safe key shared by every process of this run (and no other run of ``task``)."""
    parts = [os.environ.get(GROUP_ENV, "")]
    if not parts[0]:
        for names in _GROUP_ENVS:
            if all(os.environ.get(n) for n in names):
                parts = [f"{n}={os.environ[n]}" for n in names]
                break
        else:
            raise UsageError(f"this process has rank {process_rank()} but no variable names its process group: "
                             f"set {GROUP_ENV} to the same value in every process of the run")
    text = "\n".join([task, *parts])
    return hashlib.sha1(text.encode()).hexdigest()[:20]


def publish_item(database: Database, task: str, item: Item) -> None:
    """Rank 0: tell the other ranks of this group, if any, which item the run writes into."""
    if not in_group():
        return
    path = database.rank_file(group_key(task))
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, {"index": item.index, "host": platform.node(), "pid": os.getpid()})


def wait_for_item(database: Database, task: str, timeout_s: Optional[float] = None) -> Item:
    """Rank > 0: rank 0's item, once rank 0 has started its run (a published item of an ended run is stale)."""
    timeout_s = float(environment.RANK_WAIT.get() or 600) if timeout_s is None else timeout_s
    path = database.rank_file(group_key(task))
    deadline = time.monotonic() + timeout_s
    while True:
        published = read_json(path) or {}
        if published.get("index"):
            item = database.item_from_index(published["index"])
            run = read_json(item.run_json) or {}
            if run.get("status") == "running" and is_alive(run):
                return item
        if time.monotonic() >= deadline:
            raise RunStateError(f"rank {process_rank()} waited {timeout_s:.0f}s for rank 0 to start its run of "
                                f"{task!r}; start rank 0 too, or raise ${WAIT_ENV}")
        time.sleep(0.1)


def rank_logger(item: Item, rank: int, step_holder: TimeStepHolder) -> Logger:
    """The logger of a rank > 0: rows and messages go to ``log-rank<N>.txt`` of rank 0's item, nothing else."""
    return Logger(None, [HumanOutputFormat(item.log.rank_log(rank), name="log")], step_holder)


def join_rank0(database: Database, task: str, rank: int, step_holder: TimeStepHolder) -> Item:
    """Rank > 0: rank 0's item, with this process's logger writing into its ``log-rank<N>.txt`` only."""
    item = wait_for_item(database, task)
    previous = logger.get_current()
    previous.close()
    logger.Logger.CURRENT = rank_logger(item, rank, step_holder)
    logger.Logger.CURRENT.set_comm(previous.comm)  # set_comm called before the run still averages
    return item


def note_sweep(hyper_param: Dict[str, Any]) -> None:
    """A trial of ``rla sweep``: record its sweep name, so ``-w 'sweep == "<name>"'`` finds it."""
    sweep = environment.SWEEP.get()
    if sweep:
        hyper_param["sweep"] = sweep
