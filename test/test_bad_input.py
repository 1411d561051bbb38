"""Bad input, as a matrix: every value, key, hyper-parameter, name, config and pattern a user may
pass gets a clear RLAError saying what to do, or is stored faithfully; what was written before
stays readable.

The values are logged in one real run (csv, json and TensorBoard), then read back through the
csv module, pandas, the plot loader (:func:`RLA.easy_plot.loader.read_columns`), the index's
:func:`RLA.db.progress.summarize_csv` and TensorBoard's own reader. TensorFlow scalars are
tested too (tensorflow-cpu is in the ``tf`` extra, which ``make test`` installs); its import
takes a few seconds, paid once in :func:`test_tensorflow_values_are_stored_as_numbers`.
"""
from __future__ import annotations

import csv
import json
import math
import socket
from pathlib import Path
from typing import Any, Callable, Dict, List

import numpy as np
import pandas as pd
import pytest
import torch
from click.testing import CliRunner
from conftest import read_scalars, run_python

from RLA.cli import main
from RLA.config import load_config
from RLA.db.layout import WALL_TIME_COLUMN, Database
from RLA.db.progress import summarize_csv
from RLA.easy_log import logger
from RLA.easy_log.complex_data_recorder import results_path
from RLA.easy_log.tester import exp_manager
from RLA.easy_log.time_step import time_step_holder
from RLA.easy_plot.loader import load_runs, read_columns
from RLA.errors import ConfigError, ExpressionError, LayoutError, RLAError, UsageError

STEPS = (0, 1, 2)


def start(data_root: Path, formats=("csv", "json", "tensorboard", "log"), **params: Any):
    exp_manager.configure(task_table_name="bad", rla_config={"LOG_USED": list(formats)}, data_root=data_root,
                          code_root=str(data_root.parent))
    exp_manager.hyper_param = {}
    exp_manager.set_hyper_param(seed=1, **params)
    return exp_manager.log_files_gen()


