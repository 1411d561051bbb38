"""The public surface: a name that disappears fails here, not in a user's script. Pins RLA's top-level
names, every ``from RLA... import ...`` line of the README, RLA 0.6.3's module paths, the old paths of
moved modules, and that each registry is the one list its kind of thing has."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from RLA.errors import UsageError

README = Path(__file__).resolve().parent.parent / "README.md"

TOP_LEVEL = {"ConfigError", "Database", "ExperimentLoader", "ExperimentManager", "Item", "RLAConfig", "RLAError",
             "Tester", "exp_manager", "load_config", "logger", "tester", "time_step_holder", "time_tracker"}
#: resolved on first use (heavy imports), not in __all__ but public since earlier releases
TOP_LEVEL_LAZY = {"plot_func", "summary_table", "aggregate_metrics", "performance_profiles", "MatplotlibRecorder",
                  "ImgRecorder", "VideoRecorder", "record_video", "simple_plot", "simple_hist", "simple_scatter",
                  "fork_log_file_fn", "update_hyper_parameters_fn", "experiment_data_query",
                  "single_experiment_query"}
#: module paths RLA 0.6.3 users import (its README, examples and tests)
PATHS_06 = ["RLA.easy_log.tester", "RLA.easy_log.logger", "RLA.easy_log.time_step", "RLA.easy_log.const",
            "RLA.easy_log.exp_loader", "RLA.easy_log.log_tools", "RLA.easy_log.simple_mat_plot",
            "RLA.easy_log.complex_data_recorder", "RLA.easy_log.time_used_recorder", "RLA.easy_plot.plot_func",
            "RLA.easy_plot.plot_func_v2", "RLA.easy_plot.plot_saved_images", "RLA.query_tool", "RLA.rla_argparser",
            "RLA.const", "rla_scripts.archive_expt", "rla_scripts.delete_expt", "rla_scripts.migrate_expt",
            "rla_scripts.view_expt", "rla_scripts.start_pretty_plotter", "RLA.easy_log.tools",
            "RLA.easy_plot.plot_util",
            "RLA.easy_plot.result_cls", "RLA.easy_plot.utils", "RLA.easy_tf", "RLA.easy_tf.tools",
            "RLA.easy_tf.saver_tools", "RLA.easy_torch", "RLA.easy_torch.save_tools", "RLA.exp_loader",
            "RLA.exp_loader.utils", "RLA.auto_ftp", "RLA.emb_test", "RLA.email_send"]
#: RLA 0.6 names whose work has no sense here: each fails when called, naming what to use instead
REPLACED_06 = {"RLA.easy_tf.tools": ("run_with_metadata", "tf.profiler"),
               "RLA.easy_tf.saver_tools": ("new_saver", "exp_manager.new_saver"),
               "RLA.auto_ftp": ("ftp_factory", "rla sync push"),
               "RLA.emb_test": ("EmbUnitController", "pytest"),
               "RLA.easy_plot.plot_util": ("smooth", "smooth_step="),
               "RLA.easy_plot.utils": ("results_loader", "load_runs"),
               "RLA.exp_loader.utils": ("_archive_tester_query", "single_experiment_query")}
#: modules that moved in this release -> a name each must still give
MOVED = {"RLA.cli_options": "resolve_data_root", "RLA.cli_sync": "sync_group", "RLA.cli_sweep": "sweep",
         "RLA.cli_ui": "ui_command", "RLA.cli_display": "show_plan", "RLA.cli_ops": "delete"}


def test_the_top_level_names_stay() -> None:
    import RLA

    assert set(RLA.__all__) == TOP_LEVEL
    for name in TOP_LEVEL | TOP_LEVEL_LAZY:
        assert getattr(RLA, name) is not None, name


def _readme_imports() -> list:
    lines = re.findall(r"^from (RLA[\w.]*|rla_scripts[\w.]*) import ([^#\n]+)", README.read_text(), re.M)
    assert len(lines) >= 10, "the README's examples import from RLA"
    return [(module, [name.strip() for name in names.split(",") if name.strip()]) for module, names in lines]


@pytest.mark.parametrize("module,names", _readme_imports(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_readme_import_resolves(module: str, names: list) -> None:
    loaded = importlib.import_module(module)
    for name in names:
        assert hasattr(loaded, name) or importlib.util.find_spec(f"{module}.{name}"), f"from {module} import {name}"


@pytest.mark.parametrize("path", PATHS_06)
def test_rla_06_module_paths_import(path: str) -> None:
    importlib.import_module(path)


@pytest.mark.parametrize("path", sorted(REPLACED_06))
def test_a_06_name_that_has_no_sense_here_says_what_to_use(path: str) -> None:
    name, instead = REPLACED_06[path]
    with pytest.raises(UsageError, match=f"{name} of RLA 0.6 is gone: .*{re.escape(instead)}"):
        getattr(importlib.import_module(path), name)("any", "arguments")


def test_the_06_single_file_torch_checkpoint_round_trips(tmp_path: Path) -> None:
    import torch

    from RLA.easy_log.tester import exp_manager
    from RLA.easy_torch.save_tools import load_checkpoint, save_model_dict

    exp_manager.configure(task_table_name="torch06", rla_config={"LOG_USED": ["csv"]}, data_root=str(tmp_path),
                          code_root=str(tmp_path))
    exp_manager.log_files_gen()
    save_model_dict({"w": torch.arange(3.0)})
    save_model_dict({"w": torch.arange(4.0)})  # overwritten, as in 0.6
    assert load_checkpoint(exp_manager)["w"].tolist() == [0.0, 1.0, 2.0, 3.0]
    exp_manager.finish()


@pytest.mark.parametrize("path,name", sorted(MOVED.items()))
def test_moved_modules_keep_their_old_paths(path: str, name: str) -> None:
    assert getattr(importlib.import_module(path), name) is not None


def test_the_old_home_of_delete_and_archive_names_the_new_one() -> None:
    from RLA.console import plans

    for name in ("delete", "clean", "archive", "migrate"):
        with pytest.raises(ImportError, match=rf"from RLA\.console\.plans import {name}`"):
            exec(f"from RLA.db.ops import {name}", {})
        assert callable(getattr(plans, name))


def test_each_registry_is_the_one_list_of_its_kind() -> None:
    from RLA import config, environment, plot_bands
    from RLA.db import data_types, layout
    from RLA.easy_log import const, output_formats
    from RLA.sweep import launchers, run

    assert layout.DATA_TYPES == tuple(t.name for t in data_types.TYPES)
    assert (const.LOG, const.CODE, const.CHECKPOINT, const.ARCHIVE_TESTER, const.OTHER_RESULTS, const.HYPARAMETER,
            const.TMP_DATA) == layout.DATA_TYPES
    assert set(config.SYNC_TYPES) <= set(layout.DATA_TYPES)
    assert tuple(output_formats.WRITERS) == config.LOG_FORMATS
    assert run.LAUNCHERS == launchers.NAMES == ("local", "slurm", "ray")
    assert plot_bands.NAMES == ("std", "stderr", "range", "ci")
    names = [variable.name for variable in environment.VARIABLES]
    assert len(names) == len(set(names)) and all(name.startswith("RLA_") for name in names)


def test_every_rla_variable_read_in_the_code_is_in_the_registry() -> None:
    from RLA import environment

    package = README.parent / "RLA"
    known = {variable.name for variable in environment.VARIABLES}
    for path in package.rglob("*.py"):
        if path.name == "environment.py":
            continue
        for name in re.findall(r"[\"'](RLA_[A-Z_]+)[\"']", path.read_text(encoding="utf-8")):
            assert name in known, f"{path.relative_to(package.parent)} names {name}: declare it in RLA/environment.py"
