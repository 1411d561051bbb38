"""The Runs page over many runs, in a real headless Chromium: the server filters, sorts and pages; the
browser renders the rows in view only, asks for the pages it scrolls to, and shows metric columns."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from ui_server import page, running_ui  # noqa: F401  (fixtures)

from RLA.db import query
from RLA.db.layout import Database
from RLA.db.select import ItemFilter

RUNS = 600
ROWS = "#runs-table tbody tr[data-index]"


@pytest.fixture(scope="module")
def many_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """600 finished runs, as a run lays them out: lr, seed and a sparse eval/return in progress.csv."""
    root = tmp_path_factory.mktemp("many") / "db"
    db = Database(root)
    for n in range(RUNS):
        lr, seed = [1e-4, 3e-4, 1e-3][n % 3], n % 7
        item = db.create_item("many", "10.0.0.1", [("lr", lr), ("seed", seed)],
                              dt.datetime(2024, 5, 1) + dt.timedelta(minutes=n))
        (item.log_dir / "params.json").write_text(json.dumps({"lr": lr, "seed": seed}))
        (item.log_dir / "run.json").write_text(json.dumps({"status": "finished", "record_param": ["lr", "seed"]}))
        rows = "".join(f"{t * 100},{t / 10 + n},{'' if t % 3 else n + t}\n" for t in range(10))
        (item.log_dir / "progress.csv").write_text("time-step,loss,eval/return\n" + rows)
    return root


def _rendered(page) -> list:
    return page.eval_on_selector_all(ROWS, "rows => rows.map(r => r.dataset.index)")


def _filter(page, text: str) -> None:
    page.fill("#filter", text)
    page.click("#filter-form button")


def test_the_table_renders_the_rows_in_view_and_pages_as_it_scrolls(page, many_runs: Path):
    everything = [r.index for r in query.select(many_runs, ItemFilter())]
    with running_ui(many_runs) as url:
        page.goto(url)
        page.wait_for_selector(ROWS)
        assert page.inner_text("#runs-count") == f"{RUNS} runs"
        shown = _rendered(page)
        assert shown == everything[:len(shown)] and len(shown) < 100  # the rows in view, not all 600
        page.eval_on_selector("#runs-scroll", "el => { el.scrollTop = el.scrollHeight; }")
        page.wait_for_function(f"[...document.querySelectorAll('{ROWS}')].some(r => r.dataset.index === "
                               f"{json.dumps(everything[-1])})")
        shown = _rendered(page)
        assert shown == everything[-len(shown):] and len(shown) < 100
        page.eval_on_selector("#runs-scroll", "el => { el.scrollTop = el.scrollHeight / 2; }")
        # the rows of the bottom stay until the page renders the middle (then placeholders until its
        # pages come): wait for the first row shown to be one of the middle
        page.wait_for_function(f"""(() => {{
            const first = document.querySelector({json.dumps(ROWS)});
            const position = first ? {json.dumps(everything)}.indexOf(first.dataset.index) : -1;
            return 200 < position && position < 500;
        }})()""")
        shown = _rendered(page)
        start = everything.index(shown[0])
        assert shown == everything[start:start + len(shown)] and 200 < start < 500


def test_sorted_and_filtered_by_the_server_with_a_metric_column(page, many_runs: Path):
    with running_ui(many_runs) as url:
        page.goto(url)
        page.wait_for_selector(ROWS)
        page.select_option("#metric-value", "final")
        page.select_option("#add-column", "metric:eval/return")
        page.wait_for_selector("#runs-table th[data-key='final:eval/return']")
        page.click("#runs-table th[data-key='final:eval/return']")  # sorted by it, the largest last
        page.click("#runs-table th[data-key='final:eval/return']")  # and again: the largest first
        page.wait_for_function("document.querySelector('#runs-table th[data-key=\"final:eval/return\"]')"
                               ".textContent.endsWith('▾')")
        expected = query.Listing(many_runs, ItemFilter(), sort="final:eval/return", descending=True,
                                 metrics=["final:eval/return"]).page(0, 5)
        page.wait_for_function(f"document.querySelector('{ROWS}').dataset.index === {json.dumps(expected[0].index)}")
        assert _rendered(page)[:5] == [r.index for r in expected]
        column = page.eval_on_selector_all("#runs-table th", "ths => ths.map(th => th.dataset.key)") \
            .index("final:eval/return")
        cells = page.eval_on_selector_all(f"{ROWS} td:nth-child({column + 1})", "tds => tds.map(td => td.textContent)")
        assert cells[:5] == [f"{r.metrics['final:eval/return']:g}" for r in expected]  # n + 9: its last logged value
        _filter(page, "-w 'lr >= 1e-3 and seed in [1, 2]'")
        selected = query.select(many_runs, ItemFilter(where="lr >= 1e-3 and seed in [1, 2]"))
        page.wait_for_function(f"document.querySelector('#runs-count').textContent === '{len(selected)} runs'")
        assert set(_rendered(page)) <= {r.index for r in selected}
        page.check("#select-all")
        page.wait_for_function(f"document.querySelector('#selected-count').textContent.includes('{len(selected)}')")
        _filter(page, "-w 'sed in [1, 2] and lrr > 0'")  # misspelled parameters: no run, and the page says why
        page.wait_for_function("document.querySelector('#runs-count').textContent === '0 runs'")
        assert page.inner_text("#runs-notes") == ("note: no item has the parameter 'sed' (did you mean seed?); "
                                                  "note: no item has the parameter 'lrr' (did you mean lr?)")
        _filter(page, "-w 'seed in [1, 2'")  # an error: said as such, with no note of the filter before
        page.wait_for_selector("#filter-error:not([hidden])")
        assert page.inner_text("#runs-notes") == ""
        _filter(page, "-w 'seed in [1, 2]'")
        page.wait_for_function("document.querySelector('#runs-count').textContent !== '0 runs'")
        assert page.inner_text("#runs-notes") == ""


def test_curves_of_too_many_runs_are_refused_before_any_is_read(many_runs: Path, monkeypatch: pytest.MonkeyPatch):
    from RLA.errors import UsageError
    from RLA.ui import curves

    monkeypatch.setattr(curves, "MAX_CURVE_RUNS", 100)
    request = curves.CurveRequest.of({"filter": "-t many", "metrics": ["loss"]})
    with pytest.raises(UsageError, match="600 runs; curves are drawn over 100 at most: narrow the filter"):
        curves.curves(many_runs, request)
    narrowed = curves.CurveRequest.of({"filter": "-t many -w 'seed == 1 and lr == 1e-3'", "metrics": ["loss"]})
    assert curves.curves(many_runs, narrowed)["metrics"]["loss"][0]["runs"] == len(
        query.select(many_runs, ItemFilter(where="seed == 1 and lr == 1e-3")))
