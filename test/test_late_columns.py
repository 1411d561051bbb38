"""A new key at (nearly) every dump: progress.csv stops being rewritten once it has grown, the new
keys' values wait in progress.late.jsonl until a fold, and every reader (the 0.6 logger readers,
plot_func's loader and its column cache, the web page, sync, resume truncation) reads every key
at its rows, as progress.json holds them. Kills and a full disk leave both files consistent."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import numpy as np
import pandas as pd
import pytest
from conftest import subprocess_env
from fault_helpers import check_csv, kill_after, seeded, tmpfs

from RLA.db.late_columns import SMALL_FILE, late_lines, progress_columns
from RLA.db.layout import WALL_TIME_COLUMN
from RLA.easy_log import logger
from RLA.easy_log.csv_format import CSVOutputFormat
from RLA.easy_log.tester import exp_manager

TASK = "late"


def expected(step: int) -> Dict[str, float]:
    """What the runs of these tests log at ``step``: a new key every dump, and an older one again."""
    row = {"reward": step / 2, f"k{step}": float(step)}
    if step >= 2:
        row[f"k{step // 2}"] = step + 0.5
    return row


def start_run(data_root: Path, log_used=("csv", "json")):
    exp_manager.configure(TASK, {"LOG_USED": list(log_used)}, data_root, code_root=str(data_root.parent))
    return exp_manager.log_files_gen()


def dump(step: int, values: Dict[str, float]) -> None:
    exp_manager.time_step_holder.set_time(step)
    logger.logkvs(values)
    logger.dump_tabular()


def assert_rows_as_logged(frame: pd.DataFrame, steps: List[int]) -> None:
    """Every row of ``frame`` holds what :func:`expected` logged at its step, and nothing else (but the
    wall-clock time the logger adds)."""
    frame = frame.drop(columns=[WALL_TIME_COLUMN], errors="ignore")
    assert frame["time-step"].tolist() == steps
    columns = {key: at for at, key in enumerate(frame.columns)}
    wanted = np.full((len(steps), len(columns)), np.nan)
    wanted[:, columns["time-step"]] = steps
    for index, step in enumerate(steps):
        for key, value in expected(step).items():
            assert key in columns, (step, key)
            wanted[index, columns[key]] = value
    np.testing.assert_array_equal(frame.to_numpy(dtype=float), wanted)


def same_table(csv_frame: pd.DataFrame, json_frame: pd.DataFrame) -> None:
    assert set(csv_frame.columns) == set(json_frame.columns)
    pd.testing.assert_frame_equal(csv_frame[list(json_frame.columns)].astype(float), json_frame.astype(float),
                                  check_dtype=False)


def test_a_new_key_at_every_dump_stops_rewriting_the_file_and_every_reader_reads_every_key(data_root: Path):
    from RLA.db.listing import Listing
    from RLA.db.select import ItemFilter
    from RLA.easy_plot.loader import csv_columns, load_runs
    from RLA.importers.export import tidy_frame
    from RLA.ui import runs

    item = start_run(data_root)
    rewrites = []  # (step, size) whenever progress.csv became a new file
    last = None
    for step in range(900):
        dump(step, expected(step))
        stat = os.stat(item.progress_csv)
        if stat.st_ino != last:
            rewrites.append((step, stat.st_size))
            last = stat.st_ino
    # a new column rewrites the file only while it is small; after that, its values wait beside it
    assert all(size <= SMALL_FILE + 4096 for _, size in rewrites), rewrites[-3:]
    assert rewrites[-1][0] < 400 and item.log.progress_late.is_file()
    exp_manager.finish()

    steps = list(range(900))
    csv_frame = logger.read_csv(item.progress_csv)  # RLA 0.6's logger.read_csv
    assert_rows_as_logged(csv_frame, steps)
    same_table(csv_frame, logger.read_json(item.log.progress_json))
    keys = ["time-step", WALL_TIME_COLUMN, "reward", *(f"k{s}" for s in range(900))]
    assert sorted(progress_columns(item.progress_csv)) == sorted(keys)
    # plot_func's loader, twice: the second read comes from its column cache
    for _ in range(2):
        (run,) = load_runs(data_root, TASK, None, ["time-step", "k850", "k425", "reward"])
        assert [(i, v) for i, v in enumerate(run.columns["k850"]) if not math.isnan(v)] == [(850, 850.0)]
        assert [(i, v) for i, v in enumerate(run.columns["k425"]) if not math.isnan(v)] == [
            (425, 425.0), (850, 850.5), (851, 851.5)]
    assert sorted(csv_columns([run])) == sorted(keys)
    assert sorted(runs.run_detail(data_root, item.index)["metrics"]) == sorted(keys[2:])  # the web page: no time
    # the query's metric columns (rla ls -c final:k850) and rla export's tidy table
    (record,) = Listing(data_root, ItemFilter(task=TASK), metrics=["final:k850", "max:k425", "last:reward"])
    assert record.metrics == {"final:k850": 850.0, "max:k425": 851.5, "last:reward": 449.5}
    tidy = tidy_frame(data_root, ItemFilter(task=TASK))
    assert tidy.loc[tidy["key"] == "k425", ["step", "value"]].values.tolist() == [[425, 425.0], [850, 850.5],
                                                                                  [851, 851.5]]


def test_late_columns_fold_into_the_file_when_they_reach_a_share_of_it(data_root: Path):
    item = start_run(data_root)
    for step in range(500):
        dump(step, expected(step))
    assert item.log.progress_late.is_file()
    size_before = os.path.getsize(item.progress_csv)
    # every key logged again at each dump: the late file grows fast and is folded into progress.csv
    wide = {f"k{s}": -1.0 for s in range(500)}
    for step in range(500, 520):
        dump(step, {**expected(step), **wide})
    exp_manager.finish()
    header = logger.read_csv(item.progress_csv).columns.tolist()
    assert os.path.getsize(item.progress_csv) > size_before
    assert {f"k{s}" for s in range(500)} <= set(header)  # folded: the late keys are columns now
    assert not item.log.progress_late.exists() or all(row >= 500 for row, _, _ in late_lines(item.progress_csv))
    frame = logger.read_csv(item.progress_csv)
    assert frame.at[510, "k3"] == -1.0 and frame.at[3, "k3"] == 3.0 and math.isnan(frame.at[4, "k3"])
    same_table(frame, logger.read_json(item.log.progress_json))


def test_a_resume_rewinding_the_logs_folds_the_late_columns(data_root: Path):
    item = start_run(data_root)
    for step in range(600):
        dump(step, expected(step))
    exp_manager.finish()
    assert item.log.progress_late.is_file()
    logger.truncate_progress(str(item.log_dir), 449)  # what a resume from a checkpoint at step 449 does
    assert not item.log.progress_late.exists()
    frame = logger.read_csv(item.progress_csv)
    assert_rows_as_logged(frame, list(range(450)))
    same_table(frame, logger.read_json(item.log.progress_json))
    writer = CSVOutputFormat(item.progress_csv)  # the resumed run appends after the kept rows
    for step in range(450, 470):
        writer.write({"time-step": step, **expected(step)}, step)
    writer.close()
    assert_rows_as_logged(logger.read_csv(item.progress_csv), list(range(470)))


def test_files_left_by_a_kill_are_read_right_and_mended_when_the_writer_opens_them(tmp_path: Path):
    folder = tmp_path / "log"
    folder.mkdir()
    path = folder / "progress.csv"
    writer = CSVOutputFormat(path, small_file=0)  # every new key goes to the late file
    for step in range(10):
        writer.write({"time-step": step, **expected(step)}, step)
    writer.close()
    late = folder / "progress.late.jsonl"
    with open(late, "a") as f:  # a kill between a row's late cells and the row; then a torn late line
        f.write('[10,{"k10":"10.0"}]\n[11,{"k1')
    with open(path, "a") as f:
        f.write("11,5.")  # and a row torn by a kill
    assert_rows_as_logged(logger.read_csv(path).iloc[:10], list(range(10)))  # readers skip what never landed
    landed = [row for row, _, _ in late_lines(path) if row < 10]
    writer = CSVOutputFormat(path, small_file=0)
    assert [row for row, _, _ in late_lines(path)] == landed and landed  # cut when opened again
    assert path.read_text().endswith("\n")
    for step in range(10, 14):
        writer.write({"time-step": step, **expected(step)}, step)
    writer.close()
    assert_rows_as_logged(logger.read_csv(path), list(range(14)))
    # a fold stopped between its rewrite and removing the late file: the late file repeats the header's keys
    stale = late.read_text()
    CSVOutputFormat(path, small_file=0, late_share=0).write({"time-step": 14, **expected(14)}, 14)
    assert not late.exists()
    late.write_text(stale)
    assert_rows_as_logged(logger.read_csv(path), list(range(15)))
    CSVOutputFormat(path).close()
    assert not late.exists()


WORKER = r'''
import sys
from pathlib import Path
from RLA import exp_manager, logger

data_root, ready = sys.argv[1], sys.argv[2]
exp_manager.configure("late", {"LOG_USED": ["csv", "json"]}, data_root, code_root=str(Path(data_root).parent))
late = exp_manager.log_files_gen().log.progress_late
step = 0
while True:
    if step % 10 == 0 and late.exists():
        Path(ready).touch()  # the kill delay counts from the first late column
    exp_manager.time_step_holder.set_time(step)
    logger.logkvs({"reward": step / 2, f"k{step}": float(step)})
    if step >= 2:
        logger.logkv(f"k{step // 2}", step + 0.5)
    logger.dump_tabular()
    step += 1
'''


def test_runs_killed_at_random_points_leave_files_every_reader_reads_right(tmp_path: Path):
    from RLA.db.layout import Database

    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    rng = seeded()
    for attempt in range(4):
        data_root = tmp_path / f"db{attempt}"
        ready = tmp_path / f"ready{attempt}"
        process = subprocess.Popen([sys.executable, str(script), str(data_root), str(ready)], env=subprocess_env(),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert kill_after(process, rng.uniform(0.0, 1.0), ready)
        (item,) = Database(data_root).items(TASK)
        assert item.log.progress_late.exists()
        rows = check_csv(item.progress_csv)  # whole rows, but maybe a torn last one
        frame = logger.read_csv(item.progress_csv).iloc[:rows]
        assert_rows_as_logged(frame, list(range(rows)))
        writer = CSVOutputFormat(item.progress_csv)  # the run goes on (a resume keeping its rows)
        for step in range(rows, rows + 30):
            writer.write({"time-step": step, **expected(step)}, step)
        writer.close()
        assert check_csv(item.progress_csv) == rows + 30
        assert_rows_as_logged(logger.read_csv(item.progress_csv), list(range(rows + 30)))


def test_a_full_disk_refuses_rows_whole_and_logging_goes_on_once_space_is_freed(tmp_path: Path):
    from RLA.errors import DiskFullError

    with tmpfs(tmp_path / "disk", "2m") as disk:
        item = start_run(disk / "db", log_used=("csv",))
        for step in range(450):
            dump(step, expected(step))
        assert item.log.progress_late.is_file()
        fd = os.open(disk / "ballast", os.O_WRONLY | os.O_CREAT)
        with pytest.raises(OSError):
            while True:
                os.write(fd, b"x" * 4096)
        os.close(fd)
        kept, refused = [], 0
        for step in range(450, 700):
            try:
                dump(step, {**expected(step), "pad": "x" * 3000})  # long rows: a write stops midway
            except DiskFullError:
                refused += 1
                logger.get_current().name2val.clear()
                if refused == 5:
                    (disk / "ballast").unlink()
                continue
            kept.append(step)
        exp_manager.finish()
        assert refused >= 5 and kept[-1] == 699
        steps = list(range(450)) + kept
        frame = logger.read_csv(item.progress_csv)
        assert check_csv(item.progress_csv) == len(steps)
        assert (frame.loc[450:, "pad"] == "x" * 3000).all()
        assert_rows_as_logged(frame.drop(columns="pad"), steps)
        assert all(row < len(steps) for row, _, _ in late_lines(item.progress_csv))


def test_sync_sends_the_late_file_as_a_tail_and_the_central_copy_reads_the_same(tmp_path: Path):
    from sshd_server import running_sshd

    from RLA.config import RemoteSetting
    from RLA.db import remote
    from RLA.db.select import ItemFilter

    local, central = tmp_path / "local", tmp_path / "central"
    for server in running_sshd(tmp_path / "sshd"):
        endpoint = remote.from_setting(RemoteSetting(**server.remote_setting(central)))
        item = start_run(local)
        pushed = item.moved(root=central)
        for step in range(400):
            dump(step, expected(step))
        remote.push(local, endpoint, ItemFilter(task=TASK))
        late_sent = pushed.log.progress_late.stat().st_size
        for step in range(400, 450):
            dump(step, expected(step))
        grown = (item.log.progress_late.stat().st_size - late_sent
                 + item.progress_csv.stat().st_size - pushed.progress_csv.stat().st_size)
        report = remote.push(local, endpoint, ItemFilter(task=TASK))
        assert report.sent_bytes < grown + 16384  # tails, not the files again
        assert_rows_as_logged(logger.read_csv(pushed.progress_csv), list(range(450)))
        wide = {f"k{s}": -1.0 for s in range(450)}
        for step in range(450, 470):  # a fold: progress.csv replaced, the late file gone
            dump(step, {**expected(step), **wide})
        exp_manager.finish()
        remote.push(local, endpoint, ItemFilter(task=TASK))
        assert pushed.log.progress_late.exists() == item.log.progress_late.exists()
        pd.testing.assert_frame_equal(logger.read_csv(pushed.progress_csv), logger.read_csv(item.progress_csv))
        assert json.loads(pushed.run_json.read_text())["status"] == "finished"


@pytest.mark.parametrize("reader", ["read_csv", "progress_columns", "summarize_columns", "loader"])
def test_a_fold_between_a_readers_two_files_is_read_again(tmp_path: Path, monkeypatch, reader: str):
    """A reader that has read progress.csv when the writer folds (a new file, the late file removed) reads
    both again instead of giving the rows without their late cells."""
    from RLA.db import late_columns
    from RLA.db.progress import summarize_columns
    from RLA.easy_log.log_readers import read_csv
    from RLA.easy_plot.loader import read_columns

    path = tmp_path / "progress.csv"
    writer = CSVOutputFormat(path, late_share=10.0, small_file=0)
    for step in range(40):
        writer.write({"time-step": step, "reward": step / 2, **({"late": step + 0.5} if step >= 10 else {})}, step)
    assert late_columns.late_file(path).exists()
    real_late_lines = late_columns.late_lines
    folds = []

    def fold_first(csv_path):  # the writer folds just as the reader turns to the late file
        if not folds:
            folds.append(False)
            writer.late_share = 0
            writer.write({"time-step": 40, "reward": 20.0, "late": 40.5}, 40)
            folds[0] = not late_columns.late_file(path).exists()
        return real_late_lines(csv_path)

    monkeypatch.setattr(late_columns, "late_lines", fold_first)
    late = [math.nan] * 10 + [step + 0.5 for step in range(10, 41)]
    if reader == "read_csv":
        np.testing.assert_array_equal(read_csv(path)["late"].to_numpy()[:41], late)
    elif reader == "progress_columns":
        assert progress_columns(path) == ["time-step", "reward", "late"]
    elif reader == "summarize_columns":
        assert summarize_columns(path, ["late"])["late"].high == 40.5
    else:
        np.testing.assert_array_equal(read_columns(path, ["time-step", "late"])["late"][:41], late)
    assert folds == [True]
    writer.close()


def test_the_loader_reads_a_row_logged_while_it_reads_with_its_late_cells(tmp_path: Path, monkeypatch):
    """progress.csv is read before the late file: a row written meanwhile is read with its late cells (they
    were written before it), never without them."""
    from RLA.easy_plot import loader

    path = tmp_path / "progress.csv"
    writer = CSVOutputFormat(path, late_share=10.0, small_file=0)
    for step in range(20):
        writer.write({"time-step": step, "reward": step / 2, **({"late": step + 0.5} if step >= 10 else {})}, step)
    real_parse = loader._parse_csv_columns

    def row_then_parse(csv_path, present):  # the run logs a row just as the loader parses progress.csv
        writer.write({"time-step": 20, "reward": 10.0, "late": 20.5}, 20)
        return real_parse(csv_path, present)

    monkeypatch.setattr(loader, "_parse_csv_columns", row_then_parse)
    columns = loader.read_columns(path, ["time-step", "late"])
    assert columns["time-step"].tolist() == list(range(21))
    np.testing.assert_array_equal(columns["late"], [math.nan] * 10 + [step + 0.5 for step in range(10, 21)])
    writer.close()
