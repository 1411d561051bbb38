"""The look and the keyword translation of :func:`RLA.easy_plot.plot_func.plot_func`.

Kept apart from the drawing loop so ``plot_func`` stays about data: the
``pretty`` style, markers and legend layout of RLA 0.6's ``plot_results``, its
``hp_filter_dict`` run filter and ``x_bound`` limit, and the file formats a
``save_name`` may ask for.
"""
from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from RLA.easy_plot.loader import NOT_FOUND, Reg, match_items, param_value, run_params
from RLA.errors import UsageError

__all__ = ["PlotStyle", "PRETTY_COLORS", "PRETTY_MARKERS", "x_bound_to_xlim", "hp_filter_items",
           "matches_hp_filter", "save_formats", "grid_shape"]

#: the palettes of RLA 0.6's pretty mode
PRETTY_COLORS = ("orangered", "royalblue", "forestgreen", "orange", "deeppink", "deepskyblue")
PRETTY_MARKERS = ("o", "v", "d", "P", "p")
#: markers per curve when ``use_marker`` is on
MARKERS_PER_CURVE = 10
TILINGS = ("symmetric", "vertical", "horizontal")
#: formats saved when ``save_name`` has no suffix (or ``.png`` / ``.pdf``)
DEFAULT_FORMATS = (".png", ".pdf")


