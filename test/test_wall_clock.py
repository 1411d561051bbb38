"""Curves and tables against wall-clock time: every row's wall_time (RLA 0.6's timestamp read the same),
the x axes of plot_func and rla plot, and the runtime table."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import log_run

from RLA.cli import main
from RLA.db.layout import Database
from RLA.easy_log.tester import exp_manager
from RLA.easy_plot.plot_func import curve_data, plot_func
from RLA.easy_plot.runtime import runtime_table

START = 1_700_000_000.0


def _timed_runs(data_root: Path) -> None:
    """Two runs of 10 rows, 100 steps apart: seed 1 logs a row every 2 s, seed 2 every 4 s (their own wall_time)."""
    for seed, every in ((1, 2.0), (2, 4.0)):
        log_run(data_root, "timed", {"algo": "x", "seed": seed},
                [(100 * t, {"ret": float(t * seed), "wall_time": START + every * t}) for t in range(10)])
        exp_manager.finish()


def _legacy_run(data_root: Path) -> None:
    """A run as RLA 0.6 logged it: a timestamp column, no wall_time, no run.json."""
    item = Database(data_root).item("timed", "2022/03/01/21-13-03-230208_11.0.91.89_&algo=x&seed=3")
    item.log_dir.mkdir(parents=True)
    rows = "\n".join(f"{100 * t},{START + 3 * t},{2.0 * t}" for t in range(10))
    item.progress_csv.write_text(f"time-step,timestamp,ret\n{rows}\n")
    (item.log_dir / "params.json").write_text('{"algo": "x", "seed": 3}')


def test_runtime_table_of_runs_and_groups(data_root: Path) -> None:
    _timed_runs(data_root)
    _legacy_run(data_root)
    runtime = runtime_table(data_root, "timed", None, ["seed"])
    runs = runtime.runs.set_index("seed").sort_index()
    assert runs["steps"].tolist() == [900, 900, 900] and runs["rows"].tolist() == [10, 10, 10]
    assert runs["seconds"].tolist() == [18.0, 36.0, 27.0]  # seed 3: from 0.6's timestamp column
    assert runs["steps_per_second"].tolist() == [50.0, 25.0, pytest.approx(900 / 27)]
    everyone = runtime_table(data_root, "timed", None, ["algo"]).groups.iloc[0]
    assert (everyone["runs"], everyone["timed"]) == (3, 3)
    assert everyone["total_seconds"] == 81.0 and everyone["mean_seconds"] == 27.0

    shown = CliRunner().invoke(main, ["table", "-d", str(data_root), "-t", "timed", "-k", "seed", "--runtime"],
                               env={"COLUMNS": "80"}, catch_exceptions=False).output
    assert "0:00:18" in shown and "0:00:36" in shown and " 50 " in shown and " 25 " in shown

    untimed = Database(data_root).item("timed", "2021/01/01/00-00-00-000000_11.0.91.89_&algo=y&seed=4")
    untimed.log_dir.mkdir(parents=True)  # logged before rows carried their time
    untimed.progress_csv.write_text("time-step,ret\n0,1.0\n100,2.0\n")
    (untimed.log_dir / "params.json").write_text('{"algo": "y", "seed": 4}')
    groups = runtime_table(data_root, "timed", None, ["algo"]).groups.set_index("algo")
    assert groups.loc["y", "timed"] == 0 and np.isnan(groups.loc["y", ["mean_seconds", "total_seconds"]]).all()
    shown = CliRunner().invoke(main, ["table", "-d", str(data_root), "-t", "timed", "-k", "algo", "--runtime"],
                               env={"COLUMNS": "80"}, catch_exceptions=False).output
    assert next(line for line in shown.splitlines() if " y " in line).split()[-3:] == ["-", "-", "-"]


def test_curves_against_wall_clock_time(data_root: Path) -> None:
    _timed_runs(data_root)
    _legacy_run(data_root)
    data = curve_data(data_root, "timed", None, ["seed"], ["ret"], x="seconds", resample=0)
    for seed, every in (("1", 2.0), ("2", 4.0), ("3", 3.0)):
        curve = data[data["seed"] == seed]
        assert curve["x"].tolist() == [every * t for t in range(10)]  # seconds since the run's first row
        assert curve["mean"].tolist() == [t * {"1": 1.0, "2": 2.0, "3": 2.0}[seed] for t in range(10)]
    hours = curve_data(data_root, "timed", None, [], ["ret"], x="hours", resample=3, x_range="union")
    assert hours["x"].tolist() == pytest.approx([0, 18 / 3600, 36 / 3600])

    figure, drawn = plot_func(data_root, "timed", None, ["seed"], ["ret"], x="minutes", save_name="wall")
    assert figure.axes[0].get_xlabel() == "wall-clock minutes"
    assert drawn.groupby("seed")["x"].max().to_dict() == {"1": 0.3, "2": 0.6, "3": 0.45}
    shown = CliRunner().invoke(main, ["plot", "-d", str(data_root), "-t", "timed", "-m", "ret", "-k", "seed",
                                      "--x", "hours"], catch_exceptions=False).output
    assert "3 runs in 3 curves" in shown


def test_logged_rows_carry_their_wall_time_and_runs_without_it_are_said(data_root: Path) -> None:
    log_run(data_root, "live", {"seed": 1}, [(step, {"ret": step / 10}) for step in range(0, 50, 10)])
    exp_manager.finish()
    (item,) = Database(data_root).items("live")
    wall = pd.read_csv(item.progress_csv)["wall_time"].to_numpy()
    assert len(wall) == 5 and (np.diff(wall) >= 0).all()
    data = curve_data(data_root, "live", None, [], ["ret"], x="seconds", resample=0)
    assert data["x"].tolist() == pytest.approx(np.unique(wall - wall[0]).tolist())  # rows of one ms: one point

    old = Database(data_root).item("live", "2021/01/01/00-00-00-000000_11.0.0.1_&seed=2")
    old.log_dir.mkdir(parents=True)
    old.progress_csv.write_text("time-step,ret\n0,1.0\n10,2.0\n")
    with pytest.warns(RuntimeWarning, match="1 of 2 runs have no wall-clock time"):
        data = curve_data(data_root, "live", None, [], ["ret"], x="seconds")
    assert data.attrs["runs"][0]["index"] == item.index and len(data.attrs["runs"]) == 1
