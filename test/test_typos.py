"""A typo is named, with the closest known names, instead of answering nothing: an unknown table,
status, parameter or metric, in `rla ls`, `rla rm`, `rla plot`, `plot_func` and the Python API."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import subprocess_env
from db_builder import db, template_db  # noqa: F401

from RLA.cli import main
from RLA.db.select import ItemFilter
from RLA.easy_plot.plot_func import curve_data
from RLA.errors import ItemNotFoundError, UsageError


def _rla(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "RLA.cli", *args], capture_output=True, text=True,
                          env=subprocess_env({"COLUMNS": "80"}), timeout=60)


@pytest.mark.parametrize("command", [["ls"], ["rm", "--yes"], ["archive", "--yes"], ["show"], ["tb"]])
def test_an_unknown_table_is_named_with_the_closest_ones(db: Path, command):
    result = _rla(*command, "-d", str(db), "-t", "hoper")
    assert result.returncode != 0
    assert "no table 'hoper'" in result.stderr and "did you mean hopper?" in result.stderr
    assert "tables: hopper, walker" in result.stderr
    assert len(list((db / "log" / "hopper").rglob("run.json"))) == 4  # nothing was touched


def test_plot_and_plot_func_name_an_unknown_table(db: Path):
    result = _rla("plot", "-d", str(db), "-t", "walkr", "-m", "perf/reward")
    assert result.returncode != 0 and "no table 'walkr'" in result.stderr and "did you mean walker?" in result.stderr
    with pytest.raises(ItemNotFoundError, match=r"no table 'walkr'.*did you mean walker\?"):
        curve_data(db, "walkr", None, [], ["perf/reward"])


def test_an_unknown_status_is_named_with_the_closest_ones(db: Path):
    result = _rla("ls", "-d", str(db), "-t", "hopper", "-s", "finshed")
    assert result.returncode != 0 and "no status 'finshed' (did you mean finished" in result.stderr
    with pytest.raises(UsageError, match="no status 'finshed'"):
        ItemFilter(status="finshed")
    assert _rla("ls", "-d", str(db), "-t", "hopper", "-s", "lost").returncode == 0  # shown statuses are known


def test_a_where_on_a_parameter_no_item_has_says_so(db: Path):
    result = _rla("ls", "-d", str(db), "-t", "hopper", "-w", 'enviroment == "Hopper-v4" and sed == 1')
    assert result.returncode == 0 and "0 items" in result.stdout
    assert "no item has the parameter 'enviroment'" in result.stderr
    assert "no item has the parameter 'sed' (did you mean seed?)" in result.stderr
    assert "note" not in _rla("ls", "-d", str(db), "-t", "hopper", "-w", "lr > 1").stderr  # known, just unmatched


def test_a_metric_column_of_a_key_no_run_logged_says_so(db: Path):
    result = _rla("ls", "-d", str(db), "-t", "hopper", "-c", "final:perf/rewad", "-c", "best:perf/reward")
    assert result.returncode == 0 and "5 items" in result.stdout
    assert "no item shown logged 'perf/rewad' (did you mean perf/reward?)" in result.stderr
    assert "perf/reward'" not in result.stderr  # logged: its column has the values


def test_an_empty_selection_keeps_the_columns_asked_for(db: Path):
    result = CliRunner().invoke(main, ["ls", "-d", str(db), "-t", "hopper", "-w", "lr > 1", "-c", "status",
                                       "-c", "params.lr"], catch_exceptions=False)
    assert result.exit_code == 0 and "0 items" in result.stdout
    assert "status" in result.stdout and "lr" in result.stdout


def test_a_split_key_no_run_has_is_named(db: Path):
    with pytest.warns(UserWarning, match=r"no run has the parameter 'lrr' \(did you mean lr\?\)"):
        data = curve_data(db, "hopper", None, ["lrr"], ["perf/reward"])
    assert set(data["legend"]) == {"lrr=NF"}  # every run in the one group
