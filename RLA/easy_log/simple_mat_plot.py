"""One-call figures of a run (lines, histograms, scatter clouds) saved under ``results/``.

Each function draws on its own figure (nothing global is touched), saves it
through :class:`~RLA.easy_log.complex_data_recorder.MatplotlibRecorder` and
returns the saved path. ``pretty=True`` writes a pdf instead of a png.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence

from RLA.easy_log.complex_data_recorder import MatplotlibRecorder

__all__ = ["simple_plot", "simple_hist", "simple_scatter"]


def _new_axes() -> Any:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.8))
    return figure, figure.add_subplot()


def _finish(figure: Any, axes: Any, name: str, pretty: bool, xlabel: str, ylabel: str,
            cover: bool, add_timestamp: bool, legend: bool) -> Path:
    if legend:
        axes.legend(prop={"size": 13})
    axes.set_xlabel(xlabel, fontsize=16)
    axes.set_ylabel(ylabel, fontsize=16)
    axes.tick_params(labelsize=12)
    axes.grid(True)
    file_name = name if Path(name).suffix else name + (".pdf" if pretty else ".png")
    return MatplotlibRecorder.save(file_name, figure, cover=cover, add_timestamp=add_timestamp,
                                   bbox_inches="tight")


def simple_plot(name: str, data: Optional[Sequence[Any]] = None, x: Optional[Sequence[Any]] = None,
                y: Optional[Sequence[Any]] = None, labels: Optional[Sequence[str]] = None,
                pretty: bool = False, xlabel: str = "", ylabel: str = "",
                colors: Optional[Sequence[Any]] = None, styles: Optional[Sequence[str]] = None,
                cover: bool = False, add_timestamp: bool = True) -> Path:
    """Line plot of several curves: ``data`` (y only) or ``x`` and ``y`` (one sequence per curve)."""
    if data is not None:
        curves = [(None, d) for d in data]
    elif x is not None and y is not None:
        if len(x) != len(y):
            raise ValueError(f"simple_plot got {len(x)} x sequences but {len(y)} y sequences")
        curves = list(zip(x, y))
    else:
        raise ValueError("simple_plot needs data=[y1, y2, ...] or both x=[...] and y=[...]")
    figure, axes = _new_axes()
    for i, (x_i, y_i) in enumerate(curves):
        style = styles[i] if styles is not None else "-"
        kwargs = {"label": labels[i] if labels is not None else None}
        if colors is not None:
            kwargs["color"] = colors[i]
        if x_i is None:
            axes.plot(y_i, style, **kwargs)
        else:
            axes.plot(x_i, y_i, style, **kwargs)
    return _finish(figure, axes, name, pretty, xlabel, ylabel, cover, add_timestamp, labels is not None)


def simple_hist(name: str, data: Any, labels: Optional[Sequence[str]] = None, pretty: bool = False,
                xlabel: str = "", ylabel: str = "", colors: Optional[Sequence[Any]] = None,
                cover: bool = False, add_timestamp: bool = True, **hist_kwargs: Any) -> Path:
    """Step histograms of one array or a list of arrays (``hist_kwargs`` go to ``Axes.hist``)."""
    figure, axes = _new_axes()
    axes.hist(data, label=labels, color=colors, histtype="step", **hist_kwargs)
    return _finish(figure, axes, name, pretty, xlabel, ylabel, cover, add_timestamp, labels is not None)


def simple_scatter(name: str, datas: Sequence[Any], texts: Sequence[Any], pretty: bool = False,
                   xlabel: str = "", ylabel: str = "", cover: bool = False,
                   add_timestamp: bool = True) -> Path:
    """Scatter clouds (each an N×2 array), each annotated with its text at its mean."""
    import numpy as np
    from matplotlib import colors as mcolors

    palette = list(mcolors.TABLEAU_COLORS)
    figure, axes = _new_axes()
    for i, (data, text) in enumerate(zip(datas, texts)):
        points = np.asarray(data, dtype=float)
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"simple_scatter expects N×2 arrays, got shape {points.shape} at position {i}")
        color = palette[i % len(palette)]
        axes.scatter(points[:, 0], points[:, 1], color=color, marker="x", alpha=0.2)
        axes.annotate(str(text), xy=points.mean(axis=0), color=color)
    return _finish(figure, axes, name, pretty, xlabel, ylabel, cover, add_timestamp, False)
