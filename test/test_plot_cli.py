"""`rla plot`: the same plot_func from the command line."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import log_run

from RLA.cli import main
from RLA.easy_log.tester import exp_manager


def _make_runs(data_root: Path) -> None:
    for lr in (0.1, 0.2):
        for seed in (1, 2):
            log_run(data_root, "cli_task", {"lr": lr, "seed": seed},
                    [(t, {"eval/ret": lr * t + seed}) for t in range(5)])
    exp_manager.finish()


def test_rla_plot_saves_the_grouped_figure_and_prints_a_table(data_root: Path) -> None:
    _make_runs(data_root)
    result = CliRunner().invoke(main, ["plot", "-d", str(data_root), "-t", "cli_task", "-m", "eval/ret", "-k", "lr",
                                       "--band", "std", "--band", "ci", "--resample", "0", "--table", "final"])
    assert result.exit_code == 0, result.output
    figure_dir = data_root / "results" / "easy_plot"
    assert (figure_dir / "cli_task-eval_ret-by-lr.png").exists()
    assert (figure_dir / "cli_task-eval_ret-by-lr.pdf").exists()
    assert "4 runs in 2 curves: 2 of eval/ret" in result.output
    # final values: lr=0.1 -> 0.4 + {1, 2}; lr=0.2 -> 0.8 + {1, 2}
    assert "| cli_task | 0.1 | 1.9 ± 0.707 | 2 |" in result.output
    assert "| cli_task | 0.2 | 2.3 ± 0.707 | 2 |" in result.output


def test_rla_plot_counts_curves_per_metric_and_selects_like_rla_ls(data_root: Path) -> None:
    _make_runs(data_root)
    result = CliRunner().invoke(main, ["plot", "-d", str(data_root), "-t", "cli_task", "-m", "eval/ret", "-m",
                                       "time-step", "-k", "lr"])
    assert result.exit_code == 0, result.output
    assert "4 runs in 4 curves: 2 of eval/ret, 2 of time-step" in result.output
    result = CliRunner().invoke(main, ["plot", "-d", str(data_root), "-t", "cli_task", "-m", "eval/ret", "-k", "seed",
                                       "-r", "*/*/*/*lr=0.1*", "--table", "final"])
    assert result.exit_code == 0, result.output
    assert "2 runs in 2 curves: 2 of eval/ret" in result.output
    assert "| cli_task | 1 | 1.4 ± nan | 1 |" in result.output and "| cli_task | 2 | 2.4 ± nan | 1 |" in result.output
    result = CliRunner().invoke(main, ["plot", "-d", str(data_root), "-t", "cli_task", "-m", "eval/ret", "-k", "lr",
                                       "-w", "lr == 0.2 and seed == 1"])
    assert result.exit_code == 0, result.output
    assert "1 run in 1 curve: 1 of eval/ret" in result.output


def test_rla_plot_reports_what_to_fix(data_root: Path) -> None:
    _make_runs(data_root)
    result = CliRunner().invoke(main, ["plot", "-d", str(data_root), "-t", "cli_task", "-m", "eval/rett"])
    assert result.exit_code == 1  # the closest, then the columns the csv has, not only the ones plot_func read
    assert "none of the 4 runs logged 'eval/rett' (did you mean eval/ret?); their progress.csv columns: eval/ret, " \
           "time-step" in " ".join(result.output.split())
    with pytest.warns(UserWarning, match=re.escape("no selected run logged 'eval/rett' (did you mean eval/ret?): "
                                                   "drawing eval/ret")):
        result = CliRunner().invoke(main, ["plot", "-d", str(data_root), "-t", "cli_task", "-m", "eval/rett", "-m",
                                           "eval/ret"])
    assert result.exit_code == 0, result.output
    with pytest.warns(UserWarning, match=re.escape("no run has the parameter 'lrr' (did you mean lr?)")):
        result = CliRunner().invoke(main, ["plot", "-d", str(data_root), "-t", "cli_task", "-m", "eval/ret", "-k",
                                           "lrr"])
    assert result.exit_code == 0 and "4 runs in 1 curve: 1 of eval/ret" in result.output
    result = CliRunner().invoke(main, ["plot", "-d", str(data_root), "-t", "cli_task", "-m", "eval/ret",
                                       "-r", "1999/*"])
    assert result.exit_code == 1 and "no item of table 'cli_task' matches" in result.output


def test_rla_plot_names_each_figure_by_what_it_draws(data_root: Path) -> None:
    """The README's two rla plot lines: another selection or grouping is another file, never a replaced one."""
    _make_runs(data_root)
    saved = set()
    plot = ["plot", "-d", str(data_root), "-t", "cli_task", "-m", "eval/ret"]
    for extra in ([], ["-k", "seed"], ["-r", "*lr=0.1*"], ["-w", "seed == 1"], ["-r", "*lr=0.1*", "--save-name", "x"]):
        result = CliRunner().invoke(main, [*plot, *extra])
        assert result.exit_code == 0, result.output
        (png,) = [line.split()[-1] for line in result.output.splitlines() if line.endswith(".png")]
        saved.add(Path(png).name)
    assert len(saved) == 5 and "cli_task-eval_ret.png" in saved and "cli_task-eval_ret-by-seed.png" in saved
    assert "x.png" in saved
    again = CliRunner().invoke(main, [*plot, "-r", "*lr=0.1*"])
    assert [line for line in again.output.splitlines() if line.endswith(".png")][0].split("/")[-1] in saved


def test_rla_plot_without_a_table_draws_the_one_the_selection_is_in(data_root: Path) -> None:
    _make_runs(data_root)
    log_run(data_root, "other_task", {"lr": 0.1, "seed": 3}, [(t, {"eval/ret": 10.0 + t}) for t in range(5)])
    exp_manager.finish()
    plot = ["plot", "-d", str(data_root), "-m", "eval/ret", "-k", "lr"]
    result = CliRunner().invoke(main, [*plot, "-w", "seed <= 2"])
    assert result.exit_code == 0, result.output
    assert "4 runs in 2 curves: 2 of eval/ret" in result.output
    assert re.search(r"saved .*/cli_task-eval_ret-by-lr-\w{6}\.png", result.output)
    result = CliRunner().invoke(main, [*plot, "-w", "lr == 0.1"])
    assert result.exit_code != 0
    assert "the selection has items in 2 tables (cli_task, other_task): name one (-t)" in result.output
    result = CliRunner().invoke(main, [*plot, "-w", "lr == 0.1", "--aggregate", "mean", "--resample", "0"])
    assert result.exit_code == 0, result.output
    assert "3 runs in 1 curve" in result.output and "cli_task+other_task" in result.output
    result = CliRunner().invoke(main, [*plot, "-w", "lr == 0.5"])
    assert result.exit_code != 0 and "no item of any table matches the selection" in result.output
