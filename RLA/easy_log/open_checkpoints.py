"""A saver for the checkpoints already in a folder, whichever release wrote them.

:mod:`RLA.easy_log.checkpoint` writes and reads this release's checkpoints (an
index and one folder per checkpoint), :mod:`RLA.easy_log.legacy_checkpoint`
reads RLA 0.6's; :func:`open_saver` picks the one that fits a folder.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from RLA.easy_log.checkpoint import INDEX_FILE, PathLike, Saver, make_saver
from RLA.easy_log.legacy_checkpoint import legacy_saver

__all__ = ["open_saver"]


def open_saver(directory: PathLike, var_prefix: Optional[str] = None,
               default_framework: str = "torch") -> Saver:
    """A saver for the checkpoints already in ``directory`` (framework read from its index)."""
    index_path = Path(directory) / INDEX_FILE
    legacy = legacy_saver(directory, var_prefix)
    if legacy is not None:
        return legacy
    framework = default_framework
    if index_path.is_file():
        with open(index_path, encoding="utf-8") as f:
            index = json.load(f)
        framework = index.get("framework", framework)
        if framework == "tensorflow-v1":
            var_prefix = index.get("var_prefix", "") if var_prefix is None else var_prefix
            framework = "tensorflow"
    return make_saver(framework, directory, max_to_keep=None, var_prefix=var_prefix)
