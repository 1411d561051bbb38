"""The Results page of `rla ui` in a real headless Chromium: the numbers it shows are those the library
computes (results_table, aggregate_curves, param_importance) on a database written by the real
exp_manager, read back from the page's DOM."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Sequence

import numpy as np
import pytest
from conftest import build_database
from ui_server import page, running_ui  # noqa: F401

from RLA.easy_plot.efficiency import aggregate_curves
from RLA.easy_plot.importance import param_importance
from RLA.easy_plot.results_table import TableSpec, results_table

TASKS = ["hopper", "walker"]
METRIC = "eval/return"
NORMALIZE = {"hopper": (0.0, 3000.0), "walker": (0.0, 4000.0)}

BUILD_SCRIPT = """
import sys
import numpy as np
from RLA.easy_log.tester import exp_manager
from RLA.easy_log import logger

data_root, code_root = sys.argv[1], sys.argv[2]
config = {"LOG_USED": ["csv"], "DL_FRAMEWORK": "none"}
for number, (task, top) in enumerate((("hopper", 3000.0), ("walker", 4000.0))):
    for lr in (0.0003, 0.001, 0.003):
        for batch in (64, 256):
            for seed in range(2):
                exp_manager.configure(task, config, data_root, code_root=code_root)
                exp_manager.set_hyper_param(lr=lr, batch=batch, seed=seed, env=task.title() + "-v4")
                exp_manager.add_record_param(["lr", "batch", "seed"])
                exp_manager.log_files_gen()
                rng = np.random.default_rng([seed, int(lr * 1e5), batch, number])
                skill = {0.0003: 0.55, 0.001: 0.85, 0.003: 0.65}[lr] * (1.08 if batch == 256 else 1.0)
                speed = {0.0003: 0.05, 0.001: 0.09, 0.003: 0.15}[lr]
                for t in range(30):
                    exp_manager.time_step_holder.set_time(t * 5000)
                    value = top * skill * (1 - np.exp(-speed * t)) + rng.normal(scale=top * 0.1)
                    logger.record_tabular("eval/return", float(value))
                    logger.dump_tabular()
                exp_manager.finish("finished")
"""


@pytest.fixture(scope="module")
def results_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 tables x 3 learning rates x 2 batch sizes x 2 seeds, 30 rows each (read only by the tests)."""
    return build_database(tmp_path_factory.mktemp("results"), BUILD_SCRIPT)


def _compute(page: Any, keys: Dict[str, bool], tasks: Sequence[str] = TASKS) -> None:
    page.wait_for_selector("#results-tasks input")
    for key, on in keys.items():
        (page.check if on else page.uncheck)(f"#results-keys input[value='{key}']")
    page.select_option("#results-metric", METRIC)
    page.fill("#results-k", "5")
    page.fill("#results-normalize", " ".join(f"{t}={NORMALIZE[t][0]:g}:{NORMALIZE[t][1]:g}" for t in tasks))
    page.click("#btn-results")
    page.wait_for_function("window.rlaResultsDrawn === true", timeout=120_000)


