"""plot_func on a database written by the real exp_manager: 2 learning rates × 3 seeds.

Known curves, so every plotted number can be checked exactly:
- lr=0.01, seed s: logged at steps 0, 10, ..., 90, ``ret = t/100 + s`` and ``loss = -t``,
  and ``sparse_eval = t + s`` at every other step (0, 20, ..., 80);
- lr=0.1,  seed s: logged every 10*s steps up to 120 - 20*s (different grids and
  lengths), ``ret = t + s``.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from RLA.db import Database
from RLA.easy_log import logger
from RLA.easy_log.tester import exp_manager
from RLA.easy_plot import plot_func
from RLA.easy_plot.loader import plot_dir
from RLA.errors import ItemNotFoundError, NoDataError


def _run(data_root: Path, lr: float, seed: int, steps: range, ret_fn, with_loss: bool) -> None:
    exp_manager.configure(task_table_name="plot_task", rla_config={"LOG_USED": ["csv"]}, data_root=data_root,
                          code_root=str(data_root.parent))
    exp_manager.set_hyper_param(lr=lr, seed=seed, info="known curves")
    exp_manager.add_record_param(["info", "lr", "seed"])
    exp_manager.log_files_gen()
    for t in steps:
        exp_manager.time_step_holder.set_time(t)
        logger.record_tabular("ret", ret_fn(t, seed))
        if with_loss:
            logger.record_tabular("loss", -t)
            if t % 20 == 0:                        # an evaluation every other row: empty cells between
                logger.record_tabular("sparse_eval", t + seed)
        logger.dump_tabular()
    exp_manager.finish()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from RLA.easy_log.time_step import time_step_holder

    root = tmp_path_factory.mktemp("plotdb") / "db"
    for seed in (1, 2, 3):
        _run(root, 0.01, seed, range(0, 100, 10), lambda t, s: t / 100 + s, with_loss=True)
    for seed in (1, 2, 3):
        _run(root, 0.1, seed, range(0, 121 - 20 * seed, 10 * seed), lambda t, s: t + s, with_loss=False)
    logger.reset()
    exp_manager.__init__(time_step_holder)
    return root


@pytest.fixture
def db(database: Path, tmp_path: Path) -> Path:
    """A private copy, so a test's cache or figures never leak into another."""
    copy = tmp_path / "db"
    shutil.copytree(database, copy)
    return copy


def _band_width(axes, collection_index: int, x: float) -> float:
    """Height of a fill_between band at ``x``: its polygon's vertical extent there."""
    vertices = axes.collections[collection_index].get_paths()[0].vertices
    ys = vertices[np.isclose(vertices[:, 0], x), 1]
    return float(ys.max() - ys.min())


def _legend_texts(figure) -> list:
    legend = figure.axes[0].get_legend() or figure.legends[0]
    return [t.get_text() for t in legend.get_texts()]


def test_groups_by_split_keys_with_exact_means_and_std_bands(db: Path) -> None:
    figure, data = plot_func(db, "plot_task", regs=None, split_keys=["lr"], metrics=["ret", "loss"], resample=0)
    assert len(figure.axes) == 2
    assert _legend_texts(figure) == ["lr=0.01", "lr=0.1"]
    assert [a.get_ylabel() for a in figure.axes] == ["ret", "loss"]

    small = data[(data.metric == "ret") & (data.lr == "0.01")]
    assert small.x.tolist() == list(range(0, 100, 10))
    assert np.allclose(small["mean"], small.x / 100 + 2)          # mean of seeds 1, 2, 3
    assert np.allclose(small["std"], 1.0) and np.allclose(small["stderr"], 1 / np.sqrt(3))
    assert (small.n == 3).all() and np.allclose(small["max"] - small["min"], 2.0)

    ret_axes = figure.axes[0]
    line = ret_axes.lines[0]
    assert line.get_label() == "lr=0.01"
    assert np.allclose(line.get_xdata(), small.x) and np.allclose(line.get_ydata(), small["mean"])
    assert _band_width(ret_axes, 0, 50.0) == pytest.approx(2.0)    # mean ± std
    # loss was logged by lr=0.01 only: one curve on the second subplot
    assert [line.get_label() for line in figure.axes[1].lines] == ["lr=0.01"]
    assert data.attrs["saved"] == [] and not plot_dir(db).joinpath("plot_task.png").exists()


