"""The statistics behind figures and tables, checked against values computed by hand."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import log_run

from RLA.easy_log.tester import exp_manager
from RLA.easy_plot import aggregate as agg
from RLA.easy_plot.scores import collect_scores, score_matrices, summary_table

# 4 runs × 2 tasks
SCORES = np.array([[0.1, 0.5],
                   [0.2, 0.6],
                   [0.3, 0.9],
                   [1.2, 0.8]])


def test_grid_resampling_and_smoothing() -> None:
    xs = [np.array([0, 10, 20, 30]), np.array([5, 15, 25])]
    assert agg.common_grid(xs, 3).tolist() == [5, 15, 25]
    assert agg.common_grid(xs, 4, x_range="union").tolist() == [0, 10, 20, 30]
    assert agg.common_grid(xs, None).tolist() == [5, 10, 15, 20, 25]
    with pytest.raises(ValueError, match="x_range='union'"):
        agg.common_grid([np.array([0, 1]), np.array([2, 3])], 3)

    # unsorted, a NaN, and a repeated step (a resumed run): the last value logged wins
    x = np.array([20, 0, 10, np.nan, 10])
    y = np.array([4.0, 0.0, 1.0, 9.0, 2.0])
    assert np.allclose(agg.resample_curve(x, y, np.array([0, 5, 10, 15, 20])), [0, 1, 2, 3, 4])
    assert np.isnan(agg.resample_curve(x, y, np.array([-1, 21]))).all()

    assert agg.smooth_curve([0, 4, 4, 8], 2).tolist() == [0, 2, 3, 5.5]
    assert agg.smooth_curve([0, 3, 6, 9], 2, "window").tolist() == [0, 1.5, 4.5, 7.5]
    smoothed = agg.smooth_curve([np.nan, 2, 4, np.nan], 2)
    assert np.isnan(smoothed[[0, 3]]).all() and smoothed[1:3].tolist() == [2, 3]
    assert agg.smooth_curve([1, 5], 1).tolist() == [1, 5]
    assert agg.filter_x(np.array([0, 5, 10]), np.array([1, 2, 3]), (5, None))[1].tolist() == [2, 3]


def test_curves_on_a_regular_time_step_resample_as_their_values_do() -> None:
    rng = np.random.default_rng(3)
    steps = [agg.RegularSteps(0.0, 1000.0, 50), agg.RegularSteps(0.0, 1000.0, 50), agg.RegularSteps(250.0, 500.0, 80),
             agg.RegularSteps(0.1, 0.2, 7)]
    ys = [rng.normal(size=s.rows).cumsum() for s in steps]
    logged = [np.array([3.0, 7.5, 40000.0]), np.array([])]    # irregular and empty curves in the same call
    ys_logged = [np.array([1.0, 2.0, 0.5]), np.array([])]
    for resample in (512, 0):
        grid = agg.common_grid(steps[:3] + logged[:1], resample, x_range="union")
        expected = agg.common_grid([s.values() for s in steps[:3]] + logged[:1], resample, "union")
        assert grid.tolist() == expected.tolist()
        points = list(zip(steps + logged, ys + ys_logged))
        as_values = [(s.values(), y) for s, y in zip(steps, ys)] + list(zip(logged, ys_logged))
        np.testing.assert_allclose(agg.resample_points(points, grid), agg.resample_points(as_values, grid),
                                   rtol=1e-12, atol=1e-12)
    assert agg.x_span(steps[3]) == (0.1, steps[3].values()[-1])


def test_curve_stats_and_bootstrap() -> None:
    curves = np.array([[1, 2, np.nan], [3, 4, 7], [5, 9, np.nan]], dtype=float)
    stats = agg.curve_stats(curves, ci=0.9, n_bootstrap=4000)
    assert stats["mean"].tolist() == [3, 5, 7]
    assert np.allclose(stats["std"][:2], [2, np.sqrt(13)]) and np.isnan(stats["std"][2])
    assert np.allclose(stats["stderr"][:2], [2 / np.sqrt(3), np.sqrt(13 / 3)])
    assert stats["min"].tolist() == [1, 2, 7] and stats["max"].tolist() == [5, 9, 7]
    assert stats["n"].tolist() == [3, 3, 1]
    # bootstrap means of {1, 3, 5} lie on the grid 1, 5/3, ..., 5; a 90% interval is inside it
    assert 1 <= stats["ci_low"][0] < 3 < stats["ci_high"][0] <= 5
    assert stats["ci_low"][2] == stats["ci_high"][2] == 7
    low, high = agg.bootstrap_mean_ci(np.full(5, 2.5))
    assert low == high == 2.5


def test_run_scores_summary_and_tables() -> None:
    assert agg.run_score([1, 5, 3, 4, np.nan]) == 4
    assert agg.run_score([1, 5, 3, 4], "final", k=2) == 3.5
    assert agg.run_score([1, 5, 3, 4], "best", k=2) == 4.5
    with pytest.raises(ValueError, match="final, best, auc"):
        agg.run_score([1], "median")

    scores = pd.DataFrame({"algo": ["a", "a", "a", "b", "b"], "score": [1.0, 2.0, 3.0, 10.0, 14.0]})
    table = agg.summarize_scores(scores, ["algo"], n_bootstrap=500)
    assert table.algo.tolist() == ["a", "b"] and table["mean"].tolist() == [2, 12]
    assert np.allclose(table["std"], [1, np.sqrt(8)]) and table.n.tolist() == [3, 2]
    assert (table.ci_low <= table["mean"]).all() and (table["mean"] <= table.ci_high).all()
    assert agg.format_summary(table) == (
        "| algo | mean ± std | n |\n|---|---|---|\n| a | 2 ± 1 | 3 |\n| b | 12 ± 2.83 | 2 |")
    latex = agg.format_summary(table.assign(algo=["a_1", "b&c"]), "latex", spread="stderr")
    assert latex.splitlines() == [
        "\\begin{tabular}{lrr}", "\\toprule", "algo & mean $\\pm$ stderr & n \\\\", "\\midrule",
        "a\\_1 & 2 $\\pm$ 0.577 & 3 \\\\", "b\\&c & 12 $\\pm$ 2 & 2 \\\\", "\\bottomrule", "\\end{tabular}"]
    assert "[" in agg.format_summary(table, spread="ci")
    returns = agg.summarize_scores(scores.assign(score=scores.score * 255.0), ["algo"], n_bootstrap=500)
    assert agg.format_summary(returns).splitlines()[2:] == ["| a | 510 ± 255 | 3 |", "| b | 3060 ± 721 | 2 |"]


def test_aggregate_metrics_point_estimates_by_hand() -> None:
    assert agg.aggregate_mean(SCORES) == pytest.approx(4.6 / 8)
    assert agg.aggregate_median(SCORES) == pytest.approx(np.median([0.45, 0.7]))
    # 8 scores sorted: .1 .2 .3 .5 .6 .8 .9 1.2 -> the middle four .3 .5 .6 .8
    assert agg.aggregate_iqm(SCORES) == pytest.approx(0.55)
    # min(score, 1) sums to 4.4 over 8 scores
    assert agg.aggregate_optimality_gap(SCORES) == pytest.approx(1 - 4.4 / 8)
    # min(score, 0.5): .1 .2 .3 .5 and four times .5, sum 3.1
    assert agg.aggregate_optimality_gap(SCORES, gamma=0.5) == pytest.approx(0.5 - 3.1 / 8)
    # 5 scores: int(0.25 * 5) = 1 cut at each end, as scipy.stats.trim_mean
    assert agg.aggregate_iqm(np.array([[5.0], [1.0], [100.0], [2.0], [3.0]])) == pytest.approx(10 / 3)


def test_stratified_bootstrap_keeps_tasks_apart_and_gives_intervals() -> None:
    resampled = agg.stratified_bootstrap(SCORES, 200, np.random.default_rng(0))
    assert resampled.shape == (200, 4, 2)
    for task in range(2):
        assert set(np.unique(resampled[:, :, task])) <= set(SCORES[:, task])

    table = agg.aggregate_metrics({"algo": SCORES, "const": np.full((3, 2), 0.4)}, n_bootstrap=1000)
    row = table.loc["algo"]
    for metric in ("mean", "median", "iqm", "optimality_gap"):
        assert row[f"{metric}_low"] <= row[metric] <= row[f"{metric}_high"]
        assert row[f"{metric}_low"] < row[f"{metric}_high"]
    const = table.loc["const"]
    assert const["iqm"] == const["iqm_low"] == const["iqm_high"] == pytest.approx(0.4)
    assert const["optimality_gap"] == pytest.approx(0.6)
    with pytest.raises(ValueError, match="unknown metrics"):
        agg.aggregate_metrics({"a": SCORES}, metrics=["max"])


def test_performance_profiles() -> None:
    taus = [0.0, 0.5, 1.0]
    # task 0: 4/4, 1/4, 1/4 above tau; task 1: 4/4, 3/4, 0/4
    assert agg.performance_profile(SCORES, taus).tolist() == [1.0, 0.5, 0.125]
    profiles = agg.performance_profiles({"algo": SCORES}, taus, n_bootstrap=500)
    band = profiles["algo"]
    assert band["profile"].tolist() == [1.0, 0.5, 0.125]
    assert (band["low"] <= band["profile"]).all() and (band["profile"] <= band["high"]).all()

    from RLA.easy_plot import plot_performance_profile

    figure = plot_performance_profile(profiles, taus)
    assert [line.get_label() for line in figure.axes[0].lines] == ["algo"]
    assert figure.axes[0].lines[0].get_ydata().tolist() == [1.0, 0.5, 0.125]


def test_summary_table_and_score_matrices_from_a_database(data_root: Path) -> None:
    for task, offset in (("task_a", 0.0), ("task_b", 10.0)):
        for algo in ("ppo", "sac"):
            for seed in (1, 2):
                log_run(data_root, task, {"algo": algo, "seed": seed},
                        [(t, {"ret": offset + value + seed + (algo == "sac")})
                         for t, value in enumerate([0.0, 5.0, 3.0])])
    exp_manager.finish()

    table = summary_table(data_root, ["task_a", "task_b"], None, ["algo"], "ret")
    # final values: ppo on task_a 3+1, 3+2 -> 4.5; sac adds 1; task_b adds 10
    assert table[["task", "algo"]].values.tolist() == [["task_a", "ppo"], ["task_a", "sac"],
                                                       ["task_b", "ppo"], ["task_b", "sac"]]
    assert table["mean"].tolist() == [4.5, 5.5, 14.5, 15.5] and table.n.tolist() == [2, 2, 2, 2]
    best = summary_table(data_root, "task_a", None, ["algo"], "ret", score="best", k=1)
    assert best["mean"].tolist() == [6.5, 7.5]

    scores = collect_scores(data_root, ["task_a", "task_b"], None, ["algo"], "ret")
    matrices = score_matrices(scores, ["algo"], normalize={"task_a": (0, 10), "task_b": (10, 20)})
    assert sorted(matrices) == ["algo=ppo", "algo=sac"]
    assert np.allclose(matrices["algo=ppo"], [[0.4, 0.4], [0.5, 0.5]])
    with pytest.raises(ValueError, match="same seeds"):
        score_matrices(scores.iloc[1:], ["algo"])


def test_runs_without_a_finite_score_are_left_out_with_one_warning(data_root: Path) -> None:
    # algo=a: final returns 5.5, 10, 21 and a diverged run that logged only NaN; algo=b: one crashed
    # run whose progress.csv has only its header
    finals = {1: 5.5, 2: float("nan"), 3: 10.0, 4: 21.0}
    for algo, seeds in (("a", (1, 2, 3, 4)), ("b", (1,))):
        for seed in seeds:
            log_run(data_root, "nan_task", {"algo": algo, "seed": seed},
                    [(t, {"ret": finals[seed] if algo == "a" else 1.0}) for t in range(3)])
    exp_manager.finish()
    from RLA.db import Database

    crashed = [i for i in Database(data_root).items("nan_task") if "algo=b" in i.name]
    assert len(crashed) == 1
    (crashed[0].path("log") / "progress.csv").write_text("time-step,ret\n")

    with pytest.warns(RuntimeWarning) as caught:
        scores = collect_scores(data_root, "nan_task", None, ["algo"], "ret")
    messages = [str(w.message) for w in caught if "left out of the scores" in str(w.message)]
    assert len(messages) == 1 and "2 run(s)" in messages[0] and "algo=b" in messages[0]
    assert "algo=a&seed=2" in messages[0]
    assert sorted(scores["score"].tolist()) == [5.5, 10.0, 21.0]

    with pytest.warns(RuntimeWarning, match="left out"):
        table = summary_table(data_root, "nan_task", None, ["algo"], "ret")
    assert table.algo.tolist() == ["a"] and table.n.tolist() == [3]          # no n=0 row for algo=b
    assert table["mean"].iloc[0] == pytest.approx(36.5 / 3)

    matrices = score_matrices(scores, ["algo"])
    metrics = agg.aggregate_metrics(matrices, n_bootstrap=200)
    # 3 scores: int(0.25 * 3) = 0 cut, so the IQM is their mean, like the mean
    assert metrics.loc["algo=a", "mean"] == pytest.approx(36.5 / 3)
    assert metrics.loc["algo=a", "iqm"] == pytest.approx(36.5 / 3)
    assert np.isfinite(metrics.to_numpy()).all()


def test_aggregate_metrics_refuses_non_finite_scores() -> None:
    with pytest.raises(ValueError, match=r"not all finite: \(run 1, task 0\)"):
        agg.aggregate_metrics({"algo": np.array([[5.5], [np.nan], [10.0], [21.0]])})
    with pytest.raises(ValueError, match="not all finite"):
        agg.performance_profiles({"algo": np.array([[np.inf], [1.0]])}, taus=[0.5])
