"""rla table and the library under it: numbers equal rliable's and scipy's on a database written by the
real exp_manager; --versus, the bold rule, --again, LaTeX compiled by pdflatex, sample-efficiency curves."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from click.testing import CliRunner
from conftest import build_database
from rliable_compat import rliable

from RLA.cli import main
from RLA.db.layout import Database
from RLA.easy_plot import aggregate
from RLA.easy_plot.efficiency import aggregate_curves
from RLA.easy_plot.results_table import TableSpec, results_table
from RLA.easy_plot.table_format import render
from RLA.errors import NoDataError

TASKS = ["hopper", "walker"]
NORMALIZE = {"hopper": (0.0, 100.0), "walker": (0.0, 200.0)}
REPS = 400  # bootstrap resamples: enough to compare draws, quick to compute twice

# 3 algorithms x 4 seeds on 2 tables; each run's return climbs to a level of its algorithm, plus seed noise
BUILD = """
import sys
import numpy as np
from RLA.easy_log.tester import exp_manager
from RLA.easy_log import logger

data_root, code_root = sys.argv[1], sys.argv[2]
levels = {"a": 0.3, "b": 0.7, "c": 0.71}
for task, scale in (("hopper", 100.0), ("walker", 200.0)):
    for algo, level in levels.items():
        for seed in range(4):
            exp_manager.configure(task, {"LOG_USED": ["csv"], "DL_FRAMEWORK": "none"}, data_root,
                                  code_root=code_root)
            exp_manager.set_hyper_param(algo=algo, seed=seed)
            exp_manager.add_record_param(["algo", "seed"])
            exp_manager.log_files_gen()
            noise = np.random.default_rng([seed, len(task)])  # b and c: the same seeds, 0.01 apart
            for t in range(16):
                exp_manager.time_step_holder.set_time(t * 1000)
                ret = scale * (level * t / 15 + noise.normal(0, 0.08))
                logger.record_tabular("eval/return", round(ret, 1))  # ties between runs happen
                logger.dump_tabular()
            exp_manager.finish()
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_database(tmp_path_factory.mktemp("results"), BUILD)


