"""The Curves, One run and Compare pages of `rla ui` as a new user meets them, in a real headless Chromium:
a first figure without pressing Draw, the Group-by choices of the selected table, a run's git state and resumes
readable within the window, and Compare with every parameter, the final values and the runs' curves."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import build_database
from ui_server import page, running_ui  # noqa: F401

from RLA.db.query import ItemFilter, select

WIDTH = 1400  # the test browser's window
BUILD_SCRIPT = """
import subprocess, sys
from RLA.easy_log.tester import exp_manager
from RLA.easy_log import logger

data_root, code_root = sys.argv[1], sys.argv[2]
git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-C", code_root]
open(f"{code_root}/train.py", "w").write("print('train')\\n")
subprocess.run(["git", "init", "-q", "-b", "main", code_root], check=True)
subprocess.run([*git, "add", "train.py"], check=True)
subprocess.run([*git, "commit", "-q", "-m", "first"], check=True)
open(f"{code_root}/train.py", "a").write("print('changed')\\n")  # uncommitted
config = {"LOG_USED": ["csv"], "DL_FRAMEWORK": "none"}

def run(task, steps, status="finished", resume=None, **params):
    exp_manager.configure(task, config, data_root, code_root=code_root, resume=resume)
    exp_manager.hyper_param = {}  # each run has only its own table's parameters
    exp_manager.set_hyper_param(**params)
    exp_manager.add_record_param([k for k in params if k != "algo"])
    exp_manager.log_files_gen()
    for t in range(steps):
        exp_manager.time_step_holder.set_time(t * 100)
        logger.record_tabular("eval/return", params.get("lr", 0.05) * 1000 * t + params["seed"])
        logger.record_tabular("train/loss", 1.0 / (t + 1))
        logger.dump_tabular()
    exp_manager.finish(status)

for lr in (0.1, 0.01):
    for seed in (0, 1):
        run("hopper", 20, algo="ppo", lr=lr, seed=seed)
run("hopper", 5, "killed", algo="ppo", lr=0.1, seed=2)        # killed midway ...
run("hopper", 20, resume="auto", algo="ppo", lr=0.1, seed=2)  # ... and resumed
for batch in (32, 64):
    run("walker", 10, batch=batch, seed=0)
