"""The Results page of `rla ui`: its first draw in a real headless Chromium, beside the library call alone.

A database of ``--tasks`` (3) tables x ``--groups`` (10) x ``--seeds`` (10) runs of
``--rows`` (10,000) rows (written as bench/plot_load.py writes its runs), served by
a real uvicorn server in this process. Measured, best of ``--repeat`` (3), warm
(the column cache built by one call before):

- baseline: :func:`RLA.easy_plot.results_table.results_table` alone, the numbers the
  page shows: the table, and the table with its P(X > Y) matrix;
- first draw: from the click on Compute to the table drawn in the page (target < 1 s);
  then the P(X > Y) matrix drawn, and every panel (sample-efficiency curves, importance).

    python bench/ui_results.py [--tasks 3] [--groups 10] [--seeds 10] [--rows 10000] [--repeat 3] [--keep DIR]
"""
from __future__ import annotations

import argparse
import datetime as _dt
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, List

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "test"))

from RLA.db import layout  # noqa: E402
from RLA.db.layout import Database  # noqa: E402
from RLA.db.records import write_json_atomic  # noqa: E402

METRIC = "perf/return"
TEMPLATES = 20


def build(data_root: Path, tasks: int, groups: int, seeds: int, rows: int) -> None:
    """``tasks`` tables of ``groups`` x ``seeds`` runs: params.json plus one of a few progress.csv files
    per group (a learning curve whose height grows with the group, and noise)."""
    rng = np.random.default_rng(0)
    steps = np.arange(rows) * 1000
    data_root.mkdir(parents=True, exist_ok=True)
    templates: List[List[Path]] = []
    for group in range(groups):
        paths = []
        for t in range(TEMPLATES // 2):
            curve = (1 + 0.1 * group) * (1 - np.exp(-np.arange(rows) / (rows / 5))) + rng.normal(0, 0.3, rows)
            path = data_root / f"template_{group}_{t}.csv"
            np.savetxt(path, np.column_stack([steps, curve]), delimiter=",", header=f"time-step,{METRIC}",
                       comments="", fmt=["%d", "%.6g"])
            paths.append(path)
        templates.append(paths)
    database = Database(data_root)
    start = _dt.datetime(2024, 1, 1, 12, 0, 0)
    for task in range(tasks):
        for i in range(groups * seeds):
            group, seed = i % groups, i // groups
            params = {"group": group, "seed": seed}
            item = database.create_item(f"task_{task}", "127.0.0.1", list(params.items()),
                                        start + _dt.timedelta(seconds=i))
            shutil.copyfile(templates[group][(seed + task) % len(templates[group])], item.log_dir / layout.PROGRESS_CSV)
            write_json_atomic(item.params_json, params)
    for paths in templates:
        for path in paths:
            path.unlink()


def best(call: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    import conftest  # noqa: F401  (first: ui_server and conftest import each other)
    from playwright.sync_api import sync_playwright
    from ui_server import CHROMIUM, CHROMIUM_ARGS, running_ui

    from RLA.easy_plot.results_table import TableSpec, results_table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=3)
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="build (or reuse) the database here")
    args = parser.parse_args()
    data_root = args.keep or Path(tempfile.mkdtemp(prefix="rla_results_bench_")) / "db"
    if not (data_root / "log").exists():
        started = time.perf_counter()
        build(data_root, args.tasks, args.groups, args.seeds, args.rows)
        print(f"built {args.tasks} tables x {args.groups} groups x {args.seeds} seeds x {args.rows} rows "
              f"in {time.perf_counter() - started:.1f} s ({data_root})")
    tasks = [f"task_{t}" for t in range(args.tasks)]
    spec = TableSpec(tasks=tasks, split_keys=["group"], metric=METRIC, last=10, stat="iqm")
    versus = TableSpec(**{**spec.__dict__, "versus": True})
    results_table(data_root, spec)  # the column cache, as the page finds it after a first use
    library = best(lambda: results_table(data_root, spec), args.repeat)
    library_versus = best(lambda: results_table(data_root, versus), args.repeat)

    with running_ui(data_root) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900}, bypass_csp=True)
        page.goto(url + "#/results")
        page.wait_for_selector("#results-keys input[value=group]")
        page.check("#results-keys input[value=group]")
        page.fill("#results-k", "10")
        first_draws, matrices, every_panel = [], [], []
        for _ in range(args.repeat):
            started = time.perf_counter()
            page.click("#btn-results")
            page.wait_for_selector("#score-table td.score-cell >> nth=0", timeout=600_000)
            first_draws.append(time.perf_counter() - started)
            page.wait_for_selector("#poi-table", timeout=600_000)
            matrices.append(time.perf_counter() - started)
            page.wait_for_function("window.rlaResultsDrawn === true", timeout=600_000)
            every_panel.append(time.perf_counter() - started)
        cells = page.locator("#score-table td.score-cell").count()
        browser.close()
    first = min(first_draws)
    print(f"{args.tasks} tables x {args.groups} groups x {args.seeds} seeds x {args.rows} rows ({cells} cells, "
          f"P(X > Y) of {args.groups * (args.groups - 1)} pairs): results_table alone {library:.3f} s, with "
          f"P(X > Y) {library_versus:.3f} s; page: first draw (the table) {first:.3f} s (target < 1 s; "
          f"{first / library:.2f}x the library call), P(X > Y) drawn {min(matrices):.3f} s, every panel "
          f"{min(every_panel):.3f} s")


if __name__ == "__main__":
    main()
