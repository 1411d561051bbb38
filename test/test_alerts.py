"""Alerts without a server: a real local HTTP server gets the webhook's JSON, a real shell command gets
it on stdin; each kind once; the webhook's URL (its credential) lands in no file of the run."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator, List

import pytest
from conftest import subprocess_env
from test_run_capture import only_item, rla_run, run_json, write

SECRET = "T0KEN-5e3c7a"


@pytest.fixture
def webhook() -> Iterator[tuple]:
    """An HTTP server on 127.0.0.1 keeping the JSON bodies POSTed to it."""
    received: List[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"path": self.path, "json": json.loads(body),
                             "type": self.headers["Content-Type"]})
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hooks/{SECRET}", received
    server.shutdown()


def test_webhook_gets_a_nan_and_a_failure_once_each(tmp_path: Path, webhook):
    url, received = webhook
    project = tmp_path / "project"
    project.mkdir()
    write(project, "diverge.py", """
        import sys
        from torch.utils.tensorboard import SummaryWriter
        writer = SummaryWriter("runs/x")
        for step in range(10):
            writer.add_scalar("loss", float("nan") if step >= 5 else 1.0 / (step + 1), step)
        writer.close()
        print("loss went to nan, giving up")
        sys.exit(1)
    """)
    db = tmp_path / "db"
    done = rla_run(project, db, "--notify", url, "--", sys.executable, "diverge.py", "--lr", "10")
    assert done.returncode == 1
    item = only_item(db, "diverge")
    assert [r["json"]["kind"] for r in received] == ["nan", "failed"]  # five NaN rows: one alert
    nan, failed = (r["json"] for r in received)
    assert received[0]["path"] == f"/hooks/{SECRET}" and received[0]["type"] == "application/json"
    assert nan["item"] == item.index and nan["step"] == 5 and "loss" in nan["message"]
    assert failed["status"] == "failed" and failed["message"] == "failed: exit status 1"
    assert "loss went to nan, giving up" in failed["log_tail"]
    assert item.index in failed["text"]  # a Slack/Mattermost message as it is
    # the URL is the webhook's credential: no file of the run holds it
    for path in [*db.rglob("*"), *project.rglob("*")]:
        if path.is_file() and path.suffix not in (".pyc",):
            assert SECRET.encode() not in path.read_bytes(), path
    argv = run_json(item)["argv"]
    assert argv[argv.index("--notify") + 1] == "<hidden>"


def test_command_alert_of_a_stalled_exp_manager_run(tmp_path: Path, write_script):
    out = tmp_path / "alerts"
    out.mkdir()
    script = write_script(f"""
        import time
        from RLA import exp_manager, logger
        exp_manager.configure("stall", rla_config={{"LOG_USED": ["csv"], "NOTIFY_STALL_MINUTES": 0.02,
                              "NOTIFY": "cat > {out}/$RLA_ALERT_KIND.json"}}, data_root={str(tmp_path / "db")!r})
        exp_manager.log_files_gen()
        logger.record_tabular("x", 1.0)
        logger.dump_tabular()
        time.sleep(3.0)  # no row for longer than 1.2 s
        logger.record_tabular("x", 2.0)
        logger.dump_tabular()
    """)
    subprocess.run([sys.executable, str(script)], check=True, env=subprocess_env(), timeout=120)
    assert sorted(p.name for p in out.iterdir()) == ["stalled.json"]  # finished: no other alert
    alert = json.loads((out / "stalled.json").read_text())
    assert alert["kind"] == "stalled" and alert["item"] == only_item(tmp_path / "db", "stall").index
    assert "no row" in alert["message"]


def test_an_unreachable_webhook_costs_a_warning_not_the_run(tmp_path: Path):
    project = tmp_path / "project"
    project.mkdir()
    write(project, "fail.py", "import sys; sys.exit(2)\n")
    db = tmp_path / "db"
    done = rla_run(project, db, "--notify", "http://127.0.0.1:9/nothing-listens", "--", sys.executable, "fail.py")
    assert done.returncode == 2
    item = only_item(db, "fail")
    assert run_json(item)["status"] == "failed"
    assert "could not be sent" in item.log.warn_txt.read_text()
