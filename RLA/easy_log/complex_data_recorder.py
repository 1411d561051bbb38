"""Figures, images and videos of a run, saved under the item's ``results/`` folder.

File names start with the current time-step (``<step>-<name>``), so a figure
saved at every evaluation never overwrites the previous one. A second file of
the same name at the same time-step is saved beside the first as
``<step>-<name>-1.png``, ``-2``, ... (``cover=True`` overwrites instead), so
no figure is ever dropped silently. Everything is
headless: figures are drawn on matplotlib's Agg canvas.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Union

from RLA.db.atomic import free_path
from RLA.easy_log.tester import exp_manager
from RLA.errors import UsageError

__all__ = ["MatplotlibRecorder", "ImgRecorder", "VideoRecorder", "record_video", "results_path"]


def results_path(name: str, add_timestamp: bool = True, default_suffix: str = ".png",
                 results_dir: Optional[Union[str, os.PathLike]] = None) -> Path:
    """Where ``name`` is saved in the current run's ``results/`` folder (or in ``results_dir``).

    ``name`` may hold sub-folders (``"eval/policy.png"``); with ``add_timestamp``
    the file name is prefixed by the time-step; a name without a suffix gets
    ``default_suffix``. The parent folder is created.
    """
    relative = Path(name)
    if not relative.name or relative.is_absolute() or ".." in relative.parts or "\0" in name:
        raise UsageError(f"results name {name!r} must be a relative path inside the run's results folder")
    if not relative.suffix:
        relative = relative.with_name(relative.name + default_suffix)
    if add_timestamp:
        relative = relative.with_name(f"{exp_manager.time_step_holder.get_time()}-{relative.name}")
    path = Path(results_dir if results_dir is not None else exp_manager.results_dir) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _pyplot() -> Any:
    """pyplot on the Agg backend, unless the user already chose a backend."""
    if "matplotlib.pyplot" not in sys.modules:
        import matplotlib

        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


class MatplotlibRecorder:
    """Save matplotlib figures into the run's results folder."""

    @classmethod
    def save(cls, name: str, fig: Any = None, cover: bool = False, add_timestamp: bool = True,
             results_dir: Optional[Union[str, os.PathLike]] = None, **savefig_kwargs: Any) -> Path:
        """Save ``fig`` (default: pyplot's current figure) as ``name``; return its path.

        An existing file of that name is kept and this figure is saved beside it as
        ``<name>-1``, ``<name>-2``, ... (the returned path says which); ``cover=True``
        overwrites the existing file instead.
        """
        path = results_path(name, add_timestamp, results_dir=results_dir)
        if not cover:
            path = free_path(path)
        figure = fig if fig is not None else _pyplot().gcf()
        figure.savefig(path, **savefig_kwargs)
        return path

    @classmethod
    def pretty_plot_wrapper(cls, name: str, plot_func: Callable[[], Any], cover: bool = False,
                            legend_outside: bool = False, pretty_plot: bool = True, xlabel: str = "",
                            ylabel: str = "", title: str = "", add_timestamp: bool = True,
                            close_all_fig: bool = False, results_dir: Optional[Union[str, os.PathLike]] = None,
                            **savefig_kwargs: Any) -> Path:
        """Run ``plot_func`` (pyplot calls) on a fresh figure, style it, save it, close it.

        RLA 0.6's keywords: ``pretty_plot=False`` keeps pyplot's own labels, fonts and grid;
        ``close_all_fig`` also closes every other pyplot figure; ``results_dir`` saves there
        instead of in the run's results folder."""
        plt = _pyplot()
        figure = plt.figure()
        try:
            plot_func()
            axes = plt.gca()
            extra = []
            if axes.get_legend_handles_labels()[0]:
                if legend_outside:
                    extra.append(axes.legend(prop={"size": 13}, loc="upper left", bbox_to_anchor=(1, 1)))
                else:
                    extra.append(axes.legend(prop={"size": 13}))
            if pretty_plot:
                axes.set_xlabel(xlabel, fontsize=16)
                axes.set_ylabel(ylabel, fontsize=16)
                axes.set_title(title, fontsize=13)
                axes.tick_params(labelsize=12)
                axes.grid(True)
            savefig_kwargs.setdefault("bbox_inches", "tight")
            return cls.save(name, figure, cover=cover, add_timestamp=add_timestamp, results_dir=results_dir,
                            bbox_extra_artists=tuple(extra), **savefig_kwargs)
        finally:
            plt.close("all" if close_all_fig else figure)


