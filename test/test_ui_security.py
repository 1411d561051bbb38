"""`rla ui` cannot be turned against its user: values from the database reach the page as text (a script in
a run's status or parameters never runs, and cannot delete another run), the page forbids inline script,
and no cookie carries the token to the other web servers of the host. Real server, real Chromium."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, List
from urllib.error import HTTPError
from urllib.request import urlopen

from ui_server import running_ui, strict_page, ui_db  # noqa: F401

from RLA.db.query import ItemFilter, select
from RLA.db.records import write_json_atomic

ROWS = "#runs-table tbody tr[data-index]"
TOKEN = "a-token-for-the-tests-0123456789"
#: each payload, if it ran, would set window.__pwned and ask the server to delete every run
DELETE_ALL = ("fetch('api/plan',{method:'POST',headers:{'Content-Type':'application/json'},"
              "body:JSON.stringify({action:'delete',indices:[]})})")
PAYLOADS = [f'<img src=x onerror="window.__pwned=1;{DELETE_ALL}">',
            "<script>window.__pwned=2</script>",
            '"><svg onload="window.__pwned=3">',
            "javascript:window.__pwned=4"]
#: a tag holds no space: this one would still run as markup
TAG_PAYLOAD = "<img/src=x/onerror=window.__pwned=7>"


def _plant(db: Path) -> str:
    """Write the payloads into one run's run.json and params.json, and a results file named by one;
    returns the run's index."""
    record = sorted(select(db, ItemFilter(task="cheetah")), key=lambda r: r.index)[0]
    run_json = record.item.run_json
    run = json.loads(run_json.read_text())
    run.update(status=PAYLOADS[0], host=PAYLOADS[1])
    run_json.write_text(json.dumps(run))
    params_json = record.item.params_json
    params = json.loads(params_json.read_text())
    params.update({PAYLOADS[2]: PAYLOADS[1], "note": PAYLOADS[3]})
    params_json.write_text(json.dumps(params))
    (record.item.results_dir / (PAYLOADS[2] + ".txt")).write_text("planted")
    record.item.annotations_json.write_text(json.dumps({"tags": [TAG_PAYLOAD], "note": PAYLOADS[0]}))
    return record.index


def test_no_value_from_the_database_runs_as_script(strict_page, ui_db: Path) -> None:
    page = strict_page
    index = _plant(ui_db)
    before = {r.index for r in select(ui_db, ItemFilter())}
    with running_ui(ui_db, token=TOKEN) as url:
        page.goto(url)
        page.wait_for_selector(f"{ROWS}[data-index='{index}']")
        assert page.locator(ROWS).count() == len(before)
        row = page.inner_text(f"{ROWS}[data-index='{index}']")
        assert PAYLOADS[0] in row and TAG_PAYLOAD in row  # shown, as text
        page.goto(url + "#/run/" + index)
        page.wait_for_selector("#run-params")
        shown = page.inner_text("#run-body")
        assert all(payload in shown for payload in PAYLOADS) and TAG_PAYLOAD in shown
        assert page.input_value("#note-text") == PAYLOADS[0]
        page.wait_for_timeout(500)  # time for an onerror / onload to fire, were it markup
        assert page.evaluate("window.__pwned") is None
        with urlopen(url) as response:
            policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert {r.index for r in select(ui_db, ItemFilter())} == before


def test_an_inline_script_is_refused_by_the_page_policy(strict_page, ui_db: Path) -> None:
    page = strict_page
    with running_ui(ui_db, token=TOKEN) as url:
        page.goto(url)
        page.wait_for_selector(ROWS)
        # markup that a bug might let through: the browser itself must refuse to run it
        page.evaluate("""() => { const s = document.createElement('div');
            s.innerHTML = '<img src=x onerror="window.__pwned=5">'; document.body.appendChild(s);
            const t = document.createElement('script'); t.textContent = 'window.__pwned=6';
            document.body.appendChild(t); }""")
        page.wait_for_timeout(300)
        assert page.evaluate("window.__pwned") is None


class _Recorder(BaseHTTPRequestHandler):
    seen: List[Dict[str, str]] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        _Recorder.seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
        body = b"<html><body>another local server</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _until(page: Any, expression: str, timeout: float = 10.0) -> None:
    """Wait until ``expression`` is true in the page (Playwright's own waits evaluate strings, which the
    page's policy forbids; page.evaluate goes through the debugger, which it does not)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}"
        page.wait_for_timeout(50)


def _status(url: str) -> int:
    try:
        with urlopen(url) as response:
            return response.status
    except HTTPError as error:
        return error.code


def test_another_local_server_receives_nothing_usable_and_reloads_keep_working(strict_page, ui_db: Path) -> None:
    page = strict_page
    other = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        with running_ui(ui_db, token=TOKEN) as url:
            assert url.endswith("?token=" + TOKEN)
            page.goto(url)
            page.wait_for_selector(ROWS)
            page.reload()  # a reload (or a bookmark of the printed URL) keeps working
            page.wait_for_selector(ROWS)
            record = sorted(select(ui_db, ItemFilter(task="cheetah")), key=lambda r: r.index)[0]
            page.goto(url + "#/run/" + record.index)
            page.wait_for_selector(".gallery img")
            _until(page, "[...document.querySelectorAll('.gallery img')].every(i => i.complete && i.naturalWidth > 0)")
            assert not [c for c in page.context.cookies() if TOKEN in c["value"]]
            page.goto(f"http://127.0.0.1:{other.server_address[1]}/")
            page.wait_for_selector("body")
            base = url.split("?")[0]
            assert _status(base + "api/runs") == 401 and _status(base + "api/runs?token=" + TOKEN) == 200
    finally:
        other.shutdown()
    assert _Recorder.seen, "the browser visited the other server"
    for request in _Recorder.seen:
        assert not any(TOKEN in value for value in request.values()), request


def test_the_results_page_shows_group_labels_and_parameters_as_text(strict_page, ui_db: Path) -> None:
    page = strict_page
    for number, record in enumerate(select(ui_db, ItemFilter(task="cheetah"))):
        params = json.loads(record.item.params_json.read_text())
        params["algo"] = PAYLOADS[number % 2]
        write_json_atomic(record.item.params_json, params)  # replaced, as a run writes it: the index sees it
    with running_ui(ui_db, token=TOKEN) as url:
        page.goto(url + "#/results")
        page.wait_for_selector("#results-keys input[value=algo]")
        page.uncheck("#results-keys input[value=lr]")
        page.check("#results-keys input[value=algo]")
        page.uncheck("#results-tasks input[value=walker]")
        page.click("#btn-results")
        _until(page, "window.rlaResultsDrawn === true", timeout=60)
        table = page.inner_text("#score-table")
        assert f"algo={PAYLOADS[0]}" in table and f"algo={PAYLOADS[1]}" in table
        assert PAYLOADS[1] in page.inner_text("#poi-table")
        assert PAYLOADS[0] in page.text_content("#parallel-coordinates")  # a tick label of the algo axis
        page.wait_for_timeout(300)
        assert page.evaluate("window.__pwned") is None
