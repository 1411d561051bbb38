"""`rla import wandb`: runs written by the real wandb client in offline mode become items whose values, steps,
typed config, statuses, tags and notes read back as they were logged; nothing is sent anywhere."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Dict

import pytest
from conftest import subprocess_env
from import_helpers import curves, imported, params_json, rla_offline, run_json, tree_state

from RLA.db.annotations import read_annotations
from RLA.importers import import_runs


def wandb_env(tmp_path: Path) -> Dict[str, str]:
    """wandb offline, every file it writes under ``tmp_path``, no git or code capture, no prompt."""
    return {"WANDB_MODE": "offline", "WANDB_DIR": str(tmp_path), "WANDB_CONFIG_DIR": str(tmp_path / "wandb_config"),
            "WANDB_CACHE_DIR": str(tmp_path / "wandb_cache"), "WANDB_DATA_DIR": str(tmp_path / "wandb_data"),
            "WANDB_SILENT": "true", "WANDB_DISABLE_GIT": "true", "WANDB_DISABLE_CODE": "true",
            "WANDB_CONSOLE": "off", "WANDB_API_KEY": "", "HOME": str(tmp_path)}


def start(tmp_path: Path, source: str, *args: str) -> subprocess.Popen:
    script = tmp_path / "log_runs.py"
    script.write_text(textwrap.dedent(source))
    return subprocess.Popen([sys.executable, str(script), *args], cwd=tmp_path, env=subprocess_env(wandb_env(tmp_path)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen) -> None:
    _, err = process.communicate(timeout=240)  # a wandb that hung (a prompt, the network) fails here
    assert process.returncode == 0, err[-3000:]


LOG_RUNS = """
    import json, time
    import numpy as np
    import wandb

    began = time.time()
    ids = {}
    run = wandb.init(project="hopper", name="ppo", tags=["baseline", "seed 1"], notes="first try",
                     config={"lr": 3e-4, "batch_size": 64, "use_sde": False, "env": "Hopper-v4",
                             "net": {"layers": [64, 64], "act": "tanh"}})
    for step in (0, 3, 10, 250):
        run.log({"loss": 1 / (step + 1)}, step=step)
        if step in (3, 250):
            run.log({"eval": {"return": step * 2.0}}, step=step)
        if step == 10:
            run.log({"weights": wandb.Histogram([1, 2, 3])}, step=step)
    run.log({"policy": wandb.Image(np.full((8, 8, 3), 200, dtype=np.uint8))}, step=250)
    ids["ppo"] = run.id
    run.finish()
    run = wandb.init(project="hopper", name="crash", config={"lr": 0.1})
    run.log({"loss": 5.0}, step=0)
    ids["crash"] = run.id
    run.finish(exit_code=1)
    json.dump({"ids": ids, "began": began, "ended": time.time()}, open("logged.json", "w"))
