"""What a SLURM array task of a sweep runs: :class:`TrialJob`, one trial's command, requeued on timeout.

submitit's wrapper unpickles it on the node at the start of every trial, which
imports this module: it needs the trial and nothing of the submitting side
(the sweep record, the query index), so those stay in :mod:`RLA.sweep.slurm`.
"""
from __future__ import annotations

import re
import signal
import time
from typing import Any, Optional

from RLA.errors import RLAError
from RLA.sweep.trial import Trial, run_command

__all__ = ["TrialJob", "TrialFailed", "returncode_from_error"]

#: exit statuses of a command ended by SIGTERM (killed by the signal, or RLA's hooks exiting with 128 + 15)
_TERMINATED = (-signal.SIGTERM, 128 + signal.SIGTERM)
#: how long a job whose command SLURM terminated waits for SLURM to end it too (KillWait, 30 s by default)
_AWAIT_SLURM_KILL_S = 300.0
_FAILURE = "trial {label} exited with status {returncode}"


class TrialFailed(RLAError):
    """The trial's command ended with a non-zero exit status."""


def returncode_from_error(error: BaseException) -> int:
    """The exit status of a trial's command, from the error submitit reports for its job (which holds the
    :class:`TrialFailed` message as text); 1 when the job failed otherwise (its node, submitit itself)."""
    pattern = "TrialFailed: " + _FAILURE.format(label=".*", returncode=r"(-?\d+)")
    found = re.search(pattern, str(error))
    return int(found.group(1)) if found else 1


class TrialJob:
    """What a SLURM array task runs: one trial's command, checkpointable (requeued on timeout/preemption)."""

    #: where the command's output goes (appended to on each requeue); a job pickled before there was one
    #: takes this default and leaves the output in submitit's log
    log_path: Optional[str] = None

    def __init__(self, trial: Trial, sweep: str, cwd: str, log_path: Optional[str] = None):
        self.trial = trial
        self.sweep = sweep
        self.cwd = cwd
        self.log_path = log_path

    def __call__(self) -> int:
        from submitit.slurm.slurm import SlurmJobEnvironment

        # SLURM sends its warning of a time limit or a preemption to every process of the job; submitit's
        # handler in this process requeues the job, whose SIGTERM then ends the command, which RLA records
        # as killed. Left to its default action the warning would end the command first, unrecorded.
        warning = signal.Signals[f"SIG{SlurmJobEnvironment.USR_SIG}"]
        returncode = run_command(self.trial, self.sweep, self.cwd, self.log_path, ignored_signals=[warning],
                                 grace_s=None)
        if returncode in _TERMINATED:
            # SLURM is stopping the job (requeue, preemption, scancel): it ends this process in KillWait
            # seconds; returning now would record a failure for a trial that is about to run again
            time.sleep(_AWAIT_SLURM_KILL_S)
        if returncode != 0:
            raise TrialFailed(_FAILURE.format(label=self.trial.label(), returncode=returncode))
        return returncode

    def checkpoint(self, *args: Any, **kwargs: Any) -> Any:
        """Requeue this same trial: its command finds its item again through RLA_RESUME=auto."""
        from submitit.helpers import DelayedSubmission

        return DelayedSubmission(TrialJob(self.trial, self.sweep, self.cwd, self.log_path))
