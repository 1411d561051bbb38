"""What a run pays before its first row: a fresh interpreter from start to its first ``dump_tabular``,
with TensorBoard on (``LOG_USED: [csv, tensorboard]``) against csv only (the baseline, same run).

Each probe is a new process that imports RLA, configures, claims its item (``log_files_gen``: the code
snapshot, params.json, run.json, the TensorBoard HParams) and dumps one row; it prints the seconds since
its interpreter started (``time.perf_counter`` against the process's start time) and its peak RSS.
The events written are read back with TensorBoard's own reader. Targets with TensorBoard on:
<= 0.35 s and <= 60 MB peak RSS, with no torch or TensorFlow imported.

    python bench/first_row.py [--repeat 5]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import os, resource, sys, time
started = time.time()
with open(f"/proc/{os.getpid()}/stat") as f:  # the process's start, in clock ticks after boot
    ticks = int(f.read().rsplit(")", 1)[1].split()[19])
with open("/proc/uptime") as f:
    uptime = float(f.read().split()[0])
process_start = started - (uptime - ticks / os.sysconf("SC_CLK_TCK"))
from RLA import exp_manager, logger
exp_manager.set_hyper_param(lr=0.01, seed=1)
exp_manager.add_record_param(["lr", "seed"])
exp_manager.configure(task_table_name="first_row", rla_config={"LOG_USED": sys.argv[2].split(",")},
                      data_root=sys.argv[1], code_root=sys.argv[3])
exp_manager.log_files_gen()
exp_manager.time_step_holder.set_time(0)
logger.record_tabular("reward", 1.0)
logger.dump_tabular()
elapsed = time.time() - process_start
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
heavy = [m for m in ("torch", "tensorflow", "tensorboard", "matplotlib", "pandas") if m in sys.modules]
print(elapsed, peak_mb, ",".join(heavy) or "-", exp_manager.log_dir)
exp_manager.finish()
"""


def probe(outputs: str, data_root: str, code_root: str) -> tuple:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROBE, data_root, outputs, code_root], capture_output=True,
                          text=True, env=env, check=True)
    seconds, peak_mb, heavy, log_dir = done.stdout.split()
    return float(seconds), float(peak_mb), heavy, log_dir


def read_back(log_dir: str) -> list:
    """The rewards of the run's events, read by TensorBoard's EventAccumulator."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(os.path.join(log_dir, "tb"))
    events.Reload()
    return [(s.step, s.value) for s in events.Scalars("reward")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    results: dict = {"csv": [], "csv,tensorboard": []}
    with tempfile.TemporaryDirectory() as folder:
        code = Path(folder) / "code"
        code.mkdir()
        (code / "train.py").write_text("print('a training script')\n")
        for outputs in results:  # warm-up: the page cache and the bytecode caches
            probe(outputs, os.path.join(folder, "db"), str(code))
        for _ in range(args.repeat):  # interleaved, so that a busy moment costs both alike
            for outputs in results:
                results[outputs].append(probe(outputs, os.path.join(folder, "db"), str(code)))
        assert read_back(results["csv,tensorboard"][-1][3]) == [(0, 1.0)], "TensorBoard cannot read the events"
    print(f"start of the interpreter to the first row written, median of {args.repeat} fresh processes")
    summary = {}
    for outputs, runs in results.items():
        seconds = statistics.median(r[0] for r in runs)
        peak = statistics.median(r[1] for r in runs)
        summary[outputs] = (seconds, peak)
        print(f"  {outputs:<16} {seconds:6.3f} s  peak RSS {peak:6.1f} MB  heavy modules: {runs[0][2]}")
    (base_s, base_mb), (tb_s, tb_mb) = summary["csv"], summary["csv,tensorboard"]
    print(f"  TensorBoard on / csv only: {tb_s / base_s:.2f}x time, {tb_mb / base_mb:.2f}x memory "
          f"(targets with TensorBoard: <= 0.35 s, <= 60 MB)")
    print(json.dumps({"csv_s": base_s, "csv_mb": base_mb, "tensorboard_s": tb_s, "tensorboard_mb": tb_mb}))


if __name__ == "__main__":
    main()
