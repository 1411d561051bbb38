"""Many machines, one database: runs and `rla sync` push items to a real OpenSSH server on loopback."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Dict, List

import pytest
from click.testing import CliRunner
from conftest import log_run, popen_python, run_python, subprocess_env
from sshd_server import Sshd, make_sshd, running_sshd, trust

from RLA.cli import main as rla
from RLA.config import RemoteSetting
from RLA.db import remote
from RLA.db.annotate import annotate_item
from RLA.db.atomic import is_temp_name
from RLA.db.layout import Database
from RLA.db.query import select
from RLA.db.select import ItemFilter
from RLA.easy_log import logger
from RLA.easy_log.tester import exp_manager
from RLA.errors import HostKeyError

PASSWORD = "pw-7f3a-never-on-disk"

TRAIN = """
import json, sys, time
from RLA.easy_log import logger
from RLA.easy_log.tester import exp_manager
from RLA.easy_log import logger

data_root, config_file, steps, pause = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
config = json.load(open(config_file))
exp_manager.configure("ppo", config_file, data_root, code_root=sys.argv[5])
exp_manager.set_hyper_param(lr=3e-4, seed=1)
exp_manager.add_record_param(["lr"])
exp_manager.log_files_gen()
saver = exp_manager.new_saver(max_to_keep=2) if config.get("DL_FRAMEWORK") == "torch" else None
for t in range(steps):
    exp_manager.time_step_holder.set_time(t)
    logger.record_tabular("reward", float(t))
    logger.info(f"step {t}")
    logger.dump_tabular()
    if saver is not None and t % 20 == 19:
        import torch
        exp_manager.save_checkpoint({"w": torch.ones(3) * t})
    if t % 10 == 0:
        exp_manager.sync_log_file()
    time.sleep(pause)