def csv_rows(path: Path) -> List[Dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


# -- values ---------------------------------------------------------------------------------------
#: name -> (value to log, the csv cell read back, the float the plot loader reads, or None for NaN)
VALUES: Dict[str, tuple] = {
    "nan": (float("nan"), "nan", math.nan),
    "inf": (float("inf"), "inf", math.inf),
    "-inf": (-math.inf, "-inf", -math.inf),
    "huge": (1e308, "1e+308", 1e308),
    "huge_int": (10 ** 400, str(10 ** 400), None),
    "tiny": (5e-324, "5e-324", 5e-324),
    "true": (True, "True", 1.0),
    "false": (False, "False", 0.0),
    "string": ('say "hi", then\na new line', 'say "hi", then\na new line', math.nan),
    "none": (None, "", math.nan),
    "np_float32": (np.float32(1.5), "1.5", 1.5),
    "np_float16": (np.float16(0.5), "0.5", 0.5),
    "np_int64": (np.int64(7), "7", 7.0),
    "np_bool": (np.bool_(True), "True", 1.0),
    "np_0d": (np.array(2.5), "2.5", 2.5),
    "np_1elem": (np.array([4.5]), "4.5", 4.5),
    "np_array": (np.arange(3), "[0, 1, 2]", math.nan),
    "np_big_array": (np.arange(5000), json.dumps(list(range(5000))), math.nan),
    "np_nan": (np.float64("nan"), "nan", math.nan),
    "torch_0d": (torch.tensor(3.5), "3.5", 3.5),
    "torch_int": (torch.tensor(3), "3", 3.0),
    "torch_array": (torch.arange(3), "[0, 1, 2]", math.nan),
    "list": ([1, 2], "[1, 2]", math.nan),
    "dict": ({"a": 1}, "{'a': 1}", math.nan),
    "bytes": (b"x\x00", "b'x\\x00'", math.nan),
    "complex": (1 + 2j, "(1+2j)", math.nan),
}


@pytest.fixture(scope="module")
def logged(tmp_path_factory: pytest.TempPathFactory):
    """One run logging every value of VALUES under its own key, at three steps."""
    data_root = tmp_path_factory.mktemp("values") / "db"
    item = start(data_root)
    try:
        with pytest.warns(UserWarning, match="not a number"):  # the values TensorBoard cannot show
            for step in STEPS:
                time_step_holder.set_time(step)
                logger.record_tabular("ok", step)
                for name, (value, _, _) in VALUES.items():
                    logger.record_tabular(name, value)
                logger.dump_tabular()
    finally:
        exp_manager.finish()
        logger.reset()
        exp_manager.__init__(time_step_holder)
    return item


@pytest.mark.parametrize("name", list(VALUES))
def test_a_value_reads_back_as_logged(logged, name: str):
    _, text, number = VALUES[name]
    rows = csv_rows(logged.progress_csv)
    assert [r[name] for r in rows] == [text] * len(STEPS)
    assert [r["ok"] for r in rows] == [str(s) for s in STEPS]
    column = read_columns(logged.progress_csv, [name])[name]
    if number is None:
        assert column.dtype == np.float64 and len(column) == len(STEPS)
    elif math.isnan(number):
        assert np.isnan(column).all()
    else:
        assert column.tolist() == [number] * len(STEPS)
    frame = pd.read_csv(logged.progress_csv, keep_default_na=False, dtype=str)
    assert frame[name].tolist() == [text] * len(STEPS)


def test_the_rows_count_and_every_format_holds_every_row(logged):
    assert summarize_csv(logged.progress_csv) == (len(STEPS), STEPS[-1])
    lines = logged.log.progress_json.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert [r["time-step"] for r in rows] == list(STEPS)
    assert rows[0]["np_big_array"] == list(range(5000)) and rows[0]["string"] == VALUES["string"][1]
    assert math.isnan(rows[0]["nan"]) and rows[0]["inf"] == math.inf
    scalars = read_scalars(logged.tb_dir)
    assert [v for _, v in scalars["ok"]] == list(STEPS)
    assert scalars["huge_int"][0][1] == math.inf and math.isnan(scalars["np_nan"][0][1])
    assert scalars["torch_0d"][0][1] == 3.5 and scalars["true"][0][1] == 1.0
    assert "string" not in scalars and "np_array" not in scalars


def test_tensorflow_values_are_stored_as_numbers(data_root: Path):
    """TensorFlow scalars, 0-d tensors and arrays (tensorflow imports in a few seconds here)."""
    import tensorflow as tf

    item = start(data_root, formats=("csv", "tensorboard"))
    logger.record_tabular("tf_scalar", tf.constant(1.25))
    logger.record_tabular("tf_int", tf.constant(3, dtype=tf.int64))
    logger.record_tabular("tf_variable", tf.Variable(0.5))
    logger.record_tabular("tf_array", tf.constant([1.0, 2.0]))
    with pytest.warns(UserWarning, match="tf_array"):
        logger.dump_tabular()
    exp_manager.finish()
    row = csv_rows(item.progress_csv)[0]
    assert float(row.pop(WALL_TIME_COLUMN)) > 0
    assert row == {"time-step": "0", "tf_scalar": "1.25", "tf_int": "3", "tf_variable": "0.5",
                   "tf_array": "[1.0, 2.0]"}
    assert read_scalars(item.tb_dir)["tf_scalar"][0][1] == 1.25


# -- keys -----------------------------------------------------------------------------------------
GOOD_KEYS = ["a/b", "a,b", 'say "x"', "it's", "new\nline", "tab\tkey", "ünïcødé/σ", "🚀", "k" * 1000, " spaced ",
             "time-step-ish", "a=b&c"]


def test_keys_with_separators_quotes_newlines_and_unicode_are_stored_faithfully(data_root: Path):
    item = start(data_root)
    for step in STEPS:
        time_step_holder.set_time(step)
        for i, key in enumerate(GOOD_KEYS):
            logger.record_tabular(key, step * 100 + i)
        logger.dump_tabular()
    exp_manager.finish()
    rows = csv_rows(item.progress_csv)
    assert list(rows[0]) == ["time-step", WALL_TIME_COLUMN, *GOOD_KEYS]
    for step, row in zip(STEPS, rows):
        assert [row[k] for k in GOOD_KEYS] == [str(step * 100 + i) for i in range(len(GOOD_KEYS))]
    columns = read_columns(item.progress_csv, GOOD_KEYS)
    assert [columns[k][-1] for k in GOOD_KEYS] == [200 + i for i in range(len(GOOD_KEYS))]
    assert pd.read_csv(item.progress_csv)["new\nline"].tolist() == [4, 104, 204]
    assert summarize_csv(item.progress_csv) == (3, 2)
    assert set(read_scalars(item.tb_dir)) == set(GOOD_KEYS)


BAD_KEYS = {"empty": "", "int": 1, "none": None, "tuple": ("a",), "nul": "a\x00b", "surrogate": "x\ud800",
            "the_step_column": "time-step"}


@pytest.mark.parametrize("key", list(BAD_KEYS.values()), ids=list(BAD_KEYS))
@pytest.mark.parametrize("record", ["record_tabular", "logkv_mean", "ma_record_tabular"])
def test_a_key_no_file_can_hold_is_refused_and_the_rows_before_stay(data_root: Path, key: Any, record: str):
    item = start(data_root)
    logger.record_tabular("loss", 1.0)
    logger.dump_tabular()
    call: Callable[..., None] = getattr(logger, record)
    with pytest.raises(UsageError, match="key"):
        call(key, 1.0, 2) if record == "ma_record_tabular" else call(key, 1.0)
    time_step_holder.set_time(1)
    logger.record_tabular("loss", 2.0)
    logger.dump_tabular()
    exp_manager.finish()
    assert [r["loss"] for r in csv_rows(item.progress_csv)] == ["1.0", "2.0"]


BAD_STEPS = {"none": "None", "text": "'abc'", "nan": "float('nan')", "inf": "float('inf')", "fraction": "3.7",
             "over_64_bits": "2 ** 80", "bool": "True"}


@pytest.mark.parametrize("step", list(BAD_STEPS.values()), ids=list(BAD_STEPS))
def test_a_bad_time_step_fails_the_run_before_anything_is_logged_at_it(data_root: Path, write_script, step: str):
    script = write_script(f"""
        from RLA import exp_manager, logger
        exp_manager.configure(task_table_name="t", rla_config={{"LOG_USED": ["csv", "tensorboard"]}},
                              data_root={str(data_root)!r}, code_root=".")
        exp_manager.set_hyper_param(seed=1)
        exp_manager.log_files_gen()
        logger.record_tabular("x", 1.0)
        logger.dump_tabular()
        logger.record_tabular("x", 2.0)
        logger.set_time({step})
        logger.dump_tabular()
    """)
    done = run_python(script)
    assert done.returncode == 1 and "RLA.errors.UsageError: " in done.stderr and "time-step" in done.stderr
    assert "TypeError" not in done.stderr and "ValueError" not in done.stderr, done.stderr
    (item,) = Database(data_root).items("t")
    assert [r["time-step"] for r in csv_rows(item.progress_csv)] == ["0"]
    assert json.loads(item.run_json.read_text())["status"] == "failed"
    assert [step for step, _ in read_scalars(item.tb_dir)["x"]] == [0]


@pytest.mark.parametrize("step", [4.0, np.int64(5), np.float32(6.0), torch.tensor(7)], ids=str)
def test_an_integral_time_step_of_any_numeric_type_is_the_int(data_root: Path, step: Any):
    item = start(data_root, formats=("csv",))
    logger.set_time(step)
    logger.record_tabular("x", 1.0)
    logger.dump_tabular()
    exp_manager.finish()
    assert csv_rows(item.progress_csv)[0]["time-step"] == str(int(step))


@pytest.mark.parametrize("value", ["text", None, [1, 2], object()], ids=["str", "none", "list", "object"])
@pytest.mark.parametrize("record", ["logkv_mean", "ma_record_tabular"])
def test_averaging_something_that_is_not_a_number_is_a_clear_error(data_root: Path, value: Any, record: str):
    start(data_root, formats=("csv",))
    call: Callable[..., None] = getattr(logger, record)
    with pytest.raises(UsageError, match="averages numbers.*record_tabular"):
        call("m", value, 1) if record == "ma_record_tabular" else call("m", value)
    logger.logkv_mean("m", 1.0)
    assert logger.dump_tabular()["m"] == 1.0


def test_a_string_value_no_file_can_hold_is_refused(data_root: Path):
    start(data_root, formats=("csv",))
    with pytest.raises(UsageError, match="surrogate"):
        logger.record_tabular("text", "bad \ud800")


# -- hyper-parameters -----------------------------------------------------------------------------
def _recursive_list() -> list:
    values: list = [1]
    values.append(values)
    return values


def _deep_dict(depth: int) -> dict:
    out: dict = {}
    inner = out
    for _ in range(depth):
        inner["k"] = {}
        inner = inner["k"]
    return out


UNSTORABLE = {
    "socket": (lambda: socket.socket(), "cannot be pickled"),
    "generator": (lambda: (i for i in range(3)), "cannot be pickled"),
    "recursive_list": (_recursive_list, "holds itself"),
    "deep_dict": (lambda: _deep_dict(3000), "nested deeper"),
    "repr_raises": (lambda: _ReprRaises(), "its repr raised RuntimeError: no repr"),
    "int_and_str_keys": (lambda: {1: "a", "1": "b"}, "keys 1 and '1' both become '1'"),
}


class _ReprRaises:
    def __repr__(self) -> str:
        raise RuntimeError("no repr")


@pytest.mark.parametrize("name", list(UNSTORABLE))
def test_a_hyper_parameter_that_cannot_be_stored_is_refused_before_the_item_is_made(data_root: Path, name: str):
    make, message = UNSTORABLE[name]
    value = make()
    try:
        with pytest.raises(UsageError, match=f"hyper-parameter 'p'.*{message}"):
            start(data_root, p=value)
    finally:
        if isinstance(value, socket.socket):
            value.close()
    assert Database(data_root).items() == []


def test_two_hyper_parameters_that_flatten_to_one_name_are_refused(data_root: Path):
    with pytest.raises(UsageError, match="both named 'net.lr'"):
        start(data_root, **{"net.lr": 1e-3, "net": {"lr": 3e-4}})
    assert Database(data_root).items() == []


def test_a_data_root_that_is_a_file_is_a_config_error(tmp_path: Path):
    afile = tmp_path / "db"
    afile.write_text("not a folder")
    with pytest.raises(ConfigError, match="is a file"):
        start(afile)
    assert afile.read_text() == "not a folder"


def test_a_run_with_an_empty_progress_csv_is_left_out_with_a_warning(data_root: Path):
    item = start(data_root, formats=("csv",))
    logger.record_tabular("r", 1.0)
    logger.dump_tabular()
    exp_manager.finish()
    empty = start(data_root, formats=("csv",))
    exp_manager.finish()
    empty.progress_csv.write_bytes(b"")
    with pytest.warns(RuntimeWarning, match=rf"left out 1 run\(s\) whose progress.csv is empty .*{empty.name}"):
        runs = load_runs(data_root, "bad", None, ["r"], use_cache=False)
    assert [run.item.index for run in runs] == [item.index]


STORABLE = {
    "lambda": (lambda: (lambda x: x), "<function"),
    "set": (lambda: {1, 2}, "{1, 2}"),
    "bytes": (lambda: b"\x00\xff", "b'\\x00\\xff'"),
    "nan": (lambda: float("nan"), "nan"),
    "class": (lambda: type("Policy", (), {}), "Policy"),
    "big_dict": (lambda: {f"k{i}": {"x": i} for i in range(20000)}, None),
    "deep_99": (lambda: _deep_dict(98), None),
}


@pytest.mark.parametrize("name", list(STORABLE))
def test_a_hyper_parameter_json_cannot_hold_is_kept_as_its_repr(data_root: Path, name: str):
    make, shown = STORABLE[name]
    value = make()
    item = start(data_root, p=value)
    exp_manager.finish()
    params = json.loads(item.params_json.read_text(encoding="utf-8"))
    assert params["seed"] == 1
    if shown is None:
        assert json.dumps(params["p"]) == json.dumps(value)
    else:
        assert shown in params["p"]["__rla_repr__"]


# -- task names, results names, configs -----------------------------------------------------------
@pytest.mark.parametrize("task", ["..", ".", "a/b", "../escape", "/abs/path", "a\\b", "", "  ", "x\x00y", "t" * 300,
                                  "easy_plot", 3])
def test_a_task_name_that_is_not_one_folder_is_refused(data_root: Path, tmp_path: Path, task: Any):
    with pytest.raises(LayoutError, match="task_table_name"):
        exp_manager.configure(task_table_name=task, rla_config={"LOG_USED": ["csv"]}, data_root=data_root,
                              code_root=str(tmp_path))
        exp_manager.log_files_gen()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.name == "escape") == []
    assert not list(Path("/abs").glob("path")) if Path("/abs").exists() else True