def test_a_metric_logged_every_other_row_uses_its_logged_points_only(db: Path) -> None:
    _, data = plot_func(db, "plot_task", ["*/*/*/*lr=0.01&*"], ["lr"], ["sparse_eval"], resample=0)
    assert data.x.tolist() == [0, 20, 40, 60, 80] and np.allclose(data["mean"], data.x + 2)
    assert (data.n == 3).all()


def test_different_grids_and_lengths_are_resampled_before_averaging(db: Path) -> None:
    _, data = plot_func(db, "plot_task", ["*/*/*/*lr=0.1&*"], ["lr"], ["ret"], resample=5)
    # seeds end at 100, 80, 60: the intersection is [0, 60]
    assert data.x.tolist() == [0.0, 15.0, 30.0, 45.0, 60.0]
    assert np.allclose(data["mean"], data.x + 2) and (data.n == 3).all()

    _, exact = plot_func(db, "plot_task", ["*/*/*/*lr=0.1&*"], ["lr"], ["ret"], resample=0)
    assert exact.x.tolist() == [0, 10, 20, 30, 40, 50, 60]      # the union of logged steps up to 60

    _, union = plot_func(db, "plot_task", ["*/*/*/*lr=0.1&*"], ["lr"], ["ret"], resample=6, x_range="union")
    assert union.x.tolist() == [0, 20, 40, 60, 80, 100]
    assert union.n.tolist() == [3, 3, 3, 3, 2, 1]
    assert np.allclose(union["mean"], [2, 22, 42, 62, 81.5, 101])


def test_every_band_kind(db: Path) -> None:
    figure, data = plot_func(db, "plot_task", ["*/*/*/*lr=0.01&*"], ["lr"], ["ret"], resample=0, shaded_std=True,
                             shaded_err=True, shaded_range=True, shaded_ci=True, n_bootstrap=500)
    axes = figure.axes[0]
    assert len(axes.collections) == 1  # the first band shaded; the others overlap it, so they are outlined
    assert _band_width(axes, 0, 30.0) == pytest.approx(2.0)                 # std: ±1
    outlines = axes.lines[1:]  # after the mean: the low and high line of each other band

    def outline_width(k: int) -> float:
        low, high = outlines[2 * k], outlines[2 * k + 1]
        at = list(low.get_xdata()).index(30.0)
        return float(high.get_ydata()[at] - low.get_ydata()[at])

    assert len(outlines) == 6 and [line.get_linestyle() for line in outlines] == ["--", "--", ":", ":", "-.", "-."]
    assert outline_width(0) == pytest.approx(2 / np.sqrt(3))      # stderr
    assert outline_width(1) == pytest.approx(2.0)                 # min..max = 1..3 + t/100
    row = data[data.x == 30].iloc[0]
    assert 1.3 <= row.ci_low < row["mean"] < row.ci_high <= 3.3              # inside the range of the seeds
    assert outline_width(2) == pytest.approx(row.ci_high - row.ci_low)
    assert _legend_texts(figure)[1:] == ["± std", "± standard error", "min to max", "95% CI of the mean"]


def test_smoothing_filters_scaling_and_axes_options(db: Path) -> None:
    _, raw = plot_func(db, "plot_task", ["*/*/*/*lr=0.01&*"], ["lr"], ["ret"], resample=0)
    _, ema = plot_func(db, "plot_task", ["*/*/*/*lr=0.01&*"], ["lr"], ["ret"], resample=0, smooth_step=2)
    expected, previous = [], None
    for value in raw["mean"]:                      # EMA with alpha 1/2 of each run, then the mean
        previous = value if previous is None else 0.5 * previous + 0.5 * value
        expected.append(previous)
    assert np.allclose(ema["mean"], expected)
    _, window = plot_func(db, "plot_task", ["*/*/*/*lr=0.01&*"], ["lr"], ["ret"], resample=0, smooth_step=3,
                          smoothing="window")
    assert np.allclose(window["mean"].iloc[2:], raw["mean"].rolling(3).mean().iloc[2:])

    figure, part = plot_func(db, "plot_task", ["*/*/*/*lr=0.01&*"], ["lr"], ["ret"], resample=0, xlim=(20, 60),
                             scale_dict={"ret": lambda y: 10 * y}, ylim=(0, 50), title="scaled",
                             xlabel="steps", ylabel="return", show_number=True, colors=["#123456"])
    assert part.x.tolist() == [20, 30, 40, 50, 60]
    assert np.allclose(part["mean"], 10 * (part.x / 100 + 2))
    axes = figure.axes[0]
    assert axes.get_ylim() == (0, 50) and axes.get_title() == "scaled"
    assert (axes.get_xlabel(), axes.get_ylabel()) == ("steps", "return")
    assert axes.lines[0].get_color() == "#123456"
    assert [t.get_text() for t in axes.texts] == [f"{10 * 2.6:.3g}"]


