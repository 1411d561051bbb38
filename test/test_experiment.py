"""A run becomes a database item: layout, records, TensorBoard, lifecycle."""
import json
import math
import os
import shutil
import sys
import time
from collections import deque
from pathlib import Path

import pandas as pd
import pytest
from conftest import read_scalars, run_python

from RLA import exp_manager, logger
from RLA.db.layout import DATA_TYPES, Database, parse_log_name
from RLA.db.records import REPR_MARKER
from RLA.easy_log.tester import RunNotStartedError, local_ip
from RLA.errors import NoDataError, UsageError

CONFIG = {"LOG_USED": ["csv", "json", "tensorboard", "log"], "DL_FRAMEWORK": "none"}


def start_run(data_root, task="demo_task", config=CONFIG, **params):
    exp_manager.set_hyper_param(**params)
    exp_manager.add_record_param(list(params)[:2])
    exp_manager.configure(task_table_name=task, rla_config=config, data_root=data_root,
                          code_root=str(data_root.parent))
    return exp_manager.log_files_gen()


def read_json(path):
    return json.loads(Path(path).read_text())


def test_quickstart_creates_an_item_with_all_five_data_types(data_root):
    item = start_run(data_root, hp_a=1, info="description of the experiment", hp_b=[1, 2])
    for t in range(3):
        exp_manager.time_step_holder.set_time(t)
        logger.record_tabular("performance/reward", t)
        logger.dump_tabular()
    exp_manager.finish()

    assert item.name.startswith(time.strftime("%H-"))
    assert item.name.endswith(f"_{local_ip()}_&hp_a=1&info=description of the experiment")
    assert item.index == f"demo_task/{item.date}/{item.name}"
    assert set(item.existing_paths()) == set(DATA_TYPES) - {"hyperparameter", "tmp_data"}  # made on first use
    assert item.path("archive_tester").name == item.name + ".pkl"
    assert Database(data_root).items() == [item]
    assert exp_manager.log_dir == str(item.path("log")) and exp_manager.record_date == item.record_date
    params = read_json(item.path("log") / "params.json")
    assert params == {"hp_a": 1, "info": "description of the experiment", "hp_b": [1, 2]}
    run = read_json(item.path("log") / "run.json")
    assert run["status"] == "finished" and run["last_time_step"] == 2
    assert run["index"] == item.index and run["record_param"] == ["hp_a", "info"]
    assert run["pid"] == os.getpid() and run["end_time"] >= run["start_time"]
    assert run["python"] == sys.version.split()[0]


def test_old_keyword_names_and_a_config_path(data_root, tmp_path):
    config = tmp_path / "rla_config.yaml"
    config.write_text("LOG_USED: [csv]\n")
    exp_manager.set_hyper_param(seed=3)
    exp_manager.add_record_param(["seed"])
    exp_manager.configure(task_name="old_api", private_config_path=str(config), log_root=str(data_root))
    item = exp_manager.log_files_gen()
    assert item.task == "old_api" and item.name.endswith("_&seed=3")
    assert exp_manager.code_root == str(tmp_path)
    with pytest.raises(TypeError, match="both task_table_name='a' and its older name task_name='b'"):
        exp_manager.configure(task_table_name="a", task_name="b", data_root=data_root)


def test_dotted_record_params_index_nested_dicts_and_unjsonable_values_keep_a_repr(data_root):
    exp_manager.set_hyper_param(algo={"lr": 3e-4, "net": {"width": 64}}, env="Hopper-v4", fn=len)
    exp_manager.add_record_param(["algo.net.width", "env"])
    exp_manager.configure(task_table_name="t", rla_config=CONFIG, data_root=data_root)
    item = exp_manager.log_files_gen()
    assert item.name.endswith("_&algo.net.width=64&env=Hopper-v4")
    assert parse_log_name(item.name).params() == {"algo.net.width": "64", "env": "Hopper-v4"}
    params = read_json(item.path("log") / "params.json")
    assert params["algo"] == {"lr": 3e-4, "net": {"width": 64}}
    assert params["fn"] == {REPR_MARKER: repr(len)}
    exp_manager.add_run_params(obs_dim=4)
    assert read_json(item.path("log") / "params.json")["obs_dim"] == 4