print("trained", steps)
"""


@pytest.fixture(scope="module")
def sshd(tmp_path_factory) -> Sshd:
    yield from running_sshd(tmp_path_factory.mktemp("sshd"))


def _config(server: Sshd, central: Path, **extra) -> Dict:
    return {"LOG_USED": ["stdout", "log", "csv", "json", "tensorboard"], "DL_FRAMEWORK": "torch",
            "SEND_LOG_FILE": True, "REMOTE_SETTING": server.remote_setting(central, **extra)}


def _train(tmp_path: Path, write_script, config: Dict, steps: int = 50, pause: float = 0.0):
    """The command line of a training run; its rla_config.yaml (JSON is YAML) is kept out of the code root."""
    script = write_script(TRAIN, "train.py")
    config_file = tmp_path / "private" / "rla_config.yaml"
    config_file.parent.mkdir(exist_ok=True)
    config_file.write_text(json.dumps(config))
    return [str(script), str(tmp_path / "local"), str(config_file), str(steps), str(pause), str(tmp_path)]


def _files(root: Path, item) -> Dict[str, bytes]:
    """Every file of ``item`` under ``root`` (all data types), by path relative to root."""
    moved = item.moved(root=root)
    out = {}
    for path in moved.existing_paths().values():
        paths = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        out.update({str(p.relative_to(root)): p.read_bytes() for p in paths})
    return out


def _endpoint(server: Sshd, central: Path, **extra) -> remote.Endpoint:
    return remote.from_setting(RemoteSetting(**server.remote_setting(central, **extra)))


def test_a_run_syncing_itself_leaves_a_byte_equal_item_on_the_central_host(sshd, tmp_path, write_script):
    central = tmp_path / "central"
    args = _train(tmp_path, write_script, _config(sshd, central), steps=60)
    done = run_python(Path(args[0]), *args[1:], timeout=180)
    assert done.returncode == 0, done.stderr
    (item,) = Database(tmp_path / "local").items("ppo")
    local, pushed = _files(tmp_path / "local", item), _files(central, item)
    assert set(item.existing_paths()) == {"log", "code", "checkpoint", "archive_tester", "results"}
    assert any("ckpt-" in p for p in local) and any("tfevents" in p for p in local)
    assert pushed == local, done.stderr[-3000:]
    (record,) = select(central, ItemFilter(task="ppo"))
    assert record.status == "finished" and record.rows == 60


def _many_items(root: Path, count: int, size: int) -> List:
    items = []
    for i in range(count):
        item = log_run(root, "bulk", {"seed": i}, [(t, {"r": t}) for t in range(5)])
        item.results_dir.mkdir(parents=True, exist_ok=True)
        (item.results_dir / "video.bin").write_bytes(os.urandom(size))
        items.append(item)
    exp_manager.finish()
    return items


PUSH = """
import sys
from RLA.config import RemoteSetting
from RLA.db import remote
from RLA.db.select import ItemFilter
import json
endpoint = remote.from_setting(RemoteSetting(**json.loads(sys.argv[2])))
print(remote.push(sys.argv[1], endpoint, ItemFilter(task="bulk")).sent_bytes)
"""


def test_a_push_killed_midway_resumes_without_sending_everything_again(sshd, tmp_path, write_script):
    local, central = tmp_path / "local", tmp_path / "central"
    items = _many_items(local, 12, 1 << 20)
    total = sum(len(b) for item in items for b in _files(local, item).values())
    setting = sshd.remote_setting(central)
    process = popen_python(write_script(PUSH, "push.py"), str(local), json.dumps(setting))
    manifests = local / ".rla_sync"
    deadline = time.monotonic() + 60
    while not any(p.stat().st_size for p in manifests.rglob("*.jsonl")) if manifests.exists() else True:
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    report = remote.push(local, _endpoint(sshd, central), ItemFilter(task="bulk"))
    assert 0 < report.sent_bytes < total
    for item in items:
        assert _files(central, item) == _files(local, item)
    assert remote.push(local, _endpoint(sshd, central), ItemFilter(task="bulk")).sent_bytes == 0


def test_a_copy_a_killed_push_left_of_a_checkpoint_since_rotated_out_is_cleared(sshd, tmp_path, write_script):
    local, central = tmp_path / "local", tmp_path / "central"
    (item,) = _many_items(local, 1, 1 << 10)
    rotated = item.checkpoint_dir / "ckpt-9"
    rotated.mkdir(parents=True)
    (rotated / "model.pt").write_bytes(os.urandom(96 << 20))
    process = popen_python(write_script(PUSH, "push.py"), str(local), json.dumps(sshd.remote_setting(central)))
    copies = central / item.checkpoint_dir.relative_to(local)
    deadline = time.monotonic() + 60
    while not any(is_temp_name(p.name) and p.name.startswith(".ckpt-9.") and any(p.iterdir())
                  for p in (copies.iterdir() if copies.is_dir() else ())):
        assert process.poll() is None and time.monotonic() < deadline, process.communicate()
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)  # while the checkpoint travels under its temporary name
    process.wait()
    assert [p.name for p in copies.iterdir() if is_temp_name(p.name)]
    shutil.rmtree(rotated)  # the run's saver rotated it out meanwhile: no push sends it again
    (item.checkpoint_dir / "ckpt-19").mkdir()
    (item.checkpoint_dir / "ckpt-19" / "model.pt").write_bytes(b"w" * 100)
    remote.push(local, _endpoint(sshd, central), ItemFilter(task="bulk"))
    assert [p for p in central.rglob("*") if is_temp_name(p.name)] == []
    assert _files(central, item) == _files(local, item)


def _folder(path: Path) -> Dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in path.rglob("*") if p.is_file()}


def test_a_new_item_appears_whole_to_a_reader_of_the_central_host(sshd, tmp_path):
    local, central = tmp_path / "local", tmp_path / "central"
    items = _many_items(local, 24, 256 << 10)
    folders = [(item.moved(root=central).path(kind), _folder(item.path(kind))) for item in items
               for kind in ("log", "results")]
    pushing = threading.Thread(target=remote.push, args=(local, _endpoint(sshd, central), ItemFilter(task="bulk")))
    pushing.start()
    looks, partial = 0, []
    while pushing.is_alive():
        for path, whole in folders:
            if path.exists():
                seen = _folder(path)
                if seen != whole:
                    partial.append((path, sorted(seen), sorted(whole)))
        looks += 1
    pushing.join()
    assert looks and partial == []
    assert all(_folder(path) == whole for path, whole in folders)
    assert [p for p in central.rglob("*") if is_temp_name(p.name)] == []
    again = remote.push(local, _endpoint(sshd, central), ItemFilter(task="bulk"))
    assert again.sent_bytes == 0 and again.actions == 0


def _log_rows(start: int, stop: int) -> None:
    for t in range(start, stop):
        exp_manager.time_step_holder.set_time(t)
        logger.logkvs({"r": t})
        logger.dump_tabular()


def test_an_append_goes_on_from_the_record_and_a_file_gone_remotely_is_sent_whole(sshd, tmp_path):
    local, central = tmp_path / "local", tmp_path / "central"
    item = log_run(local, "grow", {"seed": 0}, [(t, {"r": t}) for t in range(50)])
    try:
        remote.push(local, _endpoint(sshd, central), ItemFilter(task="grow"))
        pushed = item.moved(root=central)
        _log_rows(50, 80)
        grown = item.progress_csv.stat().st_size - pushed.progress_csv.stat().st_size
        report = remote.push(local, _endpoint(sshd, central), ItemFilter(task="grow"))
        assert _folder(pushed.log_dir) == _folder(item.log_dir)
        assert grown <= report.sent_bytes < grown + item.run_json.stat().st_size + 4096
        pushed.progress_csv.unlink()  # gone from the central host: the next append sends the file whole
        _log_rows(80, 90)
        remote.push(local, _endpoint(sshd, central), ItemFilter(task="grow"))
        assert _folder(pushed.log_dir) == _folder(item.log_dir)
    finally:
        exp_manager.finish()


def test_training_goes_on_while_the_server_is_down_and_the_item_catches_up(tmp_path, write_script):
    central = tmp_path / "central"
    server = make_sshd(tmp_path / "sshd").start()
    trust(server)
    try:
        config = _config(server, central, final_sync_timeout=2.0)
        config["DL_FRAMEWORK"] = "none"
        args = _train(tmp_path, write_script, config, steps=200, pause=0.01)
        process = popen_python(Path(args[0]), *args[1:])
        deadline = time.monotonic() + 60
        # os.walk, not rglob: the push renames a new item's temporary folder while the poll walks it
        while not any("progress.csv" in files for _, _, files in os.walk(central)):
            assert process.poll() is None and time.monotonic() < deadline, process.communicate()
            time.sleep(0.02)
        server.stop()
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert "trained 200" in out and "cannot sync" in err
        (record,) = select(tmp_path / "local", ItemFilter(task="ppo"))
        assert record.rows == 200 and record.status == "finished"
        server.start()
        remote.push(tmp_path / "local", _endpoint(server, central), ItemFilter(task="ppo"))
        assert _files(central, record.item) == _files(tmp_path / "local", record.item)
    finally:
        server.stop()


def test_pull_by_pattern_fetches_only_the_matching_items(sshd, tmp_path):
    central = tmp_path / "central"
    for seed in range(3):
        log_run(central, "walker", {"seed": seed, "env": "Walker2d"}, [(0, {"r": seed})])
    exp_manager.finish()
    wanted = [i for i in Database(central).items("walker") if "seed=1" in i.name]
    report = remote.pull(tmp_path / "mine", _endpoint(sshd, central), ItemFilter(task="walker", pattern="*seed=1*"))
    assert [r.index for r in report.items] == [wanted[0].index]
    assert [i.index for i in Database(tmp_path / "mine").items()] == [wanted[0].index]
    assert _files(tmp_path / "mine", wanted[0]) == _files(central, wanted[0])
    by_where = remote.pull(tmp_path / "mine2", _endpoint(sshd, central), ItemFilter(task="walker", where="seed >= 1"))
    assert len(by_where.items) == 2


def test_the_password_is_never_written_on_either_side(sshd, tmp_path, write_script, monkeypatch):
    central = tmp_path / "central"
    config = _config(sshd, central, password=PASSWORD)  # the key logs in; the password must still stay in memory
    config["DL_FRAMEWORK"] = "none"
    args = _train(tmp_path, write_script, config, steps=20)
    done = run_python(Path(args[0]), *args[1:], env={"RLA_REMOTE_PASSWORD": PASSWORD})
    assert done.returncode == 0, done.stderr
    monkeypatch.chdir(tmp_path / "private")
    monkeypatch.setenv("RLA_REMOTE_PASSWORD", PASSWORD)
    result = CliRunner().invoke(rla, ["sync", "push", "-d", str(tmp_path / "local"), "-t", "ppo"])
    assert result.exit_code == 0, result.output
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.parent.name != "private"]
    assert any(".rla_sync" in str(p) for p in written) and any(central in p.parents for p in written)
    assert [p for p in written if PASSWORD.encode() in p.read_bytes()] == []


def test_an_unknown_host_key_is_refused_unless_accept_new(sshd, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(HostKeyError, match="not in"):
        remote.connect(_endpoint(sshd, tmp_path / "c", known_hosts=str(empty)))
    session = remote.connect(_endpoint(sshd, tmp_path / "c", known_hosts=str(empty), host_key_policy="accept-new"))
    session.close()
    assert sshd.host_key.with_suffix(".pub").read_text().split()[1] in empty.read_text()


def test_rla_sync_status_and_push_on_the_command_line(sshd, tmp_path):
    local, central = tmp_path / "local", tmp_path / "central"
    log_run(local, "ppo", {"lr": 0.1}, [(t, {"r": t}) for t in range(10)])
    exp_manager.finish()
    runner = CliRunner()
    base = ["-d", str(local), "-t", "ppo", "--remote", sshd.url(central)]
    url_setting = {"REMOTE_SETTING": {"key_file": str(sshd.user_key), "known_hosts": str(sshd.known_hosts)}}
    (tmp_path / "rla_config.yaml").write_text(json.dumps(url_setting))
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        behind = runner.invoke(rla, ["sync", "status", "--json", *base])
        assert behind.exit_code == 0, behind.output
        assert json.loads(behind.output)["items"][0]["actions"] > 0
        dry = runner.invoke(rla, ["sync", "push", "--dry-run", *base])
        assert dry.exit_code == 0 and not central.exists()
        pushed = runner.invoke(rla, ["sync", "push", *base])
        assert pushed.exit_code == 0, pushed.output
        after = runner.invoke(rla, ["sync", "status", "--json", *base])
        assert json.loads(after.output)["items"][0]["actions"] == 0
        refused = runner.invoke(rla, ["sync", "push", "-d", str(local), "--remote", "sftp://u:pw@h/x"])
        assert refused.exit_code == 2 and "password" in refused.output
    finally:
        os.chdir(cwd)


def test_tags_and_notes_travel_with_the_item_and_pull_selects_by_them(sshd, tmp_path):
    local, central, mine = tmp_path / "local", tmp_path / "central", tmp_path / "mine"
    items = [log_run(local, "tagged", {"seed": seed}, [(t, {"r": t}) for t in range(5)]) for seed in range(3)]
    exp_manager.finish()
    remote.push(local, _endpoint(sshd, central), ItemFilter(task="tagged"))
    annotate_item(items[1], add=["baseline"], note="the seed of the paper")
    again = remote.push(local, _endpoint(sshd, central), ItemFilter(task="tagged"))
    assert again.actions == 1 and again.sent_bytes == items[1].annotations_json.stat().st_size
    assert _files(central, items[1]) == _files(local, items[1])
    annotate_item(items[1], remove=["baseline"], add=["best"])  # replaced whole, however it changed
    remote.push(local, _endpoint(sshd, central), ItemFilter(task="tagged"))
    assert items[1].moved(root=central).annotations_json.read_bytes() == items[1].annotations_json.read_bytes()
    pulled = remote.pull(mine, _endpoint(sshd, central), ItemFilter(task="tagged", where='"best" in tags'))
    assert [r.index for r in pulled.items] == [items[1].index]
    (record,) = select(mine, ItemFilter(where='"paper" in note'))
    assert record.index == items[1].index and record.tags == ["best"]


def _captured_rows(root: Path, task: str) -> int:
    """The rows rla run has written so far into the one item of ``task`` (0 before it has one)."""
    items = Database(root).items(task)
    if not items or not items[0].progress_csv.exists():
        return 0
    return max(0, len(items[0].progress_csv.read_text().splitlines()) - 1)


CAPTURED_SCRIPT = """
import os, time
from torch.utils.tensorboard import SummaryWriter

