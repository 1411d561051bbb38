"""``run_sweep``: expand the space, skip the finished trials, hand the rest to a launcher."""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

from RLA.db.layout import validate_task_name
from RLA.errors import UsageError
from RLA.sweep.space import Distribution, expand
from RLA.sweep.state import SweepState, TrialStatus
from RLA.sweep.trial import Trial

__all__ = ["LAUNCHERS", "run_sweep", "sweep_status"]

LAUNCHERS = ("local", "slurm", "ray")


def run_sweep(name: str, command: Sequence[str], data_root: str, *,
              grid: Sequence[Tuple[str, Sequence[Any]]] = (), random: Sequence[Tuple[str, Distribution]] = (),
              samples: int = 1, seed: int = 0, launcher: str = "local", jobs: int = 1,
              cwd: Optional[str] = None, slurm: Optional[Dict[str, Any]] = None, address: Optional[str] = None,
              wait: bool = True) -> List[Trial]:
    """Run the trials of the sweep ``name`` that are not finished yet; returns the trials it launched.

    ``data_root`` is the database the command writes into (where the sweep's
    record is kept). With the slurm launcher ``wait=False`` returns once the
    job array is submitted.
    """
    if launcher not in LAUNCHERS:
        raise UsageError(f"unknown launcher {launcher!r}; choose one of {', '.join(LAUNCHERS)}")
    if not command:
        raise UsageError("a sweep needs the command each trial runs, after '--': rla sweep ... -- python main.py")
    try:
        validate_task_name(name)
    except UsageError:
        raise UsageError(f"sweep name {name!r} must be one folder name (no '/'), e.g. lr_scan") from None
    cwd = os.path.abspath(cwd or os.getcwd())
    trials = [Trial(params, tuple(command)) for params in expand(grid, random, samples, seed)]
    if not trials:
        raise UsageError("the sweep has no trial: give --grid KEY=VALUES and/or --random KEY=KIND:ARGS")
    state = SweepState(data_root, name)
    state.begin(command, cwd, launcher, trials)
    todo = state.unfinished(trials)
    if not todo:
        return []
    if launcher == "local":
        from RLA.sweep.local import run_local

        run_local(todo, state, cwd, jobs)
    elif launcher == "slurm":
        from RLA.sweep import slurm as slurm_launcher

        jobs_submitted = slurm_launcher.submit(todo, state, cwd, dict(slurm or {}), jobs if jobs > 1 else None)
        if wait:
            slurm_launcher.wait(todo, state, jobs_submitted)
    else:
        from RLA.sweep.ray_tasks import run_ray

        run_ray(todo, state, cwd, jobs, address)
    return todo


def sweep_status(data_root: str, name: str) -> List[TrialStatus]:
    """Each trial of the sweep ``name``: parameters, status, item and last time-step."""
    return SweepState(data_root, name).statuses()
