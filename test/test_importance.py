"""Hyper-parameter importance with the seeds of each configuration aggregated, on runs of the real exp_manager
where one parameter drives the score and another is noise."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import build_database

from RLA.cli import main
from RLA.db.layout import Database
from RLA.easy_plot.importance import param_importance, varying_parameters

# lr sets the level of the return; optimizer is noise; each seed adds its own noise
BUILD = """
import sys
import numpy as np
from RLA.easy_log.tester import exp_manager
from RLA.easy_log import logger

data_root, code_root = sys.argv[1], sys.argv[2]
levels = {0.0001: 0.2, 0.001: 0.5, 0.01: 0.9}
for lr, level in levels.items():
    for optimizer in ("adam", "sgd"):
        for seed in range(3):
            exp_manager.configure("pendulum", {"LOG_USED": ["csv"], "DL_FRAMEWORK": "none"}, data_root,
                                  code_root=code_root)
            exp_manager.set_hyper_param(lr=lr, optimizer=optimizer, seed=seed, env="Pendulum-v1")
            exp_manager.add_record_param(["lr", "optimizer", "seed"])
            exp_manager.log_files_gen()
            noise = np.random.default_rng([seed, int(lr * 1e4), len(optimizer)]).normal(0, 0.15)
            for t in range(5):
                exp_manager.time_step_holder.set_time(t * 100)
                logger.record_tabular("eval/return", level * t / 4 + noise)
                logger.dump_tabular()
            exp_manager.finish()
"""


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_database(tmp_path_factory.mktemp("importance"), BUILD)


def test_the_parameter_that_drives_the_score_ranks_first(db: Path) -> None:
    assert varying_parameters(db, ["pendulum"]) == ["lr", "optimizer"]  # the seed and the constant env aside
    result = param_importance(db, "pendulum", "eval/return", n_bootstrap=10)
    parameters = result.parameters.set_index("parameter")
    assert list(parameters.index) == ["lr", "optimizer"]
    assert parameters.loc["lr", "importance"] > 0.5 > parameters.loc["optimizer", "importance"]
    assert parameters.loc["lr", "low"] > parameters.loc["optimizer", "high"]
    assert parameters["values"].to_dict() == {"lr": 3, "optimizer": 2}

    # one configuration per lr and optimizer, its score the mean over its 3 seeds (read back with pandas)
    configurations = result.configurations
    assert len(configurations) == 6 and set(configurations["seeds"]) == {3}
    finals: dict = {}
    for item in Database(db).items("pendulum"):
        params = json.loads(item.params_json.read_text())
        finals.setdefault((str(params["lr"]), params["optimizer"]), []).append(
            pd.read_csv(item.progress_csv)["eval/return"].iloc[-1])
    for row in configurations.itertuples(index=False):
        assert row.score == pytest.approx(np.mean(finals[(row.lr, row.optimizer)]), rel=1e-12)
        assert row.std == pytest.approx(np.std(finals[(row.lr, row.optimizer)], ddof=1), rel=1e-9)


def test_rla_importance_shows_the_seed_count(db: Path) -> None:
    result = CliRunner().invoke(main, ["importance", "-d", str(db), "-t", "pendulum", "-m", "eval/return",
                                       "--reps", "5", "--configurations"], env={"COLUMNS": "80"},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "6 configurations of 3 seeds each" in result.output and max(map(len, lines)) <= 80
    # the title wrapped at the terminal's width, not at the (narrower) table's
    assert lines[0].startswith("6 configurations of 3 seeds each; importance: the drop in R² when a parameter")
    assert next(line for line in lines if "lr" in line and "[" in line).split()[0] == "lr"
    refused = CliRunner().invoke(main, ["importance", "-d", str(db), "-t", "pendulum", "-m", "eval/return",
                                        "-p", "seed"])
    assert refused.exit_code != 0 and "differ in no parameter but their seed" in refused.output
