"""Shared fixtures: a real database folder and real subprocess runs."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

import pytest

from RLA.easy_log import logger
from RLA.easy_log.tester import exp_manager
from RLA.easy_log.time_step import time_step_holder

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    return tmp_path / "db"


@pytest.fixture(autouse=True)
def fresh_exp_manager():
    """Every test starts with the global exp_manager and logger as after import."""
    yield exp_manager
    exp_manager.finish()
    logger.reset()
    exp_manager.__init__(time_step_holder)
    time_step_holder.config(0, 0)


def log_run(data_root: Path, task: str, params: Dict[str, object], rows: Iterable[Tuple[int, Dict[str, object]]]):
    """Start a csv-logging run with every key of ``params`` tracked and log ``(step, {key: value})`` rows;
    the next configure or ``exp_manager.finish()`` ends it."""
    exp_manager.configure(task_table_name=task, rla_config={"LOG_USED": ["csv"]}, data_root=data_root,
                          code_root=str(data_root.parent))
    exp_manager.set_hyper_param(**params)
    exp_manager.add_record_param(list(params))
    item = exp_manager.log_files_gen()
    for step, values in rows:
        exp_manager.time_step_holder.set_time(step)
        logger.logkvs(values)
        logger.dump_tabular()
    return item


def subprocess_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


@pytest.fixture
def write_script(tmp_path: Path):
    """Write a dedented python script into tmp_path and return its path."""
    def write(source: str, name: str = "script.py") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(source))
        return path
    return write


def run_python(script: Path, *args: str, cwd: Optional[Path] = None, timeout: float = 120,
               env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    """Run ``script`` in a real interpreter (the one running the tests)."""
    return subprocess.run([sys.executable, str(script), *args], cwd=cwd or script.parent,
                          env=subprocess_env(env), capture_output=True, text=True, timeout=timeout)


def popen_python(script: Path, *args: str, cwd: Optional[Path] = None,
                 env: Optional[Dict[str, str]] = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(script), *args], cwd=cwd or script.parent,
                            env=subprocess_env(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def build_database(base: Path, script_source: str) -> Path:
    """Run ``script_source`` (argv: data root, code root) in a real interpreter; the database it wrote."""
    root, code = base / "db", base / "code"
    code.mkdir()
    script = base / "build.py"
    script.write_text(textwrap.dedent(script_source))
    result = run_python(script, str(root), str(code))
    assert result.returncode == 0, result.stderr
    return root


def logged_rows(path: Path) -> str:
    """A progress.csv or progress.json as text without the rows' wall-clock times, which differ between
    two runs logging the same rows (a reference run and one killed and resumed)."""
    import csv
    import io
    import json

    from RLA.db.layout import WALL_TIME_COLUMN

    if path.suffix == ".json":
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        return "".join(json.dumps({k: v for k, v in row.items() if k != WALL_TIME_COLUMN}) + "\n" for row in rows)
    table = list(csv.reader(io.StringIO(path.read_text(), newline="")))
    keep = [i for i, name in enumerate(table[0] if table else []) if name != WALL_TIME_COLUMN]
    out = io.StringIO()
    csv.writer(out).writerows([[row[i] for i in keep if i < len(row)] for row in table])
    return out.getvalue()


def read_scalars(tb_dir: Path) -> Dict[str, List[tuple]]:
    """``{tag: [(step, value), ...]}`` read back with tensorboard's own event reader."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(tb_dir), size_guidance={"scalars": 0, "tensors": 0})
    accumulator.Reload()
    return {tag: [(e.step, e.value) for e in accumulator.Scalars(tag)]
            for tag in accumulator.Tags()["scalars"]}


# The session-wide fixtures of the web-page tests live here once, so that every module that
# uses them shares one Chromium and one template database.
from ui_server import browser, ui_template_db  # noqa: E402,F401
