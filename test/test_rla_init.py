"""`rla init` in an existing project, then the generated main.py run for real."""
from __future__ import annotations

import json

from click.testing import CliRunner
from conftest import run_python

from RLA.cli import main
from RLA.config import load_config
from RLA.db import Database
from RLA.integrations.init_project import init_project, template_text


def test_rla_init_then_main_py_creates_a_database_item(tmp_path):
    project = tmp_path / "my_project"
    project.mkdir()
    (project / "train_utils.py").write_text("X = 1\n")

    result = CliRunner().invoke(main, ["init", str(project), "--task", "cartpole"])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "main.py" in result.output
    config_text = (project / "rla_config.yaml").read_text()
    assert config_text == template_text("rla_config.yaml").replace('DATA_ROOT: ""', 'DATA_ROOT: "rla_data"')
    assert config_text.count("#") > 10
    config = load_config(str(project / "rla_config.yaml"))
    assert config.LOG_USED and config.data_root() == str(project / "rla_data")

    run = run_python(project / "main.py", "--lr", "0.01", "--info", "first try", "--steps", "30")
    assert run.returncode == 0, run.stderr

    (item,) = Database(project / "rla_data").items("cartpole")
    assert item.name.endswith("_&info=first try&lr=0.01&seed=1")
    log_dir = item.path("log")
    assert json.loads((log_dir / "run.json").read_text())["status"] == "finished"
    assert json.loads((log_dir / "params.json").read_text())["loaded_date"] == ""
    assert "train/score" in (log_dir / "progress.csv").read_text().splitlines()[0]
    assert (item.path("code") / "train_utils.py").exists()
    assert not (item.path("code") / "rla_data").exists()


def test_init_keeps_existing_files_unless_forced(tmp_path):
    (tmp_path / "main.py").write_text("print('mine')\n")
    result = init_project(tmp_path)
    assert result.kept == [tmp_path / "main.py"] and result.written == [tmp_path / "rla_config.yaml"]
    assert (tmp_path / "main.py").read_text() == "print('mine')\n"
    assert init_project(tmp_path, force=True).written == [tmp_path / "rla_config.yaml", tmp_path / "main.py"]


def test_init_names_the_table_after_the_folder_and_reports_errors(tmp_path):
    project = tmp_path / "Hopper v2"
    project.mkdir()
    assert init_project(project).task_table_name == "Hopper_v2"
    result = CliRunner().invoke(main, ["init", str(tmp_path / "missing")])
    assert result.exit_code != 0 and "create it first" in result.output