"""


@pytest.fixture(scope="module")
def pages_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_database(tmp_path_factory.mktemp("ui_pages"), BUILD_SCRIPT)


@pytest.fixture
def url(pages_db: Path):
    with running_ui(pages_db) as address:
        yield address


def _filter(page, text: str) -> None:
    page.fill("#filter", text)
    page.click("#filter-form button")


def _checked(page, container: str) -> list:
    return page.eval_on_selector_all(f"{container} input:checked", "boxes => boxes.map(b => b.value)")


def _legends(page) -> list:
    return sorted(page.eval_on_selector_all("#charts .legend > span", "items => items.map(i => i.textContent)"))


def _charts(page) -> list:
    return page.eval_on_selector_all("#charts .chart", "cards => cards.map(c => c.dataset.metric)")


def test_curves_draw_a_first_figure_of_the_selected_table_without_pressing_draw(page, url):
    page.goto(url + "#/curves")  # every run: two tables, so the page asks for one
    page.wait_for_selector(".table-pick a")
    assert page.eval_on_selector_all(".table-pick a", "links => links.map(a => a.textContent)") == ["hopper", "walker"]
    page.click(".table-pick a:text('hopper')")
    page.wait_for_function("window.rlaCharts['eval/return'] !== undefined")
    assert page.input_value("#filter") == "-t hopper"
    assert _checked(page, "#metric-list") == ["eval/return"]  # the outcome, not the loss
    assert _checked(page, "#split-list") == ["lr"]  # varies, with several runs per value; not the seed
    assert page.eval_on_selector_all("#split-list input", "boxes => boxes.map(b => b.value)") == ["algo", "lr", "seed"]
    assert _legends(page) == ["lr=0.01 (2 runs)", "lr=0.1 (3 runs)"]

    _filter(page, "-t walker")  # another table: its own parameters, its figure, none of hopper's charts
    page.wait_for_function("document.querySelector('#split-list input[value=batch]') !== null")
    page.wait_for_function("document.querySelector('#charts .legend') && "
                           "document.querySelector('#charts .legend').textContent.includes('all runs (2 runs)')")
    assert page.eval_on_selector_all("#split-list input", "boxes => boxes.map(b => b.value)") == ["batch", "seed"]
    assert _charts(page) == ["eval/return"]
    assert "lr=" not in page.inner_text("#charts")

    page.check("#split-list input[value=batch]")  # a ticked key redraws at once
    page.wait_for_function("document.querySelectorAll('#charts .legend > span').length === 2")
    assert _legends(page) == ["batch=32 (1 run)", "batch=64 (1 run)"]
    page.uncheck("#metric-list input[value='eval/return']")  # nothing ticked: no chart of the earlier choice
    page.wait_for_selector("#charts .chart", state="detached")
    assert "Tick a metric" in page.inner_text("#charts")


def test_a_run_page_shows_git_and_resumes_readably_within_the_window(page, url, pages_db: Path):
    (record,) = select(pages_db, ItemFilter(task="hopper", where="seed == 2"))
    run = json.loads(record.item.run_json.read_text())
    assert len(run["resumes"]) == 1 and run["git"]["dirty"]
    page.goto(url + "#/run/" + record.index)
    page.wait_for_selector("table.resumes")
    record_text = page.inner_text("table.run-record")
    assert f"commit {run['git']['commit'][:12]} · on main · uncommitted changes" in record_text
    assert "{" not in record_text  # no raw JSON
    resume = page.eval_on_selector_all("table.resumes tr", "rows => rows.map(r => r.innerText)")[1]
    assert resume.startswith("#1") and "killed" in resume and run["resumes"][0]["time"] in resume
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    # the run's own curves: a chart per metric, without a legend naming its one curve "all runs (1 run)"
    page.wait_for_selector("#run-charts .chart[data-metric='eval/return']")
    assert page.eval_on_selector_all("#run-charts .chart", "cards => cards.map(c => c.querySelector('.legend'))") \
        == [None] * len(page.query_selector_all("#run-charts .chart"))


def test_compare_shows_every_parameter_the_final_values_and_the_curves_of_the_ticked_runs(page, url, pages_db: Path):
    records = sorted(select(pages_db, ItemFilter(task="hopper", where="seed < 2")), key=lambda r: r.index)[:3]
    page.goto(url)
    _filter(page, "-t hopper")
    page.wait_for_function("document.querySelectorAll('#runs-table tbody tr[data-index]').length === 5")
    for record in records:
        page.check(f"#runs-table tbody tr[data-index='{record.index}'] input.sel")
    page.click("#btn-compare")
    page.wait_for_function("window.rlaCharts['eval/return'] !== undefined")

    def shown_parameters() -> list:
        return page.eval_on_selector_all("#compare-table tr", "rows => rows.slice(1).filter(r => r.offsetParent)"
                                                              ".map(r => r.cells[0].textContent)")

    assert shown_parameters() == ["lr", "seed"]  # those that differ, then all of them
    page.check("input[name=compare-show][value=all]")
    assert shown_parameters() == ["algo", "lr", "seed"]
    headers = page.locator("#compare-table th")
    assert headers.count() == 4 and headers.nth(3).bounding_box()["x"] + headers.nth(3).bounding_box()["width"] <= WIDTH
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH

    final = page.eval_on_selector_all("#compare-final tr",
                                      "rows => rows.slice(1).map(r => [...r.cells].map(c => c.textContent))")
    last = [pd.read_csv(r.item.progress_csv).iloc[-1] for r in records]
    assert final == [["eval/return", *[f"{row['eval/return']:g}" for row in last]],
                     ["train/loss", *[f"{row['train/loss']:.4g}" for row in last]]]
    lines = page.evaluate("""() => { const u = window.rlaCharts['eval/return'];
        return u.series.slice(1).map((s, i) => [s.label, u.data[i + 1].filter(v => v !== null).slice(-1)[0]]); }""")
    labels = page.eval_on_selector_all("#compare-table th", "cells => cells.slice(1).map(c => c.textContent)")
    assert [label for label, _ in lines] == labels  # one line per run, named as its column
    assert [value for _, value in lines] == pytest.approx([row["eval/return"] for row in last])