"""


@pytest.fixture(scope="module")
def wandb_runs(tmp_path_factory) -> Path:
    """The wandb/ folder of two offline runs: one finished, one failed."""
    folder = tmp_path_factory.mktemp("wandb_project")
    finish(start(folder, LOG_RUNS))
    return folder


def test_offline_runs_read_back_as_logged(wandb_runs: Path, tmp_path: Path):
    logged = json.loads((wandb_runs / "logged.json").read_text())
    db = tmp_path / "db"
    done = rla_offline("import", "wandb", "-d", str(db), "-t", "hopper", str(wandb_runs / "wandb"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "2 new" in done.stderr
    assert "'weights' holds histogram values, which are not imported" in done.stderr
    items = {run_json(item)["imported"]["id"]: item for item in imported(db, "hopper").values()}
    assert set(items) == set(logged["ids"].values())

    ppo = items[logged["ids"]["ppo"]]
    read = curves(db, "hopper", ppo, ["loss", "eval.return", "wall_time"])
    assert read["loss"] == [(s, 1 / (s + 1)) for s in (0, 3, 10, 250)]
    assert read["eval.return"] == [(3, 6.0), (250, 500.0)]
    wall_times = [t for _, t in read["wall_time"]]
    assert [s for s, _ in read["wall_time"]] == [0, 3, 10, 250]
    assert logged["began"] <= wall_times[0] and wall_times == sorted(wall_times) and wall_times[-1] <= logged["ended"]
    assert params_json(ppo) == {"lr": 3e-4, "batch_size": 64, "use_sde": False, "env": "Hopper-v4",
                                "net": {"layers": [64, 64], "act": "tanh"}}
    annotations, _ = read_annotations(ppo)
    assert annotations.tags == ("baseline", "seed-1") and annotations.note == "first try"
    record = run_json(ppo)
    assert record["status"] == "finished" and record["imported"]["details"]["project"] == "hopper"
    assert logged["began"] - 1 <= record_time(record["start_time"]) <= wall_times[0]
    image = ppo.results_dir / "250-policy.png"
    assert image.read_bytes()[:4] == b"\x89PNG"
    assert run_json(items[logged["ids"]["crash"]])["status"] == "failed"

    before = tree_state(db)
    again = import_runs("wandb", wandb_runs / "wandb", db, "hopper")
    assert {o.action for o in again.outcomes} == {"unchanged"}
    assert tree_state(db) == before
    # one run folder alone is a source too
    one = next((wandb_runs / "wandb").glob(f"offline-run-*-{logged['ids']['crash']}"))
    assert [o.action for o in import_runs("wandb", one, db, "hopper").outcomes] == ["unchanged"]


def record_time(iso: str) -> float:
    import datetime as dt

    return dt.datetime.fromisoformat(iso).timestamp()


LIVE = """
    import os, sys, time
    import wandb

    run = wandb.init(project="live", name="live", config={"lr": 0.1})
    for step in range(3000):
        run.log({"loss": 1.0 / (step + 1), "x": step * 0.5}, step=step)
    open("ready", "w").close()
    while not os.path.exists("go"):
        time.sleep(0.05)
    for step in range(3000, 4000):
        run.log({"loss": 1.0 / (step + 1), "x": step * 0.5}, step=step)
    run.finish()
"""


def test_run_still_being_written_ends_with_all_its_rows(tmp_path: Path):
    writer = start(tmp_path, LIVE)
    deadline = time.monotonic() + 240
    while not (tmp_path / "ready").exists():
        assert writer.poll() is None and time.monotonic() < deadline, writer.stderr.read() if writer.stderr else ""
        time.sleep(0.1)
    run_file = next((tmp_path / "wandb").glob("offline-run-*/run-*.wandb"))
    while run_file.stat().st_size < 100_000:  # the rows logged so far reach the file in blocks
        assert time.monotonic() < deadline
        time.sleep(0.1)
    db = tmp_path / "db"
    first = import_runs("wandb", tmp_path / "wandb", db, "live")
    assert [o.action for o in first.outcomes] == ["new"] and 0 < first.rows <= 3000
    item = imported(db, "live")[run_file.parent.name]
    assert run_json(item)["status"] == "unknown"

    (tmp_path / "go").touch()
    finish(writer)
    second = import_runs("wandb", tmp_path / "wandb", db, "live")
    assert [o.action for o in second.outcomes] == ["updated"] and first.rows + second.rows == 4000
    assert run_json(item)["status"] == "finished"
    assert curves(db, "live", item, ["loss"])["loss"] == [(s, 1.0 / (s + 1)) for s in range(4000)]
    fresh = tmp_path / "fresh"
    import_runs("wandb", tmp_path / "wandb", fresh, "live")
    assert imported(fresh, "live")[run_file.parent.name].progress_csv.read_bytes() == item.progress_csv.read_bytes()


def test_damaged_run_files_are_reported_and_the_rest_imported(wandb_runs: Path, tmp_path: Path):
    source = tmp_path / "wandb"
    shutil.copytree(wandb_runs / "wandb", source, symlinks=True)
    logged = json.loads((wandb_runs / "logged.json").read_text())
    torn = next(source.glob(f"offline-run-*-{logged['ids']['ppo']}/run-*.wandb"))
    data = bytearray(torn.read_bytes())
    at = len(data) * 2 // 3
    data[at:at + 16] = os.urandom(16)
    torn.write_bytes(bytes(data))
    garbage = source / "offline-run-20240101_000000-garbage1"
    garbage.mkdir()
    (garbage / "run-garbage1.wandb").write_bytes(os.urandom(100))

    report = import_runs("wandb", source, tmp_path / "db", "t")
    assert [(o.name, o.reason) for o in report.with_action("skipped")] == [
        (garbage.name, "run-garbage1.wandb holds no run record: it does not start as a W&B run file (:W&B, "
                       "version 0)")]
    kept = next(o for o in report.outcomes if o.name == torn.parent.name)
    assert kept.action == "new" and any("is damaged at byte" in w for w in kept.warnings)
    assert len(report.with_action("new")) == 2


def test_an_import_stopped_midway_is_completed_by_the_next(wandb_runs: Path, tmp_path: Path):
    db, fresh = tmp_path / "db", tmp_path / "fresh"
    import_runs("wandb", wandb_runs / "wandb", fresh, "t")
    import_runs("wandb", wandb_runs / "wandb", db, "t")
    items = imported(db, "t")
    for item in items.values():  # what an import killed right after claiming the item leaves: its first run.json
        record = run_json(item)
        record["imported"].update(fingerprint=None, tags=[], notes=None)
        item.run_json.write_text(json.dumps(record))
        for path in (item.params_json, item.progress_csv, item.annotations_json, *item.results_dir.rglob("*.png")):
            path.unlink(missing_ok=True)
    report = import_runs("wandb", wandb_runs / "wandb", db, "t")
    assert {o.action for o in report.outcomes} == {"updated"}
    assert imported(db, "t") == items
    for name, item in imported(fresh, "t").items():
        ours = items[name]
        assert ours.progress_csv.read_bytes() == item.progress_csv.read_bytes()
        assert params_json(ours) == params_json(item)
        assert read_annotations(ours) == read_annotations(item)
        assert sorted(p.name for p in ours.results_dir.rglob("*")) == sorted(
            p.name for p in item.results_dir.rglob("*"))


IMAGES_NAMED_OUTSIDE = """
    import numpy as np
    import wandb

    run = wandb.init(project="names", name="names")
    image = lambda shade: wandb.Image(np.full((8, 8, 3), shade, dtype=np.uint8))
    run.log({"../../../../../../../../../escaped": image(10), "/absolute/figure": image(20), "plots/ok": image(30),
             "loss": 1.0}, step=4)
    run.finish()
