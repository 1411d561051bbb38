"""The sweep launchers, one registry: each names its module and the options it takes.

A launcher module has ``launch(trials, state, cwd, jobs, **options)``; it is
imported only when its launcher is chosen, so submitit and Ray load only for
their sweeps. A new launcher is one :class:`Launcher` line in :data:`LAUNCHERS`.
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any, Dict, Mapping, Sequence

from RLA.errors import UsageError
from RLA.sweep.state import SweepState
from RLA.sweep.trial import Trial
from RLA.words import pick

__all__ = ["Launcher", "LAUNCHERS", "NAMES", "get"]


@dataclass(frozen=True)
class Launcher:
    """One way to run a sweep's trials."""

    name: str
    #: what it does, for ``rla sweep --help``
    doc: str
    #: the module under RLA.sweep whose ``launch`` runs the trials
    module: str
    #: the options ``run_sweep`` passes on to it -> what each does
    options: Mapping[str, str]

    def check(self, options: Mapping[str, Any]) -> None:
        """Refuse options this launcher does not take, naming those it takes and who takes the others."""
        for option in options:
            if option not in self.options:
                takers = [other.name for other in LAUNCHERS if option in other.options]
                takes = ", ".join(map(repr, self.options)) or "none"
                where = f"; {option!r} is an option of the {' and '.join(takers)} launcher" if takers else ""
                raise UsageError(f"the {self.name} launcher has no option {option!r} (its options: {takes}){where}")

    def launch(self, trials: Sequence[Trial], state: SweepState, cwd: str, jobs: int,
               options: Mapping[str, Any]) -> None:
        """Run ``trials`` (``jobs`` at a time), noting each one's outcome in ``state``."""
        self.check(options)
        import_module(f"RLA.sweep.{self.module}").launch(trials, state, cwd, jobs, **options)


LAUNCHERS = (
    Launcher("local", "-j processes on this machine", "local", {}),
    Launcher("slurm", "one submitit job array; preempted and timed-out trials requeue themselves", "slurm",
             {"slurm": "submitit executor options, e.g. {'partition': 'gpu', 'timeout_min': 240}",
              "wait": "False: return once the job array is submitted"}),
    Launcher("ray", "-j Ray tasks, on a local Ray or the cluster at `address`", "ray_tasks",
             {"address": "the Ray cluster to join ('auto': this node's); default: start a local Ray"}),
)
NAMES = tuple(launcher.name for launcher in LAUNCHERS)
_BY_NAME: Dict[str, Launcher] = {launcher.name: launcher for launcher in LAUNCHERS}


def get(name: str) -> Launcher:
    """The launcher called ``name``; a UsageError naming the others when there is none."""
    return pick("launcher", name, _BY_NAME)
