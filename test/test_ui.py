"""`rla ui` in a real headless Chromium against a real server over a database written by exp_manager."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from ui_server import LRS, SEEDS, page, ui_db, ui_url  # noqa: F401

from RLA.db.query import ItemFilter, select
from RLA.easy_plot.plot_func import plot_func

ROWS = "#runs-table tbody tr[data-index]"


def _filter(page, text: str) -> None:
    page.fill("#filter", text)
    page.click("#filter-form button")


def test_runs_table_lists_every_run_and_a_filter_narrows_it(page, ui_url, ui_db: Path):
    page.goto(ui_url)
    page.wait_for_function(f"document.querySelectorAll('{ROWS}').length === {len(LRS) * len(SEEDS) + 1}")
    indices = set(page.eval_on_selector_all(ROWS, "rows => rows.map(r => r.dataset.index)"))
    assert indices == {r.index for r in select(ui_db, ItemFilter())}
    _filter(page, "-t cheetah -w 'lr == 0.001 and seed >= 1'")
    page.wait_for_function(f"document.querySelectorAll('{ROWS}').length === 2")
    shown = page.eval_on_selector_all(ROWS, "rows => rows.map(r => r.dataset.index)")
    assert all(i.startswith("cheetah/") and "lr=0.001" in i for i in shown)
    assert page.is_hidden("#filter-error")


def test_a_bad_filter_shows_its_error(page, ui_url):
    page.goto(ui_url)
    page.wait_for_selector(ROWS)
    _filter(page, "-w 'lr >>= 1'")
    page.wait_for_selector("#filter-error:not([hidden])")
    assert "lr >>= 1" in page.inner_text("#filter-error")
    _filter(page, "--since yesterday-ish")
    page.wait_for_function("document.querySelector('#filter-error').textContent.includes('yesterday-ish')")


def test_curves_grouped_by_lr_are_plot_funcs_numbers(page, ui_url, ui_db: Path):
    page.goto(ui_url)
    page.wait_for_selector(ROWS)
    _filter(page, "-t cheetah")
    page.wait_for_function(f"document.querySelectorAll('{ROWS}').length === {len(LRS) * len(SEEDS)}")
    page.click("#btn-curves")
    page.wait_for_selector("#split-list input[value=lr]")
    page.uncheck("#metric-list input[value=loss]")
    page.check("#metric-list input[value='perf/reward']")
    page.check("#split-list input[value=lr]")
    page.click("#btn-draw")
    page.wait_for_function("window.rlaCharts['perf/reward'] !== undefined")
    chart = page.evaluate("""() => {
        const u = window.rlaCharts['perf/reward'];
        return u.series.map((s, i) => ({label: s.label, y: u.data[i]}));
    }""")
    x = np.array(chart[0]["y"], dtype=float)
    plotted = {s["label"]: np.array([np.nan if v is None else v for v in s["y"]]) for s in chart[1:]}
    _, data = plot_func(ui_db, "cheetah", None, ["lr"], ["perf/reward"])
    legends = list(dict.fromkeys(data["legend"]))
    assert len(legends) == len(LRS)
    for legend in legends:
        expected = data[data["legend"] == legend]
        mean = plotted[legend]
        keep = np.isfinite(mean)
        assert np.allclose(x[keep], expected["x"].to_numpy())
        assert np.allclose(mean[keep], expected["mean"].to_numpy(), rtol=1e-12, atol=1e-12)
    assert page.locator(".chart .legend").inner_text().count("(3 runs)") == len(LRS)


def test_a_run_page_shows_its_parameters_and_saved_figure(page, ui_url, ui_db: Path):
    record = next(r for r in select(ui_db, ItemFilter(task="cheetah", where="lr == 0.001 and seed == 0")))
    page.goto(ui_url + "#/run/" + record.index)
    page.wait_for_selector("#run-params")
    params = page.inner_text("#run-params")
    assert "lr" in params and "0.001" in params and "Cheetah-v4" in params
    page.wait_for_function("() => { const img = document.querySelector('.gallery img');"
                           " return img && img.complete && img.naturalWidth > 0; }")
    assert "reward_curve" in page.inner_text(".gallery")
    assert "requirements.txt" in page.inner_text("#run-body")  # the code snapshot


def test_delete_through_the_page_removes_exactly_the_ticked_runs(page, ui_url, ui_db: Path):
    before = {r.index: r.item for r in select(ui_db, ItemFilter())}
    page.goto(ui_url)
    page.wait_for_function(f"document.querySelectorAll('{ROWS}').length === {len(before)}")
    chosen = sorted(before)[1:3]
    for index in chosen:
        page.check(f"{ROWS}[data-index='{index}'] input.sel")
    page.click("#btn-delete")
    page.wait_for_selector("#plan-dialog:not([hidden])")
    assert all(i in page.inner_text("#plan-body") for i in chosen)
    page.click("#plan-confirm")
    page.wait_for_function(f"document.querySelectorAll('{ROWS}').length === {len(before) - 2}")
    after = {r.index for r in select(ui_db, ItemFilter())}
    assert after == set(before) - set(chosen)
    for index in chosen:
        assert not before[index].log_dir.exists() and not before[index].code_dir.exists()
    for index in after:
        assert before[index].log_dir.is_dir()