def _as_uint8(image: Any) -> Any:
    """An image as uint8: floats are taken to lie in [0, 1]."""
    import numpy as np

    array = np.asarray(image)
    if array.dtype == np.uint8:
        return array
    if np.issubdtype(array.dtype, np.floating):
        return (np.clip(array, 0.0, 1.0) * 255).round().astype(np.uint8)
    return np.clip(array, 0, 255).astype(np.uint8)


class ImgRecorder:
    """Save numpy images (H×W gray, H×W×3 RGB or H×W×4 RGBA) into the results folder."""

    @classmethod
    def save(cls, name: str, img: Any, cover: bool = False, add_timestamp: bool = True) -> Path:
        import numpy as np
        from matplotlib import image as mpl_image

        array = _as_uint8(img)
        if array.ndim == 3 and array.shape[2] == 1:
            array = array[:, :, 0]
        if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (3, 4)):
            raise UsageError(f"ImgRecorder.save expects an H×W, H×W×3 or H×W×4 array, got shape {np.shape(img)}")
        path = results_path(name, add_timestamp)
        if not cover:  # never drop an image: a second one of the same name goes to <name>-1, -2, ...
            path = free_path(path)
        mpl_image.imsave(path, array, cmap="gray" if array.ndim == 2 else None, vmin=0, vmax=255)
        return path


class VideoRecorder:
    """Collect frames of an agent roll-out and write them as a video in the results folder.

    mp4 (H.264 through imageio-ffmpeg) when available, otherwise an animated gif::

        with VideoRecorder("rollout", fps=30) as video:
            for _ in range(T):
                video.add(env.render())
        video.path   # results/<step>-rollout.mp4
    """

    def __init__(self, name: str, fps: float = 30, add_timestamp: bool = True):
        self.name = name
        self.fps = fps
        self.add_timestamp = add_timestamp
        self.frames: list = []
        self.path: Optional[Path] = None

    def add(self, frame: Any) -> None:
        self.frames.append(_as_uint8(frame))

    def close(self) -> Optional[Path]:
        """Write the collected frames; ``None`` when there were none."""
        if self.frames and self.path is None:
            self.path = _write_video(self.name, self.frames, self.fps, self.add_timestamp)
            self.frames = []
        return self.path

    def __enter__(self) -> "VideoRecorder":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def record_video(name: str, frames: Iterable[Any], fps: float = 30, add_timestamp: bool = True) -> Path:
    """Write ``frames`` (H×W×3 uint8 or floats in [0, 1]) as a video; return its path."""
    frames = [_as_uint8(f) for f in frames]
    if not frames:
        raise UsageError("record_video got no frames")
    return _write_video(name, frames, fps, add_timestamp)


def _even(frame: Any) -> Any:
    """Pad a frame to even height and width (H.264 with yuv420p needs them)."""
    import numpy as np

    if frame.ndim == 2:
        frame = np.repeat(frame[:, :, None], 3, axis=2)
    pad_h, pad_w = frame.shape[0] % 2, frame.shape[1] % 2
    if pad_h or pad_w:
        frame = np.pad(frame, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
    return frame


def _write_video(name: str, frames: list, fps: float, add_timestamp: bool) -> Path:
    try:
        import imageio.v2 as imageio
    except ImportError:
        raise ImportError("recording videos needs imageio: pip install 'RLA[video]'") from None
    stem = os.path.splitext(name)[0]
    try:
        import imageio_ffmpeg  # noqa: F401  (the mp4 writer)
    except ImportError:
        path = free_path(results_path(stem + ".gif", add_timestamp))
        imageio.mimsave(path, frames, duration=1000.0 / fps, loop=0)
        return path
    path = free_path(results_path(stem + ".mp4", add_timestamp))
    imageio.mimwrite(path, [_even(f) for f in frames], fps=fps, codec="libx264", macro_block_size=1,
                     pixelformat="yuv420p")
    return path