def test_a_sweep_in_one_process_keeps_each_runs_parameters(data_root):
    exp_manager.set_hyper_param(env="Hopper-v4", algo={"lr": 0.0, "gamma": 0.99})
    items = []
    for lr in (0.1, 0.2):
        exp_manager.update_hyper_param("algo.lr", lr)
        exp_manager.add_record_param(["algo.lr"])
        exp_manager.configure(task_table_name="sweep", rla_config=CONFIG, data_root=data_root)
        items.append(exp_manager.log_files_gen())
    exp_manager.finish()
    for item, lr in zip(items, (0.1, 0.2)):
        assert item.name.endswith(f"_&algo.lr={lr}")
        assert read_json(item.path("log") / "params.json") == {"env": "Hopper-v4",
                                                                "algo": {"lr": lr, "gamma": 0.99}}


def test_progress_csv_after_1000_dumps_with_a_key_added_at_step_500(data_root):
    started = time.time()
    item = start_run(data_root, seed=1)
    progress = item.path("log") / "progress.csv"
    for t in range(1000):
        exp_manager.time_step_holder.set_time(t * 10)
        logger.record_tabular("performance/reward", t * 0.5)
        if t >= 500:
            logger.record_tabular("eval/return", -t)
        logger.dump_tabular()
        if t == 499:  # every row is on disk at once, before any close
            assert len(pd.read_csv(progress)) == 500
    exp_manager.finish()
    frame = pd.read_csv(progress)
    assert list(frame.columns) == ["time-step", "wall_time", "performance/reward", "eval/return"]
    assert len(frame) == 1000
    # each row's wall-clock time, in unix seconds to the millisecond
    wall = frame["wall_time"]
    assert started - 0.001 <= wall.iloc[0] and (wall.diff().iloc[1:] >= 0).all() and wall.iloc[-1] <= time.time()
    assert frame["time-step"].tolist() == [t * 10 for t in range(1000)]
    assert frame["performance/reward"].tolist() == [t * 0.5 for t in range(1000)]
    assert frame["eval/return"][:500].isna().all()
    assert frame["eval/return"][500:].tolist() == [-t for t in range(500, 1000)]
    json_rows = [json.loads(line) for line in (item.path("log") / "progress.json").read_text().splitlines()]
    assert len(json_rows) == 1000 and json_rows[600] == {"time-step": 6000, "wall_time": wall[600],
                                                          "performance/reward": 300.0, "eval/return": -600}


def test_tensorboard_scalars_follow_the_time_step_and_skip_text_once(data_root):
    item = start_run(data_root, seed=1)
    with pytest.warns(UserWarning, match="'phase' is not a number") as warned:
        for t in range(5):
            exp_manager.time_step_holder.set_time(100 + t)
            logger.record_tabular("loss", 1.0 / (t + 1))
            logger.record_tabular("phase", "warmup")
            logger.record_tabular("only_csv", t, exclude="tensorboard")
            logger.dump_tabular()
    assert len([w for w in warned if "phase" in str(w.message)]) == 1
    exp_manager.finish()
    scalars = read_scalars(item.path("log") / "tb")
    assert set(scalars) == {"loss"}
    assert [step for step, _ in scalars["loss"]] == [100, 101, 102, 103, 104]
    assert [v for _, v in scalars["loss"]] == pytest.approx([1, 1 / 2, 1 / 3, 1 / 4, 1 / 5])
    frame = pd.read_csv(item.path("log") / "progress.csv")
    assert frame["phase"].tolist() == ["warmup"] * 5 and frame["only_csv"].tolist() == [0, 1, 2, 3, 4]


