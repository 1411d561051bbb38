"""The tail of progress.csv: rows and the last time-step, with torn and empty last rows."""
from __future__ import annotations

from pathlib import Path

import pytest

from RLA.db.progress import ProgressSummary, summarize_csv


@pytest.mark.parametrize("text, expected", [
    ("time-step,r\n0,1\n100,2\n", (2, 100)),
    ("time-step,r\r\n0,1\r\n100,2\r\n", (2, 100)),                       # as csv.writer ends lines
    ("time-step,r\n0,1\n100,2\n2", (2, 100)),                           # killed mid-line
    ("time-step,r\n0,1\n100,2\n200,", (2, 100)),
    ("time-step,r\n0,1\n100,2\n500,0.5,1.0\n5\n", (4, 100)),            # torn, then continued by a resume
    ("time-step,r\n500", (0, None)),
    ("time-step,r", (0, None)),
    ("", (0, None)),
    ("time-step,r\n" + "1,2\n" * 40000 + "90", (40000, 1)),             # a tail cut mid-file
    ("r,s\n1,2\n", (1, None)),                                           # no time-step column
])
def test_torn_last_lines_are_neither_counted_nor_read(tmp_path: Path, text: str, expected: tuple):
    path = tmp_path / "progress.csv"
    path.write_text(text, newline="")
    assert summarize_csv(path) == expected


@pytest.mark.parametrize("text, expected", [
    ("time-step,r,s\n0,1,2\n100,2,3\n,,\n,,\n", (4, 100)),
    ("time-step,r,s\n0,1,2\n100,2,3\n,5,\n", (3, 100)),                 # a dump without a time-step
    ("time-step,r,s\n,,\n", (1, None)),
    ("time-step,r,s\n0,1,2\n100,2,3\n\n\n", (4, 100)),                  # blank lines
])
def test_rows_without_a_time_step_count_but_do_not_end_the_run(tmp_path: Path, text: str, expected: tuple):
    path = tmp_path / "progress.csv"
    path.write_text(text)
    assert summarize_csv(path) == expected


def test_a_missing_file_has_no_summary(tmp_path: Path):
    assert summarize_csv(tmp_path / "progress.csv") == ProgressSummary(rows=None, last_time_step=None)
