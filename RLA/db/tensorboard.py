"""A folder of links to the TensorBoard event folders of selected items, and the command serving it."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, List, Optional, Sequence, Union

from RLA.db.query import ItemFilter, select
from RLA.errors import ConflictError, SelectionError

__all__ = ["tensorboard_links", "tensorboard_command", "launch_tensorboard"]

PathLike = Union[str, os.PathLike]

#: seconds TensorBoard has to stop on SIGTERM before it is killed
STOP_SECONDS = 10


def tensorboard_links(data_root: PathLike, task: Optional[str] = None, pattern: Optional[str] = None, *,
                      link_dir: Optional[PathLike] = None, **filters: Any) -> Path:
    """A folder of symbolic links, one per selected item, for ``tensorboard --logdir``.

    Each link is named by the item's index and points at the item's ``tb``
    folder (or its log folder when it has none). An existing ``link_dir`` may
    only hold links (from an earlier call); they are replaced.
    """
    records = select(data_root, ItemFilter(task=task, pattern=pattern, **filters))
    records = [r for r in records if "log" in r.sizes]
    if not records:
        raise SelectionError("no item with a log folder matches; check the pattern and filters with `rla ls`")
    folder = Path(link_dir) if link_dir is not None else Path(tempfile.mkdtemp(prefix="rla_tb_"))
    _clear_link_dir(folder)
    for record in records:
        source = record.item.tb_dir if record.item.tb_dir.is_dir() else record.item.log_dir
        link = folder / record.item.task / record.item.date / record.item.name
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(source, link, target_is_directory=True)
    return folder


def tensorboard_command(link_dir: PathLike, port: int = 6006, host: Optional[str] = None) -> List[str]:
    """The command that serves ``link_dir`` with TensorBoard (the one of this interpreter)."""
    command = [sys.executable, "-m", "tensorboard.main", "--logdir", str(link_dir), "--port", str(port)]
    if host is not None:
        command += ["--host", host]
    return command


def launch_tensorboard(command: Sequence[str], temporary_links: Optional[PathLike] = None) -> int:
    """Run TensorBoard in the foreground until it stops (Ctrl-C, or SIGTERM, which stops TensorBoard too),
    then remove ``temporary_links``, the link folder made for this command alone."""
    process: Optional[subprocess.Popen] = None
    stopped = False

    def stop(*_: Any) -> None:
        nonlocal stopped
        stopped = True
        if process is not None:
            process.terminate()

    # SIGTERM is handled before TensorBoard starts, so it can never be left running alone (the main
    # thread only: signals are delivered there)
    handled = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, stop) if handled else None
    try:
        process = subprocess.Popen(list(command))
        if stopped:
            process.terminate()
        try:
            code = process.wait()
        except KeyboardInterrupt:
            stopped = True
        return 0 if stopped else code
    finally:
        if process is not None and process.poll() is None:  # Ctrl-C, or an error: TensorBoard stops too
            process.terminate()
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if handled:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
        if temporary_links is not None:
            _clear_link_dir(Path(temporary_links))
            Path(temporary_links).rmdir()


def _clear_link_dir(folder: Path) -> None:
    """Empty a link folder made by :func:`tensorboard_links`, refusing one holding anything else."""
    if not folder.exists():
        folder.mkdir(parents=True)
        return
    for parent, _, files in os.walk(folder):  # does not descend into linked folders
        foreign = [f for f in files if not os.path.islink(os.path.join(parent, f))]
        if foreign:
            raise ConflictError(f"{folder} holds files that are not links ({os.path.join(parent, foreign[0])}); "
                                "give an empty or new folder as the link folder")
    for parent, dirs, files in os.walk(folder, topdown=False):
        for name in dirs + files:
            path = os.path.join(parent, name)
            if os.path.islink(path):
                os.unlink(path)
            else:
                os.rmdir(path)
