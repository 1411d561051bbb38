"""SIGKILL ``rm`` / ``archive`` / ``mv`` (to another table, and to a database on another file system)
at random points: no data type is ever torn, an item in two places is listed as split, and the same
command run again finishes the work."""
from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner
from conftest import log_run
from fault_helpers import digest, kill_after, seeded, start, tmpfs

from RLA.cli import main
from RLA.db import ops
from RLA.db.layout import Database
from RLA.db.query import ItemFilter, select
from RLA.easy_log.tester import exp_manager

ITEMS = 6
PLANS = r'''
from RLA.db import ops


def plan(root, action, other):
    """The plans the tests interrupt; every item of the table, selected by a parameter expression."""
    select = dict(where="lr == 0.01", allow_all=True, include_running=True)
    if action == "rm":
        return ops.plan_delete(root, "walker", **select)
    if action == "archive":
        return ops.plan_archive(root, "walker", **select)
    if action == "mv-task":
        return ops.plan_migrate(root, "walker", to_task="runner", **select)
    return ops.plan_migrate(root, "walker", to_data_root=other, **select)
'''

WORKER = PLANS + r'''

if __name__ == "__main__":
    import pathlib, random, sys, time
    root, action, other, seed, ready = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
    rng = random.Random(seed)
    planned = plan(root, action, other)
    pathlib.Path(ready).touch()  # the kill delay counts from here
    # a random pause after some entries: the kill lands between entries as well as inside them
    ops.apply(planned, on_progress=lambda entry: time.sleep(rng.choice([0, 0, 0.01, 0.03])))
'''
namespace: dict = {}
exec(PLANS, namespace)
plan = namespace["plan"]


def build_template(root) -> dict:
    """A table of finished runs, each with a code snapshot of many files, results and a checkpoint."""
    for seed in range(ITEMS):
        item = log_run(root, "walker", {"seed": seed, "lr": 0.01}, [(s, {"reward": s}) for s in range(20)])
        exp_manager.finish()
        for data_type, files in (("code", 60), ("results", 10), ("checkpoint", 3)):
            folder = item.path(data_type)
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(files):
                (folder / f"f{i}.txt").write_text(f"{seed}-{i}\n" * 500)
    return {item.name: digest(item) for item in Database(root).items("walker")}


def places(root, other):
    """Every item as listed in each place it may be: ``{name: [(record, item), ...]}``."""
    found: dict = {}
    for base, task, archived in ((root, "walker", False), (root, "walker", True), (root, "runner", False),
                                 (other, "walker", False)):
        if not base.is_dir():
            continue
        for record in select(base, ItemFilter(task=task, archived=archived), refresh=True):
            found.setdefault(record.item.name, []).append(record)
    return found


def hidden_leftovers(base) -> list:
    return [p for p in base.rglob(".*.rla-*.tmp")] if base.is_dir() else []


def check_after_kill(root, other, template):
    """Each data type is whole in one place; an item in two places (or part deleted) says so."""
    for name, records in places(root, other).items():
        parts: dict = {}
        for record in records:
            parts.update(digest(record.item))
        expected = template[name]
        assert set(parts) <= set(expected) and all(parts[k] == expected[k] for k in parts), name
        if len(records) > 1 or parts != expected:
            assert all(r.split for r in records), f"{name} is split or part deleted without saying so"


def finish_and_check(root, other, action, template):
    """Run the same command again: it finishes the work and leaves nothing behind."""
    ops.apply(plan(root, action, other))
    found = places(root, other)
    if action == "rm":
        assert found == {}
    else:
        assert set(found) == set(template)
        for name, records in found.items():
            assert len(records) == 1 and not records[0].split
            assert digest(records[0].item) == template[name]
            where = records[0].item
            assert (where.archived, where.task, where.root) == {
                "archive": (True, "walker", root), "mv-task": (False, "runner", root),
                "mv-root": (False, "walker", other)}[action]
    assert not hidden_leftovers(root) and not hidden_leftovers(other)
    assert not any(Database(root).ops_dir().glob("*.json")) and not any(Database(other).ops_dir().glob("*.json"))


def kill_ops(tmp_path, iterations: int) -> dict:
    rng = seeded()
    template_root = tmp_path / "template"
    template = build_template(template_root)
    script = tmp_path / "ops_worker.py"
    script.write_text(WORKER)
    killed = {"rm": 0, "archive": 0, "mv-task": 0, "mv-root": 0}
    with tmpfs(tmp_path / "other_fs", "256m") as other_fs:
        for i in range(iterations):
            action = list(killed)[i % len(killed)]
            root, other = tmp_path / f"db{i}", other_fs / f"db{i}"
            shutil.copytree(template_root, root)
            ready = tmp_path / f"ready-{i}"
            process = start(script, str(root), action, str(other), str(rng.randrange(10 ** 6)), str(ready))
            killed[action] += kill_after(process, rng.uniform(0.0, 0.4), ready)
            check_after_kill(root, other, template)
            finish_and_check(root, other, action, template)
            shutil.rmtree(root)
            shutil.rmtree(other, ignore_errors=True)
    return killed


