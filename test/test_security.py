"""Secrets and foreign files: code snapshots hold no secret, no file RLA writes holds the remote
password or token, the read-only tools never unpickle a file of the database, and `rla rm` and
the UI never follow a symlink out of the data root."""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from click.testing import CliRunner
from conftest import log_run, run_python, subprocess_env
from ui_server import running_ui

from RLA.cli import main
from RLA.db.layout import Database
from RLA.easy_log import logger
from RLA.easy_log.tester import exp_manager
from RLA.easy_log.time_step import time_step_holder

PASSWORD = "pw-Zq81-config-secret"
TOKEN = "tok-Hh27-env-secret"
PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n"

#: planted in the code root: none may reach the item's code folder
SECRET_FILES = {
    ".env": "API_KEY=abc", ".env.production": "X=1", ".envrc": "export X=1", "id_rsa": PRIVATE_KEY,
    "id_ed25519.pub": "ssh-ed25519 AAAA", "server.pem": PRIVATE_KEY, "tls.key": "k", "credentials.json": "{}",
    "client_secret_123.json": "{}", "my-service-account.json": "{}", "config/secrets.yaml": "token: abc",
    ".netrc": "machine api.wandb.ai login user password abc", ".aws/credentials": "[default]\nkey=abc",
    ".ssh/config": "Host x", ".docker/config.json": "{}", ".kube/config": "token: abc",
    ".git-credentials": "https://u:abc@github.com", ".npmrc": "//registry/:_authToken=abc",
    "deploy/robot_key": PRIVATE_KEY, "prod.tfvars": "token = abc",
}
CODE_FILES = {"main.py": "print('train')\n", "algo/ppo.py": "LR = 3e-4\n", "config/hparams.yaml": "lr: 0.1\n"}

TRAIN = """
import sys
from RLA.easy_log.tester import exp_manager
from RLA.easy_log import logger
exp_manager.configure("sec", "rla_config.yaml", sys.argv[1], code_root=".", run_file=__file__)
exp_manager.set_hyper_param(lr=0.1, seed=1)
exp_manager.add_record_param(["seed"])
exp_manager.log_files_gen()
for t in range(3):
    exp_manager.time_step_holder.set_time(t)
    logger.record_tabular("r", t)
    logger.dump_tabular()
exp_manager.save_checkpoint({"w": __import__("torch").ones(2)})
exp_manager.finish()
"""


def _project(root: Path, files: dict) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_a_code_snapshot_holds_no_secret_and_no_file_holds_the_password(tmp_path: Path):
    """A real run (a subprocess) in a project holding secrets beside its code and an rla_config.yaml
    with the remote password; the token comes from $RLA_REMOTE_PASSWORD."""
    project, data_root = tmp_path / "project", tmp_path / "db"
    _project(project, {**SECRET_FILES, **CODE_FILES, "train.py": TRAIN, "notes.txt": f"token {TOKEN}\n"})
    config = {"LOG_USED": ["stdout", "log", "csv", "json", "tensorboard"], "DL_FRAMEWORK": "torch",
              "BACKUP_CONFIG": {"backup_code_dir": ["."]},
              "REMOTE_SETTING": {"ftp_server": "central.example", "username": "me", "password": PASSWORD}}
    (project / "rla_config.yaml").write_text(json.dumps(config))
    done = run_python(project / "train.py", str(data_root), cwd=project, env={"RLA_REMOTE_PASSWORD": TOKEN})
    assert done.returncode == 0, done.stderr
    (item,) = Database(data_root).items("sec")
    snapshot = {p.relative_to(item.code_dir).as_posix() for p in item.code_dir.rglob("*") if p.is_file()}
    assert {*CODE_FILES, "train.py", "rla_config.yaml", "notes.txt"} <= snapshot
    assert snapshot & set(SECRET_FILES) == set()
    assert not any(part in (".aws", ".ssh", ".docker", ".kube") for s in snapshot for part in s.split("/"))
    assert "blanked the remote password" in item.log.warn_txt.read_text()
    CliRunner().invoke(main, ["ls", "-d", str(data_root), "-t", "sec"])  # the index is written too
    written = [p for p in data_root.rglob("*") if p.is_file()]
    assert any(p.suffix == ".pkl" for p in written) and any(".rla_index" in p.parts for p in written)
    assert any(p.name == "run.json" for p in written) and any(p.name == "meta.pkl" for p in written)
    leaks = [p for p in written for secret in (PASSWORD, TOKEN, "abc@github") if secret.encode() in p.read_bytes()]
    assert leaks == []


