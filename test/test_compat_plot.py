"""RLA 0.6.3's plotting keywords (plot_func_v2) and plot_saved_images, on a database in 0.6's shape.

Known curves: learning_rate lr in {0.001, 0.01, 0.1} × seed s in {1, 2}, logged at t = 0..99:
``perf/reward = lr * t + s`` and ``perf/mse = t * s``; so a group's mean reward at t is ``lr * t + 1.5``.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from RLA.easy_plot.plot_func_v2 import plot_func  # noqa: E402
from RLA.easy_plot.plot_saved_images import plot_saved_images  # noqa: E402
from RLA.errors import NoDataError, UsageError  # noqa: E402

TASK = "demo_task"
DATE = "2023/02/02"
LRS = (0.001, 0.01, 0.1)


def _item_name(minute: int, lr: float, seed: int) -> str:
    return f"13-{minute:02d}-13-132216_11.0.91.89_&learning_rate={lr}&seed={seed}"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("compat_plot") / "db"
    minute = 0
    for lr in LRS:
        for seed in (1, 2):
            name = _item_name(minute, lr, seed)
            minute += 1
            log = root / "log" / TASK / DATE / name
            log.mkdir(parents=True)
            rows = "\n".join(f"{t},{lr * t + seed},{t * seed}" for t in range(100))
            (log / "progress.csv").write_text("time-step,perf/reward,perf/mse\n" + rows + "\n,,\n")
            (log / "parameter.json").write_text(json.dumps({"learning_rate": lr, "seed": seed}))
            results = root / "results" / TASK / DATE / name
            (results / "figs").mkdir(parents=True)
            for step in (10, 20):
                path = results / "figs" / f"{step}-react_func.png"
                plt.imsave(path, np.full((4, 6, 3), step / 20 * seed / 2))
                os.utime(path, (1_700_000_000 + step, 1_700_000_000 + step))
            plt.imsave(results / "other.png", np.zeros((3, 3, 3)))
    return root


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _final_means(data, metric="perf/reward"):
    rows = data[data.metric == metric]
    return rows.groupby("legend")["mean"].last().to_dict()


def test_hp_filter_dict_keeps_runs_whose_params_match_as_text_or_number(db: Path):
    figure, data = plot_func(str(db), TASK, ["2023/02/02/*"], ["learning_rate"], ["perf/reward"], resample=0,
                             hp_filter_dict={"learning_rate": [0.01, "0.001"]})
    assert _final_means(data) == pytest.approx({"learning_rate=0.001": 0.001 * 99 + 1.5,
                                                "learning_rate=0.01": 0.01 * 99 + 1.5})
    assert sorted({row["index"].split("&")[1] for row in data.attrs["runs"]}) == \
        ["learning_rate=0.001", "learning_rate=0.01"]
    assert plt.gcf() is figure
    with pytest.warns(UserWarning, match="'algo' is not a parameter of 6 item"):
        _, kept = plot_func(str(db), TASK, None, ["learning_rate"], ["perf/reward"],
                            hp_filter_dict={"algo": ["sac"], "seed": [2]})
    assert set(kept.legend) == {f"learning_rate={lr}" for lr in LRS} and set(kept.n) == {1}
    with pytest.raises(NoDataError, match="hp_filter_dict"):
        plot_func(str(db), TASK, None, ["learning_rate"], ["perf/reward"], hp_filter_dict={"learning_rate": [7]})


def test_x_bound_resample_and_list_ylabel(db: Path):
    _, bounded = plot_func(str(db), TASK, None, ["learning_rate"], ["perf/reward"], resample=0, x_bound=(10, 50))
    assert bounded.x.min() == 10 and bounded.x.max() == 50
    assert _final_means(bounded)["learning_rate=0.1"] == pytest.approx(0.1 * 50 + 1.5)
    _, upto = plot_func(str(db), TASK, None, ["learning_rate"], ["perf/reward"], resample=0, x_bound=40)
    assert upto.x.max() == 40 and upto.x.min() == 0
    with pytest.raises(UsageError, match="x_bound"):
        plot_func(str(db), TASK, None, ["learning_rate"], ["perf/reward"], x_bound=40, xlim=(0, 40))
    figure, grid = plot_func(str(db), TASK, None, ["learning_rate"], ["perf/reward", "perf/mse"], resample=100,
                             ylabel=["Reward", "MSE"])
    per_curve = grid.groupby(["metric", "legend"]).size()
    assert set(per_curve) == {100}
    assert grid[grid.metric == "perf/mse"].groupby("legend")["mean"].last().to_dict() == \
        pytest.approx({f"learning_rate={lr}": 99 * 1.5 for lr in LRS})
    assert [axes.get_ylabel() for axes in figure.axes] == ["Reward", "MSE"]
    with pytest.raises(UsageError, match="ylabel has 1 labels for 2 subplots"):
        plot_func(str(db), TASK, None, ["learning_rate"], ["perf/reward", "perf/mse"], ylabel=["only one"])


def test_a_metric_no_run_logged_is_left_out_with_its_label_as_06_did(db: Path):
    with pytest.warns(UserWarning, match=r"no selected run logged 'y_out'"):
        figure, grid = plot_func(str(db), TASK, None, ["learning_rate"], ["perf/mse", "y_out", "perf/reward"],
                                 ylabel=["MSE", "Y", "Reward"])
    assert [axes.get_ylabel() for axes in figure.axes] == ["MSE", "Reward"]
    assert list(grid["metric"].unique()) == ["perf/mse", "perf/reward"]


def test_regs2legends_one_curve_per_reg(db: Path):
    regs = [f"{DATE}/*learning_rate=0.001*", f"{DATE}/*learning_rate=0.1*"]
    figure, data = plot_func(str(db), TASK, regs, None, ["perf/reward", "perf/mse"], resample=0,
                             regs2legends=["slow", "fast"], legend_ncol=2)
    assert _final_means(data) == pytest.approx({"slow": 0.001 * 99 + 1.5, "fast": 0.1 * 99 + 1.5})
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["slow", "fast"]
    assert figure.legends[0]._ncols == 2


def test_pretty_markers_skip_legend_and_log(db: Path):
    figure, _ = plot_func(str(db), TASK, None, ["learning_rate"], ["perf/reward"], pretty=True, use_marker=True,
                          resample=50)
    axes = figure.axes[0]
    lines = axes.get_lines()
    assert [line.get_color() for line in lines] == ["orangered", "royalblue", "forestgreen"]
    assert [line.get_marker() for line in lines] == ["o", "v", "d"] and lines[0].get_markevery() == 5
    assert axes.yaxis.label.get_fontsize() == 18 and axes.get_legend().get_texts()[0].get_fontsize() == 15
    figure, _ = plot_func(str(db), TASK, None, ["learning_rate"], ["perf/mse"], use_marker=True,
                          markers=["s", "^"], skip_legend=True, log=True, resample=0, x_bound=(1, 99))
    axes = figure.axes[0]
    assert [line.get_marker() for line in axes.get_lines()] == ["s", "^", "s"]
    assert axes.get_legend() is None and not figure.legends and axes.get_yscale() == "log"
    figure, _ = plot_func(str(db), TASK, None, ["learning_rate"], ["perf/reward", "perf/mse"], tiling="vertical")
    assert [a.get_subplotspec().colspan.start for a in figure.axes] == [0, 0]


@pytest.mark.parametrize("save_name,files,magic", [
    ("fig/v.svg", ["v.svg"], b"<?xml"),
    ("fig/v.jpg", ["v.jpg"], b"\xff\xd8"),
    ("fig/v.pdf", ["v.png", "v.pdf"], b"\x89PNG"),
    ("fig/lr=0.01", ["lr=0.01.png", "lr=0.01.pdf"], b"\x89PNG"),
])
def test_save_name_with_any_suffix_matplotlib_writes(db: Path, save_name, files, magic):
    _, data = plot_func(str(db), TASK, None, ["learning_rate"], ["perf/reward"], save_name=save_name)
    folder = db / "results" / "easy_plot" / "fig"
    assert data.attrs["saved"] == [folder / f for f in files]
    assert (folder / files[0]).read_bytes()[:len(magic)] == magic
    plt.savefig(db / "after_call.png")  # 0.6 scripts save pyplot's current figure themselves
    assert (db / "after_call.png").stat().st_size > 1000


def test_plot_saved_images_grid_of_the_latest_matching_images(db: Path):
    figure, images = plot_saved_images(str(db), TASK, [f"{DATE}/*"], ["*react_func.png"],
                                       hp_filter_dict={"learning_rate": [0.01]}, max_keep_num=1)
    assert sorted(images) == [f"{DATE}/{_item_name(2, 0.01, 1)}", f"{DATE}/{_item_name(3, 0.01, 2)}"]
    assert all([p.name for p in v["*react_func.png"]] == ["20-react_func.png"] for v in images.values())
    assert len(figure.axes) == 2 and [a.get_title() for a in figure.axes] == ["20-react_func.png"] * 2
    figure.canvas.draw()  # each row is labelled with its run's parameters, inside the figure (not cut off)
    label = figure.axes[0].yaxis.label
    assert "learning_rate=0.01" in label.get_text() and label.get_visible()
    assert 0 <= label.get_window_extent().x0 and label.get_window_extent().x1 <= figure.bbox.x1
    shown = figure.axes[1].get_images()[0].get_array()
    assert shown.shape[:2] == (4, 6) and float(shown[0, 0, 0]) == pytest.approx(1.0, abs=0.01)
    figure, images = plot_saved_images(str(db), TASK, None, ["figs/*.png", "other.png"], max_keep_num=2,
                                       summarize_res=False)
    assert len(images) == 6 and len(figure.axes) == 6 * 3
    assert [p.name for p in images[f"{DATE}/{_item_name(0, 0.001, 1)}"]["figs/*.png"]] == \
        ["10-react_func.png", "20-react_func.png"]
    with pytest.raises(NoDataError, match="saved an image"):
        plot_saved_images(str(db), TASK, None, ["missing*.png"])


def test_plot_res_func_of_06_takes_a_tables_log_folder(db: Path):
    from RLA.easy_plot.plot_func import plot_res_func

    with pytest.warns(DeprecationWarning, match="plot_res_func is RLA 0.6's"):
        _, data = plot_res_func(str(db / "log" / TASK), ["/2023/02/02/*"], ["learning_rate"], ["perf/reward"],
                                resample=0)
    assert _final_means(data) == pytest.approx({f"learning_rate={lr}": lr * 99 + 1.5 for lr in LRS})
    with pytest.raises(UsageError, match="a table's log folder"):
        plot_res_func(str(db), ["*"], ["learning_rate"], ["perf/reward"])