def test_a_scaled_metric_is_labelled_with_its_scale_and_two_bands_say_which_is_which(db: Path) -> None:
    figure, data = plot_func(db, "plot_task", None, ["lr"], ["ret", "loss"], resample=0,
                             scale_dict={"ret": np.log10, "loss": lambda y: 2 * y}, shaded_std=True, shaded_ci=True)
    assert [axes.get_ylabel() for axes in figure.axes] == ["log10(ret)", "loss (scaled)"]
    assert _legend_texts(figure) == ["lr=0.01", "lr=0.1", "± std", "95% CI of the mean"]
    axes = figure.axes[0]  # the std band shaded (one area per group), the CI outlined with dashes (two lines each)
    assert len(axes.collections) == 2
    outlines = [line for line in axes.lines if line.get_linestyle() == "--"]
    ci = data[(data.metric == "ret") & (data.legend == "lr=0.1")]
    assert len(outlines) == 4 and any(len(line.get_ydata()) == len(ci) and np.allclose(line.get_ydata(), ci["ci_high"])
                                      for line in outlines)
    figure, _ = plot_func(db, "plot_task", None, ["lr"], ["ret"], resample=0, shaded_std=False, shaded_err=True)
    assert _legend_texts(figure) == ["lr=0.01", "lr=0.1"]  # one band: the legend holds the groups only


def test_legends_regs2legends_one_axes_and_custom_legend_fn(db: Path) -> None:
    figure, data = plot_func(db, "plot_task", ["*lr=0.01&*", "*lr=0.1&*"], None, ["ret"], resample=0,
                             regs2legends=["small lr", "large lr"])
    assert _legend_texts(figure) == ["small lr", "large lr"]
    assert data.groupby("legend").n.max().to_dict() == {"large lr": 3, "small lr": 3}

    figure, _ = plot_func(db, "plot_task", None, ["lr"], ["ret", "loss"], resample=0, split_by_metrics=False,
                          legend_outside=True)
    assert len(figure.axes) == 1
    assert _legend_texts(figure) == ["lr=0.01 eval:ret", "lr=0.1 eval:ret", "lr=0.01 eval:loss"]

    figure, data = plot_func(db, "plot_task", None, ["lr", "seed"], ["ret"], resample=0,
                             key_to_legend_fn=lambda parse, keys, y, use_y: f"η={parse['lr']} #{parse['seed']}")
    assert _legend_texts(figure)[:3] == ["η=0.01 #1", "η=0.01 #2", "η=0.01 #3"]
    assert set(data.n) == {1} and len(data.legend.unique()) == 6
    assert data.columns[:5].tolist() == ["metric", "legend", "lr", "seed", "x"]
    assert len(data.attrs["runs"]) == 6 and len(pd.concat([data, data])) == 2 * len(data)
    with pytest.raises(ValueError, match="one legend per reg"):
        plot_func(db, "plot_task", ["*"], [], ["ret"], regs2legends=["a", "b"])