def test_the_results_page_shows_the_numbers_of_the_library(page, results_db: Path):
    with running_ui(results_db) as url:
        page.goto(url + "#/results")
        _compute(page, {"lr": True, "batch": False})
        cells = page.eval_on_selector_all("#score-table td.score-cell", """tds => tds.map(td => ({
            ...td.dataset, bold: td.classList.contains('best'), text: td.innerText}))""")
        pairs = page.eval_on_selector_all("#poi-table td.poi[data-x]", "tds => tds.map(td => ({...td.dataset}))")
        columns = page.eval_on_selector_all("#poi-table th[title]", "ths => ths.map(th => th.textContent)")
        chart = page.evaluate("""() => { const u = window.rlaCharts['results/eval/return'];
            return u.series.map((s, i) => ({label: s.label, y: u.data[i]})); }""")
        bars = page.eval_on_selector_all("#importance-bars g[data-parameter]", "gs => gs.map(g => ({...g.dataset}))")
        lines = page.eval_on_selector_all("#parallel-coordinates polyline", "ls => ls.map(l => ({...l.dataset}))")
        assert page.is_hidden("#results-warnings")

    table = results_table(results_db, TableSpec(tasks=TASKS, split_keys=["lr"], metric=METRIC, last=5, stat="iqm",
                                                normalize=NORMALIZE, versus=True))
    assert len(cells) == len(table.cells) == 3 * 4  # 3 groups x (2 tasks, IQM, optimality gap)
    for shown in cells:
        cell = table.cell(shown["group"], shown["column"])
        assert [float(shown[k]) for k in ("value", "low", "high")] == [cell["value"], cell["low"], cell["high"]]
        assert int(shown["n"]) == cell["n"] == 4 and shown["bold"] == bool(cell["bold"])
        assert shown["text"].split()[0] == f"{cell['value']:.4g}"
    assert any(shown["bold"] for shown in cells)  # lr=0.001 clears the others
    versus = {(row.x, row.y): row for row in table.versus.itertuples()}
    assert len(pairs) == len(versus) == 6
    assert columns == [group.removeprefix("lr=") for group in table.groups]  # named by the values of lr
    for shown in pairs:
        row = versus[(shown["x"], shown["y"])]
        assert [float(shown[k]) for k in ("probability", "low", "high")] == [row.probability, row.low, row.high]

    curves = aggregate_curves(results_db, TASKS, None, ["lr"], METRIC, "iqm", x="step", normalize=NORMALIZE,
                              resample=200)
    x = np.array(chart[0]["y"], dtype=float)
    plotted = {s["label"]: np.array([np.nan if v is None else v for v in s["y"]]) for s in chart[1:]}
    for legend, expected in curves.groupby("legend", sort=False):
        for column, label in (("iqm", legend), ("ci_low", legend + " low"), ("ci_high", legend + " high")):
            keep = np.isfinite(plotted[label])
            assert np.array_equal(x[keep], expected["x"].to_numpy())
            assert np.array_equal(plotted[label][keep], expected[column].to_numpy())

    found = param_importance(results_db, TASKS, METRIC, k=5, normalize=NORMALIZE)
    assert [b["parameter"] for b in bars] == list(found.parameters["parameter"])
    for shown, row in zip(bars, found.parameters.itertuples()):
        assert [float(shown[k]) for k in ("importance", "low", "high")] == [row.importance, row.low, row.high]
    configurations = found.configurations
    assert len(lines) == len(configurations) == 3 * 2 * 2  # lr x batch x env (one env per table)
    assert sorted((float(line["score"]), int(line["seeds"])) for line in lines) == \
        sorted(zip(configurations["score"], configurations["seeds"]))


def test_one_table_without_groups_has_no_matrix_and_says_why(page, results_db: Path):
    with running_ui(results_db) as url:
        page.goto(url)
        page.fill("#filter", "-t hopper -w 'lr == 0.001'")
        page.click("#filter-form button")
        page.wait_for_function("document.querySelectorAll('#runs-table tbody tr[data-index]').length === 4")
        page.click("nav a[data-page=results]")
        page.wait_for_selector("#results-tasks input[value=hopper]")
        assert page.locator("#results-tasks input").count() == 1  # the filter's tables only
        _compute(page, {"batch": False}, ["hopper"])  # lr is the same for all: not offered
        assert page.locator("#poi-table").count() == 0
        assert "P(X > Y)" in page.inner_text("#results-warnings")
        table = results_table(results_db, TableSpec(tasks=["hopper"], split_keys=[], metric=METRIC, last=5,
                                                    normalize={"hopper": NORMALIZE["hopper"]},
                                                    selection={"where": "lr == 0.001"}))
        shown = page.eval_on_selector_all("#score-table td.score-cell", "tds => tds.map(td => ({...td.dataset}))")
        assert [(s["column"], float(s["value"]), int(s["n"])) for s in shown] == \
            [(c.column, c.value, c.n) for c in table.cells.itertuples()]
        # one configuration per batch size: importance needs three, and the panel says so
        assert "at least 3" in page.inner_text("#results-importance")


def test_the_controls_offer_metrics_but_the_time_columns_and_groups_but_the_seed(results_db: Path):
    from RLA.ui.results import options

    found = options(results_db, "")
    assert found["tasks"] == TASKS and found["metrics"] == [METRIC]  # no time-step, no wall_time
    assert found["param_keys"] == ["batch", "env", "lr", "seed"] and found["suggested_keys"] == ["lr", "batch"]
