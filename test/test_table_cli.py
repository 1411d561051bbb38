"""rla table, rla table --runtime and rla importance on parameters that look like rich's markup or hold
control characters (shown as they read, never taken for markup nor sent to the terminal), and typos of a
metric or a grouping key named with the closest names the runs have."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import log_run

from RLA.cli import main
from RLA.easy_log.tester import exp_manager

#: a closing tag rich refuses, an opening one it would swallow, and a terminal colour escape
ALGOS = ("[/y]", "[bold]x", "b\x1b[31mred")


@pytest.fixture
def db(data_root: Path) -> Path:
    for number, algo in enumerate(ALGOS):
        for seed in range(2):
            for lr in (0.1, 0.2):
                log_run(data_root, "hopper", {"algo": algo, "seed": seed, "lr": lr},
                        [(100 * t, {"ret": float(t + 10 * number + seed + 10 * lr)}) for t in range(5)])
    exp_manager.finish()
    return data_root


def rla(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False, env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.output


def _shown_as_they_read(output: str) -> None:
    assert "[/y]" in output and "[bold]x" in output and "b\\x1b[31mred" in output and "\x1b" not in output
    assert max(len(line) for line in output.splitlines()) <= 80


def test_rla_table_shows_names_as_they_read(db: Path) -> None:
    shown = rla("table", "-d", str(db), "-t", "hopper", "-k", "algo", "-m", "ret", "--versus", "--reps", "50")
    _shown_as_they_read(shown)
    assert "algo=[/y]" in shown  # the P(X > Y) matrix names its groups too
    # its title on one line, wrapped at the terminal's width and not at the width of a narrower matrix
    narrow = rla("table", "-d", str(db), "-t", "hopper", "-k", "lr", "-m", "ret", "--versus", "--reps", "50")
    assert "P(X > Y), X by row, Y by column (95% intervals)" in [line.rstrip() for line in narrow.splitlines()]
    _shown_as_they_read(rla("table", "-d", str(db), "-t", "hopper", "-k", "algo", "--runtime"))
    markdown = rla("table", "-d", str(db), "-t", "hopper", "-k", "algo", "-m", "ret", "--format", "md",
                   "--reps", "50")
    assert "| b\\x1b[31mred |" in markdown and "\x1b" not in markdown


def test_rla_table_written_to_a_file_keeps_the_values(db: Path, tmp_path: Path) -> None:
    rla("table", "-d", str(db), "-t", "hopper", "-k", "algo", "-m", "ret", "--reps", "50", "-o",
        str(tmp_path / "t.csv"))
    assert "b\x1b[31mred" in (tmp_path / "t.csv").read_text()


def test_rla_importance_shows_names_as_they_read(db: Path) -> None:
    shown = rla("importance", "-d", str(db), "-t", "hopper", "-m", "ret", "--reps", "3", "--configurations")
    _shown_as_they_read(shown)
    assert "6 configurations of 2 seeds each" in shown
    one_seed = rla("importance", "-d", str(db), "-t", "hopper", "-m", "ret", "--reps", "3", "--configurations",
                   "--seed-key", "run")  # every run its own configuration: no spread over seeds
    assert "12 configurations of 1 seed each" in one_seed and "nan" not in one_seed


def test_typos_of_a_metric_or_a_key_name_the_closest(db: Path) -> None:
    result = CliRunner().invoke(main, ["table", "-d", str(db), "-t", "hopper", "-k", "algo", "-m", "rett"])
    assert result.exit_code != 0 and "'rett' (did you mean ret?)" in result.output
    with pytest.warns(UserWarning, match=r"no run has the parameter 'algoo' \(did you mean algo\?\)"):
        rla("table", "-d", str(db), "-t", "hopper", "-k", "algoo", "-m", "ret", "--reps", "50")
    with pytest.warns(UserWarning, match=r"'lrr' \(did you mean lr\?\)"):
        result = CliRunner().invoke(main, ["importance", "-d", str(db), "-t", "hopper", "-m", "ret", "-p", "lrr"])
    assert result.exit_code != 0


def test_a_parameter_named_as_a_column_of_the_table_keeps_its_values(data_root: Path) -> None:
    for n in (1, 3):
        for seed in range(2):
            log_run(data_root, "hopper", {"n": n, "seed": seed, "value": n * 10},
                    [(100 * t, {"ret": float(t + n + seed)}) for t in range(3)])
    exp_manager.finish()
    args = ["table", "-d", str(data_root), "-t", "hopper", "-k", "n", "-k", "value", "-m", "ret", "--reps", "50"]
    cells = pd.read_csv(io.StringIO(rla(*args, "--format", "csv")))
    assert cells[["group", "params.n", "params.value", "n", "value"]].values.tolist() == [
        ["n=1 value=10", 1, 10, 2, 3.5], ["n=3 value=30", 3, 30, 2, 5.5]]
    shown = rla(*args).splitlines()
    assert [line.split()[:3] for line in shown if line.strip().startswith(("1 ", "3 "))] == [
        ["1", "10", "3.50"], ["3", "30", "5.50"]]
    refused = CliRunner().invoke(main, ["table", "-d", str(data_root), "-t", "hopper", "-k", "score", "-m", "ret"])
    assert refused.exit_code != 0 and "cannot group by 'score'" in refused.output


@pytest.mark.parametrize("edit, said", [
    (lambda r: r["spec"].update(normalize=[1, 2]), "a table spec that cannot be read"),
    (lambda r: r["spec"].update(last="many"), "last must be a whole number of at least 1, got 'many'"),
    (lambda r: r["spec"].update(colour="red"), "unknown keys ['colour']"),
    (lambda r: r.pop("data_root"), "names no database: remake it with -d DATA_ROOT --again FILE"),
    (lambda r: r.update(format=["md"]), "its 'format' is not text"),
])
def test_a_record_edited_by_hand_is_said_not_a_traceback(db: Path, tmp_path: Path, edit, said) -> None:
    table = tmp_path / "t.md"
    rla("table", "-d", str(db), "-t", "hopper", "-k", "algo", "-m", "ret", "--reps", "50", "-o", str(table))
    record = tmp_path / "t.md.rla.json"
    data = json.loads(record.read_text())
    edit(data)
    record.write_text(json.dumps(data))
    result = CliRunner().invoke(main, ["table", "--again", str(table)])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit) and said in result.output


def test_a_record_names_its_table_beside_it(db: Path, tmp_path: Path) -> None:
    rla("table", "-d", str(db), "-t", "hopper", "-k", "algo", "-m", "ret", "--reps", "50", "-o",
        str(tmp_path / "t.md"))
    record = tmp_path / "t.md.rla.json"
    record.write_text(record.read_text().replace('"file": "t.md"', '"file": "../elsewhere.md"'))
    assert "made " + str(tmp_path / "elsewhere.md") in rla("table", "--again", str(record))
    assert not (tmp_path.parent / "elsewhere.md").exists()


def test_one_run_per_group_is_never_bold(db: Path) -> None:
    """One run's bootstrap interval is the run itself: it clears the runner-up's and says nothing."""
    args = ["table", "-d", str(db), "-t", "hopper", "-k", "algo", "-m", "ret", "--reps", "50", "--format", "md"]
    assert "**" in rla(*args)  # 4 runs a group, 10 apart: the best clears the others
    single = rla(*args, "-w", "seed == 0 and lr == 0.1")
    assert "| 1 |" in single and "**" not in single
