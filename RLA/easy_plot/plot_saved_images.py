"""RLA 0.6's ``plot_saved_images``: the images runs saved in their ``results`` folder, in one grid.

The runs are selected as :func:`RLA.easy_plot.plot_func.plot_func` selects them
(``regs``, ``hp_filter_dict``); for each name pattern of ``img_names`` the
``max_keep_num`` latest matching images of each run are shown, one row per run.
"""
from __future__ import annotations

import fnmatch
import os
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from RLA.easy_plot.loader import Reg, match_items
from RLA.easy_plot.plot_style import hp_filter_items
from RLA.errors import NoDataError, UsageError

__all__ = ["saved_images", "plot_saved_images"]

#: inches per image cell of the grid
CELL_INCHES = (4.0, 3.2)


def _matches(relative: str, pattern: str) -> bool:
    """A pattern without ``/`` matches a file name at any depth (as 0.6's gitignore-style
    patterns did); one with ``/`` matches the path inside the results folder."""
    pattern = pattern.lstrip("/")
    if "/" in pattern:
        return fnmatch.fnmatchcase(relative, pattern)
    return fnmatch.fnmatchcase(relative.rsplit("/", 1)[-1], pattern)


def _latest(results_dir: Path, pattern: str, keep: int) -> List[Path]:
    """The ``keep`` most recently written files of ``results_dir`` matching ``pattern``, oldest first."""
    if not results_dir.is_dir():
        return []
    found = [path for path in results_dir.rglob("*")
             if path.is_file() and _matches(path.relative_to(results_dir).as_posix(), pattern)]
    found.sort(key=lambda p: (p.stat().st_mtime, p.name))
    return found[-keep:]


def saved_images(data_root: Union[str, os.PathLike], task_table_name: str, regs: Optional[Sequence[Reg]],
                 img_names: Sequence[str], hp_filter_dict: Optional[Mapping[str, Sequence[Any]]] = None,
                 max_keep_num: int = 1) -> Dict[str, Dict[str, List[Path]]]:
    """``{record_date: {pattern: [image paths]}}`` of the selected runs that saved a matching image."""
    if isinstance(img_names, str):
        img_names = [img_names]
    if max_keep_num < 1:
        raise UsageError(f"max_keep_num must be at least 1, got {max_keep_num}")
    wanted = None if hp_filter_dict is None else set(hp_filter_items(data_root, task_table_name, regs,
                                                                      hp_filter_dict))
    found: Dict[str, Dict[str, List[Path]]] = {}
    for record, _ in match_items(data_root, task_table_name, regs):
        item = record.item
        if wanted is not None and item.record_date not in wanted:
            continue
        images = {pattern: _latest(item.results_dir, pattern, max_keep_num) for pattern in img_names}
        if any(images.values()):
            found[item.record_date] = images
    return found


def plot_saved_images(data_root: Union[str, os.PathLike], task_table_name: str, regs: Optional[Sequence[Reg]],
                      img_names: Sequence[str], hp_filter_dict: Optional[Mapping[str, Sequence[Any]]] = None,
                      verbose: bool = False, max_keep_num: int = 1, summarize_res: bool = True) -> Tuple[Any, Any]:
    """Draw the images :func:`saved_images` finds on a pyplot figure: one row per run, one
    column per image (``max_keep_num`` per pattern), titled with the file name; returns
    ``(figure, images)``. ``summarize_res``/``verbose`` print the runs and files shown."""
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt

    images = saved_images(data_root, task_table_name, regs, img_names, hp_filter_dict, max_keep_num)
    if not images:
        raise NoDataError(f"no run of table {task_table_name!r} selected by {regs} saved an image matching "
                          f"{list(img_names)} in its results folder")
    rows = [(date, [path for paths in per_pattern.values() for path in paths]) for date, per_pattern in images.items()]
    ncols = max(len(paths) for _, paths in rows)
    figure = plt.figure(figsize=(CELL_INCHES[0] * ncols, CELL_INCHES[1] * len(rows)), layout="constrained")
    grid = figure.subplots(len(rows), ncols, squeeze=False)
    for row, (date, paths) in enumerate(rows):
        if summarize_res or verbose:
            print(f"plot_saved_images: {date}: {', '.join(p.name for p in paths)}")
        for col in range(ncols):
            axes = grid[row][col]
            if col < len(paths):
                axes.imshow(mpimg.imread(paths[col]))
                axes.set_title(paths[col].name, fontsize=9)
                axes.set_xticks([])
                axes.set_yticks([])
                axes.spines[:].set_visible(False)
            else:
                axes.axis("off")
        grid[row][0].set_ylabel(_row_label(date), fontsize=8)  # a label the layout makes room for
    return figure, images


def _row_label(record_date: str, width: int = 48) -> str:
    """A run's name as the label of its row: its start time and host, then its parameters on a
    second line (each cut to ``width`` characters), so that rows differing in a parameter read apart."""
    name = record_date.rsplit("/", 1)[-1]
    head, sep, params = name.partition("&")
    return "\n".join(line if len(line) <= width else line[:width - 1] + "…" for line in (head, sep + params) if line)
