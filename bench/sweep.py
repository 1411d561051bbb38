"""Launcher overhead: 8 trials of a fixed CPU-bound workload on 2 CPUs, each launcher's wall time against
the ideal (the sum of the trial times / 2, the trial time measured alone in the same run).

    PYTHONPATH=. python bench/sweep.py [--launchers local,slurm,ray] [--work 30000000]

Targets: local <= 1.15x, slurm and ray <= 1.5x. The SLURM cluster is the tests' single-node one.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "test"))

from RLA.sweep import run_sweep  # noqa: E402

TRIALS = 8


def workload(work: int):
    return [sys.executable, "-c", f"s = 0\nfor k in range({work}): s += k"]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--launchers", default="local,slurm,ray")
    parser.add_argument("--work", type=int, default=30_000_000)
    args = parser.parse_args()
    command = workload(args.work)
    one = min(timed(lambda: subprocess.run(command, check=True)) for _ in range(2))
    ideal = TRIALS * one / 2
    print(f"one trial alone: {one:.2f}s; ideal for {TRIALS} trials on 2 CPUs: {ideal:.2f}s")
    for launcher in args.launchers.split(","):
        with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as root:
            cluster = None
            options = {}
            if launcher == "slurm":
                from slurm_cluster import SlurmCluster

                cluster = SlurmCluster(Path(root) / "slurm").start()
                options = dict(slurm={"timeout_min": 10, "cpus_per_task": 1})
            elif launcher == "ray":
                from RLA.sweep.ray_tune import ensure_ray

                ensure_ray(num_cpus=2)  # started outside the timing, as a running cluster would be
            try:
                wall = timed(lambda: run_sweep(f"bench_{launcher}", command, str(Path(root) / "db"),
                                               grid=[("i", list(range(TRIALS)))], launcher=launcher, jobs=2,
                                               **options))
            finally:
                if cluster is not None:
                    cluster.stop()
            print(f"{launcher:6s} wall {wall:6.2f}s  ratio {wall / ideal:.2f}x")


if __name__ == "__main__":
    main()
