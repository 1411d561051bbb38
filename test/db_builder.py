"""A small real database for the query / ops / CLI tests.

It is written once per session by a subprocess running the real exp_manager
(several tasks, parameters, statuses and time-steps) plus one hand-made item
in the legacy space-separated naming of earlier releases; each test gets its
own copy.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import build_database

LEGACY_RECORD_DATE = "2022/03/01/21-13-03-230208 11.0.91.89 &lr=0.01&seed=3"

BUILD_SCRIPT = """
import os, sys
from RLA.easy_log.tester import exp_manager
from RLA.easy_log import logger

data_root, code_root = sys.argv[1], sys.argv[2]
config = {"LOG_USED": ["log", "csv", "tensorboard"], "DL_FRAMEWORK": "none"}
runs = [  # task, params, rows dumped (every 100 steps), final status
    ("hopper", dict(lr=1e-3, seed=1, env="Hopper-v4"), 5, "finished"),
    ("hopper", dict(lr=1e-3, seed=2, env="Hopper-v4"), 5, "finished"),
    ("hopper", dict(lr=1e-4, seed=1, env="Hopper-v4"), 5, "failed"),
    ("hopper", dict(lr=1e-4, seed=2, env="Hopper-v4"), 1, "finished"),
    ("walker", dict(lr=1e-3, seed=1, env="Walker2d-v4"), 5, "finished"),
    ("walker", dict(lr=3e-4, seed=2, env="Walker2d-v4"), 0, "failed"),
    ("walker", dict(lr=1e-3, seed=3, env="Walker2d-v4"), 3, "running"),
]
for task, params, rows, status in runs:
    exp_manager.configure(task, config, data_root, code_root=code_root)
    exp_manager.set_hyper_param(**params, net={"layers": 2})
    exp_manager.add_record_param(["lr", "seed"])
    exp_manager.log_files_gen()
    exp_manager.print_args()
    with open(os.path.join(exp_manager.checkpoint_dir, "model.pt"), "wb") as f:
        f.write(b"weights" * 100)
    for t in range(rows):
        exp_manager.time_step_holder.set_time(t * 100)
        logger.record_tabular("perf/reward", float(t))
        logger.dump_tabular()
    if status == "running":  # a live run: run.json keeps saying "running" (no atexit), with the pid of the
        exp_manager.record_run_info(pid=os.getppid())  # test session, which is alive while the tests run
        logger.get_current().close()
        os._exit(0)
    exp_manager.finish(status)
"""


def write_legacy_item(data_root: Path) -> None:
    """An item as earlier releases wrote it: space-separated name, no params.json / run.json."""
    date, name = LEGACY_RECORD_DATE.rsplit("/", 1)
    log_dir = data_root / "log" / "hopper" / date / name
    log_dir.mkdir(parents=True)
    (log_dir / "progress.csv").write_text("time-step,perf/reward\n0,0.0\n1000,1.0\n2000,2.0\n")
    (log_dir / "backup.txt").write_text("lr: 0.01\nseed: 3\n")
    for data_type in ("code", "checkpoint", "results"):
        folder = data_root / data_type / "hopper" / date / name
        folder.mkdir(parents=True)
        (folder / "file.txt").write_text(data_type)
    pickle = data_root / "archive_tester" / "hopper" / date / (name + ".pkl")
    pickle.parent.mkdir(parents=True)
    pickle.write_bytes(b"legacy pickle, never read")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = build_database(tmp_path_factory.mktemp("template"), BUILD_SCRIPT)
    write_legacy_item(root)
    return root


@pytest.fixture
def db(template_db: Path, tmp_path: Path) -> Path:
    """A fresh copy of the test database (7 exp_manager runs + 1 legacy item)."""
    root = tmp_path / "db"
    shutil.copytree(template_db, root, symlinks=True)
    return root
