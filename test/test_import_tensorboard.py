"""`rla import tensorboard`: logdirs written by real writers (torch, tensorboardX, SB3) become items whose
rows, read back by plot_func's loader, are what TensorBoard's own reader reads from the same files."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import pytest
from import_helpers import curves, imported, params_json, rla, run_json, tree_state

from RLA.db.query import query
from RLA.importers import import_runs


def tensorboard_reads(folder: Path) -> Tuple[Dict[str, List[Tuple[int, float]]], Dict[int, float]]:
    """``({tag: [(step, value)]}, {step: wall time of its last event})`` as TensorBoard's EventAccumulator reads
    the run in ``folder`` (its own files only)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(folder), size_guidance={"scalars": 0, "tensors": 0})
    accumulator.Reload()
    scalars: Dict[str, List[Tuple[int, float]]] = {}
    wall_times: Dict[int, float] = {}
    for tag in accumulator.Tags()["scalars"]:
        events = accumulator.Scalars(tag)
        scalars[tag] = sorted((e.step, e.value) for e in events)
        for e in events:
            wall_times[e.step] = max(wall_times.get(e.step, 0.0), e.wall_time)
    return scalars, wall_times


def cleanrl_run(logdir: Path, run_name: str, seed: int, learning_rate: float, iterations: int = 30) -> Path:
    """A CleanRL-style run: torch's SummaryWriter, the flags as a text table, returns at irregular steps."""
    from torch.utils.tensorboard import SummaryWriter

    folder = logdir / run_name
    writer = SummaryWriter(str(folder))
    flags = {"exp_name": "ppo", "seed": seed, "learning_rate": learning_rate, "cuda": True, "env_id": "CartPole-v1"}
    writer.add_text("hyperparameters", "|param|value|\n|-|-|\n" + "\n".join(f"|{k}|{v}|" for k, v in flags.items()))
    global_step = 0
    for iteration in range(iterations):
        for episode_end in (global_step + 7 + iteration % 5, global_step + 61):
            writer.add_scalar("charts/episodic_return", 10.0 + iteration * 0.37 + episode_end % 3, episode_end)
        global_step += 128
        writer.add_scalar("losses/value_loss", 1.0 / (iteration + 1), global_step)
        if iteration % 10 == 9:
            writer.add_scalar("eval/return", 100.0 + iteration + seed, global_step)
    image = np.linspace(0, 1, 3 * 8 * 8).reshape(3, 8, 8)
    writer.add_image("policy/heatmap", image, global_step)
    writer.close()
    return folder


def tensorboardx_run(logdir: Path) -> Path:
    """tensorboardX's SummaryWriter with HParams written in the run's own folder once training ended."""
    import tensorboardX
    from tensorboardX.summary import hparams

    folder = logdir / "sac_tbx"
    writer = tensorboardX.SummaryWriter(str(folder))
    for step in (0, 3, 10, 11, 250, 1000):
        writer.add_scalar("loss/actor", -step / 7, step)
        if step % 2 == 0:
            writer.add_scalar("loss/critic", step * 1.5, step)
    for summary in hparams({"lr": 3e-4, "gamma": 0.99, "algo": "sac", "norm_obs": True}, {"loss/actor": 0.0}):
        writer._get_file_writer().add_summary(summary)
    writer.close()
    return folder


