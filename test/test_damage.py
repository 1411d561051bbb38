"""Damage to one item stays in that item: listing, showing, plotting (CLI, Python and the web page)
go on for every other item, and name the damaged one with what is wrong.

The database is written by real runs (exp_manager in a subprocess); each kind of damage is then done
to one of its items by hand, as a bad disk, a stray tool or a half-finished copy would leave it.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.parse
import urllib.request
import warnings
from pathlib import Path
from typing import Any, Callable, Dict

import pytest
from click.testing import CliRunner
from conftest import build_database, subprocess_env
from ui_server import running_ui

from RLA.cli import main
from RLA.db.layout import Database, Item
from RLA.db.query import ItemFilter, select
from RLA.easy_plot.loader import load_runs

SEEDS = 14
BUILD = f"""
import sys
from RLA import exp_manager, logger
for seed in range({SEEDS}):
    exp_manager.configure("t", {{"LOG_USED": ["csv", "log"]}}, sys.argv[1], code_root=sys.argv[2])
    exp_manager.set_hyper_param(lr=1e-3, seed=seed)
    exp_manager.add_record_param(["seed"])
    exp_manager.log_files_gen()
    for step in range(5):
        logger.set_time(step * 10)
        logger.record_tabular("r", float(step + seed))
        logger.dump_tabular()
    exp_manager.finish()
"""
DEEP = "[" * 100_000 + "]" * 100_000


def _folder_in_place(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _link_loop(item: Item) -> None:
    shutil.rmtree(item.log_dir)
    os.symlink(item.log_dir.name, item.log_dir)


#: damage kind -> (how it is done to one item, what the listing says of it; None: it reads normally)
DAMAGE: Dict[str, tuple] = {
    "csv_not_utf8": (lambda i: i.progress_csv.write_bytes(i.progress_csv.read_bytes().replace(b"3.0", b"3\xff0")),
                     None),
    "csv_bit_flip": (lambda i: i.progress_csv.write_bytes(i.progress_csv.read_bytes().replace(b"2.0", b"2\x00:")),
                     None),
    "csv_garbage_tail": (lambda i: i.progress_csv.write_bytes(i.progress_csv.read_bytes() + b'x,"y,\x00\n1,2,3,4\n'),
                         None),
    "csv_huge_step": (lambda i: i.progress_csv.write_text("time-step,r\n0,1.0\n1208925819614629174706176,2.0\n"),
                      None),
    "csv_folder": (lambda i: _folder_in_place(i.progress_csv), "progress.csv is a folder, not a file"),
    "run_json_folder": (lambda i: _folder_in_place(i.run_json), "run.json is a folder, not a file"),
    "params_json_folder": (lambda i: _folder_in_place(i.params_json), "params.json is a folder, not a file"),
    "params_deep": (lambda i: i.params_json.write_text('{"lr": 0.001, "x": ' + DEEP + "}"),
                    "params.json nests deeper than 100 levels"),
    "run_deep": (lambda i: i.run_json.write_text('{"status": ' + DEEP + "}"), "run.json nests deeper than 100 levels"),
    "run_json_not_json": (lambda i: i.run_json.write_bytes(b'{"status": "fini\xffshed"'), "run.json is not UTF-8"),
    "log_folder_link_loop": (_link_loop, "its log folder cannot be opened (Too many levels of symbolic links)"),
}
NOT_UTF8_NAME = os.fsdecode(b"14-00-00-000000_10.0.0.1_&seed=\xff")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_database(tmp_path_factory.mktemp("damage"), BUILD)


@pytest.fixture
def damaged(template: Path, tmp_path: Path) -> Dict[str, Any]:
    """A copy of the database with each damage done to one item (and one folder name not UTF-8);
    the healthy items' indices."""
    root = tmp_path / "db"
    shutil.copytree(template, root, symlinks=True)
    items = sorted(Database(root).items("t"), key=lambda item: item.index)  # no index yet: damage comes first
    assert len(items) == SEEDS
    for (do, _), item in zip(DAMAGE.values(), items):
        do(item)
    day = items[-1].log_dir.parent
    shutil.copytree(items[-1].log_dir, day / NOT_UTF8_NAME)
    os.symlink("loop", day.parent / "loop")  # a loop among the day folders too
    os.symlink("self", items[-1].log_dir / "self")  # and one inside an item
    by_kind = {kind: item for kind, item in zip(DAMAGE, items)}
    return {"root": root, "items": by_kind, "healthy": [i.index for i in items[len(DAMAGE):]]}


def _cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_listing_names_each_damaged_item_and_lists_every_other(damaged: Dict[str, Any]):
    root = str(damaged["root"])
    listed = _cli("ls", "-d", root, "-t", "t", "--json")
    assert listed.exit_code == 0
    records = {r["index"]: r for r in json.loads(listed.stdout)}
    assert len(records) == SEEDS + 1
    for kind, item in damaged["items"].items():
        said = DAMAGE[kind][1]
        assert (records[item.index]["damage"] or "").startswith(said or "\0") if said else \
            records[item.index]["damage"] is None, kind
    for index in damaged["healthy"]:
        assert records[index]["damage"] is None and records[index]["status"] == "finished"
        assert records[index]["rows"] == 5 and records[index]["last_time_step"] == 40
    assert records[damaged["items"]["csv_huge_step"].index]["last_time_step"] == 40  # run.json's count
    assert records[damaged["items"]["run_json_folder"].index]["status"] == "damaged"

    table = _cli("ls", "-d", root, "-t", "t", "-c", "status", "-c", "rows", "-w", "lr > 0")
    assert table.exit_code == 0 and f"{SEEDS + 1 - 3} items" in table.stdout  # 3 have no readable lr
    assert "seed=\\xff is damaged:\n  its folder name is not UTF-8 text" in table.stderr
    assert "run.json is a folder, not a file" in table.stderr and "(rla rm)" in table.stderr
    last_row = table.stdout.rstrip().splitlines()[-1]
    assert table.output.index(last_row) < table.output.index("is damaged:")  # below the table
    wrong = _cli("ls", "-d", root, "-t", "t", "-c", "statuss")  # no table: the error, and still the damage
    assert wrong.exit_code == 2 and "unknown column(s) statuss" in wrong.stderr
    assert "run.json is a folder, not a file" in wrong.stderr


