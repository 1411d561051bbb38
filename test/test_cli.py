"""The `rla` command and the rla_scripts, through their real entry points."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import subprocess_env
from db_builder import LEGACY_RECORD_DATE, db, template_db  # noqa: F401  (fixtures)

from RLA.cli import main
from RLA.db import query
from RLA.db.layout import ARCHIVE_DIR

SEED_1 = "*/*/*/*&seed=1"


def rla(*args: str, input: str = None, env: dict = None):
    return CliRunner().invoke(main, list(args), input=input, env=env, catch_exceptions=False)


def count_items(root: Path, **kw) -> int:
    return len(query.scan(root, **kw))


def test_ls_json_and_table(db: Path):
    result = rla("ls", "--data-root", str(db), "--json")
    assert result.exit_code == 0
    items = json.loads(result.stdout)
    assert len(items) == 8 and {i["status"] for i in items} == {"finished", "failed", "running", "unknown"}
    legacy = [i for i in items if i["status"] == "unknown"][0]
    assert legacy["record_date"] == LEGACY_RECORD_DATE and legacy["params"] == {"lr": 0.01, "seed": 3}

    table = rla("ls", "-t", "hopper", "--where", "lr >= 1e-3", "-c", "status", "-c", "params.env",
                env={"RLA_DATA_ROOT": str(db), "COLUMNS": "300"})
    assert table.exit_code == 0 and "3 items" in table.stdout and "Hopper-v4" in table.stdout
    assert "21-13-03-230208 11.0.91.89 &lr=0.01&seed=3" in table.stdout


def test_a_missing_data_root_or_bad_filter_is_a_clear_error(db: Path):
    result = CliRunner().invoke(main, ["ls"], env={"RLA_DATA_ROOT": ""})
    assert result.exit_code == 2 and "--data-root" in result.output and "RLA_DATA_ROOT" in result.output
    # bad input is an RLA error: its message and exit code (2, a usage error), no traceback
    result = CliRunner().invoke(main, ["ls", "--data-root", str(db), "--where", "open('x')"])
    assert result.exit_code == 2 and "unsupported Call" in result.output
    result = CliRunner().invoke(main, ["ls", "--data-root", str(db), "--regex", "2022/(03"])
    assert result.exit_code == 2 and "not a regular expression" in result.output
    result = CliRunner().invoke(main, ["ls", "--data-root", str(db), "--since", "yesterday"])
    assert result.exit_code == 2 and "2022-03-01" in result.output
    result = CliRunner().invoke(main, ["ls", "--data-root", str(db), "-c", "nope"])
    assert result.exit_code == 2 and "unknown column" in result.output


def test_rm_asks_first_and_deletes_on_yes(db: Path):
    no = rla("rm", "--data-root", str(db), "-t", "hopper", SEED_1, input="n\n")
    assert "delete these 10 entries of 2 items? [y/N]" in no.stderr and "cancelled" in no.stderr
    assert count_items(db, task="hopper") == 5
    yes = rla("rm", "--data-root", str(db), "-t", "hopper", SEED_1, input="y\n")
    assert yes.exit_code == 0 and "delete: 10 entries of 2 items" in yes.stderr
    assert count_items(db, task="hopper") == 3
    again = rla("rm", "--data-root", str(db), "-t", "hopper", SEED_1, "-y", "--json")
    assert json.loads(again.stdout)["count"] == 0


def test_rm_refuses_a_whole_table_and_dry_run_changes_nothing(db: Path):
    refused = CliRunner().invoke(main, ["rm", "--data-root", str(db), "-t", "walker", "-y"])
    assert refused.exit_code == 1 and "--all" in refused.output
    dry = rla("rm", "--data-root", str(db), "-t", "walker", "--all", "--dry-run", "--json")
    assert json.loads(dry.stdout)["planned"] == 10 and count_items(db, task="walker") == 3
    assert [s["index"] for s in json.loads(dry.stdout)["skipped"]] == [
        r.index for r in query.scan(db, task="walker") if r.status == "running"]
    done = rla("rm", "--data-root", str(db), "-t", "walker", "--all", "-y", "--json")
    assert json.loads(done.stdout)["count"] == 10 and count_items(db, task="walker") == 1
    done = rla("rm", "--data-root", str(db), "-t", "walker", "--all", "--include-running", "-y", "--json")
    assert json.loads(done.stdout)["count"] == 5 and count_items(db, task="walker") == 0


def test_archive_mv_and_clean(db: Path, tmp_path: Path):
    out = rla("archive", "--data-root", str(db), "-t", "hopper", SEED_1, "-y", "--json")
    assert json.loads(out.stdout)["count"] == 10 and count_items(db, task="hopper", archived=True) == 2
    out = rla("rm", "--data-root", str(db), "-t", "hopper", "--archived", SEED_1, "--all", "-y", "--json")
    assert json.loads(out.stdout)["count"] == 10 and not list((db / ARCHIVE_DIR).glob("*/hopper/*/*/*/*"))

    other = tmp_path / "other"
    out = rla("mv", "--data-root", str(db), "-t", "walker", "--where", "seed == 1", "--to-data-root", str(other),
              "--to-task", "walker_v2", "--copy", "-y", "--json")
    assert json.loads(out.stdout)["count"] == 5 and count_items(other, task="walker_v2") == 1
    assert count_items(db, task="walker") == 3

    out = rla("clean", "--data-root", str(db), "-b", "300", "-y", "--json")
    assert json.loads(out.stdout)["count"] == 10


def test_a_plan_names_where_items_go_on_one_line_to_copy(db: Path):
    out = rla("archive", "--data-root", str(db), "-t", "hopper", SEED_1, "-y", env={"COLUMNS": "80"})
    target = next(line for line in (out.stdout + out.stderr).splitlines() if line.startswith("to: "))
    path = target.removeprefix("to: ").removesuffix(" (and 9 more)")
    assert len(target) > 80 and Path(path).is_dir() and ARCHIVE_DIR in Path(path).parts


def test_show_prints_metadata_and_backup(db: Path):
    out = rla("show", "--data-root", str(db), "-t", "hopper", "*/*/*/*lr=0.001&seed=2")
    assert "status: finished" in out.stdout and "seed: 2" in out.stdout and "env=Hopper-v4" in out.stdout
    views = json.loads(rla("show", "--data-root", str(db), "--status", "failed", "--json").stdout)
    assert len(views) == 2


def test_tb_makes_the_link_folder_and_prints_the_command(db: Path, tmp_path: Path):
    link_dir = tmp_path / "tb_links"
    out = rla("tb", "--data-root", str(db), "-t", "walker", "--link-dir", str(link_dir), "--port", "7007",
              "--no-launch")
    assert out.exit_code == 0 and "tensorboard" in out.stdout and "7007" in out.stdout
    links = sorted(p for p in link_dir.rglob("*") if p.is_symlink())
    assert len(links) == 3 and all(p.resolve().name == "tb" for p in links)
    out = rla("tb", "--data-root", str(db), "-t", "hopper", "2022/*", "--link-dir", str(tmp_path / "legacy"),
              "--no-launch", "--json")
    made = json.loads(out.stdout)
    legacy_link = Path(made["link_dir"]) / "hopper" / LEGACY_RECORD_DATE
    assert legacy_link.is_symlink() and made["command"][-2:] == ["--port", "6006"]
    assert (legacy_link / "progress.csv").is_file()  # no tb folder in that item: its log folder is linked


def _sigint_as_from_a_terminal() -> None:
    """SIGINT at its default in a child, also when the suite runs in the background (which ignores it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])  # SIGINT to rla alone
