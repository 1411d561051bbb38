"""``rla ls`` over the query index: metric columns (the final, best, lowest or last value of a key of
progress.csv, a sparse key read from the rows that hold it), sorting and filtering by them, the
first page of a large selection, and ``--json`` giving every item as it is read."""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Dict, List

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import build_database

from RLA.cli import main
from RLA.db import query
from RLA.db.select import ItemFilter

BUILD = """
import sys
from RLA.easy_log.tester import exp_manager
from RLA.easy_log import logger
data_root, code_root = sys.argv[1], sys.argv[2]
for lr in (1e-3, 3e-4):
    for seed in (0, 1, 2):
        exp_manager.configure("demo", {"LOG_USED": ["csv"], "DL_FRAMEWORK": "none"}, data_root, code_root=code_root)
        exp_manager.set_hyper_param(lr=lr, seed=seed, env="Hopper-v4")
        exp_manager.add_record_param(["lr", "seed"])
        exp_manager.log_files_gen()
        for t in range(20):
            exp_manager.time_step_holder.set_time(t * 1000)
            logger.record_tabular("train/loss", 1.0 / (t + 1) + seed)
            if t % 5 == 4:  # a key logged at its own steps: empty cells in the other rows
                value = float("nan") if (seed == 2 and t == 19) else lr * 1e5 * (t + 1) + seed
                logger.record_tabular("eval/return", value)
            logger.dump_tabular()
        exp_manager.finish("finished")
"""


@pytest.fixture(scope="module")
def metric_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_database(tmp_path_factory.mktemp("metrics"), BUILD)


def ls(*args: str, width: int = 80) -> "object":
    return CliRunner().invoke(main, ["ls", *args], env={"COLUMNS": str(width)}, catch_exceptions=False)


def values(root: Path, key: str) -> Dict[str, List[float]]:
    """Each run's logged values of ``key``, read back with pandas (empty cells left out, NaN kept)."""
    return {record.index: [float(v) for v in pd.read_csv(record.item.progress_csv, dtype=str,
                                                         keep_default_na=False)[key] if v != ""]
            for record in query.scan(root)}


def test_metric_columns_read_at_80_columns(metric_db: Path):
    result = ls("-d", str(metric_db), "-c", "eval/return", "-c", "min:train/loss", "-c", "last:eval/return",
                "-c", "status")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all(len(line) <= 80 for line in lines), result.output
    assert "eval/return" in lines[1] and "min:train/loss" in lines[1] and "last:eval/return" in lines[1]
    returns, losses = values(metric_db, "eval/return"), values(metric_db, "train/loss")
    for record, line in zip(query.scan(metric_db), lines[3:]):
        finite = [v for v in returns[record.index] if math.isfinite(v)]
        cells = line.split()
        assert cells[-4:] == [f"{finite[-1]:.4g}", f"{min(losses[record.index]):.4g}",
                              "nan" if math.isnan(returns[record.index][-1]) else f"{returns[record.index][-1]:.4g}",
                              "finished"], line


def test_sorted_and_filtered_by_a_metric(metric_db: Path):
    records = query.Listing(metric_db, ItemFilter(where='final("eval/return") > 1000'), sort="final:eval/return",
                            descending=True, metrics=["final:eval/return", "best:eval/return"]).page(0, 10)
    finals = [r.metrics["final:eval/return"] for r in records]
    assert finals == sorted(finals, reverse=True) and all(v > 1000 for v in finals) and len(finals) == 3
    assert all(r.params["lr"] == 1e-3 for r in records)
    assert all(r.metrics["best:eval/return"] >= r.metrics["final:eval/return"] for r in records)
    result = ls("-d", str(metric_db), "-w", 'max("train/loss") > 1.5', "--sort", "max:train/loss", "--desc",
                "-c", "max:train/loss", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert [r["metrics"]["max:train/loss"] for r in listed] == [3, 3, 2, 2]
    assert [r["params"]["seed"] for r in listed] == [2, 2, 1, 1]


def test_a_metric_column_no_run_has_is_named_with_the_closest(metric_db: Path):
    result = CliRunner().invoke(main, ["ls", "-d", str(metric_db), "-c", "eval/retrun"])
    assert result.exit_code != 0 and "eval/retrun" in result.output and "final:<key>" in result.output


def test_a_large_selection_shows_its_first_page_and_json_gives_every_item(metric_db: Path):
    result = ls("-d", str(metric_db), "--limit", "2", "--sort", "params.seed")
    assert result.exit_code == 0, result.output
    assert "6 items in" in result.stdout and "the first 2 of 6 items shown" in result.stderr
    assert [line.split()[-1] for line in result.stdout.splitlines()[-2:]] == ["0", "0"]  # the seeds, sorted
    streamed = ls("-d", str(metric_db), "--json", "--limit", "2")
    expected = [r.to_dict() for r in query.select(metric_db, ItemFilter())]
    assert json.loads(streamed.stdout) == json.loads(json.dumps(expected, default=str))
    assert len(streamed.stdout.splitlines()) == len(expected) + 2  # one run a line, between [ and ]
    empty = ls("-d", str(metric_db), "--json", "-w", "seed > 99")
    assert json.loads(empty.stdout) == []