def test_legend_lists_every_group_and_regs_accept_folders_and_regex(db: Path) -> None:
    import re

    figure, _ = plot_func(db, "plot_task", None, ["lr"], ["loss", "ret"], resample=0)
    assert [line.get_label() for line in figure.axes[0].lines] == ["lr=0.01"]     # only lr=0.01 logged loss
    assert _legend_texts(figure) == ["lr=0.01", "lr=0.1"]

    day = Database(db).items("plot_task")[0].date                             # "YYYY/MM/DD"
    _, by_folder = plot_func(db, "plot_task", [day.rsplit("/", 1)[0]], ["lr"], ["ret"], resample=0)
    _, by_regex = plot_func(db, "plot_task", [re.compile(r"&lr=0\.1&seed=[12]$")], ["lr"], ["ret"], resample=0)
    assert by_folder.legend.unique().tolist() == ["lr=0.01", "lr=0.1"]
    assert by_regex.legend.unique().tolist() == ["lr=0.1"] and by_regex.n.max() == 2


def test_save_name_writes_png_and_pdf_under_results_easy_plot(db: Path) -> None:
    _, data = plot_func(db, "plot_task", None, ["lr"], ["ret"], save_name="paper/lr_sweep.png")
    expected = Database(db).type_root("results") / "easy_plot" / "paper"
    assert data.attrs["saved"] == [expected / "lr_sweep.png", expected / "lr_sweep.pdf"]
    assert (expected / "lr_sweep.png").read_bytes()[:4] == b"\x89PNG"
    assert (expected / "lr_sweep.pdf").read_bytes()[:4] == b"%PDF"
    with pytest.raises(ValueError, match="relative file name"):
        plot_func(db, "plot_task", None, ["lr"], ["ret"], save_name="../outside")


def _cache_header(path: Path) -> dict:
    """The JSON header of a column cache file (format in RLA.easy_plot.column_cache)."""
    data = path.read_bytes()
    assert data[:8] == b"RLACOLS1"
    return json.loads(data[12:12 + int.from_bytes(data[8:12], "little")])


def test_column_cache_is_used_and_invalidated_when_the_csv_changes(db: Path) -> None:
    legacy = Database(db).column_cache_file()          # the SQLite cache of earlier releases goes away
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(b"SQLite format 3\x00")
    _, first = plot_func(db, "plot_task", ["*/*/*/*lr=0.01&*"], ["lr"], ["ret"], resample=0)
    cache_dir = Database(db).column_cache_dir()
    files = sorted(cache_dir.glob("*.cols"))
    assert len(files) == 3 and not legacy.exists()     # one file per run
    for path in files:                                 # the regular time-step is kept as [first, step, rows]
        columns = _cache_header(path)["columns"]
        assert columns["time-step"][0] == "range" and columns["ret"][0] == "values"
    item = Database(db).items("plot_task")[0]
    csv = item.path("log") / "progress.csv"
    earlier = [cache_dir / path.stem for path in files]  # the per-column folders of the previous release
    for folder in earlier:
        folder.mkdir()
        (folder / "1-2.abc.npy").write_bytes(b"old")
    frame = pd.read_csv(csv)
    frame["ret"] += 3.0
    frame.to_csv(csv, index=False)
    _, second = plot_func(db, "plot_task", ["*/*/*/*lr=0.01&*"], ["lr"], ["ret"], resample=0)
    assert np.allclose(second["mean"], first["mean"] + 1.0)
    assert sorted(cache_dir.glob("*.cols")) == files          # the changed csv's file is written again
    assert sum(folder.exists() for folder in earlier) == 2    # and the earlier format of that csv removed
    _, more = plot_func(db, "plot_task", ["*/*/*/*lr=0.01&*"], ["lr"], ["loss"], resample=0)
    assert all({"time-step", "ret", "loss"} <= set(_cache_header(path)["columns"]) for path in files)
    _, uncached = plot_func(db, "plot_task", ["*/*/*/*lr=0.01&*"], ["lr"], ["ret"], resample=0, use_buf=False)
    assert np.allclose(uncached["mean"], second["mean"])
    for path, cut in zip(files, [0, 20, -8]):          # empty, a torn header, values cut short
        path.write_bytes(path.read_bytes()[:cut])
    _, despite = plot_func(db, "plot_task", ["*/*/*/*lr=0.01&*"], ["lr"], ["ret"], resample=0)
    assert np.allclose(despite["mean"], second["mean"])
    for path in files:                                  # ... and written again
        columns = _cache_header(path)["columns"]
        assert columns["ret"][0] == "values" and path.stat().st_size >= 10 * 8


