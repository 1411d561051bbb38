"""Time from a database to a grouped figure, against a plain pandas.read_csv loop.

Builds a table of N runs (default 1,000) of R rows (default 10,000) with 5
metrics, then measures, each phase in a fresh interpreter:

- baseline: ``pandas.read_csv`` of every run's progress.csv in a loop;
- cold: ``plot_func`` grouping the runs by a parameter, with no cache yet;
- warm: the same ``plot_func`` call again (column cache).

Prints the best time of ``--repeat`` interleaved rounds, the ratios to the
baseline (target: cold <= 1.0x, warm < 0.2 s) and the peak resident memory of
each phase (target: warm <= 1.5x the baseline's).

    python bench/plot_load.py [--runs 1000] [--rows 10000] [--repeat 3] [--keep DIR]
"""
from __future__ import annotations

import argparse
import datetime as _dt
import importlib.util
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from RLA.db import layout  # noqa: E402
from RLA.db.layout import Database  # noqa: E402
from RLA.db.records import write_json_atomic  # noqa: E402

TASK = "bench_task"
METRICS = [f"perf/metric_{i}" for i in range(5)]
GROUPS = 10
TEMPLATES = 20


def build(data_root: Path, runs: int, rows: int) -> None:
    """Write the runs directly: params.json plus one of a few distinct progress.csv files."""
    rng = np.random.default_rng(0)
    templates = []
    steps = np.arange(rows) * 1000
    for t in range(TEMPLATES):
        data = np.column_stack([steps] + [rng.normal(size=rows).cumsum() + t for _ in METRICS])
        path = data_root / f"template_{t}.csv"
        data_root.mkdir(parents=True, exist_ok=True)
        np.savetxt(path, data, delimiter=",", header=",".join(["time-step", *METRICS]), comments="",
                   fmt=["%d"] + ["%.6g"] * len(METRICS))
        templates.append(path)
    database = Database(data_root)
    start = _dt.datetime(2024, 1, 1, 12, 0, 0)
    for i in range(runs):
        params = {"group": i % GROUPS, "seed": i // GROUPS}
        item = database.create_item(TASK, "127.0.0.1", list(params.items()), start + _dt.timedelta(seconds=i))
        log_dir = item.path("log")
        shutil.copyfile(templates[i % TEMPLATES], log_dir / layout.PROGRESS_CSV)
        write_json_atomic(log_dir / layout.PARAMS_JSON, params)
    for path in templates:
        path.unlink()


def phase(name: str, data_root: str) -> None:
    """Run one measured phase and print ``<wall seconds> <CPU seconds> <peak RSS MB>``."""
    import pandas as pd

    if name == "baseline":
        started, cpu_started = time.perf_counter(), time.process_time()
        for item in Database(data_root).items(TASK):
            pd.read_csv(item.path("log") / layout.PROGRESS_CSV)
    else:
        import matplotlib.figure  # noqa: F401  (imports are not what is measured, as for the baseline)

        from RLA.easy_plot import plot_func

        started, cpu_started = time.perf_counter(), time.process_time()
        figure, data = plot_func(data_root, TASK, None, ["group"], [METRICS[0]])
        assert data["legend"].nunique() == GROUPS
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{elapsed:.4f} {cpu:.4f} {peak_kb / 1024:.1f}")


def measure(name: str, data_root: Path) -> tuple:
    out = subprocess.run([sys.executable, __file__, "--phase", name, "--keep", str(data_root)],
                         check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1]), float(out[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="build (or reuse) the database here")
    parser.add_argument("--phase", choices=["baseline", "cold", "warm"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase(args.phase, str(args.keep))
        return
    data_root = args.keep or Path(tempfile.mkdtemp(prefix="rla_plot_bench_")) / "db"
    try:
        if not (data_root / "log" / TASK).exists():
            started = time.perf_counter()
            build(data_root, args.runs, args.rows)
            print(f"built {args.runs} runs x {args.rows} rows x {len(METRICS)} metrics "
                  f"in {time.perf_counter() - started:.1f} s ({data_root})")
        measure("baseline", data_root)  # the same page cache for every phase
        results: dict = {"baseline": [], "cold": [], "warm": []}
        for _ in range(args.repeat):  # interleaved, best of each: robust to a busy machine
            shutil.rmtree(Database(data_root).column_cache_dir(), ignore_errors=True)
            for name in results:
                results[name].append(measure(name, data_root))
        best = {name: min(rounds) for name, rounds in results.items()}  # by wall time
        cpu = {name: min(r[1] for r in rounds) for name, rounds in results.items()}
        base_wall, base_cpu = best["baseline"][0], cpu["baseline"]
        print(f"cpus: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f}, best of {args.repeat}, "
              f"csv parser: {'pyarrow' if importlib.util.find_spec('pyarrow') else 'pandas'}")
        labels = {"baseline": "pandas.read_csv loop (all columns)", "cold": "plot_func cold (no cache)",
                  "warm": "plot_func warm (column cache)"}
        for name, label in labels.items():
            wall, _, mb = best[name]
            line = f"{label:36s} {wall:7.3f} s wall {cpu[name]:7.3f} s CPU  peak RSS {mb:6.1f} MB"
            if name != "baseline":
                line += (f"  ratio {wall / base_wall:.2f}x wall, {cpu[name] / base_cpu:.2f}x CPU, "
                         f"{mb / best['baseline'][2]:.2f}x RSS")
            print(line)
        print("targets: cold <= 1.0x, warm < 0.2 s, warm peak RSS <= 1.5x")
    finally:
        if args.keep is None:
            shutil.rmtree(data_root.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
