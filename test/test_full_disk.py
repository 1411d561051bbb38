"""A run on a full disk (a 2 MB tmpfs as the data root): one clear DiskFullError naming the disk,
rows already written kept whole, the previous checkpoint still loadable, and the next run works
once space is freed."""
from __future__ import annotations

import subprocess
import sys

from conftest import read_scalars, subprocess_env
from fault_helpers import check_csv, check_readable, tmpfs

from RLA.db.layout import Database
from RLA.db.query import ItemFilter, select
from RLA.easy_log.open_checkpoints import open_saver

TASK = "full"
SCRIPT = r'''
import os, sys, torch
from RLA import exp_manager, logger
from RLA.errors import DiskFullError

data_root, ballast, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
exp_manager.configure({task!r}, {{"LOG_USED": ["csv", "json", "log", "tensorboard"]}}, data_root,
                      code_root=os.path.dirname(os.path.abspath(__file__)))
exp_manager.log_files_gen()
for step in range(steps):
    exp_manager.time_step_holder.set_time(step)
    logger.logkv("reward", step * 0.5)
    logger.dump_tabular()
exp_manager.save_checkpoint({{"model": torch.nn.Linear(16, 16)}})
if ballast == "-":
    sys.exit(0)
fd = os.open(ballast, os.O_WRONLY | os.O_CREAT)  # fill the disk to the last block
try:
    while True:
        os.write(fd, b"x" * 4096)
except OSError:
    os.close(fd)
exp_manager.time_step_holder.set_time(steps)
try:
    exp_manager.save_checkpoint({{"model": torch.nn.Linear(256, 256)}})
except DiskFullError as exc:
    print("checkpoint refused:", exc, flush=True)
step = steps
while True:  # logs until the disk-full error ends the run
    step += 1
    exp_manager.time_step_holder.set_time(step)
    logger.logkv("reward", step * 0.5)
    logger.dump_tabular()
'''.format(task=TASK)


def run(script, data_root, ballast, steps):
    return subprocess.run([sys.executable, str(script), str(data_root), str(ballast), str(steps)],
                          env=subprocess_env(), capture_output=True, text=True, timeout=120)


def test_a_full_disk_ends_the_run_with_one_clear_error_and_loses_nothing(tmp_path):
    script = tmp_path / "full_disk_run.py"
    script.write_text(SCRIPT)
    with tmpfs(tmp_path / "disk", "2m") as disk:
        data_root, ballast = disk / "db", disk / "ballast"
        ended = run(script, data_root, ballast, 30)

        assert ended.returncode == 1, ended.stderr
        assert "checkpoint refused: the disk holding" in ended.stdout
        # one clear error, naming the disk and what to do
        assert ended.stderr.count("Traceback") == 1, ended.stderr
        last = ended.stderr.strip().splitlines()
        error = [line for line in last if line.startswith("RLA.errors.DiskFullError: ")]
        assert len(error) == 1 and str(data_root) in error[0] and "df -h" in error[0], ended.stderr

        (item,) = Database(data_root).items(TASK)
        rows = check_csv(item.progress_csv)
        assert rows >= 30
        steps = [int(line.split(",")[0]) for line in item.progress_csv.read_text().splitlines()[1:rows + 1]]
        assert steps[:30] == list(range(30))
        assert [s for s, _ in read_scalars(item.tb_dir)["reward"]][:30] == list(range(30))
        # the checkpoint that did not fit left the previous one, and nothing that looks like a checkpoint
        saver = open_saver(item.checkpoint_dir)
        assert saver.latest_step() == 29 and saver.load().step == 29
        assert sorted(p.name for p in item.checkpoint_dir.iterdir()) == ["checkpoints.json", "ckpt-29"]
        (record,) = select(data_root, ItemFilter(task=TASK), refresh=True)
        assert record.status in ("failed", "lost")
        check_readable(data_root, TASK)

        ballast.unlink()  # space freed: the next run works
        again = run(script, data_root, "-", 20)
        assert again.returncode == 0, again.stderr
        records = {r.item: r for r in select(data_root, ItemFilter(task=TASK), refresh=True)}
        (new,) = [r for i, r in records.items() if i != item]
        assert new.status == "finished" and new.rows == 20
        check_readable(data_root, TASK)


def test_rows_refused_by_a_full_disk_leave_no_torn_row_once_space_is_freed(tmp_path):
    import json
    import os

    import pytest

    from RLA.easy_log import logger
    from RLA.easy_log.tester import exp_manager
    from RLA.errors import DiskFullError

    with tmpfs(tmp_path / "disk", "1m") as disk:
        data_root = disk / "db"
        exp_manager.configure(TASK, {"LOG_USED": ["csv", "json", "tensorboard"]}, data_root, code_root=str(tmp_path))
        item = exp_manager.log_files_gen()
        wide = {f"metric_{k:02d}": 0.123456789 for k in range(40)}  # long rows: a write stops midway
        fd = os.open(disk / "ballast", os.O_WRONLY | os.O_CREAT)
        refused = 0
        with pytest.raises(OSError):
            while True:
                os.write(fd, b"x" * 4096)
        os.close(fd)
        for step in range(200):
            exp_manager.time_step_holder.set_time(step)
            logger.logkvs({"reward": step, **wide})
            try:
                logger.dump_tabular()
            except DiskFullError:
                refused += 1
                if refused == 5:
                    (disk / "ballast").unlink()  # space freed mid-run: logging goes on
        exp_manager.finish()
        assert refused >= 1
        rows = check_csv(item.progress_csv)  # no torn row anywhere
        steps = [int(line.split(",")[0]) for line in item.progress_csv.read_text().splitlines()[1:]]
        assert rows == len(steps) and steps == sorted(set(steps)) and steps[-1] == 199
        lines = item.log.progress_json.read_text().splitlines()
        assert all(json.loads(line)["reward"] == int(json.loads(line)["reward"]) for line in lines)
        assert [s for s, _ in read_scalars(item.tb_dir)["reward"]][-1] == 199