def test_show_names_the_damage(damaged: Dict[str, Any]):
    for kind in ("params_deep", "run_json_folder"):
        item = damaged["items"][kind]
        shown = _cli("show", "-d", str(damaged["root"]), "-t", "t", item.record_date)
        assert shown.exit_code == 0 and f"  damage: {DAMAGE[kind][1]}" in shown.stdout


def test_plots_leave_out_what_cannot_be_read_and_say_so(damaged: Dict[str, Any]):
    root = damaged["root"]
    plotted = subprocess.run([sys.executable, "-m", "RLA.cli", "plot", "-d", str(root), "-t", "t", "-m", "r"],
                             env=subprocess_env(), capture_output=True, text=True, timeout=120)
    assert plotted.returncode == 0, plotted.stderr
    folder = damaged["items"]["csv_folder"].progress_csv
    assert f"warning: {folder} is a folder, not a file: its run is left out" in plotted.stderr
    assert (root / "results" / "easy_plot" / "t-r.png").stat().st_size > 10_000
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runs = {run.item.index: run for run in load_runs(root, "t", None, ["r"], use_cache=False)}
    assert any("is a folder, not a file" in str(w.message) for w in caught)
    assert len(runs) == SEEDS - 1  # all but the csv folder and the link loop
    for index in damaged["healthy"]:
        seed = int(index.rsplit("seed=", 1)[1])
        assert runs[index].columns["r"].tolist() == [float(step + seed) for step in range(5)]
    not_utf8 = runs[damaged["items"]["csv_not_utf8"].index].columns["r"]
    assert not_utf8[:3].tolist() == [0.0, 1.0, 2.0] and str(not_utf8[3]) == "nan"  # seed 0: only 3.0 was hit
    garbage_tail = runs[damaged["items"]["csv_garbage_tail"].index].columns["r"]
    assert garbage_tail[:5].tolist() == [2.0, 3.0, 4.0, 5.0, 6.0]  # seed 2: the rows before the damage


def test_the_page_lists_opens_and_plots_around_the_damage(damaged: Dict[str, Any]):
    def get(url: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url + path, data=data, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            assert response.status == 200
            return json.loads(response.read())

    with running_ui(damaged["root"]) as url:
        rows = {row["index"]: row for row in get(url, "api/runs?q=" + urllib.parse.quote("-t t"))["runs"]}
        assert len(rows) == SEEDS + 1
        for index in rows:  # every run page opens, the one named by bytes that are not UTF-8 too
            detail = get(url, "api/run?" + urllib.parse.urlencode({"index": index}))
            assert detail["row"]["damage"] == rows[index]["damage"]
        assert rows[damaged["items"]["run_deep"].index]["damage"] == "run.json nests deeper than 100 levels"
        assert any(i.endswith("seed=\\xff") and "not UTF-8" in r["damage"] for i, r in rows.items())
        curves = get(url, "api/curves", {"filter": "-t t", "metrics": ["r"]})
        assert curves["metrics"]["r"][0]["runs"] == SEEDS - 1  # all but the csv folder and the link loop
        assert any("is a folder, not a file: its run is left out" in w for w in curves["warnings"])


REPAIRS: Dict[str, Callable[[Item, Item], None]] = {
    "run_json_folder": lambda item, good: (item.run_json.rmdir(), shutil.copy(good.run_json, item.run_json)),
    "params_deep": lambda item, good: item.params_json.write_text('{"lr": 0.001, "seed": 7}'),
}


@pytest.mark.parametrize("kind", list(REPAIRS))
def test_a_repaired_file_is_read_again_even_when_no_folder_moved(damaged: Dict[str, Any], kind: str):
    root, item = damaged["root"], damaged["items"][kind]
    assert _cli("ls", "-d", str(root), "-t", "t").exit_code == 0  # the index now holds the damage
    good = Item(root, "t", item.date, damaged["healthy"][0].rsplit("/", 1)[1])
    mtime = item.log_dir.stat().st_mtime_ns
    REPAIRS[kind](item, good)
    os.utime(item.log_dir, ns=(mtime, mtime))
    (record,) = [r for r in select(root, ItemFilter(task="t")) if r.index == item.index]
    assert record.damage is None and record.status == "finished"


def test_a_damaged_item_can_be_removed(damaged: Dict[str, Any]):
    root, item = damaged["root"], damaged["items"]["run_json_folder"]
    removed = _cli("rm", "-d", str(root), "-t", "t", item.record_date, "-y")
    assert removed.exit_code == 0, removed.output
    assert not item.log_dir.exists()
    assert {r.index for r in select(root, ItemFilter(task="t"))} >= set(damaged["healthy"])
