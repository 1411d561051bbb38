"""What `rla ui` refuses: paths leaving the data root, requests without the token, foreign hosts;
and the commands that start it."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Dict, Optional, Tuple

import pytest
from conftest import subprocess_env
from ui_server import free_port, running_ui, ui_db  # noqa: F401

from RLA.db.query import ItemFilter, select


def _get(url: str, headers: Optional[Dict[str, str]] = None) -> Tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_paths_never_leave_the_item_folder(ui_db: Path, tmp_path: Path):
    record = select(ui_db, ItemFilter(task="cheetah"))[0]
    secret = tmp_path / "secret.txt"
    secret.write_text("outside")
    record.item.results_dir.mkdir(parents=True, exist_ok=True)
    (record.item.results_dir / "escape.txt").symlink_to(secret)
    (record.item.results_dir / "inside.txt").write_text("inside")
    with running_ui(ui_db) as url:
        def file(path: str, index: str = record.index) -> Tuple[int, bytes]:
            query = urllib.parse.urlencode({"index": index, "type": "results", "path": path})
            return _get(f"{url}api/file?{query}")

        assert file("inside.txt") == (200, b"inside")
        assert file("../../../../../../../../etc/passwd")[0] == 403
        assert file("escape.txt")[0] == 403
        assert file(str(secret))[0] == 400
        assert file("inside.txt", index="../" + record.index)[0] in (400, 404)
        assert _get(f"{url}static/../../../errors.py")[0] == 404


def test_a_token_is_required_when_bound_elsewhere(ui_db: Path):
    with running_ui(ui_db, host="0.0.0.0") as url:
        assert "?token=" in url
        bare, token = url.split("?token=")
        status, body = _get(bare + "api/runs")
        assert status == 401 and b"token" in body
        assert _get(bare + "api/runs?token=" + "x" * len(token))[0] == 401
        status, body = _get(bare + "api/runs?token=" + token)
        assert status == 200 and len(json.loads(body)["runs"]) == 7
        assert _get(bare + "api/runs", {"X-RLA-Token": token})[0] == 200


def test_loopback_answers_only_loopback_hosts(ui_db: Path):
    with running_ui(ui_db) as url:
        assert "token" not in url
        assert _get(url + "api/runs")[0] == 200
        assert _get(url + "api/runs", {"Host": "evil.example:6007"})[0] == 403


@pytest.mark.parametrize("command", [["-m", "RLA.cli", "ui"], ["-m", "rla_scripts.start_pretty_plotter"]])
def test_the_commands_print_the_url_and_serve_until_interrupted(ui_db: Path, command):
    port = free_port()
    process = subprocess.Popen([sys.executable, *command, "-d", str(ui_db), "--port", str(port)],
                               env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline().strip()
        base, _, token = line.partition("?token=")
        assert base == f"http://127.0.0.1:{port}/" and len(token) >= 24, process.stderr.read() if not line else line
        deadline = time.monotonic() + 20
        while True:
            try:
                status, body = _get(base + "api/runs?token=" + token)
                break
            except urllib.error.URLError:
                assert time.monotonic() < deadline, "the server never answered"
                time.sleep(0.05)
        assert status == 200 and len(json.loads(body)["runs"]) == 7
        assert _get(line)[0] == 200
        assert _get(base + "api/runs")[0] == 401  # even on loopback: a shared machine's other users
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