def test_tb_serves_the_selected_runs_and_stops_with_its_link_folder(db: Path, tmp_path: Path, stop: int):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    runs_url = f"http://127.0.0.1:{port}/data/runs"
    env = {**subprocess_env(), "TMPDIR": str(tmp_path)}
    tb = subprocess.Popen([sys.executable, "-m", "RLA.cli", "tb", "--data-root", str(db), "-t", "walker",
                           "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, start_new_session=True,
                          preexec_fn=_sigint_as_from_a_terminal)
    try:
        folder = Path(tb.stderr.readline().strip().rpartition(" ")[2])  # "TensorBoard on the items linked in <folder>"
        assert folder.parent == tmp_path and folder.name.startswith("rla_tb_")
        deadline, runs = time.monotonic() + 90, []
        while time.monotonic() < deadline and len(runs) < 3:
            try:
                runs = json.loads(urllib.request.urlopen(runs_url, timeout=5).read())
            except OSError:
                time.sleep(0.5)
        assert len(runs) == 3 and all(run.startswith("walker/") for run in runs), runs  # TensorBoard read them
        tb.send_signal(stop)
        code = tb.wait(timeout=60)
    finally:
        if tb.poll() is None:
            os.killpg(tb.pid, signal.SIGKILL)
    assert code == 0 and not folder.exists()  # the links it served are gone
    with pytest.raises(OSError):
        urllib.request.urlopen(runs_url, timeout=5)  # TensorBoard stopped with it
    assert len(list(db.rglob("*.tfevents.*"))) >= 3  # the runs' own event files stay


def run_module(module: str, *args: str, input: str = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], input=input, capture_output=True, text=True,
                          env=subprocess_env(), timeout=120, cwd=Path(__file__).resolve().parents[1])


