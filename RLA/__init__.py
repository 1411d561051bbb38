"""RLA: reinforcement-learning experiments managed as a database.

``import RLA`` stays light: the plotting and checkpoint helpers are loaded on
first use.
"""
from __future__ import annotations

from typing import Any

from RLA.config import ConfigError, RLAConfig, load_config
from RLA.const import *  # noqa: F401,F403
from RLA.db import Database, Item
from RLA.easy_log import logger
from RLA.easy_log.const import *  # noqa: F401,F403  (RLA 0.6's constants: LOG, CHECKPOINT, ...)
from RLA.easy_log.tester import ExperimentManager, Tester, exp_manager, tester
from RLA.easy_log.time_step import time_step_holder
from RLA.easy_log.time_tracker import time_tracker
from RLA.errors import RLAError

__version__ = "1.0.0"

__all__ = [
    "ConfigError",
    "Database",
    "ExperimentLoader",  # noqa: F405  (lazy: resolved by __getattr__ below)
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

# public names whose modules import heavy libraries: resolved on first access
_LAZY = {
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


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'RLA' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module_name), name)