def test_interrupted_rm_archive_mv_are_never_torn_and_finish_when_run_again(tmp_path):
    killed = kill_ops(tmp_path, 16)
    print(f"\nops: 16 iterations, kills {killed}")
    assert sum(killed.values()) >= 8, f"too few kills landed during the operations: {killed}"


@pytest.mark.soak
def test_soak_interrupted_rm_archive_mv(tmp_path):
    killed = kill_ops(tmp_path, 200)
    print(f"\nsoak ops: 200 iterations, kills {killed}")


def test_an_archive_stopped_by_an_error_is_listed_as_split_and_finished_by_the_next_archive(tmp_path):
    root = tmp_path / "db"
    template = build_template(root)

    def fail_after_two(entry):
        fail_after_two.calls += 1
        if fail_after_two.calls == 2:
            raise OSError("the disk went away")
    fail_after_two.calls = 0
    with pytest.raises(OSError):
        ops.apply(plan(root, "archive", None), on_progress=fail_after_two)
    listing = CliRunner().invoke(main, ["ls", "--data-root", str(root), "-t", "walker"])
    assert listing.exit_code == 0
    first = sorted(template)[0]
    assert f"{first} may be split between two places" in listing.stderr.replace("\n", "")
    assert "run the same archive again to finish it" in listing.stderr.replace("\n", "")
    # the next archive, of another selection, still takes the entries the stopped one left
    archive = CliRunner().invoke(main, ["archive", "--data-root", str(root), "-t", "walker", "-w", "seed == 5",
                                        "--yes"])
    assert archive.exit_code == 0, archive.output
    (record,) = [r for r in select(root, ItemFilter(task="walker", archived=True)) if r.item.name == first]
    assert digest(record.item) == template[first] and not record.split
    assert first not in [r.item.name for r in select(root, ItemFilter(task="walker"))]
    assert not any(Database(root).ops_dir().glob("*.json"))


KILLED_AFTER_TWO = PLANS + r'''

if __name__ == "__main__":
    import os, signal, sys
    progress = []
    def die_after_two(entry):
        progress.append(entry)
        if len(progress) == 2:
            os.kill(os.getpid(), signal.SIGKILL)
    ops.apply(plan(sys.argv[1], sys.argv[2], None), on_progress=die_after_two)
'''


@pytest.mark.parametrize("other", [["mv", "--to-task", "runner"], ["rm"]], ids=["mv", "rm"])
def test_another_operation_on_an_item_a_killed_archive_split_is_refused_until_it_is_finished(tmp_path,
                                                                                              write_script, other):
    root = tmp_path / "db"
    template = build_template(root)
    killed = start(write_script(KILLED_AFTER_TWO, "archive.py"), str(root), "archive")
    killed.wait(timeout=120)
    assert killed.returncode == -9, killed.stderr.read()
    first = sorted(template)[0]
    refused = CliRunner().invoke(main, [other[0], "--data-root", str(root), "-t", "walker", "--all", "--yes",
                                        *other[1:]])
    assert refused.exit_code != 0 and "nothing changed" in refused.output
    assert f"{first}: an archive started" in refused.output and "was interrupted" in refused.output
    assert "run the same archive again to finish it" in refused.output
    assert len(select(root, ItemFilter(task="walker"))) == ITEMS  # nothing moved, nothing stranded
    finished = CliRunner().invoke(main, ["archive", "--data-root", str(root), "-t", "walker", "--all", "--yes"])
    assert finished.exit_code == 0, finished.output
    archived = {r.item.name: r for r in select(root, ItemFilter(task="walker", archived=True))}
    assert {name: digest(r.item) for name, r in archived.items()} == template and not any(
        r.split for r in archived.values())
    listing = CliRunner().invoke(main, ["ls", "--data-root", str(root), "-t", "walker", "--archived"])
    assert listing.exit_code == 0 and "split" not in listing.stderr


INDEX_WORKER = r'''
import pathlib, sys
from RLA.db.query import ItemFilter, select
pathlib.Path(sys.argv[2]).touch()
while True:  # rebuilds the index over and over until killed
    select(sys.argv[1], ItemFilter(task="walker"), refresh=True)
'''


def test_a_killed_index_rebuild_leaves_a_listing_that_is_right(tmp_path):
    rng = seeded()
    root = tmp_path / "db"
    template = build_template(root)
    expected = {r.item.name: (r.rows, r.status) for r in select(root, ItemFilter(task="walker"), refresh=True)}
    script = tmp_path / "index_worker.py"
    script.write_text(INDEX_WORKER)
    for i in range(8):
        ready = tmp_path / f"ready-{i}"
        assert kill_after(start(script, str(root), str(ready)), rng.uniform(0.0, 0.3), ready)
        listed = {r.item.name: (r.rows, r.status) for r in select(root, ItemFilter(task="walker"))}
        assert listed == expected and set(listed) == set(template)