def test_a_cache_file_rewritten_by_another_reader_is_never_misread(db: Path) -> None:
    from RLA.easy_plot import loader

    expected = {run.item.index: np.array(run.columns["ret"])
                for run in loader.load_runs(db, "plot_task", None, ["time-step", "ret"], use_cache=False)}
    loader.load_runs(db, "plot_task", None, ["time-step", "ret"])           # cached
    planned = loader.load_runs(db, "plot_task", None, ["time-step", "ret"])  # headers read, values not yet
    loader.load_runs(db, "plot_task", None, ["time-step", "ret", "loss"])    # each file rewritten, offsets moved
    for run in planned:
        np.testing.assert_array_equal(run.columns["ret"], expected[run.item.index])


def test_a_live_run_whose_cache_another_reader_rewrote_plots_every_row_it_has(tmp_path: Path) -> None:
    from RLA.easy_plot import loader
    from RLA.easy_plot.plot_func import group_curves
    from RLA.easy_plot.scores import collect_scores

    log = tmp_path / "log" / "live" / "2020" / "01" / "02" / "03-04-05-000006 10.0.0.1 &lr=0.5&seed=1"
    log.mkdir(parents=True)
    csv = log / "progress.csv"
    csv.write_text("time-step,ret\n" + "".join(f"{i * 10},{i * i}\n" for i in range(10)))
    loader.load_runs(tmp_path, "live", None, ["time-step", "ret"])            # cached
    planned = loader.load_runs(tmp_path, "live", None, ["time-step", "ret"])  # headers read: 10 rows
    with open(csv, "a") as f:                                                # the run logs on
        f.write("".join(f"{i * 10},{i * i}\n" for i in range(10, 15)))
    loader.load_runs(tmp_path, "live", None, ["time-step", "ret"])            # another reader rewrites the file
    _, data = plot_func(tmp_path, "live", None, ["lr"], ["ret"], resample=0)
    late = group_curves(planned, ["lr"], ["ret"], resample=0)               # x and y from one version
    assert late["x"].tolist() == data["x"].tolist() == [i * 10.0 for i in range(15)]
    assert late["mean"].tolist() == [float(i * i) for i in range(15)]
    with open(csv, "a") as f:
        f.write("150,225\n")
    assert collect_scores(tmp_path, "live", None, ["lr"], "ret")["score"].tolist() == [225.0]


def test_parent_keys_of_nested_parameters_group_and_filter_as_logged(tmp_path: Path) -> None:
    from RLA.easy_plot.plot_style import hp_filter_items

    day = tmp_path / "log" / "t" / "2020" / "01" / "02"
    for i, params in enumerate([{"optim": {"lr": 0.5, "name": "adam"}}, {"optim": {"lr": 0.1, "name": "sgd"}}]):
        log = day / f"03-04-05-00000{i} 10.0.0.1 &i={i}"
        log.mkdir(parents=True)
        (log / "progress.csv").write_text("time-step,ret\n0,1.0\n10,2.0\n")
        (log / "params.json").write_text(json.dumps(params))
    _, data = plot_func(tmp_path, "t", None, ["optim"], ["ret"], resample=0)
    assert sorted(set(data["legend"])) == ["optim={'lr': 0.1, 'name': 'sgd'}", "optim={'lr': 0.5, 'name': 'adam'}"]
    kept = hp_filter_items(tmp_path, "t", None, {"optim": [{"lr": 0.5, "name": "adam"}]})
    assert kept == ["2020/01/02/03-04-05-000000 10.0.0.1 &i=0"]


def test_legacy_items_take_parameters_from_their_names(db: Path) -> None:
    legacy = db / "log" / "plot_task" / "2020" / "01" / "02" / "03-04-05-000006 10.0.0.1 &lr=0.5&seed=1"
    legacy.mkdir(parents=True)
    (legacy / "progress.csv").write_text("time-step,ret\n0,1.0\n10,2.0\n20,4.0\n")
    figure, data = plot_func(db, "plot_task", ["2020/*"], ["lr"], ["ret"], resample=0)
    assert _legend_texts(figure) == ["lr=0.5"]
    assert data["mean"].tolist() == [1.0, 2.0, 4.0]
    as_written = db / "log" / "plot_task" / "2020" / "01" / "02" / "03-04-05-000007 10.0.0.1 &lr=1e-3&seed=01"
    as_written.mkdir()
    (as_written / "progress.csv").write_text("time-step,ret\n0,1.0\n10,2.0\n20,4.0\n")
    figure, _ = plot_func(db, "plot_task", ["2020/*"], ["lr", "seed"], ["ret"], resample=0)
    assert _legend_texts(figure) == ["lr=1e-3 seed=01", "lr=0.5 seed=1"]   # as the names wrote them