def test_hyper_parameters_in_tensorboard_text_and_hparams_in_the_run_folder(data_root):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    item = start_run(data_root, lr=0.01, env="CartPole-v1", net={"width": 32}, use_gae=True)
    logger.record_tabular("eval/return", 1.0)
    logger.dump_tabular()
    exp_manager.finish()
    tb_dir = item.path("log") / "tb"
    assert [p.is_file() for p in tb_dir.iterdir()] == [True]  # one run, no sub-run folders
    accumulator = EventAccumulator(str(tb_dir), size_guidance={"tensors": 0})
    accumulator.Reload()
    content = accumulator.PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_start_info"])
    hparams = start.session_start_info.hparams
    assert hparams["lr"].number_value == 0.01
    assert hparams["env"].string_value == "CartPole-v1"
    assert hparams["net.width"].number_value == 32
    assert hparams["use_gae"].bool_value is True
    end = plugin_data_pb2.HParamsPluginData.FromString(content["_hparams_/session_end_info"])
    assert end.session_end_info.status == 1  # STATUS_SUCCESS
    text = accumulator.Tensors("hyperparameters/text_summary")[0].tensor_proto.string_val[0].decode()
    assert "| lr | 0.01 |" in text and "| net.width | 32 |" in text


def test_logger_accepts_numpy_torch_and_nonfinite_values(data_root):
    import numpy as np
    import torch

    item = start_run(data_root, seed=1)
    logger.record_tabular("np", np.float32(0.5))
    logger.record_tabular("np_int", np.int64(7))
    logger.record_tabular("torch", torch.tensor(2.5))
    logger.record_tabular("nan", float("nan"))
    logger.record_tabular("inf", np.inf)
    logger.logkv_mean("mean", 1.0)
    logger.logkv_mean("mean", torch.tensor(3.0))
    logger.logkvs({"a": 1, "b": 2}, prefix="group/")
    logger.dump_tabular()
    exp_manager.finish()
    row = pd.read_csv(item.path("log") / "progress.csv").iloc[0]
    assert row["np"] == 0.5 and row["np_int"] == 7 and row["torch"] == 2.5 and row["mean"] == 2.0
    assert math.isnan(row["nan"]) and row["inf"] == math.inf
    assert row["group/a"] == 1 and row["group/b"] == 2
    scalars = read_scalars(item.path("log") / "tb")
    assert math.isnan(scalars["nan"][0][1]) and scalars["inf"][0][1] == math.inf


def test_tensorflow_scalars_are_accepted(data_root):
    tf = pytest.importorskip("tensorflow")
    item = start_run(data_root, seed=1)
    logger.record_tabular("tf", tf.constant(1.25))
    logger.dump_tabular()
    exp_manager.finish()
    assert pd.read_csv(item.path("log") / "progress.csv")["tf"].tolist() == [1.25]


def test_freq_and_moving_average_records(data_root):
    item = start_run(data_root, seed=1)
    for t in range(6):
        exp_manager.time_step_holder.set_time(t)
        logger.record_tabular("every_third", t, freq=3)
        logger.ma_record_tabular("ma", float("nan") if t == 2 else t, record_len=2, ignore_nan=True)
        logger.record_tabular("step", t)
        logger.dump_tabular()
    exp_manager.finish()
    frame = pd.read_csv(item.path("log") / "progress.csv")
    assert frame["every_third"].tolist()[::3] == [0, 3] and frame["every_third"].isna().sum() == 4
    # values 0,1,(nan skipped),3,4,5 -> windows of two once full
    assert frame["ma"].tolist()[1:] == [0.5, 0.5, 2.0, 3.5, 4.5]


def test_text_logs_warnings_and_print_args(data_root):
    item = start_run(data_root, seed=1, lr=0.1)
    exp_manager.print_args()
    logger.info("hello")
    logger.debug("hidden at INFO level")
    logger.warn("careful")
    logger.set_level(logger.DEBUG)
    logger.debug("now shown")
    assert logger.get_dir() == str(item.path("log"))
    exp_manager.finish()
    log_dir = item.path("log")
    assert (log_dir / "backup.txt").read_text().splitlines() == ["lr: 0.1", "seed: 1"]
    log_txt = (log_dir / "log.txt").read_text()
    assert "hello" in log_txt and "careful" in log_txt and "now shown" in log_txt
    assert "hidden at INFO level" not in log_txt
    assert (log_dir / "warn.txt").read_text() == "careful\n"