def test_torch_and_tensorboardx_logdir(tmp_path: Path):
    logdir = tmp_path / "runs"
    first = cleanrl_run(logdir, "CartPole-v1__ppo__1__1700000000", seed=1, learning_rate=2.5e-4)
    second = cleanrl_run(logdir, "CartPole-v1__ppo__2__1700000100", seed=2, learning_rate=1e-3)
    tbx = tensorboardx_run(logdir)
    db = tmp_path / "db"

    report = import_runs("tensorboard", logdir, db, "cleanrl", record=["seed"],
                         name_pattern="{env_id}__{exp_name}__{seed}__{time}")
    assert sorted(o.action for o in report.outcomes) == ["new"] * 3
    assert next(o for o in report.outcomes if o.name == tbx.name).warnings == [
        "the folder name 'sac_tbx' does not match --name-pattern", "--record 'seed' is not one of its parameters"]
    items = imported(db, "cleanrl")
    assert set(items) == {first.name, second.name, tbx.name}

    for folder in (first, second, tbx):
        item = items[folder.name]
        theirs, their_wall_times = tensorboard_reads(folder)
        ours = curves(db, "cleanrl", item, [*theirs, "wall_time"])
        for tag, points in theirs.items():
            assert ours[tag] == points, tag  # same steps (sparse, irregular) and values
        # a row per step logged, with the time its last value was written
        assert dict(ours["wall_time"]) == pytest.approx(their_wall_times, abs=1e-6)
        # the event files themselves, byte for byte
        source_files = sorted(folder.glob("events.out.tfevents.*"))
        assert [p.read_bytes() for p in source_files] == [item.tb_dir.joinpath(p.name).read_bytes()
                                                          for p in source_files]
        record = run_json(item)
        assert record["imported"]["source"] == "tensorboard" and record["imported"]["location"] == str(folder)
        start = min(their_wall_times.values())
        assert dt.datetime.fromisoformat(record["start_time"]).timestamp() <= start
        assert item.date == dt.datetime.fromtimestamp(start).strftime("%Y/%m/%d")

    # CleanRL: the flags' text table, typed; the folder name's fields; no session end: status unknown
    params = params_json(items[first.name])
    assert params == {"exp_name": "ppo", "seed": 1, "learning_rate": 2.5e-4, "cuda": True, "env_id": "CartPole-v1",
                      "time": 1700000000}
    assert run_json(items[first.name])["status"] == "unknown"
    assert "seed=1" in items[first.name].name and items[first.name].name.split("_")[1] == "tensorboard"
    # the image, as the logger names figures: <tag folders>/<step>-<name>.png
    assert (items[first.name].results_dir / "policy" / "3840-heatmap.png").read_bytes()[:4] == b"\x89PNG"
    # tensorboardX with HParams after the last scalar: typed parameters, and the run finished
    assert params_json(items[tbx.name]) == {"lr": 3e-4, "gamma": 0.99, "algo": "sac", "norm_obs": True}
    assert run_json(items[tbx.name])["status"] == "finished"
    assert run_json(items[tbx.name])["imported"]["warnings"] == ["the folder name 'sac_tbx' does not match "
                                                                 "--name-pattern"]

    # every tool lists them: the query index, with their parameters and statuses
    frame = query(db, "cleanrl")
    assert sorted(frame["status"]) == ["finished", "unknown", "unknown"]
    assert sorted(frame["params.seed"].dropna()) == [1, 2]


def test_second_import_adds_nothing_and_dry_run_writes_nothing(tmp_path: Path):
    logdir = tmp_path / "runs"
    cleanrl_run(logdir, "a", seed=1, learning_rate=1e-3, iterations=5)
    db = tmp_path / "db"
    dry = import_runs("tensorboard", logdir, db, "t", dry_run=True)
    assert [o.action for o in dry.outcomes] == ["new"] and dry.rows == 15
    assert not db.exists()
    import_runs("tensorboard", logdir, db, "t")
    before = tree_state(db)
    again = import_runs("tensorboard", logdir, db, "t")
    assert [o.action for o in again.outcomes] == ["unchanged"] and again.rows == 0
    assert tree_state(db) == before


def test_an_import_without_the_first_ones_name_pattern_keeps_the_parameters_it_gave(tmp_path: Path):
    logdir = tmp_path / "runs"
    folder = cleanrl_run(logdir, "CartPole-v1__ppo__1__1700000000", seed=1, learning_rate=1e-3, iterations=5)
    db = tmp_path / "db"
    import_runs("tensorboard", logdir, db, "t", name_pattern="{env_id}__{exp_name}__{seed}__{time}")
    item = imported(db, "t")[folder.name]
    assert params_json(item)["time"] == 1700000000  # from the folder's name alone
    params_from = run_json(item)["params_from"]
    rows = item.progress_csv.read_bytes()
    again = import_runs("tensorboard", logdir, db, "t")  # its options changed: the run is read again
    assert [(o.action, o.rows) for o in again.outcomes] == [("updated", 0)]
    assert params_json(item)["time"] == 1700000000 and item.progress_csv.read_bytes() == rows
    assert run_json(item)["params_from"] == params_from
    assert query(db, "t", where="time == 1700000000").shape[0] == 1
    import_runs("tensorboard", logdir, db, "t", name_pattern="{env_id}__{exp_name}__{seed}__{stamp}")
    assert "time" not in params_json(item) and params_json(item)["stamp"] == 1700000000  # a pattern corrected


