"""SIGKILL a real training run at random points (dump, checkpoint save, code snapshot, params and
run.json writes); afterwards every item is readable by every reader and shows as ``lost``."""
from __future__ import annotations

import pytest
from fault_helpers import RUN_WORKER, TASK, check_csv, check_readable, kill_after, seeded, start, write_code_root

from RLA.db.query import ItemFilter, select
from RLA.easy_log.open_checkpoints import open_saver

DUMPS = 100_000  # more than any run reaches before its kill


def kill_runs(tmp_path, iterations: int):
    """Start ``iterations`` runs one after the other, each killed after a random delay; the kill count."""
    rng = seeded()
    script = tmp_path / "run_worker.py"
    script.write_text(RUN_WORKER)
    code_root = write_code_root(tmp_path / "project")
    data_root = tmp_path / "db"
    killed = 0
    for seed in range(iterations):
        ready = tmp_path / f"ready-{seed}"
        # the delay counts from the end of the imports: it lands in configure, the code snapshot,
        # params.json/run.json, dumps (and the csv rewrite of a new column) and checkpoint saves
        process = start(script, str(data_root), str(code_root), str(seed), str(DUMPS), str(ready))
        killed += kill_after(process, rng.uniform(0.0, 1.5), ready)
    return data_root, killed


def assert_survived(data_root, iterations: int, killed: int):
    items = check_readable(data_root)
    records = {r.item: r for r in select(data_root, ItemFilter(task=TASK), refresh=True)}
    assert len(records) <= iterations
    for item, record in records.items():
        assert record.status in ("lost", "finished", "unknown"), (item, record.status)
        if item.progress_csv.exists():
            rows = check_csv(item.progress_csv)
            # every dumped row is there, in order: the steps 0..rows-1
            steps = [int(line.split(",")[0]) for line in item.progress_csv.read_text().splitlines()[1:rows + 1]]
            assert steps == list(range(rows))
            if record.status == "finished":
                assert rows == DUMPS
        checkpoints = item.path("checkpoint")
        if checkpoints.is_dir() and open_saver(checkpoints).latest_step() is not None:
            assert open_saver(checkpoints).latest_step() % 5 == 4
    assert killed >= iterations // 2, "too few kills landed during the runs: the delays are off"
    return items


def test_random_sigkills_of_runs_leave_every_item_readable(tmp_path):
    data_root, killed = kill_runs(tmp_path, 8)
    assert_survived(data_root, 8, killed)


@pytest.mark.soak
def test_soak_random_sigkills_of_runs(tmp_path):
    data_root, killed = kill_runs(tmp_path, 150)
    items = assert_survived(data_root, 150, killed)
    print(f"\nsoak runs: 150 iterations, {killed} kills, {len(items)} items readable")