def test_python_m_rla_cli_and_the_delete_log_script(db: Path):
    listed = run_module("RLA.cli", "ls", "--data-root", str(db), "--json")
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 8

    args = ["--data_root", str(db), "--task_table_name", "hopper", "--regex", SEED_1]
    asked = run_module("rla_scripts.delete_log", *args, input="n\n")
    assert "delete these 10 entries of 2 items?" in asked.stderr and "cancelled" in asked.stdout
    deleted = run_module("rla_scripts.delete_log", *args, "-y")
    assert deleted.returncode == 0 and "delete: 10 entries of 2 items" in deleted.stdout
    assert "nothing to do" in run_module("rla_scripts.delete_log", *args, "-y").stderr

    small = run_module("rla_scripts.delete_log", "--data_root", str(db), "--task_table_name", "walker",
                       "--delete_type", "small_ts", "--timestep_bound", "300", "-y")
    assert small.returncode == 0 and "5 entries of 1 item" in small.stdout
    assert count_items(db) == 5


def test_the_archive_migrate_and_view_scripts(db: Path, tmp_path: Path):
    from rla_scripts import archive_log, migrate_log, view_log

    archive_log.main(["--data_root", str(db), "--task_table_name", "hopper", "--regex", "2022/*", "-y"])
    assert count_items(db, task="hopper", archived=True) == 1
    migrate_log.main(["--data_root", str(db), "--task_table_name", "walker", "--regex", "*/*/*/*seed=2",
                      "--target_task_table_name", "walker_bad", "-y"])
    assert count_items(db, task="walker_bad") == 1
    assert view_log.main(["--data_root", str(db), "--task_table_name", "walker_bad"]) == 0
    assert view_log.main(["--data_root", str(db / "missing"), "--task_table_name", "walker_bad"]) == 1
    assert view_log.main(["--help"]) == 0 and archive_log.main(["--bogus"]) == 2
    assert os.path.isdir(db / "log" / "walker_bad")


def test_scripts_end_with_a_message_on_a_refused_selection_and_no_input_is_a_no(db: Path):
    refused = run_module("rla_scripts.delete_log", "--data_root", str(db), "--task_table_name", "walker")
    assert refused.returncode == 1 and "--all" in refused.stderr and "Traceback" not in refused.stderr
    no_input = run_module("rla_scripts.archive_log", "--data_root", str(db), "--task_table_name", "hopper",
                          "--regex", SEED_1, input="")
    assert no_input.returncode == 0 and "cancelled" in no_input.stdout
    assert count_items(db, task="hopper") == 5


