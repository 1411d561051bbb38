"""RLA 0.6's README workflows, written with the 0.6 names only, on databases made by our exp_manager
and in the on-disk shapes 0.6 left (built by hand below, as 0.6 wrote them)."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

LEGACY_TASK = "demo_task"
LEGACY_DATE = "2022/03/01"


def write_06_item(root: Path, name: str, lr: float, steps: int, trailing_empty_rows: int = 2) -> str:
    """An item as RLA 0.6 wrote it: progress.csv ending with ',,' rows, a progress-[...].csv plot
    cache, tb/events/, hyperparameter/parameter.json, tmp_data/, a torch checkpoint file."""
    import torch

    log = root / "log" / LEGACY_TASK / LEGACY_DATE / name
    (log / "tb" / "events").mkdir(parents=True)
    rows = [f"{t},{lr * t},{t * 0.5}" for t in range(steps)] + [",,"] * trailing_empty_rows
    (log / "progress.csv").write_text("time-step,perf/reward,timestamp\n" + "\n".join(rows) + "\n")
    (log / "progress-[||perf--mse||, ||timestep||].csv").write_text("time-step,perf/mse\n0,9\n")
    (log / "tb" / "events" / "events.out.tfevents.1646140386.host").write_bytes(b"")
    params = {"learning_rate": lr, "env_id": "Test-v1"}
    for folder in (log, root / "hyperparameter" / LEGACY_TASK / LEGACY_DATE / name):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "parameter.json").write_text(json.dumps(params))
    (root / "tmp_data" / LEGACY_TASK / LEGACY_DATE / name).mkdir(parents=True)
    (root / "tmp_data" / LEGACY_TASK / LEGACY_DATE / name / "replay_buffer.npz").write_bytes(b"buf")
    ckp = root / "checkpoint" / LEGACY_TASK / LEGACY_DATE / name
    ckp.mkdir(parents=True)
    for step in (100, 200):
        torch.save({"policy": {"w": torch.full((2,), float(step))}}, ckp / f"checkpoint_{step}.pt")
    return f"{LEGACY_DATE}/{name}"


@pytest.fixture
def legacy_db(tmp_path: Path) -> Path:
    root = tmp_path / "db"
    write_06_item(root, "21-13-03-230208 11.0.91.89 &env_id=Test-v1&learning_rate=0.01", 0.01, 1000)
    write_06_item(root, "21-13-58-909376 11.0.91.89 &env_id=Test-v1&learning_rate=0.001", 0.001, 1000)
    write_06_item(root, "21-20-23-748368_11.0.91.89_&env_id=Test-v1&learning_rate=0.01", 0.01, 50)
    return root


def test_quick_start_scalars_time_trackers_and_checkpoints(tmp_path: Path):
    import torch

    from RLA import exp_manager, logger, single_experiment_query
    from RLA.easy_log.const import CHECKPOINT, HYPARAMETER, TMP_DATA

    exp_manager.set_hyper_param(env_id="Hopper-v2", lr=1e-3)
    exp_manager.add_record_param(["env_id"])
    exp_manager.configure(task_table_name="demo_task_v1", rla_config={"LOG_USED": ["csv", "tensorboard"]},
                          data_root=str(tmp_path), code_root=str(tmp_path))
    exp_manager.log_files_gen()
    exp_manager.print_args()
    assert Path(exp_manager.tmp_data_dir).is_dir()
    assert json.loads((Path(exp_manager.hyperparameter_dir) / "parameter.json").read_text())["lr"] == 1e-3
    model = torch.nn.Linear(2, 1)
    exp_manager.new_saver(max_to_keep=2)
    for i in range(5):
        logger.set_time(i)
        with logger.open_time_tracker("step"):
            pass
        logger.record_tabular("k", i * 2)
        logger.log_time_tracker()
        row = logger.dump_tabular()
        exp_manager.save_checkpoint({"model": model})
    assert row["time_used/total calls/step"] == 5 and "time_used/time cost per call/step" in row
    assert logger.get_time() == 4
    exp_manager.time_record("span")
    assert exp_manager.time_record_end("span") >= 0
    assert exp_manager.task_gen(["demo", "v1"]) == "demo-v1" and exp_manager.auto_parse_info() == "env_id=Hopper-v2"
    table = exp_manager.dict_to_table_text_summary({"lr": 1e-3, "env": "Hopper-v2"}, "hyper")
    assert "| lr | 0.001 |" in table
    exp_manager.sync_log_file()  # SEND_LOG_FILE is off: nothing to do
    step, state = exp_manager.load_checkpoint(ckp_index=3)
    assert step == 3 and set(state) == {"model"}
    date = exp_manager.record_date[:len("YYYY/MM/DD/HH-MM-SS-ffffff")]
    assert single_experiment_query(str(tmp_path), "demo_task_v1", date, HYPARAMETER).hyper_param["lr"] == 1e-3
    assert single_experiment_query(str(tmp_path), "demo_task_v1", date, CHECKPOINT).all_ckps[-1] == "ckpt-4"
    assert single_experiment_query(str(tmp_path), "demo_task_v1", date, TMP_DATA).dirname == exp_manager.tmp_data_dir
    with open(logger.get_dir() + "/progress.csv") as f:
        header = f.readline()
    assert "time_used" not in header  # the trackers stay out of the csv, as in 0.6
    tb_dir = Path(logger.get_dir()) / "tb"
    exp_manager.finish()
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    texts = []
    for events in tb_dir.rglob("events.out.tfevents.*"):
        accumulator = EventAccumulator(str(events), size_guidance={"tensors": 0})
        accumulator.Reload()
        texts += [t for tag in accumulator.Tags()["tensors"] if tag.startswith("hyper")
                  for t in accumulator.Tensors(tag)]
    assert any(b"| env | Hopper-v2 |" in t.tensor_proto.string_val[0] for t in texts)  # TensorBoard reads it


def test_the_06_tools_module_times_spans_and_calls_into_the_rows(tmp_path: Path):
    from RLA import exp_manager, logger
    from RLA.easy_log.time_used_recorder import TimeTracker
    from RLA.easy_log.tools import DeleteLogTool, time_record, time_record_end, time_used_wrap

    exp_manager.configure(task_table_name="tools", rla_config={"LOG_USED": ["csv"]}, data_root=str(tmp_path / "db"),
                          code_root=str(tmp_path))
    item = exp_manager.log_files_gen()
    time_record("sample")
    logger.record_tabular("k", 1)
    assert time_record_end("sample") >= 0
    tracker = TimeTracker()  # a tracker of the script's own, as 0.6 let one make
    with tracker("mine"):
        pass
    tracker.log(exclude_lst=[])  # into the csv too
    logger.dump_tabular()
    assert time_used_wrap("train", lambda a, b=0: a + b, 2, b=3) == 5  # dumps a row of its own
    exp_manager.finish()
    rows = list(csv.DictReader(open(item.progress_csv)))
    assert float(rows[0]["time_used/sample"]) >= 0 and float(rows[1]["time_used/train"]) >= 0
    assert rows[0]["time_used/total calls/mine"] == "1"
    entries = len(item.existing_paths())
    tool = DeleteLogTool(str(tmp_path), "db", "tools", item.record_date, config=None)  # 0.6's first signature
    assert tool.delete_related_log(skip_ask=True) == entries > 0
    assert not item.log_dir.exists()


def test_sync_log_file_says_what_is_missing_when_send_log_file_is_on_without_a_server(tmp_path: Path):
    from RLA import exp_manager

    exp_manager.configure("t", {"LOG_USED": ["csv"], "SEND_LOG_FILE": True}, str(tmp_path), code_root=str(tmp_path))
    exp_manager.log_files_gen()
    with pytest.raises(Exception, match="REMOTE_SETTING needs ftp_server"):
        exp_manager.sync_log_file(skip_error=True)
    exp_manager.finish()


def test_query_plot_and_batch_management_on_a_06_database(legacy_db: Path):
    import matplotlib

    matplotlib.use("Agg")
    from RLA import experiment_data_query, single_experiment_query
    from RLA.easy_log.const import CHECKPOINT, HYPARAMETER, LOG, TMP_DATA
    from RLA.easy_log.log_tools import ArchiveLogTool, DeleteLogTool, Filter, MigrateLogTool
    from RLA.easy_plot.plot_func_v2 import plot_func

    root = str(legacy_db)
    logs = experiment_data_query(root, LOG_TASK := LEGACY_TASK, "2022/03/01/*", LOG)
    assert len(logs) == 3 and all(Path(r.dirname, "progress.csv").is_file() for r in logs.values())
    one = single_experiment_query(root, LOG_TASK, "2022/03/01/21-13-03-230208", HYPARAMETER)
    assert one.hyper_param == {"learning_rate": 0.01, "env_id": "Test-v1"}
    assert single_experiment_query(root, LOG_TASK, "2022/03/01/21-13-03-230208", CHECKPOINT).all_ckps == \
        ["checkpoint_100.pt", "checkpoint_200.pt"]
    tmp = single_experiment_query(root, LOG_TASK, "2022/03/01/21-13-03-230208", TMP_DATA)
    assert [Path(p).name for p in tmp.location] == ["replay_buffer.npz"]

    figure, data = plot_func(root, LOG_TASK, ["2022/03/01/21-13*"], ["learning_rate"], ["perf/reward"],
                             resample=0, x_bound=999)
    import matplotlib.pyplot as plt

    assert plt.gcf() is figure
    means = data.groupby("legend")["mean"].last()
    assert means.to_dict() == pytest.approx({"learning_rate=0.001": 0.999, "learning_rate=0.01": 9.99})
    plt.close(figure)

    tool_filter = Filter()
    tool_filter.config(type=Filter.SMALL_TIMESTEP, timstep_bound=500)
    deleted = DeleteLogTool(root, LOG_TASK, "2022/03/01/*", tool_filter).delete_small_timestep_log(skip_ask=True)
    # the 50-step run goes (its 4 data types: log, checkpoint, hyperparameter, tmp_data);
    # the two runs that logged 0..999 then ',,' stay
    assert deleted == 4
    assert len(experiment_data_query(root, LOG_TASK, "*", LOG)) == 2
    archived = ArchiveLogTool(root, LOG_TASK, "2022/03/01/21-13-03*").archive_log(skip_ask=True)
    assert archived == 4 and (legacy_db / "arc" / "tmp_data" / LOG_TASK).is_dir()
    migrated = MigrateLogTool(root, LOG_TASK, "2022/03/01/21-13-58*", "demo_v2").migrate_log(skip_ask=True)
    assert migrated == 4 and (legacy_db / "hyperparameter" / "demo_v2").is_dir()


def test_a_06_torch_checkpoint_loads_through_the_loader(legacy_db: Path):
    from RLA import ExperimentLoader

    loader = ExperimentLoader()
    loader.config(LEGACY_TASK, "2022/03/01/21-13-03-230208", str(legacy_db))
    step, state, _ = loader.load_from_record_date(ckp_index=100)
    assert step == 100 and state["policy"]["w"].tolist() == [100.0, 100.0]
    assert loader.load_from_record_date()[0] == 200


def test_rla_clean_keeps_runs_with_trailing_empty_rows_and_ls_task_lists_the_table(legacy_db: Path):
    from click.testing import CliRunner

    from RLA.cli import main

    runner = CliRunner()
    listed = runner.invoke(main, ["ls", "-d", str(legacy_db), LEGACY_TASK, "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert sorted(r["last_time_step"] for r in rows) == [49, 999, 999]
    cleaned = runner.invoke(main, ["clean", "-d", str(legacy_db), "-t", LEGACY_TASK, "-b", "999", "-y", "--json"])
    assert cleaned.exit_code == 0, cleaned.output
    assert json.loads(cleaned.stdout)["count"] == 4


def test_the_06_pretty_plotter_tool_writes_each_items_parameter_json(legacy_db: Path):
    from RLA.easy_log.log_tools import PrettyPlotterTool

    assert PrettyPlotterTool(str(legacy_db), LEGACY_TASK, "2022/03/01/21-13*").gen_json() == 2
    written = [json.loads(p.read_text()) for p in sorted((legacy_db / "log" / LEGACY_TASK).rglob("parameter.json"))]
    named = [params for params in written if "formatted_log_name" in params]
    assert [params["learning_rate"] for params in named] == [0.01, 0.001]  # the two items the glob selects
    assert all(params["formatted_log_name"].startswith(f"{LEGACY_TASK}/2022/03/01/21-13") for params in named)


def test_the_06_scripts_run_with_their_flags(legacy_db: Path, monkeypatch, capsys):
    from rla_scripts import archive_expt, delete_expt, migrate_expt, view_expt

    monkeypatch.chdir(legacy_db.parent)
    (legacy_db.parent / "rla_script_config.py").write_text(f"DATA_ROOT = {str(legacy_db)!r}\n")
    assert delete_expt.main(["--task_table_name", LEGACY_TASK, "--regex", "2022/03/01/21-20*", "--dry-run"]) == 0
    assert (legacy_db / "log" / LEGACY_TASK / LEGACY_DATE).exists()
    assert archive_expt.main(["--task_table_name", LEGACY_TASK, "--regex", "2022/03/01/21-13-03*", "-y"]) == 0
    assert migrate_expt.main(["--task_table", LEGACY_TASK, "--target_task_table", "v2", "--regex",
                              "2022/03/01/21-20*", "-y"]) == 0
    assert (legacy_db / "log" / "v2").is_dir() and (legacy_db / "arc" / "log" / LEGACY_TASK).is_dir()
    assert view_expt.main(["--task_table_name", LEGACY_TASK, "--regex", "2022/03/01/*"]) == 0
    assert delete_expt.main(["--task_table_name", LEGACY_TASK, "--regex", "2022/03/01/21-20*",
                             "--delete_type", "small_ts", "--timestep_bound", "100", "-y"]) == 0
    assert len(list((legacy_db / "log" / LEGACY_TASK / LEGACY_DATE).iterdir())) == 2


def test_setup_py_sanity():
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "setup.py", "--version"], cwd=repo, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1]