class _Plant:
    """A pickle that creates ``marker`` when loaded."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def _make_item(data_root: Path, seed: int):
    exp_manager.configure(task_table_name="sec", rla_config={"LOG_USED": ["csv"], "DL_FRAMEWORK": "torch"},
                          data_root=data_root, code_root=str(data_root.parent))
    exp_manager.set_hyper_param(lr=0.1, seed=seed)
    exp_manager.add_record_param(["seed"])
    item = exp_manager.log_files_gen()
    for t in range(3):
        time_step_holder.set_time(t)
        logger.record_tabular("r", t)
        logger.dump_tabular()
    import torch

    exp_manager.save_checkpoint({"w": torch.ones(2)})
    exp_manager.finish()
    return item


def test_listing_plotting_and_the_ui_never_unpickle_a_file_of_the_database(tmp_path: Path):
    data_root, marker = tmp_path / "db", tmp_path / "UNPICKLED"
    items = [_make_item(data_root, seed) for seed in (1, 2)]
    for item in items:
        item.pickle_file.write_bytes(pickle.dumps(_Plant(marker)))
        (meta,) = item.checkpoint_dir.rglob("meta.pkl")
        meta.write_bytes(pickle.dumps(_Plant(marker)))
    foreign_date = items[0].record_date.replace(items[0].name, "00-00-00-000001_1.2.3.4_&x=1")
    foreign = Database(data_root).item("sec", foreign_date)
    foreign.pickle_file.write_bytes(pickle.dumps(_Plant(marker)))  # an item that is only a pickle
    runner = CliRunner()
    for args in (["ls", "-t", "sec"], ["ls", "--json"], ["ls", "--wide", "-c", "params.lr"], ["show", "-t", "sec"],
                 ["show", "latest", "-t", "sec"], ["show", "--json", "-t", "sec"],
                 ["plot", "-t", "sec", "-m", "r", "-k", "seed"]):
        result = runner.invoke(main, [*args[:1], "-d", str(data_root), *args[1:]])
        assert result.exit_code == 0, (args, result.output)
    from RLA.easy_plot.plot_func import plot_func
    from RLA.ui import curves, metric_names, runs
    from RLA.ui.selection import select_records

    plot_func(data_root=str(data_root), task_table_name="sec", regs=["*"], split_keys=["seed"], metrics=["r"])
    table = runs.RunsTables().table(data_root, "-t sec", ["params.lr"])
    assert len(table["runs"]) == 3
    for item in items:
        detail = runs.run_detail(data_root, item.index)
        assert any(f["path"].endswith("meta.pkl") for f in detail["checkpoints"])
    runs.compare(data_root, "-t sec", [i.index for i in items])
    metric_names.metrics_of(select_records(data_root, "-t sec"))
    curves.curves(data_root, curves.CurveRequest.of({"filter": "-t sec", "metrics": ["r"], "split_keys": ["seed"]}))
    assert not marker.exists()


def _get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_rm_and_the_ui_never_follow_a_symlink_out_of_the_data_root(tmp_path: Path):
    data_root = tmp_path / "db"
    keep, victim = _make_item(data_root, 1), _make_item(data_root, 2)
    outside = tmp_path / "outside"
    (outside / "ckpt").mkdir(parents=True)
    (outside / "ckpt" / "weights.pt").write_text("precious")
    (outside / "secret.txt").write_text("precious")
    (outside / "folder").mkdir()
    (outside / "folder" / "data.bin").write_text("precious")
    import shutil

    shutil.rmtree(victim.checkpoint_dir)
    victim.checkpoint_dir.symlink_to(outside / "ckpt", target_is_directory=True)
    victim.results_dir.mkdir(parents=True, exist_ok=True)
    (victim.results_dir / "inside.png").write_text("mine")
    (victim.results_dir / "escape.txt").symlink_to(outside / "secret.txt")
    (victim.results_dir / "escape_dir").symlink_to(outside / "folder", target_is_directory=True)
    (victim.results_dir / "up").symlink_to("../../../../../../..", target_is_directory=True)

    from RLA.ui import runs

    detail = runs.run_detail(data_root, victim.index)
    assert detail["checkpoints"] == [] and [f["path"] for f in detail["results"]] == ["inside.png"]
    with running_ui(data_root) as url:
        base = f"{url.rstrip('/')}/api/file?index={urllib.parse.quote(victim.index)}"
        for kind, path in (("checkpoint", "weights.pt"), ("results", "escape.txt"), ("results", "escape_dir/data.bin"),
                           ("results", "../../../../../../../outside/secret.txt"), ("results", "up/outside/secret.txt"),
                           ("results", str(outside / "secret.txt"))):
            status, body = _get(f"{base}&type={kind}&path={urllib.parse.quote(path)}")
            assert status in (400, 403, 404) and b"precious" not in body, (kind, path, status)
        assert _get(f"{base}&type=results&path=inside.png") == (200, b"mine")

    result = CliRunner().invoke(main, ["rm", "-d", str(data_root), "-t", "sec", victim.record_date, "--yes"])
    assert result.exit_code == 0, result.output
    assert not os.path.lexists(victim.checkpoint_dir) and not victim.results_dir.exists()
    assert (outside / "ckpt" / "weights.pt").read_text() == "precious"
    assert (outside / "secret.txt").read_text() == "precious"
    assert (outside / "folder" / "data.bin").read_text() == "precious"
    assert [i.index for i in Database(data_root).items("sec")] == [keep.index]
    assert keep.checkpoint_dir.is_dir()


#: what a value in the database could hold to act on the terminal: erase a line and move up, retitle
#: the window (OSC ... BEL), a C1 control sequence introducer, a right-to-left override
TERMINAL_ATTACK = "Hop\x1b[2K\x1b[1A\x1b]0;owned\x07per\x9b31m\u202e"
ACTING_CHARACTERS = ("\x1b", "\x07", "\x9b", "\u202e")


def test_the_cli_shows_control_characters_from_the_database_as_escapes(tmp_path: Path):
    data_root = tmp_path / "db"
    item = log_run(data_root, "term", {"env": TERMINAL_ATTACK, "seed": 1}, [(0, {"r": 1.0})])
    exp_manager.finish()
    run_json = json.loads(item.run_json.read_text())
    item.run_json.write_text(json.dumps({**run_json, "status": "finished\x1b[8m", "host": "h\x1b]8;;x\x07"}))
    outputs = {}
    for command in (["ls", "--refresh"], ["ls", "--wide"], ["show", "*"], ["rm", "*", "--all", "--dry-run"]):
        result = subprocess.run([sys.executable, "-m", "RLA.cli", *command, "-d", str(data_root), "-t", "term"],
                                capture_output=True, text=True, env=subprocess_env({"COLUMNS": "80"}), timeout=60)
        assert result.returncode == 0, result.stderr
        outputs[command[0] + command[1]] = result.stdout + result.stderr
    for name, text in outputs.items():
        assert not [c for c in ACTING_CHARACTERS if c in text], (name, text)
    assert "\\x1b[2K" in outputs["ls--wide"] and "\\u202e" in outputs["ls--wide"]  # shown, so the user sees them
    assert "status: finished\\x1b[8m" in outputs["show*"] and "host: h\\x1b]8;;x\\x07" in outputs["show*"]
    assert "\\x1b" in outputs["rm*"]
    assert item.log_dir.exists()  # the dry run changed nothing


def test_errors_and_warnings_of_the_cli_show_control_characters_as_escapes(tmp_path: Path):
    """An error or a warning may quote the database: a table named with control characters in the
    list of known tables, a parameter in a 'did you mean'."""
    data_root = tmp_path / "db"
    log_run(data_root, "term", {"lrate\x1b[2K": 1, "seed": 1}, [(0, {"r": 1.0})])
    exp_manager.finish()
    (data_root / "log" / f"term{TERMINAL_ATTACK}").mkdir()
    env = subprocess_env({"COLUMNS": "80"})
    unknown_table = subprocess.run([sys.executable, "-m", "RLA.cli", "ls", "-d", str(data_root), "-t", "termHop"],
                                   capture_output=True, text=True, env=env, timeout=60)
    unknown_key = subprocess.run([sys.executable, "-m", "RLA.cli", "ls", "-d", str(data_root), "-t", "term",
                                  "-w", "lrate == 1"], capture_output=True, text=True, env=env, timeout=60)
    assert unknown_table.returncode != 0 and "Error:" in unknown_table.stderr
    assert "\\x1b[2K" in unknown_table.stderr
    assert "\\x1b[2K" in unknown_key.stderr  # the closest parameter, named in a warning or an error
    for text in (unknown_table.stderr, unknown_key.stderr):
        assert not [c for c in ACTING_CHARACTERS if c in text], text