"""


def test_image_keys_naming_places_outside_stay_inside_the_items_results(tmp_path: Path):
    source = tmp_path / "source"
    source.mkdir()
    finish(start(source, IMAGES_NAMED_OUTSIDE))
    db = tmp_path / "db"
    before = {p for p in tmp_path.rglob("*") if p.is_file()}
    report = import_runs("wandb", source / "wandb", db, "t")
    assert [o.action for o in report.outcomes] == ["new"]
    item = next(iter(imported(db, "t").values()))
    kept = sorted(p.relative_to(item.results_dir).as_posix() for p in item.results_dir.rglob("*.png"))
    assert kept == ["4-escaped.png", "absolute/4-figure.png", "plots/4-ok.png"]
    made = {p for p in tmp_path.rglob("*") if p.is_file()} - before
    assert all(db in p.parents for p in made), sorted(map(str, made))


def test_an_image_path_naming_a_file_outside_the_run_folder_is_not_read(tmp_path: Path):
    """A .wandb file is data: an image whose path is absolute, climbs out with '..' or goes through a link
    never brings a file from elsewhere on the disk into the database."""
    from wandb.proto import wandb_internal_pb2

    from RLA.importers.wandb_runs import _Reading

    folder = tmp_path / "offline-run-20240101_000000-abc123"
    (folder / "files" / "media").mkdir(parents=True)
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG not for the database")
    (folder / "files" / "media" / "link.png").symlink_to(secret)
    (folder / "files" / "media" / "own.png").write_bytes(b"\x89PNG the run's own")
    reading = _Reading(folder)
    for key, path in (("absolute", str(secret)), ("climbing", "../../secret.png"), ("linked", "media/link.png"),
                      ("own", "media/own.png")):
        record = wandb_internal_pb2.Record()
        record.history.item.add(key="_step", value_json="3")
        record.history.item.add(key=key, value_json=json.dumps({"_type": "image-file", "path": path}))
        reading.take(record)
    assert reading.images == {"3-own.png": folder / "files" / "media" / "own.png"}