def test_print_args_before_the_run_writes_backup_txt_once_the_item_exists(data_root):
    """0.6 scripts call print_args() right after setting their parameters, before log_files_gen()."""
    exp_manager.set_hyper_param(lr=0.1, seed=1)
    exp_manager.print_args()  # shown at once (on stdout), as before
    exp_manager.set_hyper_param(lr=0.1, seed=1, info="set after print_args")
    exp_manager.add_record_param(["seed"])
    exp_manager.configure(task_table_name="t", rla_config=CONFIG, data_root=data_root,
                          code_root=str(data_root.parent))
    item = exp_manager.log_files_gen()
    exp_manager.finish()
    assert (item.path("log") / "backup.txt").read_text().splitlines() == ["info: set after print_args", "lr: 0.1",
                                                                          "seed: 1"]
    assert "lr: 0.1" not in (item.path("log") / "log.txt").read_text()  # not logged twice


def test_configuring_again_starts_a_fresh_experiment(data_root):
    first = start_run(data_root, task="a", seed=1, lr=0.1)
    exp_manager.add_custom_data("returns", 1.0)
    exp_manager.time_step_holder.set_time(99)
    logger.record_tabular("x", 1)
    logger.dump_tabular()

    exp_manager.set_hyper_param(gamma=0.9)
    exp_manager.add_record_param(["gamma"])
    exp_manager.configure(task_table_name="b", rla_config=CONFIG, data_root=data_root)
    assert read_json(first.path("log") / "run.json")["status"] == "finished"
    second = exp_manager.log_files_gen()
    logger.record_tabular("y", 2)
    logger.dump_tabular()
    exp_manager.finish()

    # record params do not carry over (the name has only gamma); hyper-parameters stay until changed
    assert second.task == "b" and second.name.endswith("_&gamma=0.9")
    assert read_json(second.path("log") / "params.json") == {"seed": 1, "lr": 0.1, "gamma": 0.9}
    assert read_json(first.path("log") / "params.json") == {"seed": 1, "lr": 0.1}
    assert exp_manager.get_custom_data("returns") is None
    frame = pd.read_csv(second.path("log") / "progress.csv")
    assert list(frame.columns) == ["time-step", "wall_time", "y"] and frame["time-step"].tolist() == [0]
    assert pd.read_csv(first.path("log") / "progress.csv")["x"].tolist() == [1]


def test_custom_data_and_pickle_round_trip(data_root):
    import dill

    item = start_run(data_root, seed=1)
    for value in range(5):
        exp_manager.add_custom_data("returns", value, max_len=3)
    exp_manager.add_custom_data("best", 9, dtype=int)
    assert exp_manager.get_custom_data("returns") == [2, 3, 4]
    exp_manager.add_custom_data("window", 1, dtype=deque, max_len=2)  # RLA 0.6's forms
    exp_manager.add_custom_data("window", 2, dtype=deque, max_len=2)
    exp_manager.add_custom_data("window", 3, dtype=deque, max_len=2)
    exp_manager.add_custom_data("last", [1], mode="replace")
    exp_manager.add_custom_data("last", [2], mode="replace")
    assert exp_manager.get_custom_data("window") == [2, 3] and exp_manager.get_custom_data("last") == [2]
    with pytest.raises(UsageError, match="mode must be 'append' or 'replace'"):
        exp_manager.add_custom_data("last", 1, mode="prepend")
    for key in ("window", "last"):
        exp_manager.custom_data.pop(key)
    exp_manager.time_step_holder.set_time(42)
    exp_manager.serialize_object_and_save()
    with open(item.path("archive_tester"), "rb") as f:
        loaded = dill.load(f)
    assert loaded.hyper_param == {"seed": 1} and loaded.custom_data == {"returns": [2, 3, 4], "best": 9}
    assert loaded.item == item and loaded.time_step_holder.get_time() == 42
    again = exp_manager.load_tester(item.record_date, item.task, str(data_root))  # RLA 0.6's classmethod
    assert again.custom_data == loaded.custom_data and again.item == item
    moved = data_root.parent / "moved_db"
    shutil.copytree(data_root, moved)
    again.update_log_files_location(str(moved))  # 0.6: a manager read from a copied database
    assert Path(again.log_dir) == moved / "log" / item.task / item.date / item.name and Path(again.log_dir).is_dir()
    folder, name = exp_manager.log_file_finder(item.record_date, item.task, str(moved / "log"))
    assert (folder, name) == (str(moved / "log" / item.task / item.date), item.name)
    assert exp_manager.log_file_finder(f"{item.date}/00-00-00-000000", item.task, str(moved / "log"))[1] == ""


