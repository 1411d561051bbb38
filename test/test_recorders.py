"""Figures, images and videos saved during a run land in the item's results folder."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from RLA.easy_log.complex_data_recorder import ImgRecorder, MatplotlibRecorder, VideoRecorder, record_video
from RLA.easy_log.simple_mat_plot import simple_hist, simple_plot, simple_scatter
from RLA.easy_log.tester import exp_manager


@pytest.fixture
def run(data_root: Path) -> Path:
    exp_manager.configure(task_table_name="rec_task", rla_config={"LOG_USED": ["csv"]}, data_root=data_root,
                          code_root=str(data_root.parent))
    exp_manager.log_files_gen()
    return Path(exp_manager.results_dir)


def test_simple_plots_carry_the_time_step_and_never_overwrite(run: Path) -> None:
    exp_manager.time_step_holder.set_time(10)
    first = simple_plot("curves", data=[[1, 2, 3], [3, 2, 1]], labels=["up", "down"], xlabel="t")
    exp_manager.time_step_holder.set_time(20)
    second = simple_plot("curves", x=[[0, 1]], y=[[1, 0]])
    assert first == run / "10-curves.png" and second == run / "20-curves.png"
    assert first.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and second.exists()

    hist = simple_hist("dist/hist", np.random.default_rng(0).normal(size=100), bins=10, pretty=True)
    assert hist == run / "dist" / "20-hist.pdf" and hist.read_bytes()[:4] == b"%PDF"
    scatter = simple_scatter("cloud", [np.zeros((5, 2)), np.ones((5, 2))], ["a", "b"])
    assert scatter.exists()


def test_existing_file_is_kept_unless_cover(run: Path) -> None:
    path = simple_plot("same", data=[[1, 2]])
    path.write_bytes(b"old")
    second = simple_plot("same", data=[[1, 2]])
    assert second == path.with_name(path.stem + "-1.png") and second.read_bytes()[:4] == b"\x89PNG"
    assert path.read_bytes() == b"old"
    simple_plot("same", data=[[1, 2]], cover=True)
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_two_figures_and_images_at_one_step_are_both_kept(run: Path) -> None:
    from matplotlib import image as mpl_image
    from matplotlib.figure import Figure

    exp_manager.time_step_holder.set_time(7)
    paths = []
    for color in ("red", "blue"):
        figure = Figure()
        figure.add_subplot().plot([0, 1], color=color)
        paths.append(MatplotlibRecorder.save("eval", figure))
    assert paths == [run / "7-eval.png", run / "7-eval-1.png"]
    assert paths[0].read_bytes() != paths[1].read_bytes()
    black, white = np.zeros((2, 2), dtype=np.uint8), np.full((2, 2), 255, dtype=np.uint8)
    images = [ImgRecorder.save("obs", black), ImgRecorder.save("obs", white), ImgRecorder.save("obs", black)]
    assert images == [run / "7-obs.png", run / "7-obs-1.png", run / "7-obs-2.png"]
    assert mpl_image.imread(images[0])[..., 0].max() == 0.0 and mpl_image.imread(images[1])[..., 0].min() == 1.0


def test_matplotlib_recorder_and_pretty_wrapper(run: Path) -> None:
    from matplotlib.figure import Figure

    figure = Figure()
    figure.add_subplot().plot([0, 1], [1, 0])
    exp_manager.time_step_holder.set_time(7)
    assert MatplotlibRecorder.save("fig.png", fig=figure) == run / "7-fig.png"
    assert MatplotlibRecorder.save("fig.png", fig=figure, add_timestamp=False) == run / "fig.png"

    def draw() -> None:
        import matplotlib.pyplot as plt

        plt.plot([0, 1], [0, 1], label="line")

    path = MatplotlibRecorder.pretty_plot_wrapper("pretty.pdf", draw, legend_outside=True, title="t")
    assert path == run / "7-pretty.pdf" and path.read_bytes()[:4] == b"%PDF"
    with pytest.raises(ValueError, match="relative path"):
        MatplotlibRecorder.save("../escape.png", fig=figure)


def test_the_06_keywords_of_pretty_plot_wrapper(run: Path, tmp_path: Path) -> None:
    import matplotlib.pyplot as plt
    from PIL import Image

    def draw() -> None:
        plt.plot([0, 1], [0, 1], label="line")

    other = plt.figure()
    exp_manager.time_step_holder.set_time(3)
    path = MatplotlibRecorder.pretty_plot_wrapper("f", draw, pretty_plot=True, xlabel="x", ylabel="y",
                                                  title="react test", close_all_fig=True, dpi=50)
    assert path == run / "3-f.png" and Image.open(path).size[0] > 50
    assert not plt.fignum_exists(other.number)  # close_all_fig closed the user's figure too
    elsewhere = MatplotlibRecorder.pretty_plot_wrapper("g.png", draw, pretty_plot=False, results_dir=tmp_path / "out")
    assert elsewhere == tmp_path / "out" / "3-g.png" and elsewhere.stat().st_size > 0


def test_img_recorder_round_trips_pixels(run: Path) -> None:
    from matplotlib import image as mpl_image

    rgb = np.zeros((4, 6, 3), dtype=np.uint8)
    rgb[:, :3, 0] = 255
    path = ImgRecorder.save("frame", rgb)
    back = mpl_image.imread(path)
    assert back.shape[:2] == (4, 6) and np.allclose(back[:, :3, 0], 1.0) and np.allclose(back[:, 3:, 0], 0.0)
    gray = ImgRecorder.save("gray.png", np.linspace(0, 1, 12).reshape(3, 4))
    assert mpl_image.imread(gray).shape[:2] == (3, 4)
    with pytest.raises(ValueError, match="H×W"):
        ImgRecorder.save("bad", np.zeros((2, 2, 5)))


def test_video_mp4_and_gif_fallback(run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import imageio.v2 as imageio

    frames = [np.full((15, 21, 3), i * 20, dtype=np.uint8) for i in range(8)]
    path = record_video("rollout", frames, fps=10)
    assert path == run / "0-rollout.mp4" and path.stat().st_size > 0
    reader = imageio.get_reader(path)
    assert reader.count_frames() == 8 and reader.get_data(0).shape == (16, 22, 3)
    reader.close()

    with VideoRecorder("episode", fps=5, add_timestamp=False) as video:
        for frame in frames[:3]:
            video.add(frame.astype(float) / 255)
    assert video.path == run / "episode.mp4"

    import sys
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # as if the ffmpeg extra were missing
    gif = record_video("rollout", frames, fps=10)
    assert gif == run / "0-rollout.gif" and len(imageio.mimread(gif)) == 8

