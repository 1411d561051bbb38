"""``run_sweep``: expand the space, skip the finished trials, hand the rest to a launcher."""
from __future__ import annotations

import os
from typing import Any, List, Optional, Sequence, Tuple

from RLA.db.layout import validate_task_name
from RLA.errors import LayoutError, UsageError
from RLA.sweep import launchers
from RLA.sweep.space import Distribution, expand
from RLA.sweep.state import SweepState, TrialStatus
from RLA.sweep.trial import Trial

__all__ = ["LAUNCHERS", "run_sweep", "sweep_status"]

#: the launcher names (:mod:`RLA.sweep.launchers` holds the launchers)
LAUNCHERS = launchers.NAMES


def run_sweep(name: str, command: Sequence[str], data_root: str, *,
              grid: Sequence[Tuple[str, Sequence[Any]]] = (), random: Sequence[Tuple[str, Distribution]] = (),
              samples: int = 1, seed: int = 0, launcher: str = "local", jobs: int = 1,
              cwd: Optional[str] = None, **launcher_options: Any) -> List[Trial]:
    """Run the trials of the sweep ``name`` that are not finished yet; returns the trials it launched.

    ``data_root`` is the database the command writes into (where the sweep's
    record is kept). ``launcher_options`` go to the launcher, which says which
    it takes (:data:`RLA.sweep.launchers.LAUNCHERS`): ``slurm=`` (submitit
    options) and ``wait=False`` (return once the job array is submitted) for
    slurm, ``address=`` for ray.
    """
    chosen = launchers.get(launcher)
    chosen.check(launcher_options)
    if not command:
        raise UsageError("a sweep needs the command each trial runs, after '--': rla sweep ... -- python main.py")
    try:
        validate_task_name(name)
    except LayoutError:
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
    chosen.launch(todo, state, cwd, jobs, launcher_options)
    return todo


def sweep_status(data_root: str, name: str) -> List[TrialStatus]:
    """Each trial of the sweep ``name``: parameters, status, item and last time-step."""
    return SweepState(data_root, name).statuses()
