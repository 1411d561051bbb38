"""RLA: reinforcement-learning experiments managed as a database.

``import RLA`` loads nothing but this file: each public name (``exp_manager``,
``logger``, ``Database``, ``plot_func``, RLA 0.6's constants, ...) is imported
on first use, so a process that only needs one part of RLA (a SLURM array task
of a sweep, ``rla --help``, a data loader) pays only for that part.
"""
from __future__ import annotations

import importlib
import importlib.util
from typing import Any, List

__version__ = "1.0.0"

__all__ = [
    "ConfigError",
    "Database",
    "ExperimentLoader",
    "ExperimentManager",
    "Item",
    "RLAConfig",
    "RLAError",
    "exp_manager",
    "load_config",
    "logger",
    "tester",
    "time_step_holder",
    "time_tracker",
    "Tester",
]

#: public name -> the module that defines it
_LAZY = {
    "ConfigError": "RLA.config",
    "RLAConfig": "RLA.config",
    "load_config": "RLA.config",
    "Database": "RLA.db",
    "Item": "RLA.db",
    "ExperimentManager": "RLA.easy_log.tester",
    "exp_manager": "RLA.easy_log.tester",
    "tester": "RLA.easy_log.tester",
    "Tester": "RLA.easy_log.tester",
    "time_step_holder": "RLA.easy_log.time_step",
    "time_tracker": "RLA.easy_log.time_tracker",
    "RLAError": "RLA.errors",
    "ExperimentLoader": "RLA.easy_log.exp_loader",
    "fork_log_file_fn": "RLA.easy_log.exp_loader",
    "update_hyper_parameters_fn": "RLA.easy_log.exp_loader",
    "experiment_data_query": "RLA.query_tool",
    "single_experiment_query": "RLA.query_tool",
    "plot_func": "RLA.easy_plot.plot_func",
    "summary_table": "RLA.easy_plot.scores",
    "aggregate_metrics": "RLA.easy_plot.aggregate",
    "performance_profiles": "RLA.easy_plot.aggregate",
    "MatplotlibRecorder": "RLA.easy_log.complex_data_recorder",
    "ImgRecorder": "RLA.easy_log.complex_data_recorder",
    "VideoRecorder": "RLA.easy_log.complex_data_recorder",
    "record_video": "RLA.easy_log.complex_data_recorder",
    "simple_plot": "RLA.easy_log.simple_mat_plot",
    "simple_hist": "RLA.easy_log.simple_mat_plot",
    "simple_scatter": "RLA.easy_log.simple_mat_plot",
}
#: public names that are modules themselves (``from RLA import logger``)
_MODULES = {"logger": "RLA.easy_log.logger"}
#: RLA 0.6 re-exported every constant of these modules from the package (``from RLA import LOG``)
_CONSTANT_MODULES = ("RLA.easy_log.const", "RLA.const")


def _resolve(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(_MODULES[name])
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    for module_name in _CONSTANT_MODULES:
        module = importlib.import_module(module_name)
        if name in module.__all__:
            return getattr(module, name)
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        # a subpackage used as an attribute (``import RLA; RLA.easy_log.tester``): importing RLA used to load it
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'RLA' has no attribute {name!r}")


def __getattr__(name: str) -> Any:
    value = _resolve(name)
    globals()[name] = value
    return value


def __dir__() -> List[str]:
    return sorted({*globals(), *_LAZY, *_MODULES})