def test_clear_errors(db: Path) -> None:
    with pytest.raises(ItemNotFoundError, match="no item of table 'plot_task' matches"):
        plot_func(db, "plot_task", ["1999/*"], ["lr"], ["ret"])
    with pytest.raises(NoDataError, match="logged .reward.; their progress.csv columns: "):
        plot_func(db, "plot_task", None, ["lr"], ["reward"])
    with pytest.raises(ValueError, match="one label per metric"):
        plot_func(db, "plot_task", None, ["lr"], ["ret", "loss"], ylabel=["return"])


def test_many_runs_load_in_threads_and_the_cache_remembers_absent_columns(db: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from RLA.easy_plot import loader

    monkeypatch.setattr(loader, "PARALLEL_MIN_RUNS", 2)
    columns = ["time-step", "ret", "loss"]
    parallel = loader.load_runs(db, "plot_task", None, columns, workers=2)
    serial = loader.load_runs(db, "plot_task", None, columns, use_cache=False, workers=1)
    assert [r.item.index for r in parallel] == [r.item.index for r in serial]
    for a, b in zip(parallel, serial):
        assert sorted(a.columns) == sorted(b.columns)
        assert all(np.array_equal(a.columns[c], b.columns[c]) for c in a.columns)
    assert sum("loss" in r.columns for r in parallel) == 3      # only lr=0.01 logged it

    def no_parsing(*args: object) -> None:
        raise AssertionError("a cached run was parsed again")

    monkeypatch.setattr(loader, "_read_csv_columns", no_parsing)
    cached = loader.load_runs(db, "plot_task", None, columns, workers=2)
    for a, b in zip(cached, serial):       # served exactly (the regular time-step is kept as start + step)
        assert sorted(a.columns) == sorted(b.columns)
        assert all(np.array_equal(a.columns[c], b.columns[c]) for c in a.columns)


@pytest.mark.parametrize("parser", ["pyarrow", "pandas"])
def test_empty_and_non_numeric_cells_read_as_nan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parser: str) -> None:
    import importlib.util

    from RLA.easy_plot import loader

    if parser == "pandas":
        monkeypatch.setattr(loader, "_read_with_pyarrow", lambda *args: None)  # as without pyarrow
    elif importlib.util.find_spec("pyarrow") is None:
        pytest.skip("pyarrow is not installed")
    csv = tmp_path / "progress.csv"
    csv.write_text("time-step,a,b,c\n0,1.5,,x\n1,nan,inf,2\n2,-inf,3,\n")
    table = loader.read_columns(csv, ["time-step", "a", "b", "c", "missing"])
    assert sorted(table) == ["a", "b", "c", "time-step"]
    np.testing.assert_array_equal(table["a"], [1.5, np.nan, -np.inf])
    np.testing.assert_array_equal(table["b"], [np.nan, np.inf, 3.0])
    np.testing.assert_array_equal(table["c"], [np.nan, 2.0, np.nan])


def test_import_rla_stays_light_and_exports_the_plotting_api() -> None:
    code = ("import sys, RLA; heavy = [m for m in ('matplotlib', 'pandas') if m in sys.modules]; "
            "assert not heavy, heavy; from RLA import plot_func, MatplotlibRecorder, summary_table; "
            "from RLA.easy_plot.plot_func import plot_func as same; assert same is plot_func; "
            "from RLA.easy_plot.plot_func_v2 import plot_func as v2; assert callable(v2)")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)


