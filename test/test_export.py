"""`rla export csv|parquet`: the selected items' values as one tidy table, read back with pandas and pyarrow
against each item's progress.csv."""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from conftest import log_run
from import_helpers import rla

from RLA.db.layout import Database
from RLA.importers import import_runs, tidy_frame


def build(db: Path, tmp_path: Path) -> None:
    """Two logged runs (sparse keys) and one imported TensorBoard run with a wall_time column."""
    for seed in (1, 2):
        log_run(db, "hopper", {"lr": 0.001 * seed, "seed": seed, "net": [64, 64]},
                [(step, {"loss": 1.0 / (step + seed), **({"eval/return": step * 2.0} if step % 20 == 0 else {})})
                 for step in range(0, 100, 10)])
    import tensorboardX

    writer = tensorboardX.SummaryWriter(str(tmp_path / "runs" / "tbx"))
    for step in (3, 7, 30):
        writer.add_scalar("loss", step / 10, step)
    writer.close()
    import_runs("tensorboard", tmp_path / "runs", db, "hopper")


def expected(db: Path) -> pd.DataFrame:
    """Every value of every item of the table, from the progress.csv files themselves."""
    rows = []
    for item in Database(db).items("hopper"):
        table = pd.read_csv(item.progress_csv)
        for key in table.columns:
            if key in ("time-step", "wall_time"):
                continue
            for _, row in table[table[key].notna()].iterrows():
                wall = row["wall_time"] if "wall_time" in table.columns else math.nan
                rows.append((item.index, int(row["time-step"]), key, float(row[key]), wall))
    return pd.DataFrame(rows, columns=["item", "step", "key", "value", "wall_time"]).sort_values(
        ["item", "step", "key"]).reset_index(drop=True)


def test_csv_and_parquet_hold_every_value_with_its_item_parameters_and_time(tmp_path: Path):
    db = tmp_path / "db"
    build(db, tmp_path)
    done = rla("export", "csv", "-d", str(db), "-t", "hopper", "-o", str(tmp_path / "all.csv"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "wrote 33 rows of 3 items to" in done.stderr
    table = pd.read_csv(tmp_path / "all.csv")
    assert list(table.columns) == ["item", "params.lr", "params.seed", "params.net", "step", "key", "value",
                                   "wall_time"]
    got = table[["item", "step", "key", "value", "wall_time"]].sort_values(["item", "step", "key"])
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected(db), check_dtype=False)
    seeded = table.dropna(subset=["params.seed"]).groupby("item")[["params.lr", "params.seed", "params.net"]].first()
    assert sorted(map(tuple, seeded.values.tolist())) == [(0.001, 1, "[64, 64]"), (0.002, 2, "[64, 64]")]
    assert table[table["item"].str.contains("tensorboard")]["wall_time"].notna().all()

    done = rla("export", "parquet", "-d", str(db), "-t", "hopper", "-w", "seed == 2", "-o",
               str(tmp_path / "seed2.parquet"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    parquet = pq.read_table(tmp_path / "seed2.parquet")
    assert {f.name: str(f.type) for f in parquet.schema} == {
        "item": "string", "params.lr": "double", "params.seed": "int64", "params.net": "string", "step": "int64",
        "key": "string", "value": "double", "wall_time": "double"}
    frame = parquet.to_pandas()
    assert set(frame["params.seed"]) == {2} and len(frame) == 15
    assert frame.equals(tidy_frame(db, _seed_two()))


def _seed_two():
    from RLA.db.query import ItemFilter

    return ItemFilter(task="hopper", where="seed == 2")


def test_an_unreadable_progress_csv_is_left_out_and_named(tmp_path: Path):
    db = tmp_path / "db"
    build(db, tmp_path)
    broken = Database(db).items("hopper")[0]
    broken.progress_csv.write_bytes(b"time-step,loss\n0,\xff\xfe\n")
    done = rla("export", "csv", "-d", str(db), "-o", "-", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"left out {broken.index}: UnicodeDecodeError" in done.stderr
    assert broken.index not in done.stdout and done.stdout.startswith("item,")
    assert "of 2 items to stdout" in done.stderr


def test_a_nan_the_run_logged_is_a_value_text_and_empty_cells_are_none(tmp_path: Path):
    from RLA.easy_log.tester import exp_manager

    db = tmp_path / "db"
    rows = [(0, {"loss": 1.0, "phase": "warmup"}), (1, {"loss": math.nan}), (2, {"loss": 0.5, "eval": math.inf}),
            (3, {"eval": 2.0})]
    item = log_run(db, "nan", {"seed": 1}, rows)
    exp_manager.finish()
    table = tidy_frame(db)
    got = sorted((int(r.step), r.key, r.value) for r in table.itertuples())
    assert got[:2] == [(0, "loss", 1.0), (1, "loss", got[1][2])] and math.isnan(got[1][2])
    assert got[2:] == [(2, "eval", math.inf), (2, "loss", 0.5), (3, "eval", 2.0)]
    assert set(table["item"]) == {item.index}


def test_an_export_stopped_by_a_full_disk_leaves_the_file_it_would_replace(tmp_path: Path):
    from fault_helpers import tmpfs

    db = tmp_path / "db"
    log_run(db, "big", {"seed": 1}, [(step, {f"k{i}": step * 0.5 + i for i in range(20)}) for step in range(3000)])
    with tmpfs(tmp_path / "small", "64k") as small:
        for fmt in ("csv", "parquet"):
            earlier = small / f"runs.{fmt}"
            earlier.write_bytes(b"the export of yesterday")
            done = rla("export", fmt, "-d", str(db), "-t", "big", "-o", str(earlier), cwd=tmp_path)
            assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
            assert earlier.read_bytes() == b"the export of yesterday"
            assert [p.name for p in small.iterdir()] == [earlier.name]
            earlier.unlink()


def test_an_output_in_a_missing_folder_is_refused_saying_so(tmp_path: Path):
    done = rla("export", "csv", "-d", str(tmp_path / "db"), "-o", str(tmp_path / "no" / "runs.csv"), cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"no folder {tmp_path / 'no'} to write runs.csv into: create it" in done.stderr