def test_the_pickle_keeps_no_remote_credentials(data_root):
    config = {**CONFIG, "REMOTE_SETTING": {"username": "alice", "password": "hunter2-secret"}}
    exp_manager.configure(task_table_name="t", rla_config=config, data_root=data_root)
    item = exp_manager.log_files_gen()
    assert b"hunter2-secret" not in item.path("archive_tester").read_bytes()
    assert exp_manager.config.REMOTE_SETTING.password == "hunter2-secret"


def test_misuse_gets_errors_that_say_what_to_do(data_root):
    with pytest.raises(RunNotStartedError, match="configure"):
        exp_manager.log_files_gen()
    with pytest.raises(RunNotStartedError, match="log_files_gen"):
        _ = exp_manager.log_dir
    with pytest.raises(TypeError, match="needs data_root"):
        exp_manager.configure(task_table_name="t")
    exp_manager.add_record_param(["missing"])
    exp_manager.configure(task_table_name="t", rla_config=CONFIG, data_root=data_root)
    with pytest.raises(NoDataError, match=r"'missing' is not a hyper-parameter; set it with set_hyper_param"):
        exp_manager.log_files_gen()
    assert not (data_root / "log").exists()


def test_a_misspelled_nested_record_key_names_the_closest_one(data_root):
    exp_manager.set_hyper_param(optim={"lr": 0.1, "eps": 1e-8}, seed=1)
    exp_manager.add_record_param(["optim.lrr"])
    exp_manager.configure(task_table_name="t", rla_config=CONFIG, data_root=data_root)
    with pytest.raises(NoDataError, match=r"'optim.lrr' is not a hyper-parameter \(did you mean optim\.lr\b"):
        exp_manager.log_files_gen()
    assert not (data_root / "log").exists()

