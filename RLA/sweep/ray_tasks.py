"""The ``ray`` launcher: each trial a Ray task (``cpus_per_trial`` CPUs) that runs the command.

``ray.init(address=...)`` joins a cluster (``auto``: the one this node belongs
to); without an address a local Ray is started with ``jobs`` CPUs. A trial is a
plain task, not a Tune trial: Tune starts trainable actors for every experiment
(placement group, worker process, Tune's import), seconds before the first
command runs, and a trial that only runs a command has no use for Tune's
scheduling. A task whose worker or node dies runs again elsewhere and its
command continues its item (RLA_RESUME=auto). Tune with RLA items is
:func:`RLA.integrations.ray.rla_trainable`.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from RLA.errors import UsageError
from RLA.sweep.state import LAUNCH_FAILED, SUBMITTED, SweepState
from RLA.sweep.trial import Trial, run_command

__all__ = ["launch", "run_ray", "ensure_ray"]

#: runs of a trial whose worker or node died (Ray's default for tasks); a command's own failure is not retried
_NODE_LOSS_RETRIES = 3


def ensure_ray(address: Optional[str] = None, num_cpus: Optional[int] = None) -> Any:
    """The ``ray`` module with a running Ray: the one already initialised, the cluster at ``address``,
    or a local one."""
    try:
        import ray
    except ImportError:
        raise UsageError("the ray launcher needs Ray: pip install 'RLA[sweep]'") from None
    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=num_cpus, log_to_driver=False, include_dashboard=False)
    return ray


def launch(trials: Sequence[Trial], state: SweepState, cwd: str, jobs: int, address: Optional[str] = None) -> None:
    """The launcher's entry point (:mod:`RLA.sweep.launchers`)."""
    run_ray(trials, state, cwd, jobs, address)


def run_ray(trials: Sequence[Trial], state: SweepState, cwd: str, jobs: int = 1,
            address: Optional[str] = None, cpus_per_trial: float = 1.0) -> None:
    """Run the trials as Ray tasks, ``jobs`` at a time, noting each one's outcome as it ends."""
    ray = ensure_ray(address, num_cpus=None if address else jobs)
    run_trial = ray.remote(num_cpus=cpus_per_trial, max_retries=_NODE_LOSS_RETRIES)(run_command)
    state.note_each((trial, {"status": SUBMITTED, "launcher": "ray"}) for trial in trials)
    waiting: List[Trial] = list(trials)
    running: Dict[Any, Trial] = {}

    def start_trials() -> None:
        while waiting and len(running) < max(1, jobs):
            trial = waiting.pop(0)
            running[run_trial.remote(trial, state.name, cwd, state.log_path(trial))] = trial

    try:
        start_trials()
        while running:
            ended, _ = ray.wait(list(running), num_returns=1)
            trial = running.pop(ended[0])
            start_trials()  # the next trial starts before this one's outcome is written
            try:
                returncode = ray.get(ended[0])
            except ray.exceptions.RayError as error:  # its worker died more often than retried, or Ray failed
                state.note(trial, status=LAUNCH_FAILED, error=str(error))
                continue
            state.note(trial, status="finished" if returncode == 0 else "failed", returncode=returncode)
    finally:  # Ctrl-C or an error: stop the running trials, start no further one
        for ref in running:
            ray.cancel(ref)
