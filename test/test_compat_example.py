"""RLA 0.6's simplest example, as its users wrote it: the same RLA calls in the same order (argparse
with arg_parser_postprocess, a 0.6 rla_config.yaml with empty values, configure, print_args, the
loader's fork, timed spans, moving averages, pretty figures, checkpoints), its TF1 graph replaced by a
few lines of numpy and a torch tensor; run as a real process, then run again resuming the first."""
from __future__ import annotations

import csv
import json
from pathlib import Path

from conftest import run_python

from RLA.db.layout import Database

CONFIG = """\
DL_FRAMEWORK: 'torch'
SEND_LOG_FILE: False
REMOTE_SETTING:
  ftp_server: ''
  username: ''
  password: ''
  remote_data_root: ''
  file_transfer_protocol: 'sftp'
  port: ''
LOG_USED:
  - 'stdout'
  - 'log'
  - 'csv'
  - 'tensorboard'
"""

MAIN = """\
import argparse
import numpy as np
import torch
from RLA.easy_log.tester import exp_manager
from RLA.easy_log import logger
from RLA.easy_log.tools import time_record, time_record_end
from RLA.easy_log.simple_mat_plot import simple_plot
from RLA.rla_argparser import arg_parser_postprocess
from RLA.easy_log.complex_data_recorder import MatplotlibRecorder as mpr

parser = argparse.ArgumentParser("a regression, as 0.6's example")
parser.add_argument('--seed', type=int, default=88)
parser.add_argument('--env_id', default='Test-v1')
parser.add_argument('--learning_rate', default=1e-2, type=float)
parser.add_argument('--input_size', default=16, type=int)
parser = arg_parser_postprocess(parser)
kwargs = vars(parser.parse_args())
exp_manager.set_hyper_param(**kwargs)
exp_manager.add_record_param(["env_id", "learning_rate", "seed"])
exp_manager.configure('demo_task', rla_config='../rla_config.yaml', data_root='../', ignore_file_path='./ignore')
exp_manager.log_files_gen()
exp_manager.print_args()
np.random.seed(kwargs["seed"])

from RLA.easy_log.exp_loader import exp_loader
exp_loader.fork_log_files()
start_epoch, load_res, hist_variables = exp_loader.load_from_record_date(variable_list=['iv'])
w = load_res["w"] if load_res else torch.zeros(kwargs["input_size"], 1)
exp_manager.new_saver(max_to_keep=1)

def target_func(x):
    return np.tanh(np.mean(x, axis=-1, keepdims=True))

for i in range(start_epoch, start_epoch + 200):
    exp_manager.time_step_holder.set_time(i)
    time_record("step")
    x = np.random.normal(0, 3, [64, kwargs["input_size"]])
    y = target_func(x)
    pred = x @ w.numpy()
    w -= kwargs["learning_rate"] * torch.tensor(x.T @ (pred - y) / len(x), dtype=torch.float32)
    logger.ma_record_tabular("perf/mse", float(np.mean((pred - y) ** 2)), 10)
    logger.record_tabular("y_out", float(np.mean(y)))
    time_record_end("step")
    logger.dump_tabular()
    if i % 100 == 99:
        exp_manager.save_checkpoint({"w": w})
    if i % 50 == 0:
        def plot_func():
            import matplotlib.pyplot as plt
            xs = np.arange(-3, 3, 0.1)
            plt.plot(xs, np.tanh(xs), label='real')
        mpr.pretty_plot_wrapper('react_func', plot_func, xlabel='x', ylabel='y', title='react test', pretty_plot=True)
        simple_plot('mse', data=[[float(i), float(np.mean((pred - y) ** 2))]])
"""


def test_the_06_example_runs_and_resumes_unchanged_in_its_rla_parts(tmp_path: Path):
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "rla_config.yaml").write_text(CONFIG)
    (project / "ignore").write_text("*.tmp\n")
    (project / "main.py").write_text(MAIN)
    first = run_python(project / "main.py", cwd=project, timeout=300)
    assert first.returncode == 0, first.stderr[-3000:]
    (item,) = Database(tmp_path).items("demo_task")
    with open(item.progress_csv) as f:
        rows = list(csv.DictReader(f))
    assert [int(r["time-step"]) for r in rows] == list(range(200))
    assert float(rows[-1]["perf/mse"]) < float(rows[20]["perf/mse"])  # it learned
    assert sorted(p.name for p in item.results_dir.glob("*react_func*")) == ["0-react_func.png", "100-react_func.png",
                                                                             "150-react_func.png", "50-react_func.png"]
    assert json.loads(item.run_json.read_text())["status"] == "finished"
    again = run_python(project / "main.py", "--loaded_task_name", "demo_task", "--loaded_date", item.record_date,
                       cwd=project, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    (resumed,) = [i for i in Database(tmp_path).items("demo_task") if i != item]
    with open(resumed.progress_csv) as f:
        steps = [int(r["time-step"]) for r in csv.DictReader(f)]
    # the forked rows up to the checkpoint (saved after step 199), then the loop from the checkpoint's step,
    # as 0.6's example runs it: range(start_epoch, ...) starts at that step again
    assert steps == list(range(200)) + list(range(199, 399))
