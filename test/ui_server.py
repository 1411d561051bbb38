"""Fixtures of the ``rla ui`` tests: a database written by the real exp_manager, a real uvicorn
server on a free loopback port, and a real headless Chromium driven by Playwright.

The browser is Debian's ``chromium`` (``make system-deps``); Playwright's own
browser download is never used. When the browser cannot start, the tests fail
saying why.
"""
from __future__ import annotations

import shutil
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest
from conftest import build_database

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
LRS = (0.001, 0.0003)
SEEDS = (0, 1, 2)

BUILD_SCRIPT = """
import sys
import numpy as np
from RLA.easy_log.tester import exp_manager
from RLA.easy_log import logger
from RLA.easy_log.complex_data_recorder import MatplotlibRecorder

data_root, code_root = sys.argv[1], sys.argv[2]
config = {"LOG_USED": ["csv"], "DL_FRAMEWORK": "none"}
runs = [("cheetah", lr, seed) for lr in (0.001, 0.0003) for seed in (0, 1, 2)] + [("walker", 0.001, 0)]
for task, lr, seed in runs:
    exp_manager.configure(task, config, data_root, code_root=code_root)
    exp_manager.set_hyper_param(lr=lr, seed=seed, env=task.title() + "-v4")
    exp_manager.add_record_param(["lr", "seed"])
    exp_manager.log_files_gen()
    rng = np.random.default_rng(seed)
    for t in range(40):
        exp_manager.time_step_holder.set_time(t * 1000)
        logger.record_tabular("perf/reward", float(lr * 1e4 * np.log1p(t) + rng.normal(scale=0.3)))
        logger.record_tabular("loss", float(np.exp(-t / 10) + rng.uniform(0, 0.05)))
        logger.dump_tabular()
    if seed == 0 and task == "cheetah":
        from matplotlib.figure import Figure
        figure = Figure(figsize=(3, 2))
        figure.subplots().plot([0, 1, 2], [0, 1, 4])
        MatplotlibRecorder.save("reward_curve", figure, add_timestamp=False)
    exp_manager.finish("finished")
"""


@pytest.fixture(scope="session")
def ui_template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_database(tmp_path_factory.mktemp("ui_template"), BUILD_SCRIPT)


@pytest.fixture
def ui_db(ui_template_db: Path, tmp_path: Path) -> Path:
    """A fresh copy of the test database: 6 cheetah runs (lr x seed) and 1 walker run."""
    root = tmp_path / "db"
    shutil.copytree(ui_template_db, root, symlinks=True)
    return root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_ui(data_root: Path, host: str = "127.0.0.1", token: Optional[str] = None) -> Iterator[str]:
    """A real uvicorn server of ``rla ui`` in a thread; yields the URL it prints."""
    from RLA.ui.server import make_server

    server, url = make_server(data_root, host=host, port=free_port(), token=token)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail(f"the rla ui server did not start on {url}")
        time.sleep(0.02)
    try:
        yield url.replace(socket.gethostname(), "127.0.0.1", 1)
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def ui_url(ui_db: Path) -> Iterator[str]:
    with running_ui(ui_db) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium through Playwright."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install -e '.[dev]'")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: make system-deps installs Debian's chromium")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception as error:  # noqa: BLE001 - any launch failure is reported as the reason
        playwright.stop()
        pytest.fail(f"cannot start {CHROMIUM} through Playwright: {error}")
    yield chromium
    chromium.close()
    playwright.stop()


def _page(browser: Any, bypass_csp: bool) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=bypass_csp)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page for the features: Playwright's waits evaluate their predicates, which the page's
    Content-Security-Policy forbids, so this page's context bypasses it."""
    yield from _page(browser, bypass_csp=True)


@pytest.fixture
def strict_page(browser: Any) -> Iterator[Any]:
    """A page under the Content-Security-Policy the server sends, as a user's browser sees it."""
    yield from _page(browser, bypass_csp=False)