@pytest.fixture
def db(template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "db"
    shutil.copytree(template, root)
    return root


def rla(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.output


def final_scores(db: Path, task: str, last: int) -> Dict[str, np.ndarray]:
    """Each algorithm's run scores read straight from the progress.csv files with pandas: the mean of the
    last ``last`` returns, normalized."""
    low, high = NORMALIZE[task]
    scores: Dict[str, list] = {}
    for item in Database(db).items(task):
        params = json.loads(item.params_json.read_text())
        returns = pd.read_csv(item.progress_csv)["eval/return"].to_numpy()
        scores.setdefault(params["algo"], []).append((returns[-last:].mean() - low) / (high - low))
    return {algo: np.array(values) for algo, values in scores.items()}


def rliable_interval(function, scores, seed: int = 0):
    """rliable's point estimate and interval of ``function`` on ``scores``, drawn after np.random.seed(seed)."""
    library, _ = rliable()
    np.random.seed(seed)
    points, intervals = library.get_interval_estimates({"x": scores}, function, reps=REPS)
    return np.atleast_1d(points["x"]), intervals["x"]


def test_cells_and_the_aggregate_equal_rliable(db: Path) -> None:
    _, metrics = rliable()
    spec = TableSpec(tasks=TASKS, split_keys=["algo"], metric="eval/return", last=3, normalize=NORMALIZE,
                     n_bootstrap=REPS)
    table = results_table(db, spec)
    assert table.groups == ["algo=a", "algo=b", "algo=c"] and table.columns == [*TASKS, "IQM", "Optimality gap"]
    by_task = {task: final_scores(db, task, 3) for task in TASKS}
    for algo in "abc":
        matrix = np.stack([by_task[task][algo] for task in TASKS], axis=1)  # runs x tasks
        for task, column in zip(TASKS, matrix.T):
            cell = table.cell(f"algo={algo}", task)
            point, interval = rliable_interval(lambda s: np.array([metrics.aggregate_iqm(s)]), column[:, None])
            assert cell["n"] == 4
            np.testing.assert_allclose([cell["value"], cell["low"], cell["high"]], [point[0], *interval[:, 0]],
                                       rtol=1e-12)
        point, interval = rliable_interval(
            lambda s: np.array([metrics.aggregate_iqm(s), metrics.aggregate_optimality_gap(s)]), matrix)
        iqm, gap = table.cell(f"algo={algo}", "IQM"), table.cell(f"algo={algo}", "Optimality gap")
        np.testing.assert_allclose([iqm["value"], gap["value"]], point, rtol=1e-12)
        np.testing.assert_allclose([[iqm["low"], gap["low"]], [iqm["high"], gap["high"]]], interval, rtol=1e-12)
        assert iqm["value"] == pytest.approx(scipy.stats.trim_mean(matrix, 0.25, axis=None), rel=1e-12)

    for stat, function in (("mean", lambda s: np.array([metrics.aggregate_mean(s)])),
                           ("median", lambda s: np.array([metrics.aggregate_median(s)]))):
        other = results_table(db, TableSpec(tasks=TASKS, split_keys=["algo"], metric="eval/return", stat=stat,
                                            normalize=NORMALIZE, n_bootstrap=REPS, seed=7))
        matrix = np.stack([final_scores(db, task, 1)["b"] for task in TASKS], axis=1)
        point, interval = rliable_interval(function, matrix, seed=7)
        cell = other.cell("algo=b", stat.capitalize())
        np.testing.assert_allclose([cell["value"], cell["low"], cell["high"]], [point[0], *interval[:, 0]],
                                   rtol=1e-12)
        if stat == "median":  # a cell's median is over its runs (rliable's aggregate median is over tasks)
            point, interval = rliable_interval(lambda s: np.array([np.median(s[:, 0])]), matrix[:, :1], seed=7)
            cell = other.cell("algo=b", "hopper")
            np.testing.assert_allclose([cell["value"], cell["low"], cell["high"]], [point[0], *interval[:, 0]],
                                       rtol=1e-12)


def test_versus_equals_rliable_and_scipy(db: Path) -> None:
    library, metrics = rliable()
    spec = TableSpec(tasks=TASKS, split_keys=["algo"], metric="eval/return", normalize=NORMALIZE, versus=True,
                     n_bootstrap=REPS, seed=3)
    versus = results_table(db, spec).versus.set_index(["x", "y"])
    assert len(versus) == 6  # every ordered pair of 3 groups
    scores = {task: final_scores(db, task, 1) for task in TASKS}
    for x, y in (("b", "c"), ("c", "b"), ("a", "b")):
        found = versus.loc[(f"algo={x}", f"algo={y}")]
        mann_whitney = [scipy.stats.mannwhitneyu(scores[t][x], scores[t][y], alternative="greater").statistic / 16
                        for t in TASKS]
        assert found["probability"] == pytest.approx(np.mean(mann_whitney), rel=1e-12)
        matrix_x = np.stack([scores[t][x] for t in TASKS], axis=1)
        matrix_y = np.stack([scores[t][y] for t in TASKS], axis=1)
        np.random.seed(3)
        _, intervals = library.get_interval_estimates({"pair": [matrix_x, matrix_y]},
                                                      metrics.probability_of_improvement, reps=REPS)
        np.testing.assert_allclose([found["low"], found["high"]], intervals["pair"][:, 0], rtol=1e-12)
    assert versus.loc[("algo=b", "algo=c"), "probability"] == pytest.approx(
        1 - versus.loc[("algo=c", "algo=b"), "probability"])

    # different numbers of runs (rliable draws X's runs then Y's for each resample), and ties counting one half
    rng = np.random.default_rng(5)
    x, y = np.round(rng.normal(size=(5, 2)), 1), np.round(rng.normal(size=(3, 2)), 1)
    np.random.seed(11)
    points, intervals = library.get_interval_estimates({"pair": [x, y]}, metrics.probability_of_improvement,
                                                       reps=REPS)
    np.testing.assert_allclose(aggregate.improvement_interval(x, y, n_bootstrap=REPS, seed=11),
                               [points["pair"], *intervals["pair"][:, 0]], rtol=1e-12)


def test_the_best_is_bold_only_where_its_interval_clears_the_runner_up(db: Path) -> None:
    spec = TableSpec(tasks=TASKS, split_keys=["algo"], metric="eval/return", normalize=NORMALIZE, n_bootstrap=REPS)
    close = results_table(db, spec).cells
    iqm = close[close["column"] == "IQM"].sort_values("value", ascending=False)
    # b and c are about as good: the best's interval overlaps the runner-up's, and nothing is bold
    best, runner_up = iqm.iloc[0], iqm.iloc[1]
    assert {best["group"], runner_up["group"]} == {"algo=b", "algo=c"} and best["low"] <= runner_up["high"]
    assert not iqm["bold"].any()
    # without b, c clears a: bold (and the optimality gap, lower is better, too)
    spec.selection = {"where": 'algo != "b"'}
    apart = results_table(db, spec)
    cells = apart.cells.set_index(["group", "column"])
    assert cells.loc[("algo=c", "IQM"), "low"] > cells.loc[("algo=a", "IQM"), "high"]
    assert cells.loc[("algo=c", "IQM"), "bold"] and not cells.loc[("algo=a", "IQM"), "bold"]
    assert cells.loc[("algo=c", "Optimality gap"), "bold"]
    markdown = render(apart, "md")
    iqm = f"{cells.loc[('algo=c', 'IQM'), 'value']:.3f}"  # 3 significant digits
    assert f"**{iqm}**" in markdown and markdown.count("**") == 2 * int(cells["bold"].sum())


def test_again_remakes_the_table_from_the_runs_now(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "paper" / "results.md"
    said = rla("table", "-d", str(db), "-t", "hopper", "-t", "walker", "-k", "algo", "-m", "eval/return",
               "--last", "3", "--versus", "-w", "seed < 3", "-o", str(out))
    assert f"wrote {out} (18 runs)" in said
    record = json.loads((tmp_path / "paper" / "results.md.rla.json").read_text())
    assert record["spec"]["selection"] == {"where": "seed < 3"} and record["runs"] == 18
    assert record["command"].startswith(f"rla table -d {db} -t hopper -t walker -k algo -m eval/return")
    assert record["commits"] == {"unknown": 18}  # the build script's folder is no git repository
    first = out.read_text()
    assert "| algo | hopper | walker | IQM | n |" in first and "P(X > Y)" in first and "selection: where=" in first

    for item in Database(db).items("walker"):  # the runs of seed 2 on walker are deleted ...
        if json.loads(item.params_json.read_text())["seed"] == 2:
            shutil.rmtree(item.log_dir)
    said = rla("table", "--again", str(out))
    assert said.startswith(f"made {out} again from {db}: 15 runs")
    again = out.read_text()
    # ... so a row counts 3 runs on hopper and 2 on walker, and still has its aggregate and P(X > Y)
    assert again != first and "| a | " in again and " | 3/2 |" in again and "- [" not in again
    assert again.count("[") == first.count("[")
    assert json.loads((tmp_path / "paper" / "results.md.rla.json").read_text())["runs"] == 15


def test_tables_with_different_numbers_of_runs_resample_each_task_on_its_own() -> None:
    rng = np.random.default_rng(2)
    hopper, walker = rng.normal(size=5), rng.normal(size=3) + 1
    found = aggregate.aggregate_metrics({"x": [hopper, walker]}, ["iqm", "mean"], n_bootstrap=REPS, seed=4).loc["x"]
    draws = np.random.RandomState(4)  # task by task, each run index below that task's count
    resampled = [hopper[draws.randint(0, 5, (REPS, 5))], walker[draws.randint(0, 3, (REPS, 3))]]
    iqm = scipy.stats.trim_mean(np.concatenate(resampled, axis=1), 0.25, axis=1)
    mean = (resampled[0].mean(axis=1) + resampled[1].mean(axis=1)) / 2
    assert found["iqm"] == pytest.approx(scipy.stats.trim_mean(np.concatenate([hopper, walker]), 0.25))
    assert found["mean"] == pytest.approx((hopper.mean() + walker.mean()) / 2)
    np.testing.assert_allclose([found["iqm_low"], found["iqm_high"]], np.percentile(iqm, [2.5, 97.5]))
    np.testing.assert_allclose([found["mean_low"], found["mean_high"]], np.percentile(mean, [2.5, 97.5]))
    probability, low, high = aggregate.improvement_interval([hopper, walker], [walker, hopper], n_bootstrap=REPS)
    pairs = [(hopper[:, None] > walker).mean(), (walker[:, None] > hopper).mean()]
    assert probability == pytest.approx(np.mean(pairs)) and low <= probability <= high


def test_latex_compiles_with_pdflatex(db: Path, tmp_path: Path) -> None:
    pdflatex = shutil.which("pdflatex")
    assert pdflatex, "pdflatex is missing: install Debian's texlive-latex-base (make system-deps does)"
    table = tmp_path / "results.tex"
    rla("table", "-d", str(db), "-t", "hopper", "-t", "walker", "-k", "algo", "-m", "eval/return", "--versus",
        "--normalize", "hopper=0:100", "--normalize", "walker=0:200", "-w", 'algo != "b"', "-o", str(table))
    text = table.read_text()
    assert r"\textbf{" in text and "% made by: rla table" in text and "Optimality gap" in text
    (tmp_path / "paper.tex").write_text("\\documentclass{article}\n\\begin{document}\n\\input{results.tex}\n"
                                        "\\end{document}\n")
    done = subprocess.run([pdflatex, "-interaction=nonstopmode", "-halt-on-error", "paper.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tmp_path / "paper.pdf").stat().st_size > 1000


def test_other_formats_and_the_terminal_table(db: Path) -> None:
    args = ["table", "-d", str(db), "-t", "hopper", "-k", "algo", "-m", "eval/return", "--stat", "mean",
            "--score", "auc"]
    cells = pd.read_csv(pd.io.common.StringIO(rla(*args, "--format", "csv")))
    assert list(cells["group"].unique()) == ["algo=a", "algo=b", "algo=c"] and set(cells["n"]) == {4}
    data = json.loads(rla(*args, "--format", "json"))
    assert data["spec"]["score"] == "auc" and data["columns"] == ["hopper"] and data["versus"] is None  # one task
    shown = rla(*args)
    assert max(len(line) for line in shown.splitlines()) <= 80 and "Mean of eval/return" in shown


def test_the_command_imports_no_pandas_and_says_what_the_library_computes(db: Path) -> None:
    """``rla table`` on cached columns renders from the table's rows (pandas' import was half of what the
    command cost) and imports no other command's module; the DataFrames of the library hold the same numbers."""
    args = ["table", "-d", str(db), "-t", "hopper", "-t", "walker", "-k", "algo", "-m", "eval/return", "--versus",
            "--reps", str(REPS), "--format", "json"]
    table = results_table(db, TableSpec(tasks=TASKS, split_keys=["algo"], metric="eval/return", versus=True,
                                        n_bootstrap=REPS))  # the runs' columns are cached from here on
    code = ("import sys; from RLA.cli.group import main; main(sys.argv[1:], standalone_mode=False); "
            "heavy = [m for m in ('pandas', 'pyarrow', 'matplotlib', 'scipy', 'RLA.cli.sweep', 'RLA.cli.ui') "
            "if m in sys.modules]; "
            "assert not heavy, heavy")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    printed = json.loads(subprocess.run([sys.executable, "-c", code, *args], env=env, check=True,
                                        capture_output=True, text=True).stdout)
    cells = table.cells.set_index(["group", "column"])
    for cell in printed["cells"]:
        found = cells.loc[(cell["group"], cell["column"])]
        assert [cell[k] for k in ("value", "low", "high", "n", "bold")] == \
            [found["value"], found["low"], found["high"], found["n"], found["bold"]]
    assert [[row[k] for k in ("x", "y", "probability", "low", "high")] for row in printed["versus"]] == \
        table.versus.values.tolist()


def test_sample_efficiency_curves_equal_rliable_at_each_point(db: Path) -> None:
    library, metrics = rliable()
    curves = aggregate_curves(db, TASKS, None, ["algo"], "eval/return", "iqm", normalize=NORMALIZE, resample=4,
                              n_bootstrap=REPS)
    assert curves.attrs["center"] == "iqm" and list(curves["x"].unique()) == [0, 5000, 10000, 15000]
    curve = curves[curves["algo"] == "b"]
    runs = {task: [pd.read_csv(item.progress_csv) for item in Database(db).items(task)
                   if json.loads(item.params_json.read_text())["algo"] == "b"] for task in TASKS}
    for x, iqm, low, high in curve[["x", "iqm", "ci_low", "ci_high"]].itertuples(index=False):
        matrix = np.stack([[np.interp(x, run["time-step"], run["eval/return"]) / NORMALIZE[task][1]
                            for run in runs[task]] for task in TASKS], axis=1)
        np.random.seed(0)
        points, intervals = library.get_interval_estimates({"b": matrix}, lambda s: np.array(
            [metrics.aggregate_iqm(s)]), reps=REPS)
        np.testing.assert_allclose([iqm, low, high], [points["b"][0], *intervals["b"][:, 0]], rtol=1e-9)

    shown = rla("plot", "-d", str(db), "-t", "hopper", "-t", "walker", "-k", "algo", "-m", "eval/return",
                "--aggregate", "iqm", "--normalize", "hopper=0:100", "--normalize", "walker=0:200",
                "--resample", "50", "--save-name", "efficiency")
    assert "24 runs in 3 curves" in shown and (db / "results" / "easy_plot" / "efficiency.png").is_file()


def test_sample_efficiency_curves_of_a_group_with_a_crashed_seed(db: Path) -> None:
    """A run of b gone on walker: b's curve resamples each table's runs on its own (at each point what
    aggregate_metrics gives those scores); a without walker runs has no curve, and says so."""
    walker = {item: json.loads(item.params_json.read_text()) for item in Database(db).items("walker")}
    for item, params in walker.items():
        if params["algo"] == "a" or (params["algo"] == "b" and params["seed"] == 3):
            shutil.rmtree(item.log_dir)
    with pytest.warns(RuntimeWarning, match="no curve for 1 group.*algo=a: walker"):
        curves = aggregate_curves(db, TASKS, None, ["algo"], "eval/return", "iqm", normalize=NORMALIZE,
                                  resample=4, n_bootstrap=REPS)
    assert sorted(curves["algo"].unique()) == ["b", "c"]
    curve = curves[curves["algo"] == "b"]
    assert set(curve["n"]) == {3}
    runs = {task: [pd.read_csv(item.progress_csv) for item in Database(db).items(task) if item.log_dir.is_dir()
                   and json.loads(item.params_json.read_text())["algo"] == "b"] for task in TASKS}
    assert [len(runs[task]) for task in TASKS] == [4, 3]
    for x, iqm, low, high in curve[["x", "iqm", "ci_low", "ci_high"]].itertuples(index=False):
        per_task = [np.array([np.interp(x, run["time-step"], run["eval/return"]) / NORMALIZE[task][1]
                              for run in runs[task]]) for task in TASKS]
        found = aggregate.aggregate_metrics({"b": per_task}, ["iqm"], n_bootstrap=REPS).loc["b"]
        np.testing.assert_allclose([iqm, low, high], [found["iqm"], found["iqm_low"], found["iqm_high"]],
                                   rtol=1e-9)
    with pytest.raises(NoDataError, match=r"'eval/retrun' \(did you mean eval/return\?\)"):
        aggregate_curves(db, TASKS, None, ["algo"], "eval/retrun", "iqm", resample=4, n_bootstrap=REPS)
