"""One trial of a sweep: the user's command with ``--key=value`` appended, run with auto-resume.

A trial's id is a hash of its parameters, so the same sweep command names its
trials the same way every time it is run (and skips those already finished).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import subprocess
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

from RLA import environment

__all__ = ["SWEEP_ENV", "TRIAL_ENV", "Trial", "format_arg", "run_command"]

SWEEP_ENV = environment.SWEEP.name
TRIAL_ENV = environment.SWEEP_TRIAL.name
#: how long a trial's command stopped by its launcher has to record its run (and push it, when it syncs
#: itself: 30 s by default) before it is killed
TERMINATION_GRACE_S = 60.0


def format_arg(value: Any) -> str:
    """A parameter value as the command line takes it (``repr`` of a float keeps every digit)."""
    return repr(value) if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Trial:
    """The parameters of one trial and the command that runs it."""

    params: Dict[str, Any]
    command: Sequence[str] = field(default=())

    @property
    def trial_id(self) -> str:
        text = json.dumps(self.params, sort_keys=True, default=str)
        return hashlib.sha1(text.encode()).hexdigest()[:10]

    def argv(self) -> List[str]:
        return [*self.command, *(f"--{key}={format_arg(value)}" for key, value in self.params.items())]

    def env(self, sweep: str, base: Optional[Dict[str, str]] = None) -> Dict[str, str]:
        """The environment of the trial: ``base`` (default: this process's) with the sweep's variables."""
        env = dict(os.environ if base is None else base)
        # RLA_RESUME=auto: a requeued or re-run trial continues its own item
        env.update({environment.RESUME.name: "auto", SWEEP_ENV: sweep, TRIAL_ENV: self.trial_id})
        return env

    def label(self) -> str:
        return " ".join(f"{key}={format_arg(value)}" for key, value in self.params.items())


def run_command(trial: Trial, sweep: str, cwd: Optional[str] = None, log_path: Optional[str] = None,
                ignored_signals: Sequence[int] = (), grace_s: Optional[float] = TERMINATION_GRACE_S) -> int:
    """Run ``trial`` to its end in a child process; its exit status.

    Output goes to ``log_path`` (appended: a requeued trial adds to it) or is inherited. The command starts
    with ``ignored_signals`` ignored (a handler it installs itself still gets them). If this process is
    interrupted while it waits (Ctrl-C, a task cancelled, a scheduler's signal handler exiting), the command
    gets SIGTERM, so that RLA records its run as killed, and SIGKILL if it has not ended ``grace_s`` later
    (``None``: never, the caller's scheduler does it).
    """
    def ignore_signals() -> None:
        # runs in the child between fork and exec: fine in the single-threaded processes that ask for it
        for number in ignored_signals:
            signal.signal(number, signal.SIG_IGN)

    with contextlib.ExitStack() as stack:
        output = None
        if log_path is not None:
            os.makedirs(os.path.dirname(log_path), exist_ok=True)
            output = stack.enter_context(open(log_path, "ab"))
        process = subprocess.Popen(trial.argv(), env=trial.env(sweep), cwd=cwd, stdout=output,
                                   stderr=subprocess.STDOUT if output is not None else None,
                                   preexec_fn=ignore_signals if ignored_signals else None)
        try:
            return process.wait()
        except BaseException:
            _terminate(process, grace_s)
            raise


def _terminate(process: subprocess.Popen, grace_s: Optional[float]) -> None:
    """SIGTERM, then SIGKILL ``grace_s`` later or when this process is interrupted again meanwhile."""
    try:
        process.terminate()
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        pass
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