@pytest.mark.parametrize("name", ["../x.png", "/tmp/x.png", "a/../../x.png", "", ".", "x\x00.png"])
def test_a_results_name_outside_the_results_folder_is_refused(data_root: Path, name: str):
    item = start(data_root, formats=("csv",))
    with pytest.raises(UsageError, match="results name"):
        results_path(name)
    assert not (item.results_dir.parent / "x.png").exists()


@pytest.mark.parametrize("name", ["eval/policy.png", "ünï cødé.png", "deep/er/x"])
def test_a_results_name_with_folders_stays_inside(data_root: Path, name: str):
    item = start(data_root, formats=("csv",))
    path = results_path(name)
    assert path.parent.is_dir() and path.resolve().is_relative_to(item.results_dir.resolve())


@pytest.mark.parametrize("text", ["", "   \n", "# only a comment\n"])
def test_an_empty_config_is_the_defaults(tmp_path: Path, text: str):
    path = tmp_path / "rla_config.yaml"
    path.write_text(text)
    assert load_config(path).LOG_USED == ["stdout", "log", "csv", "tensorboard"]


@pytest.mark.parametrize("text, message", [
    ("- a\n- b\n", "top level must be a mapping"),
    ("LOG_USED: [csv\n", "not valid YAML"),
    ("\t: :", "not valid YAML"),
    ("\x00", "not valid YAML"),
    ("!!python/object:os.system ls", "not valid YAML"),
    ("? [a]\n: 1", "not valid YAML"),
    ("LOG_USED: 3", "list of strings"),
    ("LOG_USED: [csv, foo]", "expected one of"),
    ("LOG_USD: [csv]", "did you mean 'LOG_USED'"),
    ("1: 2", "unknown key"),
    ("BACKUP_CONFIG: 5", "must be a mapping"),
    ("REMOTE_SETTING: {port: 'x'}", "REMOTE_SETTING.port"),
    ("DATA_ROOT: [1]", "DATA_ROOT"),
    ("a: &x [*x]", "unknown key"),
])
def test_a_malformed_config_is_a_config_error_naming_the_file(tmp_path: Path, text: str, message: str):
    path = tmp_path / "rla_config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as error:
        load_config(path)
    assert str(path) in str(error.value)