def test_import_writes_nothing_and_stays_light(tmp_path, write_script):
    script = write_script("""
        import sys, time
        start = time.perf_counter()
        import RLA
        from RLA.easy_log.tester import exp_manager
        elapsed = time.perf_counter() - start
        heavy = [m for m in ("torch", "tensorflow", "matplotlib", "tensorboard", "pandas", "paramiko")
                 if m in sys.modules]
        print(heavy, elapsed)
    """)
    workdir = tmp_path / "empty"
    workdir.mkdir()
    result = run_python(script, cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("]")[0] == "["
    assert list(workdir.iterdir()) == []


def test_a_run_logging_to_tensorboard_loads_nothing_heavy_before_its_first_row(tmp_path, write_script):
    """What bench/first_row.py times: no torch (tensorboardX's writer), no numpy (its summary module), no metadata
    parsing (every installed package's METADATA, or crc32c's __version__); the events read by TensorBoard."""
    script = write_script("""
        import sys
        from RLA import exp_manager, logger
        exp_manager.set_hyper_param(lr=0.1, name="first", nested={"depth": 2})
        exp_manager.configure(task_table_name="t", rla_config={"LOG_USED": ["csv", "tensorboard"]},
                              data_root=sys.argv[1], code_root=sys.argv[2])
        exp_manager.log_files_gen()
        logger.record_tabular("reward", 1.5)
        logger.dump_tabular()
        print(exp_manager.log_dir)
        print([m for m in ("torch", "tensorflow", "numpy", "pandas", "tensorboard", "importlib.metadata", "email")
               if m in sys.modules])
    """)
    code = tmp_path / "code"
    code.mkdir()
    result = run_python(script, str(tmp_path / "db"), str(code))
    assert result.returncode == 0, result.stderr
    log_dir, loaded = result.stdout.splitlines()
    assert loaded == "[]"
    scalars = read_scalars(Path(log_dir) / "tb")
    assert scalars["reward"] == [(0, 1.5)]
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    events = EventAccumulator(str(Path(log_dir) / "tb"), size_guidance={"tensors": 0})
    events.Reload()
    table = events.Tensors("hyperparameters/text_summary")[0].tensor_proto.string_val[0].decode()
    assert "| lr | 0.1 |" in table and "| nested.depth | 2 |" in table
    start = plugin_data_pb2.HParamsPluginData.FromString(
        events.SummaryMetadata("_hparams_/session_start_info").plugin_data.content).session_start_info
    assert start.hparams["lr"].number_value == 0.1 and start.hparams["name"].string_value == "first"
    (item,) = Database(tmp_path / "db").items("t")
    assert "numpy==" in item.code.requirements_txt.read_text()  # the snapshot still lists the environment


def test_tensorboard_records_are_the_bytes_of_tensorboardx_messages():
    """The events a run writes are encoded without protobuf's classes (their import cost a run 15 ms before its
    first row): the same bytes as tensorboardX's messages, the HParams map the same entries."""
    import math

    from RLA.easy_log import tb_events

    event_pb2, summary_pb2 = tb_events.tbx_module("proto.event_pb2"), tb_events.tbx_module("proto.summary_pb2")
    hparams_pb2, tensor_pb2 = tb_events.tbx_module("proto.plugin_hparams_pb2"), tb_events.tbx_module("proto.tensor_pb2")
    shape_pb2, text_pb2 = tb_events.tbx_module("proto.tensor_shape_pb2"), tb_events.tbx_module("proto.plugin_text_pb2")
    values = [("reward", 1.5), ("loss/é", -0.0), ("huge", 1e39), ("nan", math.nan), ("tiny", 1e-50), ("n", 3)]
    scalars = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=k, simple_value=v) for k, v in values])
    assert tb_events.scalars_summary(values) == scalars.SerializeToString()
    for step in (0, 7, -3, 2**40):
        assert tb_events.event(1.7e9, step, summary=tb_events.scalars_summary(values)) == \
            event_pb2.Event(wall_time=1.7e9, step=step, summary=scalars).SerializeToString()
    assert tb_events.event(1.5, file_version="brain.Event:2") == \
        event_pb2.Event(wall_time=1.5, file_version="brain.Event:2").SerializeToString()
    assert tb_events.event(1.5, 4, session_start=True) == event_pb2.Event(
        wall_time=1.5, step=4, session_log=event_pb2.SessionLog(status=event_pb2.SessionLog.START)).SerializeToString()

    def plugin_value(tag, plugin, content, **fields):
        metadata = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(
            plugin_name=plugin, content=content))
        return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, metadata=metadata, **fields)])

    tensor = tensor_pb2.TensorProto(dtype="DT_STRING", string_val=["| lr | 0.1 |".encode()],
                                    tensor_shape=shape_pb2.TensorShapeProto(dim=[shape_pb2.TensorShapeProto.Dim(size=1)]))
    text = plugin_value("hyperparameters/text_summary", "text", text_pb2.TextPluginData(version=0).SerializeToString(),
                        tensor=tensor)
    assert tb_events.text_summary("hyperparameters", "| lr | 0.1 |") == text.SerializeToString()
    for status, code in tb_events.HPARAMS_STATUS.items():
        end = hparams_pb2.HParamsPluginData(version=0, session_end_info=hparams_pb2.SessionEndInfo(status=code))
        assert tb_events.hparams_end_summary(status) == \
            plugin_value("_hparams_/session_end_info", "hparams", end.SerializeToString()).SerializeToString()
    written = summary_pb2.Summary.FromString(tb_events.hparams_start_summary(
        {"lr": 0.1, "name": "ppo", "flag": False, "n": 0, "none": None, "empty": ""}))
    assert (written.value[0].tag, written.value[0].metadata.plugin_data.plugin_name) == (
        "_hparams_/session_start_info", "hparams")
    start = hparams_pb2.HParamsPluginData.FromString(written.value[0].metadata.plugin_data.content).session_start_info
    assert {key: (value.WhichOneof("kind"), getattr(value, value.WhichOneof("kind")))
            for key, value in start.hparams.items()} == {
        "lr": ("number_value", 0.1), "name": ("string_value", "ppo"), "flag": ("bool_value", False),
        "n": ("number_value", 0.0), "empty": ("string_value", "")}


def test_ip_lookup_is_fast_and_overridable(monkeypatch):
    start = time.perf_counter()
    ip = local_ip()
    assert time.perf_counter() - start < 1.0
    assert ip.count(".") == 3 and "_" not in ip
    monkeypatch.setenv("RLA_IP", "node_07")
    assert local_ip() == "node-07"
