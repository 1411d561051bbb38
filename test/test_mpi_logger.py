"""RLA 0.6's ``logger.set_comm``: the ranks of a real ``mpirun`` log different values and rank 0's item
holds their weighted means, in progress.csv and in TensorBoard."""
from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path
from typing import List

import pytest
from conftest import read_scalars, subprocess_env

from RLA.db import Database
from RLA.db.records import read_json
from RLA.errors import UsageError

RUN_SCRIPT = '''
import os, sys
from mpi4py import MPI
from RLA import exp_manager, logger

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
logger.set_comm(comm)  # before configure: the run's logger keeps it
exp_manager.configure("mpi", {"LOG_USED": ["csv", "log", "tensorboard"]}, sys.argv[1],
                      code_root=os.path.dirname(__file__))
exp_manager.log_files_gen()
for step in range(4):
    exp_manager.time_step_holder.set_time(step * 10)
    logger.record_tabular("reward", 10.0 * rank + step)
    for value in range(1 + 2 * rank):  # rank 0 averages one value, rank 1 three
        logger.logkv_mean("loss", 100.0 * rank + value)
    if rank == 1:
        logger.record_tabular("only_rank1", float(step))
    logger.record_tabular("worker", "rank%d" % rank)
    row = logger.dump_tabular()
    assert (row == {}) == (rank == 1), row
exp_manager.finish()
'''

SCOPED_SCRIPT = '''
import sys
from mpi4py import MPI
from RLA import logger

comm = MPI.COMM_WORLD
rank = comm.Get_rank()
folder, formats = (sys.argv[1], ["csv"]) if rank == 0 else (None, ["stdout"])
with logger.scoped_configure(folder, formats, comm=comm):
    for step in range(3):
        logger.set_time(step)
        logger.record_tabular("x", float(rank + step))  # mean: 0.5 + step
        logger.dump_tabular()
means = logger.mpi_weighted_mean(comm, {"a": (float(rank), 1 + rank)})
print("means", rank, means)
'''


def mpirun(script: Path, *args: str, ranks: int = 2) -> subprocess.CompletedProcess:
    """``script`` under a real ``mpirun -n ranks`` (Open MPI; Debian openmpi-bin)."""
    launcher = shutil.which("mpirun")
    if launcher is None:
        pytest.fail("mpirun is missing: install the Debian packages openmpi-bin libopenmpi-dev (make system-deps)")
    env = subprocess_env({"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                          "OMPI_MCA_rmaps_base_oversubscribe": "1"})
    result = subprocess.run([launcher, "-n", str(ranks), "--oversubscribe", sys.executable, str(script), *args],
                            cwd=script.parent, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def csv_rows(path: Path) -> List[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_ranks_of_an_mpirun_write_their_weighted_means_into_rank0s_item(tmp_path: Path, write_script):
    db = tmp_path / "db"
    mpirun(write_script(RUN_SCRIPT, "train.py"), str(db))
    [item] = Database(db).items("mpi")
    assert read_json(item.run_json)["status"] == "finished"
    rows = csv_rows(item.progress_csv)
    assert [int(r["time-step"]) for r in rows] == [0, 10, 20, 30]
    assert [float(r["reward"]) for r in rows] == [5.0, 6.0, 7.0, 8.0]  # (rank 0 + rank 1) / 2
    # loss: rank 0 averaged 0 (one value), rank 1 averaged 100, 101, 102 (three): (0 + 3 * 101) / 4
    assert [float(r["loss"]) for r in rows] == [75.75] * 4
    assert [float(r["only_rank1"]) for r in rows] == [0.0, 1.0, 2.0, 3.0]
    assert [r["worker"] for r in rows] == ["rank0"] * 4  # text is not averaged: rank 0's
    assert read_scalars(item.tb_dir)["reward"] == [(0, 5.0), (10, 6.0), (20, 7.0), (30, 8.0)]
    rank1_log = item.log.rank_log(1)
    assert "reward" not in (rank1_log.read_text() if rank1_log.exists() else "")  # rank 0 writes the rows


def test_scoped_configure_with_comm_and_mpi_weighted_mean(tmp_path: Path, write_script):
    result = mpirun(write_script(SCOPED_SCRIPT, "scoped.py"), str(tmp_path / "out"))
    assert [float(r["x"]) for r in csv_rows(tmp_path / "out" / "progress.csv")] == [0.5, 1.5, 2.5]
    # baselines' helper: rank 0 gets (0 * 1 + 1 * 2) / 3, the others nothing
    assert "means 0 {'a': 0.6666666666666666}" in result.stdout
    assert "means 1 {}" in result.stdout


def test_set_comm_without_mpi4py_names_the_extra(monkeypatch, data_root: Path):
    from RLA import logger

    monkeypatch.setitem(sys.modules, "mpi4py", None)  # as if it were not installed
    for call in (lambda: logger.set_comm(object()),
                 lambda: logger.scoped_configure(str(data_root), ["csv"], comm=object()).__enter__()):
        with pytest.raises(UsageError, match=r"pip install 'RLA\[mpi\]'"):
            call()
    assert logger.get_current().comm is None
    assert not data_root.exists()  # refused before any file was made