def test_a_malformed_config_in_the_cli_is_a_message_not_a_traceback(tmp_path: Path, monkeypatch):
    (tmp_path / "rla_config.yaml").write_text("LOG_USED: [csv\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["ls", "-t", "bad"])
    assert result.exit_code == ConfigError.exit_code and "not valid YAML" in result.output
    assert "Traceback" not in result.output


# -- patterns and expressions ---------------------------------------------------------------------
BAD_WHERE = ["lr >=", "lr >= 1e-3 and", "__import__('os').system('true')", "lr ** 2 > 1", "a.__class__ == 1",
             "(" * 300 + "a" + ")" * 300, "lambda: 1", "f(x)", "x[0] == 1", "x if y else z", "'\x00'",
             "x == {1: 2}", "a == -'s'", "lr = 1", "lr >= 1e-3 &&", "seed in [1, 2"]
BAD_PATTERNS = [("[z-a]", "pattern"), ("2024/[9-0]*", "pattern")]


@pytest.fixture(scope="module")
def one_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with one item, shared: every command below must leave it as it is."""
    data_root = tmp_path_factory.mktemp("patterns") / "db"
    try:
        start(data_root, formats=("csv",), lr=0.1)
        logger.record_tabular("r", 1)
        logger.dump_tabular()
    finally:
        exp_manager.finish()
        logger.reset()
        exp_manager.__init__(time_step_holder)
    return data_root


@pytest.mark.parametrize("expr", BAD_WHERE)
@pytest.mark.parametrize("command", ["ls", "rm", "plot"])
def test_a_where_expression_that_does_not_parse_is_a_clear_error(one_run: Path, expr: str, command: str):
    args = {"ls": ["ls", "-d", str(one_run), "-t", "bad", "-w", expr],
            "rm": ["rm", "-d", str(one_run), "-t", "bad", "-w", expr, "--yes"],
            "plot": ["plot", "-d", str(one_run), "-t", "bad", "-m", "r", "-w", expr]}[command]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == ExpressionError.exit_code, result.output
    assert "expression" in result.output and "Traceback" not in result.output
    assert len(Database(one_run).items()) == 1


@pytest.mark.parametrize("pattern, message", BAD_PATTERNS + [("(", "regular expression"), ("*", "regular expression")])
def test_a_pattern_or_regex_that_does_not_parse_is_a_clear_error(one_run: Path, pattern: str, message: str):
    option = ["--regex", pattern] if message == "regular expression" else [pattern]
    for command in (["ls"], ["rm", "--yes"]):
        result = CliRunner().invoke(main, [*command, "-d", str(one_run), "-t", "bad", *option])
        assert result.exit_code == ExpressionError.exit_code, result.output
        assert message in result.output and "Traceback" not in result.output
    assert len(Database(one_run).items()) == 1


def test_plot_func_reports_a_bad_pattern_as_an_rla_error(one_run: Path):
    from RLA.easy_plot.plot_func import plot_func

    with pytest.raises(RLAError):
        plot_func(data_root=str(one_run), task_table_name="bad", regs=["[z-a]"], split_keys=["lr"],
                  metrics=["r"])