def test_data_root_defaults_to_the_one_in_the_local_rla_config(db: Path, tmp_path: Path, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    (project / "rla_config.yaml").write_text(f"DATA_ROOT: {os.path.relpath(db, project)}\n")
    monkeypatch.chdir(project)
    monkeypatch.delenv("RLA_DATA_ROOT", raising=False)
    from_config = json.loads(rla("ls", "--json").output)
    explicit = json.loads(rla("ls", "--json", "--data-root", str(db)).output)
    assert from_config == explicit and len(from_config) > 0


def test_ls_shows_bracketed_names_and_until_takes_the_whole_day(db: Path):
    name = "10-00-00-000000 11.0.91.89 &algo=[ppo]&clip=1_0&lr=0.5"
    (db / "log" / "hopper" / "2022/03/02" / name).mkdir(parents=True)
    env = {"RLA_DATA_ROOT": str(db), "COLUMNS": "400"}
    table = rla("ls", "-t", "hopper", "--until", "2022-03-02", env=env)
    assert table.exit_code == 0 and "2 items" in table.stdout
    assert name in table.stdout and "1_0" in table.stdout and "[ppo]" in table.stdout
    listed = json.loads(rla("ls", "-t", "hopper", "--until", "2022-03-01", "--json", env=env).stdout)
    assert [i["record_date"] for i in listed] == [LEGACY_RECORD_DATE]


def test_running_items_are_skipped_by_the_cli_and_the_scripts(db: Path):
    running = [r for r in query.scan(db, task="walker") if r.status == "running"][0]
    out = rla("archive", "--data-root", str(db), "-t", "walker", "*/*/*/*seed=3", "-y", env={"COLUMNS": "400"})
    assert out.exit_code == 0 and "skipped 1 item still marked running" in out.stderr
    assert "--include-running" in out.stderr and running.item.path("log").is_dir()
    result = run_module("rla_scripts.migrate_log", "--data_root", str(db), "--task_table_name", "walker",
                        "--regex", "*/*/*/*seed=3", "--target_task_table_name", "walker_v2", "-y")
    assert result.returncode == 0 and "skipped 1 item" in result.stdout and running.item.path("log").is_dir()
    result = run_module("rla_scripts.delete_log", "--data_root", str(db), "--task_table_name", "walker",
                        "--regex", "*/*/*/*seed=3", "--include_running", "-y")
    assert result.returncode == 0 and "delete: 5 entries of 1 item" in result.stdout
    assert not running.item.path("log").exists()


def test_an_rla_error_ends_a_command_with_its_message_and_exit_code(db: Path, monkeypatch: pytest.MonkeyPatch):
    moved = run_module("RLA.cli", "mv", "--data-root", str(db), "-t", "hopper", SEED_1, "-y")
    assert moved.returncode == 2 and "migrate needs a destination" in moved.stderr
    assert "Traceback" not in moved.stderr
    script = run_module("rla_scripts.migrate_log", "--data_root", str(db), "--task_table_name", "hopper",
                        "--regex", SEED_1, "-y")
    assert script.returncode == 2 and "migrate needs a destination" in script.stderr
    assert "Traceback" not in script.stderr and count_items(db, task="hopper") == 5

    from RLA.db import ops

    def bug(*args, **kwargs):
        raise ValueError("a bug, not bad input")

    monkeypatch.setattr(ops, "plan_delete", bug)  # any other exception keeps its traceback
    result = CliRunner().invoke(main, ["rm", "--data-root", str(db), "-t", "hopper", SEED_1, "-y"])
    assert isinstance(result.exception, ValueError) and "a bug" not in result.output


def test_ls_headers_keep_the_params_prefix_when_a_parameter_is_named_like_a_column():
    import pandas as pd
    from rich.console import Console

    from RLA import cli_display as display

    frame = pd.DataFrame({"status": ["finished"], "params.status": ["[warm]"], "params.lr": [0.1]},
                         index=pd.Index(["t/2022/03/02/x &tag=[a]"], name="index"))
    out = Console(record=True, width=200)
    out.print(display.frame_table(frame, ["status", "params.status", "params.lr"]))
    text = out.export_text()
    header = text.splitlines()[1]
    assert "params.status" in header and " lr " in header and "params.lr" not in header
    assert "[warm]" in text and "&tag=[a]" in text


def test_ls_fits_an_80_column_terminal_one_line_per_item(db: Path):
    narrow = rla("ls", "--data-root", str(db), env={"COLUMNS": "80"})
    lines = narrow.stdout.splitlines()
    assert narrow.exit_code == 0 and max(map(len, lines)) <= 80
    header = next(line for line in lines if "started" in line)
    assert header.split()[:4] == ["task", "started", "status", "step"]
    rows = [line for line in lines if line.split()[:1] in (["hopper"], ["walker"])]
    assert len(rows) == 8  # every item on one line, named by table and start time (with the year: 2022 and now)
    assert any("2022-03-01 21:13:03" in line and "unknown" in line for line in rows)
    wide = rla("ls", "--data-root", str(db), "--wide", env={"COLUMNS": "80"}).stdout.splitlines()
    assert wide[:3] == lines[:3]  # the same table, each row followed by the item's full index, whole
    indexes = [r.index for r in query.scan(db)]
    assert wide[3::2] == rows and sorted(line.strip() for line in wide[4::2]) == sorted(indexes)


def test_ls_says_its_count_on_one_line_above_a_narrow_table(db: Path):
    import pandas as pd
    from rich.console import Console

    from RLA import cli_display as display

    shown = rla("ls", "--data-root", str(db), "-t", "hopper", "-c", "status", env={"COLUMNS": "80"})
    assert shown.stdout.splitlines()[0].rstrip() == f"{count_items(db, task='hopper')} items in {db}"
    title = "2 items in /a/database/whose/name/is/wider/than/its/table"
    for name in ("a", "a" * 80):  # the full table, then the short one (named by start time) of a long index
        frame = pd.DataFrame({"status": ["finished", "failed"], "task": "t", "date": pd.NaT},
                             index=pd.Index([f"t/{name}", "t/b"], name="index"))
        out = Console(record=True, width=80)
        out.print(display.frame_table(frame, ["status"], title=title, out=out))
        text = out.export_text()
        assert text.splitlines()[0].rstrip() == title and "finished" in text and "status" in text


def test_ls_shows_long_parameter_names_whole_when_the_terminal_has_room(tmp_path: Path):
    from conftest import log_run

    from RLA import exp_manager

    for seed in (1, 2):
        log_run(tmp_path / "db", "cheetah", {"learning_rate": 3e-4, "environment_name": "HalfCheetah-v4",
                                             "seed": seed}, [(0, {"r": 1.0})])
    exp_manager.finish()
    ls = ["ls", "--data-root", str(tmp_path / "db")]

    tables = {columns: rla(*ls, env={"COLUMNS": str(columns)}).stdout.splitlines() for columns in range(60, 121)}
    assert all(max(map(len, lines)) <= columns for columns, lines in tables.items())
    short = {columns: next(line for line in lines if line.startswith("started")) for columns, lines in tables.items()
             if any(line.startswith("started") for line in lines)}  # the table named by start time, not index
    whole = [columns for columns, header in short.items()
             if {"learning_rate", "environment_name", "seed"} <= set(header.split())]
    assert whole and "HalfCheetah-v4" in "".join(tables[min(whole)])  # their names and values whole ...
    assert "learning_ra…" in short[min(whole) - 4] and "seed" in short[min(whole) - 4].split()  # ... then cut


def test_ls_leaves_out_and_names_the_parameter_columns_80_columns_cannot_hold(db: Path):
    from conftest import log_run

    from RLA import exp_manager

    many = {f"param_{i}": 1000 + i for i in range(12)}
    log_run(db, "hopper", many, [(0, {"r": 1.0})])
    exp_manager.finish()
    lines = rla("ls", "--data-root", str(db), "-t", "hopper", env={"COLUMNS": "80"}).stdout.splitlines()
    assert max(map(len, lines)) <= 80
    shown = lines[1].split()
    start = next(i for i, line in enumerate(lines) if line.startswith("not shown: "))
    note = " ".join(" ".join(lines[start:]).split())  # the note wraps at 80 columns too
    left_out = note[len("not shown: "):note.index(" (")].split(", ")
    assert left_out and not set(left_out) & set(shown)
    assert set(shown[shown.index("size") + 1:]) | set(left_out) == {"lr", "seed", *many}  # the table's tracked ones
    assert all("…" not in cell for cell in lines[3].split())  # what is shown is whole, not cut to a letter
    wide = rla("ls", "--data-root", str(db), "-t", "hopper", "--wide", env={"COLUMNS": "80"}).stdout.splitlines()
    rows = lines[3:start]
    assert wide[:3] == lines[:3] and wide[3:3 + 2 * len(rows):2] == rows  # each row, then its index under it
    indexes = {r.index for r in query.scan(db) if r.item.task == "hopper"}
    assert {line.strip() for line in wide[4:3 + 2 * len(rows):2]} == indexes
    assert " ".join(" ".join(wide[3 + 2 * len(rows):]).split()) == note  # the note comes after them all
    assert max(map(len, wide[3 + 2 * len(rows):])) <= 80


def test_a_plan_fits_80_columns_with_its_sizes_per_data_type(db: Path):
    from RLA.console.display import short_size

    out = rla("rm", "--data-root", str(db), "-t", "hopper", SEED_1, "--dry-run", env={"COLUMNS": "80"}).output
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 80
    (by_type,) = [line for line in lines if line.startswith("by data type: ")]
    records = query.select(db, query.ItemFilter(task="hopper", pattern=SEED_1))
    log = short_size(sum(r.sizes.get("log", 0) for r in records))
    assert f"log {log}, " in by_type and "ckpt " in by_type and "pickle " in by_type


def test_ls_sizes_per_data_type_at_80_columns(db: Path):
    from RLA.console.display import short_size

    lines = rla("ls", "--data-root", str(db), "-t", "hopper", "--sizes", env={"COLUMNS": "80"}).stdout.splitlines()
    assert max(map(len, lines)) <= 80
    types = ["log", "code", "checkpoint", "archive_tester", "results"]  # the types these items hold
    assert lines[1].split() == ["started", "status", "log", "code", "ckpt", "pickle", "results", "size"]
    frame = query.query(db, "hopper")
    expected = sorted(tuple(short_size(row[f"size.{t}"]) for t in types) + (short_size(row["size"]),)
                      for _, row in frame.iterrows())
    shown = sorted(tuple(line.split()[-6:]) for line in lines[3:])
    assert len(shown) == len(frame) and shown == expected


def test_integer_parameters_stay_integers_when_some_runs_lack_them(db: Path):
    from conftest import log_run

    from RLA import exp_manager

    log_run(db, "hopper", {"lr": 0.5}, [(0, {"r": 1.0})])  # a run without a seed
    exp_manager.finish()
    frame = query.query(db, "hopper")
    assert str(frame["params.seed"].dtype) == "Int64" and frame["params.seed"].isna().sum() == 1
    table = rla("ls", "--data-root", str(db), "-t", "hopper", "-c", "params.seed", env={"COLUMNS": "80"})
    seeds = [line.strip("│ ").split()[-1] for line in table.stdout.splitlines() if "hopper/" in line]
    assert sorted(seeds) == ["-", "1", "1", "2", "2", "3"]


def test_show_latest_names_the_item_that_started_last(db: Path):
    newest = max(query.scan(db), key=lambda r: query.start_time(r.item))
    shown = json.loads(rla("show", "latest", "--data-root", str(db), "--json").stdout)
    assert [s["index"] for s in shown] == [newest.index]
    of_walker = json.loads(rla("show", "latest", "-t", "walker", "--data-root", str(db), "--json").stdout)
    assert of_walker[0]["task"] == "walker" and len(of_walker) == 1
