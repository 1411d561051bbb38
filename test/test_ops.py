"""Plans and their application (delete, archive, migrate, clean), view and TensorBoard links, checked on disk
for every data type; ``plans.delete`` & co. are the asking, printing forms of earlier releases."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Set

import pytest
from conftest import subprocess_env
from db_builder import LEGACY_RECORD_DATE, db, template_db  # noqa: F401  (fixtures)

from RLA.console import plans
from RLA.db import ops, query
from RLA.db.layout import ARCHIVE_DIR
from RLA.db.layout import DATA_TYPES as ALL_DATA_TYPES
from RLA.db.records import read_json, write_json_atomic

#: what exp_manager makes for every run (hyperparameter and tmp_data: on first use)
DATA_TYPES = ALL_DATA_TYPES[:5]

SEED_1 = "*/*/*/*&seed=1"  # two hopper items: lr=1e-3 and lr=1e-4


def entries(root: Path) -> Set[str]:
    """Every item entry on disk (one per data type per item), as ``<type>/<task>/<date>/<name>``."""
    found = set()
    for data_type in DATA_TYPES:
        type_root = root / data_type
        for path in type_root.glob("*/*/*/*/*"):
            found.add(str(path.relative_to(root)))
    return found


def tree(root: Path) -> Dict[str, int]:
    """Every path under ``root`` with its mtime: what "nothing changed" compares."""
    out = {}
    for parent, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(parent, name)
            if ".rla_index" not in path:
                out[path] = os.lstat(path).st_mtime_ns
    return out


def hopper_seed_1(root: Path):
    return query.select(root, query.ItemFilter(task="hopper", pattern=SEED_1))


def test_delete_by_pattern_removes_every_data_type_of_the_items_and_nothing_else(db: Path):
    before = entries(db)
    targets = hopper_seed_1(db)
    assert len(before) == 8 * 5 and len(targets) == 2
    result = plans.delete(db, "hopper", SEED_1, skip_ask=True)
    assert result.count == 10 and result.confirmed
    removed = {str(p.relative_to(db)) for r in targets for p in (r.item.path(t) for t in DATA_TYPES)}
    assert before - entries(db) == removed and len(removed) == 10
    assert plans.delete(db, "hopper", SEED_1, skip_ask=True).count == 0


def test_archive_then_delete_from_the_archive(db: Path):
    targets = hopper_seed_1(db)
    assert plans.archive(db, "hopper", SEED_1, skip_ask=True).count == 10
    for record in targets:
        for data_type in DATA_TYPES:
            assert not os.path.lexists(record.item.path(data_type))
            assert record.item.moved(archived=True).path(data_type).exists()
    assert len(query.scan(db, "hopper", archived=True)) == 2 and len(query.scan(db, "hopper")) == 3
    assert plans.delete(db, "hopper", SEED_1, archived=True, allow_all=True, skip_ask=True).count == 10
    assert entries(db / ARCHIVE_DIR) == set() and len(entries(db)) == 30


def test_archive_copy_keeps_the_items_and_refuses_to_overwrite(db: Path):
    targets = hopper_seed_1(db)
    assert plans.archive(db, "hopper", SEED_1, copy=True, skip_ask=True).count == 10
    for record in targets:
        archived = record.item.moved(archived=True)
        assert (archived.path("log") / "progress.csv").read_bytes() == \
            (record.item.path("log") / "progress.csv").read_bytes()
        assert archived.path("archive_tester").read_bytes() == record.item.path("archive_tester").read_bytes()
    snapshot = tree(db)
    with pytest.raises(ops.ConflictError, match="already exist"):
        plans.archive(db, "hopper", SEED_1, skip_ask=True)
    assert tree(db) == snapshot


def test_clean_deletes_runs_below_the_bound_and_runs_that_never_logged(db: Path):
    result = plans.clean(db, timestep_bound=300, skip_ask=True)
    # hopper lr=1e-4 seed=2 stopped at 0; walker seed=2 never logged; the running walker (200) is kept
    assert result.count == 10
    assert sorted(r.item.name.split("_&")[1] for r in result.records) == ["lr=0.0001&seed=2", "lr=0.0003&seed=2"]
    assert {r.status for r in query.scan(db)} >= {"running", query.UNKNOWN_STATUS}
    assert plans.clean(db, timestep_bound=300, include_running=True, skip_ask=True).count == 5
    assert plans.clean(db, timestep_bound=300, skip_ask=True).count == 0


def test_the_legacy_item_is_deleted_with_its_pickle(db: Path):
    assert plans.delete(db, "hopper", "2022/03/01/21-13*", skip_ask=True).count == 5
    assert not any(LEGACY_RECORD_DATE.split("/")[-1] in e for e in entries(db))


def test_a_selection_of_a_whole_table_needs_allow_all(db: Path):
    snapshot = tree(db)
    for call in (lambda: plans.delete(db, "hopper", skip_ask=True),
                 lambda: plans.delete(db, "walker", "*", skip_ask=True),
                 lambda: plans.delete(db, where="seed >= 0", skip_ask=True),
                 lambda: plans.archive(db, "walker", "2026/*", skip_ask=True)):
        with pytest.raises(ops.SelectionError, match="--all"):
            call()
    assert tree(db) == snapshot
    result = plans.delete(db, "walker", allow_all=True, skip_ask=True)
    assert result.count == 10 and [r.status for r, _ in result.skipped] == ["running"]  # the live run is kept
    assert plans.delete(db, "walker", allow_all=True, include_running=True, skip_ask=True).count == 5


def test_dry_run_touches_nothing(db: Path):
    snapshot = tree(db)
    for result in (plans.delete(db, "hopper", SEED_1, dry_run=True),
                   plans.archive(db, "hopper", SEED_1, dry_run=True),
                   plans.migrate(db, "hopper", SEED_1, to_task="other", dry_run=True),
                   plans.clean(db, timestep_bound=10 ** 6, allow_all=True, dry_run=True)):
        assert result.dry_run and result.count == 0 and result.planned >= 10
    assert tree(db) == snapshot


def test_migrate_to_another_table_moves_and_relabels(db: Path):
    targets = hopper_seed_1(db)
    assert plans.migrate(db, "hopper", SEED_1, to_task="hopper_v2", skip_ask=True).count == 10
    moved = query.scan(db, "hopper_v2")
    assert [r.item.name for r in moved] == [r.item.name for r in targets]
    for record in moved:
        assert set(record.sizes) == set(DATA_TYPES)
        run = read_json(record.item.path("log") / "run.json")
        assert run["task"] == "hopper_v2" and run["index"] == record.index
    assert len(query.scan(db, "hopper")) == 3


def test_migrate_copy_to_another_database(db: Path, tmp_path: Path):
    other = tmp_path / "other_db"
    snapshot = entries(db)
    assert plans.migrate(db, "walker", where="seed == 1", to_data_root=other, copy=True, skip_ask=True).count == 5
    assert entries(db) == snapshot
    copied = query.scan(other)
    assert len(copied) == 1 and copied[0].params["env"] == "Walker2d-v4" and copied[0].status == "finished"
    with pytest.raises(ValueError, match="destination"):
        plans.migrate(db, "walker", where="seed == 1", skip_ask=True)


def test_confirmation_declined_changes_nothing(db: Path, monkeypatch: pytest.MonkeyPatch):
    import click

    asked = []
    monkeypatch.setattr(click, "confirm", lambda text, **kw: asked.append(text) or False)
    snapshot = tree(db)
    result = plans.delete(db, "hopper", SEED_1)
    assert asked == ["delete these 10 entries of 2 items?"] and not result.confirmed and result.count == 0
    assert tree(db) == snapshot


def test_view_gives_metadata_and_backup_lines(db: Path):
    (view,) = ops.view(db, "hopper", "*/*/*/*lr=0.001&seed=2")
    assert view["status"] == "finished" and view["params"]["env"] == "Hopper-v4"
    assert "seed: 2" in view["backup"] and set(view["paths"]) == set(DATA_TYPES)
    assert view["argv"] and "git" in view


def test_tensorboard_links_point_at_the_selected_items_only(db: Path, tmp_path: Path):
    link_dir = tmp_path / "links"
    folder = ops.tensorboard_links(db, "hopper", where="seed in [1, 3]", link_dir=link_dir)
    links = sorted(p for p in folder.rglob("*") if p.is_symlink())
    selected = query.select(db, query.ItemFilter(task="hopper", where="seed in [1, 3]"))
    assert [str(p.relative_to(folder)) for p in links] == [r.index for r in selected] and len(links) == 3
    for link, record in zip(links, selected):
        log_dir = record.item.path("log")
        assert Path(os.readlink(link)) == (log_dir / "tb" if (log_dir / "tb").is_dir() else log_dir)
    assert any(list(link.glob("events.out.tfevents*")) for link in links)
    from tensorboard.backend.event_processing.plugin_event_multiplexer import EventMultiplexer

    board = EventMultiplexer().AddRunsFromDirectory(str(folder))  # what `tensorboard --logdir` loads
    board.Reload()
    assert sorted(board.Runs()) == [r.index for r in selected if (r.item.path("log") / "tb").is_dir()]

    ops.tensorboard_links(db, "walker", link_dir=link_dir)  # made again: the old links are replaced
    assert sorted(str(p.relative_to(folder)).split("/")[0] for p in folder.rglob("*") if p.is_symlink()) == \
        ["walker"] * 3
    (link_dir / "notes.txt").write_text("mine")
    with pytest.raises(ops.ConflictError, match="not links"):
        ops.tensorboard_links(db, "walker", link_dir=link_dir)
    assert "--logdir" in ops.tensorboard_command(folder)


def running_item(root: Path):
    [record] = [r for r in query.scan(root) if r.status == "running"]
    return record


@pytest.mark.parametrize("operation", ["delete", "archive", "migrate"])
def test_running_items_are_skipped_unless_include_running(db: Path, operation: str, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture):
    live = running_item(db)
    call = {"delete": lambda **kw: plans.delete(db, "walker", allow_all=True, skip_ask=True, **kw),
            "archive": lambda **kw: plans.archive(db, "walker", allow_all=True, skip_ask=True, **kw),
            "migrate": lambda **kw: plans.migrate(db, "walker", to_data_root=tmp_path / "other", allow_all=True,
                                                skip_ask=True, **kw)}[operation]
    result = call()
    assert result.count == 10 and live.index not in [r.index for r in result.records]
    assert [(r.index, r.status) for r, _ in result.skipped] == [(live.index, "running")]
    for data_type in DATA_TYPES:  # the live run's folders are where its process writes them
        assert os.path.lexists(live.item.path(data_type))
    reason = result.skipped[0][1]  # its pid is the test session's: alive
    assert f"pid {os.getpid()}" in reason and "gone" not in reason
    shown = capsys.readouterr().err
    assert "skipped 1 item still marked running" in shown and "--include-running" in shown
    assert result.to_dict()["skipped"] == [{"index": live.index, "reason": reason}]

    result = call(include_running=True)
    assert result.count == 5 and not result.skipped
    assert not any(os.path.lexists(live.item.path(t)) for t in DATA_TYPES)


def test_a_run_whose_process_is_alive_is_said_to_be_alive(db: Path):
    import subprocess
    import sys

    live = running_item(db)
    run_json = live.item.path("log") / "run.json"
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        write_json_atomic(run_json, {**read_json(run_json), "pid": process.pid})
        result = plans.archive(db, "walker", "*/*/*/*seed=3", skip_ask=True)
        assert result.planned == 0 and "alive" in result.skipped[0][1]
        assert live.item.path("log").is_dir() and not live.item.moved(archived=True).path("log").exists()
        write_json_atomic(run_json, {**read_json(run_json), "host": "another-host"})
        reason = plans.archive(db, "walker", "*/*/*/*seed=3", skip_ask=True).skipped[0][1]
        assert "another-host" in reason and "--include-running" in reason
    finally:
        process.kill()
        process.wait()


def test_item_names_with_brackets_are_shown_as_they_are(db: Path, capsys: pytest.CaptureFixture,
                                                       monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("COLUMNS", "400")
    name = "10-00-00-000000 11.0.91.89 &algo=[ppo]&lr=0.5"
    (db / "log" / "hopper" / "2022/03/02" / name).mkdir(parents=True)
    result = plans.delete(db, "hopper", "2022/03/02/*", dry_run=True)
    assert result.planned == 1
    assert f"hopper/2022/03/02/{name}" in capsys.readouterr().err  # not "&algo=&lr=0.5"


# -- plans and apply: the database layer alone, which never asks nor prints ------------------------

def test_a_plan_lists_the_entries_and_changes_nothing(db: Path, tmp_path: Path, capsys: pytest.CaptureFixture):
    snapshot = tree(db)
    plans = [ops.plan_delete(db, "hopper", SEED_1),
             ops.plan_clean(db, "hopper", SEED_1, timestep_bound=10 ** 6),
             ops.plan_archive(db, "hopper", SEED_1),
             ops.plan_migrate(db, "hopper", SEED_1, to_data_root=tmp_path / "other")]
    for plan in plans:
        assert plan.planned == 10 and [r.index for r in plan.records] == [r.index for r in hopper_seed_1(db)]
        assert not plan.skipped and not plan.conflicts
        assert all(os.path.lexists(entry.source) for entry in plan.entries)
    assert [p.action for p in plans] == ["delete", "delete", "archive", "move"]
    first = plans[2].records[0].item
    assert [e.target for e in plans[2].entries if e.item == first][-1] == first.moved(archived=True).path("log")
    assert plans[0].to_dict()["planned"] == 10 and plans[0].to_dict()["entries"][0]["target"] is None
    assert tree(db) == snapshot and not (tmp_path / "other").exists()
    assert capsys.readouterr() == ("", "")  # no table, no question


def test_apply_acts_entry_by_entry_and_reports_each_to_on_progress(db: Path, capsys: pytest.CaptureFixture):
    plan = ops.plan_archive(db, "hopper", SEED_1)
    seen = []

    def follow(entry: ops.Entry) -> None:  # called once the entry is done
        assert os.path.lexists(entry.target) and not os.path.lexists(entry.source)
        seen.append(entry)

    result = ops.apply(plan, on_progress=follow)
    assert seen == plan.entries == result.done and result.count == 10 and result.confirmed
    assert len(query.scan(db, "hopper", archived=True)) == 2 and capsys.readouterr() == ("", "")
    assert ops.apply(ops.plan_delete(db, "hopper", SEED_1, archived=True, allow_all=True)).count == 10
    assert entries(db / ARCHIVE_DIR) == set()


def test_apply_refuses_a_plan_whose_destination_exists_before_changing_anything(db: Path):
    ops.apply(ops.plan_archive(db, "hopper", SEED_1, copy=True))
    plan = ops.plan_archive(db, "hopper", SEED_1)
    assert len(plan.conflicts) == 10 and len(plan.to_dict()["conflicts"]) == 10
    snapshot = tree(db)
    with pytest.raises(ops.ConflictError, match="already exist"):
        ops.apply(plan)
    assert tree(db) == snapshot

    plan = ops.plan_migrate(db, "hopper", SEED_1, to_task="hopper_v2")
    assert not plan.conflicts
    plan.entries[-1].target.mkdir(parents=True)  # appeared after planning: apply looks again
    snapshot = tree(db)
    with pytest.raises(ops.ConflictError, match="1 destination"):
        ops.apply(plan)
    assert tree(db) == snapshot


def test_delete_and_clean_refuse_a_whole_table_before_leaving_running_items_out(db: Path):
    # walker holds three items, one of them running: selecting all three is the whole table, even
    # though the running one would be skipped; selecting the two others is not
    snapshot = tree(db)
    for plan in (lambda **kw: ops.plan_delete(db, "walker", **kw),
                 lambda **kw: ops.plan_clean(db, "walker", timestep_bound=10 ** 6, **kw)):
        with pytest.raises(ops.SelectionError, match="--all"):
            plan()
        allowed = plan(allow_all=True)
        assert [r.status for r, _ in allowed.skipped] == ["running"] and len(allowed.records) == 2
        others = plan(pattern="*/*/*/*seed=[12]")
        assert not others.skipped and len(others.records) == 2 and others.planned == allowed.planned
    assert tree(db) == snapshot


def test_the_database_layer_plans_and_applies_without_a_terminal_library(db: Path):
    code = ("import sys; from RLA.db import ops; "
            f"result = ops.apply(ops.plan_delete({str(db)!r}, 'hopper', {SEED_1!r})); "
            "loaded = [m for m in ('click', 'rich') if m in sys.modules]; "
            "assert result.count == 10 and not loaded, loaded")
    subprocess.run([sys.executable, "-c", code], env=subprocess_env(), check=True, timeout=120)
    assert len(query.scan(db, "hopper")) == 3


def test_a_run_killed_without_a_trace_shows_as_lost_and_is_still_skipped(db: Path):
    live = running_item(db)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    run = json.loads(live.item.run_json.read_text())
    write_json_atomic(live.item.run_json, {**run, "pid": int(dead.stdout)})  # SIGKILLed: pid gone, "running" kept
    [record] = [r for r in query.scan(db, task="walker") if r.index == live.index]
    assert record.status == "lost"
    assert [r.index for r in query.select(db, query.ItemFilter(task="walker", status=("lost",)))] == [live.index]
    plan = ops.plan_delete(db, "walker", allow_all=True)
    [(skipped, reason)] = plan.skipped
    assert skipped.index == live.index and "gone" in reason and "--include-running" in reason


def test_files_that_are_not_items_are_never_listed_nor_touched(db: Path):
    # RLA 0.6 made its date folders packages (__init__.py in each); a file manager leaves Thumbs.db
    strays = []
    for data_type in ("log", "code", "checkpoint"):
        for day_dir in sorted((db / data_type / "hopper").glob("*/*/*")):
            for name in ("__init__.py", "Thumbs.db"):
                (day_dir / name).write_text("not an item")
                strays.append(day_dir / name)
        for folder in sorted((db / data_type / "hopper").glob("*/*")):
            (folder / "__init__.py").write_text("")
            strays.append(folder / "__init__.py")
    before = {record.item.index for record in query.select(db, query.ItemFilter(task="hopper"))}
    listed = subprocess.run([sys.executable, "-m", "RLA.cli", "ls", "--data-root", str(db), "-t", "hopper", "--json"],
                            capture_output=True, text=True, env=subprocess_env(), check=True)
    assert {row["index"] for row in json.loads(listed.stdout)} == before
    assert not any("__init__" in index or "Thumbs" in index for index in before)
    plans.archive(db, "hopper", "*", allow_all=True, include_running=True, skip_ask=True, quiet=True)
    assert not query.select(db, query.ItemFilter(task="hopper"))
    plans.delete(db, "hopper", "*", allow_all=True, include_running=True, skip_ask=True, quiet=True, archived=True)
    assert all(path.read_text() in ("not an item", "") for path in strays)
