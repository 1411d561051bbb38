"""Rewinding progress files: rows after the kept step and rows torn by a kill are dropped."""
from __future__ import annotations

from RLA.easy_log.logger import truncate_progress


def test_rows_after_the_step_and_torn_rows_are_dropped(tmp_path):
    (tmp_path / "progress.csv").write_text("time-step,a,b\n0,1,\n1,2,3\n2,4,5\n3,6")
    (tmp_path / "progress.json").write_text('{"time-step": 0, "a": NaN}\n{"time-step": 1}\n{"time-step": 2}\n{"time-')
    truncate_progress(str(tmp_path), 1)
    assert (tmp_path / "progress.csv").read_text() == "time-step,a,b\n0,1,\n1,2,3\n"
    assert (tmp_path / "progress.json").read_text() == '{"time-step": 0, "a": NaN}\n{"time-step": 1}\n'
    truncate_progress(str(tmp_path), None)
    assert (tmp_path / "progress.csv").read_text() == "time-step,a,b\n"
    assert (tmp_path / "progress.json").read_text() == ""
