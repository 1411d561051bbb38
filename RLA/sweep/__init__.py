"""Sweeps: a grid or random space of parameters, one RLA item per trial, on local processes, SLURM or Ray.

    from RLA.sweep import run_sweep
    run_sweep("lr_scan", ["python", "main.py"], data_root="../",
              grid=[("lr", [1e-3, 3e-4]), ("seed", [0, 1, 2])], jobs=2)

Each trial runs the command with ``--key=value`` appended and ``RLA_RESUME=auto``
and ``RLA_SWEEP=<name>`` in its environment; the experiment manager records
``sweep=<name>`` as a parameter of its item. Running the same sweep again runs
only the trials that are not finished. Ray and submitit are imported only by
their launchers.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

#: public name -> its module; imported on first use so the experiment manager's import stays light
_EXPORTS = {
    "LAUNCHERS": "run", "run_sweep": "run", "sweep_status": "run",
    "Distribution": "space", "expand": "space", "parse_grid": "space", "parse_random": "space",
    "SweepState": "state", "TrialStatus": "state", "SWEEP_ENV": "trial", "Trial": "trial",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'RLA.sweep' has no attribute {name!r}")
    return getattr(import_module(f"RLA.sweep.{_EXPORTS[name]}"), name)
