"""Every ``RLA_*`` environment variable, with its default and what it does: the one place that names them.

Modules read a variable through its :class:`EnvVar` (``RESUME.get()``), so a
new variable is one line here and the list below is the documentation.
Nothing of RLA is imported here.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

__all__ = ["EnvVar", "VARIABLES", "DATA_ROOT", "RESUME", "SWEEP", "SWEEP_TRIAL", "RUN_GROUP", "RANK_WAIT", "IP",
           "REMOTE_PASSWORD", "TEST_PAUSE_IN_SAVE"]


@dataclass(frozen=True)
class EnvVar:
    """One environment variable RLA reads: its name, its default (None: unset) and what it does."""

    name: str
    doc: str
    default: Optional[str] = None

    def get(self, environ: Optional[Dict[str, str]] = None) -> Optional[str]:
        """The variable's value in ``environ`` (default: this process's), else its default."""
        return (os.environ if environ is None else environ).get(self.name, self.default)

    def is_set(self) -> bool:
        """Whether the variable holds a non-empty value in this process."""
        return bool(os.environ.get(self.name))


DATA_ROOT = EnvVar("RLA_DATA_ROOT", "the database folder of every `rla` command that takes --data-root")
RESUME = EnvVar("RLA_RESUME", "auto: a run continues the newest unfinished item of the same tracked "
                              "parameters (set for each sweep trial); a record date: that item")
SWEEP = EnvVar("RLA_SWEEP", "the sweep a trial belongs to: recorded as the run's parameter 'sweep'")
SWEEP_TRIAL = EnvVar("RLA_SWEEP_TRIAL", "the id of the sweep trial the process runs")
RUN_GROUP = EnvVar("RLA_RUN_GROUP", "the same value in every process of one multi-process run (rank 0 owns "
                                    "the item); default: derived from torchrun / SLURM / MPI variables")
RANK_WAIT = EnvVar("RLA_RANK_WAIT", "seconds a rank other than 0 waits for rank 0 to create the item", "600")
IP = EnvVar("RLA_IP", "the address written into item names instead of the one looked up")
REMOTE_PASSWORD = EnvVar("RLA_REMOTE_PASSWORD", "the SSH password of the central database (never written "
                                                "to any file)")
TEST_PAUSE_IN_SAVE = EnvVar("RLA_TEST_PAUSE_IN_SAVE", "tests only: a file whose creation a checkpoint save "
                                                      "waits for, so that a test can kill it midway")
ALERT_KIND = EnvVar("RLA_ALERT_KIND", "set by RLA for an alert command (NOTIFY): failed, killed, nan or stalled")
ALERT_ITEM = EnvVar("RLA_ALERT_ITEM", "set by RLA for an alert command (NOTIFY): the index of the run's item")
ALERT_MESSAGE = EnvVar("RLA_ALERT_MESSAGE", "set by RLA for an alert command (NOTIFY): what happened")

#: every variable, in the order above
VARIABLES: Tuple[EnvVar, ...] = (DATA_ROOT, RESUME, SWEEP, SWEEP_TRIAL, RUN_GROUP, RANK_WAIT, IP,
                                 REMOTE_PASSWORD, TEST_PAUSE_IN_SAVE, ALERT_KIND, ALERT_ITEM, ALERT_MESSAGE)