def test_plot_load_bench_runs_on_a_small_table(tmp_path: Path) -> None:
    bench = Path(__file__).resolve().parents[1] / "bench" / "plot_load.py"
    result = subprocess.run([sys.executable, str(bench), "--runs", "20", "--rows", "50", "--repeat", "1",
                             "--keep", str(tmp_path / "db")], capture_output=True, text=True, check=True)
    assert "plot_func cold (no cache)" in result.stdout and "ratio" in result.stdout


def test_a_crashed_run_is_named_and_can_be_left_out(db: Path) -> None:
    from RLA.easy_log.time_step import time_step_holder

    _run(db, 0.01, 4, range(0, 10, 10), lambda t, s: t / 100 + s, with_loss=True)   # crashed after one row
    logger.reset()
    exp_manager.__init__(time_step_holder)
    crashed = [i.index for i in Database(db).items("plot_task") if "seed=4" in i.name]
    assert len(crashed) == 1

    with pytest.warns(RuntimeWarning, match="x_range='intersection' ends the curve at x=0") as caught:
        _, data = plot_func(db, "plot_task", None, ["lr"], ["ret"])
    assert any(crashed[0] in str(w.message) for w in caught)
    cut = data[data.legend == "lr=0.01"]
    assert cut.x.max() == 0.0 and cut.n.max() == 4                            # the documented behaviour stays

    with pytest.warns(RuntimeWarning, match="left out 1 of 4 runs") as caught:
        _, kept = plot_func(db, "plot_task", None, ["lr"], ["ret"], min_run_fraction=0.5)
    assert any(crashed[0] in str(w.message) for w in caught)
    assert not any("ends the curve" in str(w.message) for w in caught)
    full = kept[kept.legend == "lr=0.01"]
    assert full.x.max() == 90.0 and full.n.min() == 3
    assert crashed[0] not in {row["index"] for row in kept.attrs["runs"]}
    with pytest.raises(ValueError, match="min_run_fraction"):
        plot_func(db, "plot_task", None, ["lr"], ["ret"], min_run_fraction=2)


def test_regs_select_what_rla_ls_selects(db: Path) -> None:
    from click.testing import CliRunner

    from RLA.cli import main

    def ls(pattern: str) -> set:
        result = CliRunner().invoke(main, ["ls", "--data-root", str(db), "-t", "plot_task", pattern, "--json"])
        assert result.exit_code == 0, result.output
        import json

        return {row["index"] for row in json.loads(result.output)}

    def plotted(reg: str) -> set:
        _, data = plot_func(db, "plot_task", [reg], ["lr"], ["ret"], resample=0)
        return {row["index"] for row in data.attrs["runs"]}

    day = Database(db).items("plot_task")[0].date
    for reg in ("*/*/*/*lr=0.01&*", "*lr=0.01&*", day, day.rsplit("/", 1)[0] + "/*", "*seed=[12]"):
        assert plotted(reg) == ls(reg) and plotted(reg), reg
    assert len(plotted("*lr=0.01&*")) == 3
    # '*' stops at '/' as in `rla ls`: a pattern crossing folders selects nothing, and says how to write it
    # (the year, not a bare '2': a pattern without '/' also matches the name, which starts with the hour)
    crossing = day[:4] + "*lr=0.01*"
    assert ls(crossing) == set()
    with pytest.warns(UserWarning, match=re.escape(repr("*/*/*/" + crossing))), \
            pytest.raises(ItemNotFoundError, match="stops at '/'"):
        plot_func(db, "plot_task", [crossing], ["lr"], ["ret"])
    _, where = plot_func(db, "plot_task", None, ["lr"], ["ret"], resample=0, where="lr == 0.01 and seed < 3")
    assert where.legend.unique().tolist() == ["lr=0.01"] and where.n.max() == 2


def test_a_run_that_died_before_its_first_row_is_named_and_left_out_of_the_scores(db: Path) -> None:
    from RLA.easy_plot.scores import collect_scores

    _run(db, 0.01, 9, range(0), lambda t, s: 0.0, with_loss=False)  # progress.csv stays empty
    crashed = exp_manager.item.index
    with pytest.warns(RuntimeWarning, match=r"left out of the scores") as warned:
        scores = collect_scores(db, "plot_task", None, ["lr"], "ret")
    assert crashed in str(warned[0].message)
    assert crashed not in set(scores["index"]) and len(scores) == 6
