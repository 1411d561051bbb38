"""Tags and notes on runs: `rla tag` / `rla note` write them into the item, `rla ls -w` selects by them,
`rla show` and `rla ls` show them; bad input and damaged files change nothing; writers take turns."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from conftest import log_run, subprocess_env
from db_builder import db, template_db  # noqa: F401  (fixtures)

from RLA.cli import main
from RLA.db import query
from RLA.db.annotations import read_annotations
from RLA.easy_log.tester import exp_manager


def rla(*args: str):
    return CliRunner().invoke(main, list(args), env={"COLUMNS": "300"})


def selected(root: Path, where: str) -> set:
    listed = rla("ls", "-d", str(root), "--json", "-w", where)
    assert listed.exit_code == 0, listed.output
    return {entry["index"] for entry in json.loads(listed.stdout)}


def stored(item) -> dict:
    return json.loads(item.annotations_json.read_text(encoding="utf-8"))


def test_tags_and_notes_round_trip_through_the_cli_and_select_with_where(db: Path):
    records = {r.index: r for r in query.scan(db)}
    hopper_lr3 = {i for i, r in records.items() if r.item.task == "hopper" and r.params.get("lr") == 1e-3}
    assert len(hopper_lr3) == 2

    tagged = rla("tag", "-d", str(db), "-t", "hopper", "-w", "lr == 1e-3", "--add", "baseline", "-a", "paper")
    assert tagged.exit_code == 0, tagged.output
    assert "tagged 2 items: +baseline +paper" in tagged.stderr
    for index in hopper_lr3:
        assert stored(records[index].item) == {"tags": ["baseline", "paper"], "note": ""}
    assert selected(db, '"baseline" in tags') == hopper_lr3
    assert selected(db, '"baseline" in tags and "paper" in tags and lr == 1e-3') == hopper_lr3
    assert selected(db, 'not "baseline" in tags') == set(records) - hopper_lr3

    first = sorted(hopper_lr3)[0]
    pattern = records[first].item.record_date
    assert rla("tag", "-d", str(db), "-t", "hopper", pattern, "--remove", "paper").exit_code == 0
    assert selected(db, '"paper" in tags') == hopper_lr3 - {first}
    assert stored(records[first].item)["tags"] == ["baseline"]

    assert rla("note", "-d", str(db), "-t", "hopper", pattern, "--set", "diverged at 1M steps").exit_code == 0
    appended = rla("note", "-d", str(db), "-t", "hopper", pattern, "--append", "lr too high?")
    assert appended.exit_code == 0 and "appended to the note of 1 item" in appended.stderr
    assert stored(records[first].item) == {"tags": ["baseline"], "note": "diverged at 1M steps\n\nlr too high?"}
    assert selected(db, '"diverged" in note') == {first}
    assert selected(db, 'note == ""') == set(records) - {first}

    shown = rla("show", "-d", str(db), "-t", "hopper", pattern)
    assert "  tags: baseline" in shown.stdout and "    diverged at 1M steps\n" in shown.stdout
    listed = rla("ls", "-d", str(db), "-t", "hopper")
    assert "baseline,paper" in listed.stdout and listed.stdout.count("baseline") == 2
    read = rla("tag", "-d", str(db), "-t", "hopper", pattern, "--json")  # no --add/--remove: show them
    assert json.loads(read.stdout) == [{"index": first, "tags": ["baseline"],
                                        "note": "diverged at 1M steps\n\nlr too high?"}]


def test_a_parameter_named_tags_is_still_reachable_as_params_tags(tmp_path: Path):
    root = tmp_path / "db"
    item = log_run(root, "t", {"tags": "from-params", "seed": 0}, [(0, {"r": 1.0})])
    exp_manager.finish()
    assert rla("tag", "-d", str(root), "-t", "t", "-a", "from-tag").exit_code == 0
    assert selected(root, '"from-tag" in tags') == {item.index}
    assert selected(root, 'params.tags == "from-params"') == {item.index}
    assert selected(root, 'tags == "from-params"') == set()
    assert "no item has" not in rla("ls", "-d", str(root), "-w", '"x" in tags and "y" in note').stderr


def test_bad_input_and_a_damaged_file_change_nothing(db: Path):
    record = sorted(query.scan(db, task="hopper"), key=lambda r: r.index)[0]
    bad = rla("tag", "-d", str(db), "-t", "hopper", "--add", "two words")
    assert bad.exit_code == 2 and "is not a tag" in bad.output
    unnamed = rla("note", "-d", str(db), "--set", "everything?")
    assert unnamed.exit_code == 1 and "--all" in unnamed.output
    assert not any(r.item.annotations_json.exists() for r in query.scan(db))

    record.item.annotations_json.write_text('{"tags": ["kept"], "note": "half a fi')
    damaged = rla("tag", "-d", str(db), "-t", "hopper", record.item.record_date, "-a", "new")
    assert damaged.exit_code == 1 and "annotations.json is not JSON" in damaged.output
    assert record.item.annotations_json.read_text() == '{"tags": ["kept"], "note": "half a fi'
    (listed,) = [r for r in query.scan(db, task="hopper") if r.index == record.index]
    assert listed.status == record.status and "annotations.json is not JSON" in listed.damage


WRITER = """
import sys
from RLA.db.layout import Database
from RLA.db.annotate import annotate_item
item = Database(sys.argv[1]).item_from_index(sys.argv[2])
for i in range(25):
    annotate_item(item, add=[f"{sys.argv[3]}{i}"], append=f"{sys.argv[3]}{i}")
"""


def test_two_writers_at_once_keep_every_tag_and_paragraph(db: Path):
    item = sorted(query.scan(db, task="walker"), key=lambda r: r.index)[0].item
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(db), item.index, prefix], env=subprocess_env(),
                                stderr=subprocess.PIPE, text=True) for prefix in ("a", "b")]
    for writer in writers:
        assert writer.wait(60) == 0, writer.stderr.read() if writer.stderr else ""
    annotations, damage = read_annotations(item)
    expected = {f"{p}{i}" for p in "ab" for i in range(25)}
    assert damage is None and set(annotations.tags) == expected and len(annotations.tags) == 50
    assert set(annotations.note.split("\n\n")) == expected