def test_an_item_cut_by_a_crash_after_its_import_is_repaired_by_the_next(tmp_path: Path):
    cleanrl_run(tmp_path / "runs", "a", seed=1, learning_rate=1e-3, iterations=5)
    db = tmp_path / "db"
    import_runs("tensorboard", tmp_path / "runs", db, "t")
    item = imported(db, "t")["a"]
    whole = item.progress_csv.read_bytes()
    item.progress_csv.write_bytes(whole[:len(whole) // 2])  # what a crash may leave of a file not yet on disk
    again = import_runs("tensorboard", tmp_path / "runs", db, "t")
    assert [o.action for o in again.outcomes] == ["updated"]
    assert item.progress_csv.read_bytes() == whole


def test_run_still_being_written_ends_with_all_its_rows(tmp_path: Path):
    """Imported while its writer writes, then again: the item holds what a single import of the finished run
    holds, and the copy of its event file is the file."""
    from torch.utils.tensorboard import SummaryWriter

    folder = tmp_path / "runs" / "live"
    writer = SummaryWriter(str(folder))
    for step in range(0, 500, 10):
        writer.add_scalar("loss", 1.0 / (step + 1), step)
    writer.add_scalar("return", 5.0, 495)
    writer.flush()
    db = tmp_path / "db"
    first = import_runs("tensorboard", folder.parent, db, "t")
    assert first.outcomes[0].rows == 51
    item = imported(db, "t")["live"]
    size_then = item.progress_csv.stat().st_size

    writer.add_scalar("loss", 0.5, 495)  # one more value at the last step imported, then new steps and a new key
    for step in range(500, 900, 10):
        writer.add_scalar("loss", 1.0 / (step + 1), step)
        writer.add_scalar("entropy", step / 1000, step)
    writer.close()
    second = import_runs("tensorboard", folder.parent, db, "t")
    assert [(o.action, o.rows) for o in second.outcomes] == [("updated", 40)]
    assert imported(db, "t") == {"live": item}
    theirs, _ = tensorboard_reads(folder)
    assert curves(db, "t", item, list(theirs)) == theirs
    event_file = next(folder.glob("events.out.tfevents.*"))
    assert (item.tb_dir / event_file.name).read_bytes() == event_file.read_bytes()
    # the item is what one import of the finished run makes
    fresh = tmp_path / "fresh"
    import_runs("tensorboard", folder.parent, fresh, "t")
    assert imported(fresh, "t")["live"].progress_csv.read_bytes() == item.progress_csv.read_bytes()
    assert item.progress_csv.stat().st_size > size_then


def test_a_restart_drops_what_the_earlier_session_logged_after_it_as_tensorboard_does(tmp_path: Path):
    from torch.utils.tensorboard import SummaryWriter

    folder = tmp_path / "runs" / "restarted"
    writer = SummaryWriter(str(folder))
    for step in range(10):
        writer.add_scalar("loss", float(step), step)
    writer.close()
    writer = SummaryWriter(str(folder), purge_step=5)
    for step in range(5, 12):
        writer.add_scalar("loss", 100.0 + step, step)
    writer.close()
    db = tmp_path / "db"
    import_runs("tensorboard", folder.parent, db, "t")
    theirs, _ = tensorboard_reads(folder)
    assert theirs["loss"] == [(s, float(s)) for s in range(5)] + [(s, 100.0 + s) for s in range(5, 12)]
    assert curves(db, "t", imported(db, "t")["restarted"], ["loss"]) == theirs


def test_sb3_tensorboard_log(tmp_path: Path):
    from stable_baselines3 import PPO

    model = PPO("MlpPolicy", "CartPole-v1", n_steps=128, batch_size=64, n_epochs=1, seed=0,
                tensorboard_log=str(tmp_path / "sb3_logs"), verbose=0)
    model.learn(total_timesteps=384)
    db = tmp_path / "db"
    import_runs("tensorboard", tmp_path / "sb3_logs", db, "sb3")
    item = imported(db, "sb3")["PPO_1"]
    theirs, _ = tensorboard_reads(tmp_path / "sb3_logs" / "PPO_1")
    assert {"rollout/ep_len_mean", "train/value_loss", "time/fps"} <= set(theirs)
    assert curves(db, "sb3", item, list(theirs)) == theirs
    assert max(step for step, _ in theirs["train/value_loss"]) == 384


def test_damaged_files_are_reported_and_the_rest_imported(tmp_path: Path):
    logdir = tmp_path / "runs"
    good = cleanrl_run(logdir, "good", seed=1, learning_rate=1e-3, iterations=5)
    torn = cleanrl_run(logdir, "torn", seed=2, learning_rate=1e-3, iterations=5)
    event_file = next(torn.glob("events.out.tfevents.*"))
    data = bytearray(event_file.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 4] = b"\xff\xff\xff\xff"  # one record's bytes no longer match its checksum or length
    event_file.write_bytes(bytes(data))
    garbage = logdir / "garbage"
    garbage.mkdir()
    (garbage / "events.out.tfevents.1700000000.host").write_bytes(os.urandom(64))

    db = tmp_path / "db"
    done = rla("import", "tensorboard", "-d", str(db), "-t", "t", str(logdir), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "skipped garbage: no event can be read (events.out.tfevents.1700000000.host is damaged at byte 0)" \
        in done.stderr
    assert "warning: torn: events.out.tfevents." in done.stderr and "is damaged at byte" in done.stderr
    assert "2 new, 1 skipped" in done.stderr
    items = imported(db, "t")
    assert set(items) == {"good", "torn"}
    theirs, _ = tensorboard_reads(good)
    assert curves(db, "t", items["good"], list(theirs)) == theirs
    kept = curves(db, "t", items["torn"], ["charts/episodic_return", "losses/value_loss"])
    assert 0 < len(kept["charts/episodic_return"]) < 10  # the rows before the damage


def test_command_line_options_are_checked(tmp_path: Path):
    (tmp_path / "runs").mkdir()
    wrong = rla("import", "tensorbord", "-d", "db", "-t", "t", "runs", cwd=tmp_path)
    assert wrong.returncode == 2 and "tensorboard" in wrong.stderr
    foreign = rla("import", "tensorboard", "-d", "db", "-t", "t", "runs", "--experiment", "x", cwd=tmp_path)
    assert foreign.returncode == 2
    assert "'experiments' is an option of the mlflow importer" in foreign.stderr
    missing = rla("import", "tensorboard", "-d", "db", "-t", "t", "no_such_dir", cwd=tmp_path)
    assert missing.returncode == 2 and "no folder no_such_dir" in missing.stderr


def test_event_files_read_a_chunk_at_a_time_give_the_same_events(tmp_path: Path):
    from RLA.easy_log.tb_reader import EventFileTail

    folder = cleanrl_run(tmp_path / "runs", "a", seed=1, learning_rate=1e-3, iterations=5)  # an image: one long record
    path = next(folder.glob("events.out.tfevents.*"))
    whole = EventFileTail(path).read()
    chunked, tail = [], EventFileTail(path)
    while True:
        events = tail.read(limit=100)
        if not events:
            break
        chunked += events
    assert [e.SerializeToString() for e in chunked] == [e.SerializeToString() for e in whole]
    assert tail.offset == path.stat().st_size and not tail.damaged


def test_times_that_are_no_dates_skip_the_run_or_leave_its_end_out(tmp_path: Path):
    """A wall time far in the future (milliseconds taken for seconds) or NaN never stops the import midway
    (an item folder made and no run.json: each import made another)."""
    import tensorboardX

    from RLA.db.layout import Database
    from RLA.importers.base import SourceRun
    from RLA.importers.items import store

    writer = tensorboardX.SummaryWriter(str(tmp_path / "runs" / "far"))
    writer.add_scalar("loss", 1.0, 0)
    writer.add_scalar("loss", 0.5, 1, walltime=1e13)
    writer.close()
    db = tmp_path / "db"
    done = rla("import", "tensorboard", "-d", str(db), "-t", "t", str(tmp_path / "runs"), cwd=tmp_path)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "warning: far: its end time (10000000000000.0 s) is no date: it is not kept" in done.stderr
    record = run_json(imported(db, "t")["far"])
    assert record["end_time"] is None and record["start_time"] is not None
    assert [o.action for o in import_runs("tensorboard", tmp_path / "runs", db, "t").outcomes] == ["unchanged"]

    outcome = store(Database(db), "t", "tensorboard", SourceRun("x", "x", "x", float("nan")), None, (), None)
    assert (outcome.action, outcome.reason) == ("skipped", "its start time (nan s) is no date")
    assert len(Database(db).items("t")) == 1
