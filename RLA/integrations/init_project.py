"""``rla init``: add RLA to an existing project.

Writes a commented ``rla_config.yaml`` and a starter ``main.py`` (both from
``RLA/templates``); files the project already has are kept unless ``force``.
"""
from __future__ import annotations

import json
import re
import string
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import List, Optional, Union

from RLA.db.layout import validate_task_name
from RLA.errors import UsageError

__all__ = ["InitResult", "init_project", "template_text"]

CONFIG_FILE = "rla_config.yaml"
MAIN_FILE = "main.py"


@dataclass
class InitResult:
    """What ``init_project`` wrote and what it left alone."""

    project_dir: Path
    task_table_name: str
    written: List[Path] = field(default_factory=list)
    kept: List[Path] = field(default_factory=list)


def template_text(name: str) -> str:
    """The text of a template shipped in ``RLA/templates`` (e.g. ``"rla_config.yaml"``)."""
    return resources.files("RLA").joinpath("templates", name).read_text(encoding="utf-8")


def _default_task_name(project_dir: Path) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", project_dir.name).strip("._") or "my_task"


def init_project(project_dir: Union[str, Path] = ".", task_table_name: Optional[str] = None,
                 data_root: str = "rla_data", force: bool = False) -> InitResult:
    """Write ``rla_config.yaml`` and ``main.py`` into ``project_dir`` (an existing folder).

    ``task_table_name`` defaults to the folder's name; ``data_root`` (relative
    to the project) is where the starter script keeps the database.
    """
    project = Path(project_dir).resolve()
    if not project.is_dir():
        raise UsageError(f"{project} is not a folder: create it first, or pass an existing project folder")
    task = validate_task_name(task_table_name or _default_task_name(project))
    result = InitResult(project, task)
    main_source = string.Template(template_text("main.py.template")).substitute(
        task_table_name=repr(task), data_root=repr(data_root))
    # the project's database, so that `rla ls` run in the project finds it
    config_source = template_text(CONFIG_FILE).replace('DATA_ROOT: ""', f"DATA_ROOT: {json.dumps(data_root)}", 1)
    for name, text in ((CONFIG_FILE, config_source), (MAIN_FILE, main_source)):
        path = project / name
        if path.exists() and not force:
            result.kept.append(path)
            continue
        path.write_text(text, encoding="utf-8")
        result.written.append(path)
    return result
