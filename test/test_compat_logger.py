"""RLA 0.6's logger additions and trackers, read back from the run's files: the tensorboardX writer,
TensorFlow summaries, and the memory tracker."""
from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest

from RLA import exp_manager, logger


def start_run(data_root: Path, log_used=("csv", "tensorboard")) -> None:
    exp_manager.configure(task_table_name="demo_task", rla_config={"LOG_USED": list(log_used)},
                          data_root=str(data_root), code_root=str(data_root.parent))
    exp_manager.log_files_gen()


def scalars(tb_dir: Path, tag: str) -> list:
    """``[(step, value)]`` of ``tag`` over every event file of the folder, read by TensorBoard's reader."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    found = []
    for event_file in sorted(tb_dir.rglob("events.out.tfevents.*")):
        accumulator = EventAccumulator(str(event_file))
        accumulator.Reload()
        if tag in accumulator.Tags()["scalars"]:
            found += [(e.step, e.value) for e in accumulator.Scalars(tag)]
    return found


def progress_rows(data_root: Path) -> list:
    with open(exp_manager.item.progress_csv, newline="") as f:
        return list(csv.DictReader(f))


def test_get_tbx_writer_writes_into_the_runs_tensorboard_folder(data_root: Path):
    start_run(data_root)
    writer = logger.get_tbx_writer()
    assert logger.get_tbx_writer() is writer
    for step in (3, 7):
        writer.add_scalar("custom/q_value", step * 0.5, step)
    writer.add_histogram("custom/weights", np.arange(10.0), 7)
    writer.flush()
    logger.set_time(7)
    logger.record_tabular("perf/reward", 2.5)
    logger.dump_tabular()
    tb_dir = exp_manager.item.tb_dir
    assert scalars(tb_dir, "custom/q_value") == [(3, 1.5), (7, 3.5)]
    assert scalars(tb_dir, "perf/reward") == [(7, 2.5)]


def test_get_tbx_writer_without_tensorboard_says_how_to_turn_it_on(data_root: Path):
    from RLA.errors import UsageError

    start_run(data_root, log_used=("csv",))
    with pytest.raises(UsageError, match="add 'tensorboard' to LOG_USED"):
        logger.get_tbx_writer()


def test_log_from_tf_summary_puts_scalars_in_the_row_and_the_rest_in_tensorboard(data_root: Path):
    from tensorboardX import summary as tbx_summary
    from tensorboardX.proto.summary_pb2 import Summary

    start_run(data_root)
    logger.set_time(5)
    message = Summary(value=[*tbx_summary.scalar("eval/acc", 0.75).value,
                             *tbx_summary.histogram("eval/logits", np.linspace(-1, 1, 50), "auto").value])
    assert logger.log_from_tf_summary(message) == ["eval/acc"]
    assert logger.log_from_tf_summary(tbx_summary.scalar("eval/loss", 1.25).SerializeToString()) == ["eval/loss"]
    row = logger.dump_tabular()
    assert row["eval/acc"] == pytest.approx(0.75) and row["eval/loss"] == pytest.approx(1.25)
    exp_manager.finish()
    written = progress_rows(data_root)
    assert [(r["time-step"], float(r["eval/acc"]), float(r["eval/loss"])) for r in written] == [("5", 0.75, 1.25)]
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    histograms = []
    for event_file in exp_manager.item.tb_dir.rglob("events.out.tfevents.*"):
        accumulator = EventAccumulator(str(event_file))
        accumulator.Reload()
        histograms += accumulator.Tags()["histograms"]
    assert "eval/logits" in histograms
    assert scalars(exp_manager.item.tb_dir, "eval/acc") == [(5, 0.75)]


def test_memory_tracker_names_the_large_variables_and_records_resident_memory(data_root: Path):
    import torch

    from RLA.easy_log.memory_tracker import large_variables, log_memory_usage
    from RLA.trackers.memory_used_recorder import print_large_memory_variable

    start_run(data_root, log_used=("csv", "log"))

    def training_step():
        replay_buffer = np.zeros((1 << 18,), dtype=np.float64)  # 2 MiB
        weights = torch.zeros((1 << 20,), dtype=torch.float32)  # 4 MiB
        small = list(range(10))
        return print_large_memory_variable(min_bytes=1 << 20), (replay_buffer, weights, small)

    found, _ = training_step()
    assert found == {"weights": "4.0 MiB", "replay_buffer": "2.0 MiB"}
    assert large_variables({"a": np.zeros(10)}, min_bytes=1 << 20) == []
    assert print_large_memory_variable({"buffer": np.zeros(1 << 17)}) == {}  # 1 MiB < 0.6's 1 GiB floor
    before = log_memory_usage()["memory/rss_mb"]
    ballast = np.ones((64 << 20) // 8)  # 64 MiB, touched
    logger.set_time(1)
    row = logger.dump_tabular()
    after = log_memory_usage()
    logger.set_time(2)
    logger.dump_tabular()
    assert after["memory/rss_mb"] - before > 50 and after["memory/peak_rss_mb"] >= after["memory/rss_mb"] - 1
    assert "memory/rss_mb" in row and float(ballast[-1]) == 1.0
    exp_manager.finish()
    log_txt = exp_manager.item.log.log_txt.read_text()
    assert re.search(r"weights:\s+4\.0 MiB\n", log_txt) and re.search(r"replay_buffer:\s+2\.0 MiB\n", log_txt)
    rows = progress_rows(data_root)
    assert float(rows[-1]["memory/rss_mb"]) == pytest.approx(after["memory/rss_mb"])


def test_the_06_logger_readers_profile_and_scoped_configure(data_root: Path, tmp_path: Path):
    start_run(data_root, log_used=("csv", "json", "tensorboard"))

    @logger.profile("update")
    def update() -> int:
        return 7

    for step in range(3):
        logger.set_time(step * 10)
        assert update() == 7 and update() == 7
        logger.record_tabular("r", float(step))
        row = logger.dump_tabular()
        assert row["wait_update"] >= 0  # the mean of the two calls
    folder = Path(logger.get_dir())
    with logger.scoped_configure(str(tmp_path / "side"), ["csv"]):
        logger.record_tabular("side", 1.0)
        logger.dump_tabular()
    logger.record_tabular("r", 9.0)
    logger.dump_tabular()  # the run's logger is back
    exp_manager.finish()
    assert logger.read_csv(folder / "progress.csv")["r"].tolist() == [0.0, 1.0, 2.0, 9.0]
    assert logger.read_json(folder / "progress.json")["r"].tolist() == [0.0, 1.0, 2.0, 9.0]
    assert logger.read_csv(tmp_path / "side" / "progress.csv")["side"].tolist() == [1.0]
    board = logger.read_tb(folder)
    assert board["r"].to_dict() == {0: 0.0, 10: 1.0, 20: 9.0}  # the last value logged at a step