writer = SummaryWriter("runs/cap")
for step in range(40):
    if step == 20:
        writer.flush()
        print("first half", flush=True)
        while not os.path.exists(os.environ["GO_FILE"]):  # the test pushes the item meanwhile
            time.sleep(0.05)
    writer.add_scalar("loss", 1.0 / (step + 1), step * 10)
writer.close()
"""


def test_an_item_of_rla_run_pushed_while_it_runs_then_again_sends_tails(sshd, tmp_path, write_script):
    """A captured item (the command's event file kept under tb/runs/, output.txt, system.csv) goes to the
    central host while the command runs, then again when it has ended: only what grew is sent, and the
    central item is byte-equal to the local one, its scalars equal to what TensorBoard reads from the
    script's own file."""
    from test_run_capture import RLA_RUN, captured, tensorboard_scalars

    from RLA.db.sync.plan import is_append_only

    local, central, go = tmp_path / "local", tmp_path / "central", tmp_path / "go"
    project = tmp_path / "project"
    project.mkdir()
    (project / "cap.py").write_text(CAPTURED_SCRIPT)
    run = subprocess.Popen([*RLA_RUN, "-d", str(local), "--", sys.executable, "cap.py"], cwd=project,
                           env=subprocess_env({"GO_FILE": str(go)}), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while _captured_rows(local, "cap") < 20:
            assert run.poll() is None and time.monotonic() < deadline, run.communicate()
            time.sleep(0.1)
        (item,) = Database(local).items("cap")
        remote.push(local, _endpoint(sshd, central), ItemFilter(task="cap"))
        pushed = item.moved(root=central)
        assert captured(pushed) == tensorboard_scalars(project / "runs")  # the first 20 steps
        (record,) = select(central, ItemFilter(task="cap"))
        assert record.status == "running"
        sent_first = {rel: len(data) for rel, data in _files(central, item).items()
                      if is_append_only(item, rel)}
    finally:
        go.touch()
        out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    report = remote.push(local, _endpoint(sshd, central), ItemFilter(task="cap"))
    local_files = _files(local, item)
    assert _files(central, item) == local_files
    assert any("/tb/runs/cap/events.out.tfevents." in rel for rel in local_files)
    # the append-only files went as tails: what the first push sent of them is not sent again
    assert report.sent_bytes <= sum(len(data) for data in local_files.values()) - sum(sent_first.values())
    (record,) = select(central, ItemFilter(task="cap"))
    assert record.status == "finished" and record.rows == 40
    assert captured(pushed) == tensorboard_scalars(project / "runs") == tensorboard_scalars(pushed.tb_dir)



def test_an_item_pushed_again_is_seen_by_the_central_index_at_once(sshd, tmp_path):
    """A push that changes an item in place moves its date folder's mtime on the central host, so the
    central query index reads it again even for a filter that its old row would not pass."""
    local, central = tmp_path / "local", tmp_path / "central"
    items = [log_run(local, "again", {"seed": seed}, [(t, {"r": t}) for t in range(5)]) for seed in range(3)]
    exp_manager.finish()
    remote.push(local, _endpoint(sshd, central), ItemFilter(task="again"))
    past = time.time() - 3600
    for folder, dirs, files in os.walk(central):  # pushed long ago: the central index trusts its folders
        for name in dirs + files:
            os.utime(os.path.join(folder, name), (past, past))
    assert [r.status for r in select(central, ItemFilter(task="again"))] == ["finished"] * 3
    run = json.loads(items[1].run_json.read_text())
    items[1].run_json.write_text(json.dumps({**run, "status": "failed"}))  # resumed elsewhere, and failed
    remote.push(local, _endpoint(sshd, central), ItemFilter(task="again"))
    assert [r.index for r in select(central, ItemFilter(task="again", status="failed"))] == [items[1].index]
