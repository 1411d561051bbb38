"""The ``slurm`` launcher: one job array through submitit; preempted or timed-out trials requeue themselves.

Each array task runs :class:`~RLA.sweep.slurm_job.TrialJob`, which runs the
trial's command. On a timeout or preemption submitit calls its ``checkpoint``
and requeues the same callable; a job requeued by SLURM (``scontrol requeue``,
a node failure) starts it again too. Either way the command runs again with
``RLA_RESUME=auto`` and continues its own item from its latest checkpoint.
"""
from __future__ import annotations

import time
from typing import Any, Dict, List, Optional, Sequence

from RLA.errors import UsageError

# TrialJob and TrialFailed are also importable from here, as jobs submitted before they moved were pickled
from RLA.sweep.slurm_job import TrialFailed, TrialJob, returncode_from_error
from RLA.sweep.state import LAUNCH_FAILED, SUBMITTED, SweepState
from RLA.sweep.trial import Trial

__all__ = ["TrialJob", "TrialFailed", "executor_parameters", "launch", "submit", "wait_for_jobs"]

#: AutoExecutor's own parameter names; any other ``--slurm key=value`` is a SLURM one (``slurm_<key>``)
_GENERIC = ("timeout_min", "mem_gb", "nodes", "cpus_per_task", "gpus_per_node", "tasks_per_node",
            "stderr_to_stdout", "name")


#: the shortest and longest interval between two looks at the pending jobs, and the looks a second allowed
_POLL_S = (0.1, 1.0)
_LOOKS_PER_S = 100


def executor_parameters(options: Dict[str, Any]) -> Dict[str, Any]:
    """``--slurm`` options as AutoExecutor parameters (``partition`` -> ``slurm_partition``)."""
    return {key if key in _GENERIC or key.startswith("slurm_") else f"slurm_{key}": value
            for key, value in options.items()}


def launch(trials: Sequence[Trial], state: SweepState, cwd: str, jobs: int,
           slurm: Optional[Dict[str, Any]] = None, wait: bool = True) -> None:
    """The launcher's entry point (:mod:`RLA.sweep.launchers`): submit the job array, then (unless not
    ``wait``) wait for its end; ``jobs`` > 1 bounds the tasks running at once."""
    submitted = submit(trials, state, cwd, dict(slurm or {}), jobs if jobs > 1 else None)
    if wait:
        wait_for_jobs(trials, state, submitted)


def submit(trials: Sequence[Trial], state: SweepState, cwd: str, options: Dict[str, Any],
           jobs: Optional[int] = None) -> List[Any]:
    """Submit the trials as one job array; returns submitit's jobs (their ids are in the sweep record)."""
    try:
        import submitit
    except ImportError:
        raise UsageError("the slurm launcher needs submitit: pip install 'RLA[sweep]'") from None
    executor = submitit.AutoExecutor(folder=str(state.database.sweep_dir(state.name) / "slurm" / "%j"),
                                     cluster="slurm")
    parameters = {"name": f"rla-{state.name}", "timeout_min": 60, **executor_parameters(options)}
    if jobs:
        parameters["slurm_array_parallelism"] = jobs
    try:
        executor.update_parameters(**parameters)
    except (TypeError, ValueError) as error:
        raise UsageError(f"--slurm: {error}") from None
    with executor.batch():
        submitted = [executor.submit(TrialJob(trial, state.name, cwd, state.log_path(trial))) for trial in trials]
    state.note_each((trial, {"status": SUBMITTED, "launcher": "slurm", "job_id": str(job.job_id)})
                    for trial, job in zip(trials, submitted))
    return submitted


def _poll_interval(pending_jobs: int) -> float:
    """Seconds until the next look at the pending jobs (a stat of each one's result file, on a shared file
    system): 0.1 s while few are pending, so the last trials' ends are seen promptly, longer with more so
    that the looks stay under 100 a second (1 s, one look per job a second, from 100 pending jobs on)."""
    return min(_POLL_S[1], max(_POLL_S[0], pending_jobs / _LOOKS_PER_S))


def wait_for_jobs(trials: Sequence[Trial], state: SweepState, submitted: Sequence[Any]) -> None:
    """Wait for every job to end, noting each one's outcome in the sweep record."""
    pending = dict(zip(range(len(submitted)), submitted))
    while pending:
        for index, job in list(pending.items()):
            if not job.done():
                continue
            del pending[index]
            error = job.exception()
            state.note(trials[index], status=LAUNCH_FAILED if error else "finished",
                       returncode=returncode_from_error(error) if error else 0, error=str(error) if error else None)
        if pending:
            time.sleep(_poll_interval(len(pending)))
