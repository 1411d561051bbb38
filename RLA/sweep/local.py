"""The ``local`` launcher: the trials in a pool of ``jobs`` child processes on this machine."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

from RLA.sweep.state import SweepState
from RLA.sweep.trial import Trial, run_command

__all__ = ["launch", "run_local"]


def run_local(trials: Sequence[Trial], state: SweepState, cwd: str, jobs: int = 1) -> None:
    """Run every trial, ``jobs`` at a time; each one's output goes to ``state.log_path(trial)``."""

    def one(trial: Trial) -> None:
        state.note(trial, status="running", launcher="local")
        returncode = run_command(trial, state.name, cwd, state.log_path(trial))
        state.note(trial, status="finished" if returncode == 0 else "failed", returncode=returncode)

    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    try:
        for future in [pool.submit(one, trial) for trial in trials]:
            future.result()
    finally:  # Ctrl-C (which the running trials get too) or an error: start no further trial
        pool.shutdown(wait=True, cancel_futures=True)


def launch(trials: Sequence[Trial], state: SweepState, cwd: str, jobs: int) -> None:
    """The launcher's entry point (:mod:`RLA.sweep.launchers`)."""
    run_local(trials, state, cwd, jobs)
