"""Tags and notes on the page, in a real headless Chromium against a real server: edited on a run's page
and on the ticked rows of the table, they land in the item as `rla tag` / `rla note` write them, and what
the command line writes shows on the page."""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from ui_server import page, ui_db, ui_url  # noqa: F401

from RLA.cli import main
from RLA.db.annotations import read_annotations
from RLA.db.query import ItemFilter, select

ROWS = "#runs-table tbody tr[data-index]"


def _cheetah(ui_db: Path):
    return sorted(select(ui_db, ItemFilter(task="cheetah")), key=lambda r: r.index)


def test_tags_and_a_note_edited_on_a_run_page_land_in_the_item(page, ui_url, ui_db: Path):
    record = _cheetah(ui_db)[0]
    page.goto(ui_url + "#/run/" + record.index)
    page.wait_for_selector("#tag-new")
    page.fill("#tag-new", "baseline paper,fig2")
    page.press("#tag-new", "Enter")
    page.wait_for_selector("#run-annotations .tag[data-tag=fig2]")
    assert read_annotations(record.item)[0].tags == ("baseline", "paper", "fig2")
    page.click("#run-annotations .tag[data-tag=paper] .tag-remove")
    page.wait_for_selector("#run-annotations .tag[data-tag=paper]", state="detached")
    page.fill("#note-text", "diverged after 30k steps\n<b>not bold</b>")
    page.click("#note-save")
    page.wait_for_function("document.querySelector('.annotation-status').textContent === 'note saved'")
    annotations, _ = read_annotations(record.item)
    assert annotations.tags == ("baseline", "fig2") and annotations.note == "diverged after 30k steps\n<b>not bold</b>"

    result = CliRunner().invoke(main, ["tag", "-d", str(ui_db), "-t", "cheetah", record.item.record_date,
                                       "--add", "from-cli"])
    assert result.exit_code == 0, result.output
    page.reload()
    page.wait_for_selector("#run-annotations .tag[data-tag=from-cli]")
    assert page.input_value("#note-text") == annotations.note
    page.click("#run-annotations .tag[data-tag=baseline] > span")  # a tag filters the table by it
    page.wait_for_function(f"document.querySelectorAll('{ROWS}').length === 1")
    assert page.input_value("#filter") == "-w '\"baseline\" in tags'"
    row = page.inner_text(f"{ROWS}[data-index='{record.index}']")
    assert "from-cli" in row and "diverged after 30k steps" in row


def test_the_ticked_rows_are_tagged_and_untagged_and_the_filter_finds_them(page, ui_url, ui_db: Path):
    records = _cheetah(ui_db)
    chosen = [records[1].index, records[4].index]
    page.goto(ui_url)
    page.wait_for_selector(ROWS)
    for index in chosen:
        page.check(f"{ROWS}[data-index='{index}'] input.sel")
    page.fill("#tag-input", "sweep-a keep")
    page.click("#btn-tag")
    page.wait_for_function(f"document.querySelectorAll('{ROWS} .tag[data-tag=keep]').length === 2")
    tagged = {r.index for r in select(ui_db, ItemFilter(where='"sweep-a" in tags and "keep" in tags'))}
    assert tagged == set(chosen)
    page.fill("#filter", "-w '\"keep\" in tags'")
    page.click("#filter-form button")
    page.wait_for_function(f"document.querySelectorAll('{ROWS}').length === 2")
    page.check(f"{ROWS}[data-index='{chosen[0]}'] input.sel")
    page.fill("#tag-input", "keep")
    page.click("#btn-untag")
    page.wait_for_function(f"document.querySelectorAll('{ROWS}').length === 1")
    assert [r.index for r in select(ui_db, ItemFilter(where='"keep" in tags'))] == [chosen[1]]
    assert read_annotations(records[1].item)[0].tags == ("sweep-a",)
