"""What a SLURM array task of a sweep runs: :class:`TrialJob`, one trial's command, requeued on timeout.

submitit's wrapper unpickles it on the node at the start of every trial, which
imports this module: it needs the trial and nothing of the submitting side
(the sweep record, the query index), so those stay in :mod:`RLA.sweep.slurm`.
"""
from __future__ import annotations

import signal
import time
from typing import Any

from RLA.errors import RLAError
from RLA.sweep.trial import Trial, run_command

__all__ = ["TrialJob", "TrialFailed"]

#: exit statuses of a command ended by SIGTERM (killed by the signal, or RLA's hooks exiting with 128 + 15)
_TERMINATED = (-signal.SIGTERM, 128 + signal.SIGTERM)
_TERMINATION_GRACE_S = 300.0


class TrialFailed(RLAError):
    """The trial's command ended with a non-zero exit status."""


class TrialJob:
    """What a SLURM array task runs: one trial's command, checkpointable (requeued on timeout/preemption)."""

    def __init__(self, trial: Trial, sweep: str, cwd: str):
        self.trial = trial
        self.sweep = sweep
        self.cwd = cwd

    def __call__(self) -> int:
        returncode = run_command(self.trial, self.sweep, self.cwd)
        if returncode in _TERMINATED:
            # SLURM is stopping the job (requeue, preemption, scancel): it ends this process in KillWait
            # seconds; returning now would record a failure for a trial that is about to run again
            time.sleep(_TERMINATION_GRACE_S)
        if returncode != 0:
            raise TrialFailed(f"trial {self.trial.label()} exited with status {returncode}")
        return returncode

    def checkpoint(self, *args: Any, **kwargs: Any) -> Any:
        """Requeue this same trial: its command finds its item again through RLA_RESUME=auto."""
        from submitit.helpers import DelayedSubmission

        return DelayedSubmission(TrialJob(self.trial, self.sweep, self.cwd))
