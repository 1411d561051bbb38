"""Launcher overhead: 8 trials of a fixed CPU-bound workload on 2 CPUs, each launcher's wall time against
the ideal (the sum of the trial times / 2, the trial time measured alone in the same run) and against a
bare pool (the same 8 commands, 2 at a time, with nothing of RLA) run just before it: on a shared,
loaded machine two processes do not get two CPUs, and the bare pool measures what they do get.

    PYTHONPATH=. python bench/sweep.py [--launchers local,slurm,ray] [--work 30000000 | --sleep 1.5]

Targets: local <= 1.15x, slurm and ray <= 1.5x. ``--sleep S`` makes each trial a ``sleep S``: what is left
over the ideal is the launcher's overhead alone. The SLURM cluster is the tests' single-node one; like the
Ray instance it is started, and has run a first job, before the timing: a sweep is submitted to a running
cluster (the first job after slurmd starts costs it ~1.3 s more here).
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "test"))

from RLA.sweep import run_sweep, sweep_status  # noqa: E402

TRIALS = 8


def workload(work: int, sleep_s: float = 0.0):
    if sleep_s:  # sh -c ignores the --key=value arguments the sweep appends (sleep would refuse them)
        return ["sh", "-c", f"sleep {sleep_s}"]
    return [sys.executable, "-c", f"s = 0\nfor k in range({work}): s += k"]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bare_pool(command) -> None:
    """The 8 trials 2 at a time with nothing but subprocess: the machine's own parallel throughput."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda _: subprocess.run(command, check=True), range(TRIALS)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--launchers", default="local,slurm,ray")
    parser.add_argument("--work", type=int, default=30_000_000)
    parser.add_argument("--sleep", type=float, default=0.0, help="trials that sleep this many seconds instead")
    args = parser.parse_args()
    command = workload(args.work, args.sleep)
    one = min(timed(lambda: subprocess.run(command, check=True)) for _ in range(2))
    ideal = TRIALS * one / 2
    print(f"load average {open('/proc/loadavg').read().split()[0]}; one trial alone: {one:.2f}s; "
          f"ideal for {TRIALS} trials on 2 CPUs: {ideal:.2f}s")
    for launcher in args.launchers.split(","):
        with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as root, contextlib.ExitStack() as stack:
            options = {}
            if launcher == "slurm":
                from slurm_cluster import SlurmCluster

                stack.callback(SlurmCluster(Path(root) / "slurm").start().stop)
                subprocess.run(["srun", "true"], check=True, timeout=120)
                options = dict(slurm={"timeout_min": 10, "cpus_per_task": 1})
            elif launcher == "ray":
                from RLA.sweep.ray_tasks import ensure_ray

                ensure_ray(num_cpus=2)  # started outside the timing, as a running cluster would be
            bare = timed(lambda: bare_pool(command))
            name, data_root = f"bench_{launcher}", str(Path(root) / "db")
            wall = timed(functools.partial(run_sweep, name, command, data_root, grid=[("i", list(range(TRIALS)))],
                                           launcher=launcher, jobs=2, **options))
            unfinished = [(s.trial.label(), s.status) for s in sweep_status(data_root, name)
                          if s.status != "finished"]
        if unfinished:
            raise SystemExit(f"{launcher}: trials did not finish, the timing means nothing: {unfinished}")
        print(f"{launcher:6s} wall {wall:6.2f}s  ratio {wall / ideal:.2f}x ideal, "
              f"{wall / bare:.2f}x bare pool ({bare:.2f}s)")


if __name__ == "__main__":
    main()
