"""rla_config.yaml -> RLAConfig: defaults, old key names, clear errors."""
from pathlib import Path

import pytest

from RLA import exp_manager
from RLA.config import ConfigError, RLAConfig, load_config

REPO_CONFIG = Path(__file__).resolve().parents[1] / "rla_config.yaml"


def test_repository_config_loads_with_documented_values():
    config = load_config(REPO_CONFIG)
    assert config.LOG_USED == ["stdout", "log", "csv", "tensorboard"]
    assert config.PROJECT_TYPE.backup_code_by == "source"
    assert config.BACKUP_CONFIG.backup_code_dir == ["."]
    assert config.REMOTE_SETTING.port == 22
    assert config.source == str(REPO_CONFIG)


def test_two_line_config_takes_defaults_for_every_other_key(tmp_path):
    path = tmp_path / "rla_config.yaml"
    path.write_text("LOG_USED: [csv]\nDL_FRAMEWORK: none\n")
    config = load_config(path)
    defaults = RLAConfig()
    assert config.LOG_USED == ["csv"]
    assert config.DL_FRAMEWORK == "none"
    assert config.BACKUP_CONFIG == defaults.BACKUP_CONFIG
    assert config.REMOTE_SETTING == defaults.REMOTE_SETTING


def test_empty_file_and_empty_dict_are_valid(tmp_path):
    path = tmp_path / "rla_config.yaml"
    path.write_text("")
    assert load_config(path).to_dict() == RLAConfig().to_dict()
    assert load_config({}).to_dict() == RLAConfig().to_dict()


def test_older_remote_key_name_is_read():
    config = load_config({"REMOTE_SETTING": {"remote_log_root": "/srv/rla"}})
    assert config.REMOTE_SETTING.remote_data_root == "/srv/rla"


def test_typo_names_the_key_the_file_and_a_suggestion(tmp_path):
    path = tmp_path / "rla_config.yaml"
    path.write_text("BACKUP_CONFIG:\n  backup_code_dirs: [src]\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert str(path) in message
    assert "BACKUP_CONFIG.backup_code_dirs" in message
    assert "backup_code_dir" in message.split("did you mean")[1]


def test_wrong_type_names_the_expected_type(tmp_path):
    path = tmp_path / "rla_config.yaml"
    path.write_text("SEND_LOG_FILE: 'yes'\n")
    with pytest.raises(ConfigError, match=r"SEND_LOG_FILE.*must be of type bool.*'yes'"):
        load_config(path)
    with pytest.raises(ConfigError, match=r"REMOTE_SETTING.port.*must be of type int"):
        load_config({"REMOTE_SETTING": {"port": "22"}})


def test_unknown_log_format_lists_the_valid_ones():
    with pytest.raises(ConfigError, match=r"LOG_USED.*'tensorbord'.*stdout, log, csv, json, tensorboard"):
        load_config({"LOG_USED": ["csv", "tensorbord"]})


def test_invalid_yaml_and_missing_file_are_clear(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("LOG_USED: [csv\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)
    with pytest.raises(ConfigError, match=f"does not exist.*run `rla init` in {tmp_path} to write"):
        load_config(tmp_path / "missing.yaml")


def test_configure_reports_a_bad_config_before_touching_the_database(data_root):
    with pytest.raises(ConfigError, match="DL_FRAMWORK.*did you mean 'DL_FRAMEWORK'"):
        exp_manager.configure(task_table_name="t", rla_config={"DL_FRAMWORK": "torch"}, data_root=data_root)
    assert not data_root.exists()


def test_data_root_in_the_config_is_relative_to_the_file_and_used_by_configure(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    path = project / "rla_config.yaml"
    path.write_text("DATA_ROOT: ../runs\nLOG_USED: [csv]\n")
    assert load_config(path).data_root() == str(tmp_path / "runs")
    exp_manager.configure(task_table_name="t", rla_config=str(path))
    item = exp_manager.log_files_gen()
    assert item.path("log").is_relative_to(tmp_path / "runs")


def test_old_framework_spellings_are_read():
    assert load_config({"DL_FRAMEWORK": "pytorch"}).DL_FRAMEWORK == "torch"
    assert load_config({"DL_FRAMEWORK": "tf"}).DL_FRAMEWORK == "tensorflow"


def test_an_empty_value_is_not_set_as_in_rla_06_configs(tmp_path):
    path = tmp_path / "rla_config.yaml"
    path.write_text("DL_FRAMEWORK: torch\nREMOTE_SETTING:\n  ftp_server: ''\n  port: ''\n  username: ''\n"
                    "  file_transfer_protocol: 'sftp'\n")
    config = load_config(path)
    assert config.REMOTE_SETTING.port == 22 and config.REMOTE_SETTING.ftp_server == ""