@dataclass(frozen=True)
class PlotStyle:
    """How curves, axes and the legend look.

    ``pretty``: larger fonts, math-text tick offsets, no subplot titles and the
    pretty palette (RLA 0.6's paper style); ``use_marker`` / ``markers``: a marker
    every tenth of each curve; ``legend_ncol``: columns of the figure legend;
    ``skip_legend``: no legend; ``log``: log-scaled y axes; ``tiling``:
    ``"symmetric"`` (a grid), ``"vertical"`` (one column) or ``"horizontal"`` (one row).
    """

    pretty: bool = False
    use_marker: bool = False
    markers: Optional[Sequence[str]] = None
    legend_ncol: int = 1
    skip_legend: bool = False
    log: bool = False
    tiling: str = "symmetric"

    def __post_init__(self) -> None:
        if self.tiling not in TILINGS:
            raise UsageError(f"tiling must be one of {TILINGS}, got {self.tiling!r}")
        if self.legend_ncol < 1:
            raise UsageError(f"legend_ncol must be at least 1, got {self.legend_ncol}")

    def palette(self, colors: Optional[Sequence[Any]]) -> List[Any]:
        if colors is not None:
            return list(colors)
        return list(PRETTY_COLORS) if self.pretty else [f"C{i}" for i in range(10)]

    def line_kwargs(self, curve_index: int, n_points: int) -> Dict[str, Any]:
        """Extra ``Axes.plot`` arguments of the ``curve_index``-th curve."""
        if not self.use_marker:
            return {}
        markers = list(self.markers or PRETTY_MARKERS)
        return {"marker": markers[curve_index % len(markers)], "markevery": max(n_points // MARKERS_PER_CURVE, 1),
                "markersize": 8}

    def font(self, role: str) -> Optional[float]:
        """Font size of ``"label"``, ``"tick"``, ``"legend"`` or ``"title"`` text (None: matplotlib's)."""
        return {"label": 18, "tick": 16, "legend": 15, "title": 18}[role] if self.pretty else None

    def style_axes(self, axes: Any) -> None:
        """Apply the style to one subplot after its curves are drawn."""
        if self.log:
            axes.set_yscale("log")
        if self.pretty:
            from matplotlib.ticker import ScalarFormatter

            for axis in (axes.xaxis, axes.yaxis):
                if axis is axes.yaxis and self.log:
                    continue
                formatter = ScalarFormatter(useMathText=True)
                formatter.set_powerlimits((-4, 4))
                axis.set_major_formatter(formatter)
                axis.offsetText.set_fontsize(15)
                axis.set_tick_params(labelsize=self.font("tick"))

    def grid(self, panels: int, ncols: Optional[int]) -> Tuple[int, int]:
        """``(rows, columns)`` of the subplots: ``ncols`` when given, else by ``tiling``."""
        return grid_shape(panels, ncols, self.tiling)


def grid_shape(panels: int, ncols: Optional[int] = None, tiling: str = "symmetric") -> Tuple[int, int]:
    """Rows and columns holding ``panels`` subplots."""
    if ncols is None:
        ncols = {"vertical": 1, "horizontal": panels}.get(tiling, 3)
    ncols = max(1, min(ncols, panels))
    return -(-panels // ncols), ncols


def x_bound_to_xlim(x_bound: Union[None, float, Tuple[Optional[float], Optional[float]]],
                    xlim: Optional[Tuple[Optional[float], Optional[float]]]
                    ) -> Optional[Tuple[Optional[float], Optional[float]]]:
    """RLA 0.6's ``x_bound`` (keep the points up to that time-step, or inside a ``(low, high)``
    pair) as the ``xlim`` data filter."""
    if x_bound is None:
        return xlim
    if xlim is not None:
        raise UsageError("give x_bound (RLA 0.6's name) or xlim, not both: both keep the points inside a range")
    if isinstance(x_bound, (tuple, list)):
        if len(x_bound) != 2:
            raise UsageError(f"x_bound is a time-step or a (low, high) pair, got {x_bound!r}")
        return (x_bound[0], x_bound[1])
    return (None, x_bound)


def _same_value(value: str, wanted: Any) -> bool:
    if value == str(wanted):
        return True
    try:
        return math.isclose(float(value), float(wanted), rel_tol=1e-12, abs_tol=0.0)
    except (TypeError, ValueError):
        return False


def matches_hp_filter(params: Mapping[str, Any], hp_filter_dict: Mapping[str, Sequence[Any]]) -> Tuple[bool, List[str]]:
    """Whether a run's parameters pass RLA 0.6's ``hp_filter_dict`` (``{"lr": [0.01, 0.1]}``: the
    value is one of those, compared as text or as numbers), and the filter keys the run lacks
    (such a key does not exclude the run, as in 0.6)."""
    missing = []
    for key, values in hp_filter_dict.items():
        wanted = list(values) if isinstance(values, (list, tuple, set, frozenset)) else [values]
        value = param_value(dict(params), key)
        if value == NOT_FOUND:
            missing.append(key)
        elif not any(_same_value(value, w) for w in wanted):
            return False, missing
    return True, missing


def hp_filter_items(data_root: Union[str, os.PathLike], task_table_name: str, regs: Optional[Sequence[Reg]],
                    hp_filter_dict: Mapping[str, Sequence[Any]], where: Optional[str] = None,
                    items: Optional[Sequence[str]] = None) -> List[str]:
    """The record dates of the selected items that pass ``hp_filter_dict`` (read from their
    parameters before any progress.csv is parsed); a warning names the keys some items lack."""
    if not isinstance(hp_filter_dict, Mapping):
        raise UsageError(f"hp_filter_dict maps parameters to allowed values, e.g. {{'lr': [0.01, 0.1]}}; "
                         f"got {type(hp_filter_dict).__name__}")
    kept: List[str] = []
    lacking: Dict[str, List[str]] = {}
    for record, _ in match_items(data_root, task_table_name, regs, where, items):
        ok, missing = matches_hp_filter(run_params(record), hp_filter_dict)
        for key in missing:
            lacking.setdefault(key, []).append(record.item.record_date)
        if ok:
            kept.append(record.item.record_date)
    for key, dates in lacking.items():
        warnings.warn(f"hp_filter_dict key {key!r} is not a parameter of {len(dates)} item(s) (kept, as RLA 0.6 "
                      f"did), e.g. {dates[0]}", UserWarning, stacklevel=3)
    return kept


def save_formats(save_name: str) -> Tuple[Path, Tuple[str, ...]]:
    """``(path without suffix, suffixes)`` for ``save_name``: png and pdf when it has no suffix
    or ``.png``/``.pdf``; otherwise the one format its suffix names (``.svg``, ``.jpg``, ``.eps``, ...)
    when matplotlib can write it. A suffix matplotlib does not know (``lr=0.01``) is part of the name."""
    from matplotlib.backend_bases import FigureCanvasBase

    relative = Path(save_name)
    if relative.is_absolute() or ".." in relative.parts or not relative.name:
        raise UsageError(f"save_name {save_name!r} must be a relative file name such as 'halfcheetah/lr'")
    suffix = relative.suffix.lower()
    if suffix in DEFAULT_FORMATS:
        return relative.with_suffix(""), DEFAULT_FORMATS
    if suffix and suffix[1:] in FigureCanvasBase.get_supported_filetypes():
        return relative.with_suffix(""), (suffix,)
    return relative, DEFAULT_FORMATS
