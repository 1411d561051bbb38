"""Time of ``rla table`` on 3 tables x 10 groups x 10 seeds x 10,000 rows, against a plain pandas loop.

Builds the database (300 runs, a time-step and 3 metrics each), then measures, each phase in a fresh
interpreter (bytecode cached, as an installed package has it), imports excluded but for the command:

- baseline: ``pandas.read_csv`` of each run's metric column and params.json in a loop, then numpy
  computing the same table (each cell's IQM with its bootstrap interval, the aggregate IQM over
  tables with its stratified-bootstrap interval, the same number of resamples);
- cold: ``results_table`` with no column cache yet;
- warm: the same call again (column cache);
- versus: the same call with the P(X > Y) matrix of the 10 groups (``--versus``);
- command: the whole ``rla table`` command, warm, as a user runs it (interpreter start and imports in).

Each phase's wall time and CPU time (user + system of its process: what a busy machine does not
change much), the best of ``--repeat`` interleaved rounds, and the ratios to the baseline; the load
average before and after (target: warm < 0.5 s). ``--rla PATH`` times the RLA of another checkout
(an earlier commit) on the same database in the same rounds, as a baseline of the same run.

    python bench/table.py [--seeds 10] [--rows 10000] [--repeat 3] [--keep DIR] [--rla PATH]
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from RLA.db import layout  # noqa: E402
from RLA.db.layout import Database  # noqa: E402
from RLA.db.records import write_json_atomic  # noqa: E402

TASKS = ["hopper", "walker", "ant"]
GROUPS = 10
METRIC = "eval/return"
COLUMNS = ["time-step", "wall_time", METRIC, "train/loss"]
REPS = 2000
#: bytecode caches of the measured interpreters (some environments set PYTHONDONTWRITEBYTECODE=1, and
#: every start would compile RLA again, which an installed package never does)
PYCACHE = Path(tempfile.gettempdir()) / "rla-bench-pycache"

#: one phase in a fresh interpreter: prints its wall and CPU seconds (imports before the clock)
PHASE = """
import json, resource, sys, time
data_root, name, metric = sys.argv[1], sys.argv[2], sys.argv[4]
tasks, groups = json.loads(sys.argv[3]), int(sys.argv[5])
if name == "baseline":
    import pandas
    sys.path.insert(0, sys.argv[6])
    from table import baseline
else:
    from RLA.easy_plot.results_table import TableSpec, results_table
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
started, cpu_started = time.perf_counter(), cpu()
if name == "baseline":
    baseline(data_root)
else:
    spec = TableSpec(tasks=tasks, split_keys=["algo"], metric=metric, versus=name == "versus")
    table = results_table(data_root, spec)
    assert len(table.groups) == groups
print(time.perf_counter() - started, cpu() - cpu_started)
"""


def build(data_root: Path, seeds: int, rows: int) -> None:
    """Write the runs directly: params.json and a progress.csv each (a few distinct files copied)."""
    rng = np.random.default_rng(0)
    steps = np.arange(rows) * 1000
    templates = []
    data_root.mkdir(parents=True, exist_ok=True)
    for t in range(20):
        data = np.column_stack([steps, 1.7e9 + steps / 500, rng.normal(size=rows).cumsum() + t,
                                rng.normal(size=rows)])
        path = data_root / f"template_{t}.csv"
        np.savetxt(path, data, delimiter=",", header=",".join(COLUMNS), comments="",
                   fmt=["%d", "%.3f", "%.6g", "%.6g"])
        templates.append(path)
    database = Database(data_root)
    start = _dt.datetime(2024, 1, 1, 12, 0, 0)
    count = 0
    for task in TASKS:
        for group in range(GROUPS):
            for seed in range(seeds):
                params = {"algo": f"algo{group}", "seed": seed}
                item = database.create_item(task, "127.0.0.1", list(params.items()),
                                            start + _dt.timedelta(seconds=count))
                shutil.copyfile(templates[count % len(templates)], item.path("log") / layout.PROGRESS_CSV)
                write_json_atomic(item.path("log") / layout.PARAMS_JSON, params)
                count += 1
    for path in templates:
        path.unlink()


def _iqm(scores: np.ndarray) -> np.ndarray:
    """The mean of the middle half of the last axis' sorted values (trim_mean 0.25)."""
    ordered = np.sort(scores, axis=-1)
    cut = int(0.25 * ordered.shape[-1])
    return ordered[..., cut:ordered.shape[-1] - cut].mean(axis=-1)


def baseline(data_root: str) -> None:
    """The same table by hand: read each run's metric and parameters, then numpy."""
    import pandas as pd

    scores: dict = {}
    for task in TASKS:
        for item in Database(data_root).items(task):
            algo = json.loads((item.path("log") / layout.PARAMS_JSON).read_text())["algo"]
            final = pd.read_csv(item.path("log") / layout.PROGRESS_CSV, usecols=[METRIC])[METRIC].iloc[-1]
            scores.setdefault(algo, {}).setdefault(task, []).append(final)
    rng = np.random.RandomState(0)
    for by_task in scores.values():
        matrix = np.array([by_task[task] for task in TASKS]).T  # runs x tasks
        for column in matrix.T:
            boot = _iqm(column[rng.randint(0, len(column), (REPS, len(column)))])
            np.percentile(boot, [2.5, 97.5])
        index = rng.randint(0, matrix.shape[0], (REPS, *matrix.shape))
        boot = _iqm(np.take_along_axis(np.broadcast_to(matrix, index.shape), index, axis=1).reshape(REPS, -1))
        np.percentile(boot, [2.5, 97.5])


def _env(rla: Path) -> Dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(rla), "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(name: str, data_root: Path, rla: Path) -> Tuple[float, float]:
    """Wall and CPU seconds of one phase, run with the RLA found at ``rla`` (in a folder of its own,
    so that no other copy shadows it)."""
    with tempfile.TemporaryDirectory() as cwd:
        if name == "command":
            cpu_before, started = _children_cpu(), time.perf_counter()
            subprocess.run([sys.executable, "-m", "RLA.cli", "table", "-d", str(data_root),
                            *sum((["-t", task] for task in TASKS), []), "-k", "algo", "-m", METRIC, "--format", "csv"],
                           check=True, capture_output=True, env=_env(rla), cwd=cwd)
            return time.perf_counter() - started, _children_cpu() - cpu_before
        out = subprocess.run([sys.executable, "-c", PHASE, str(data_root), name, json.dumps(TASKS), METRIC,
                              str(GROUPS), str(Path(__file__).parent)],
                             check=True, capture_output=True, text=True, env=_env(rla), cwd=cwd).stdout.split()
        return float(out[-2]), float(out[-1])


LABELS = {"baseline": "read_csv loop + numpy (same table)", "cold": "results_table cold (no cache)",
          "warm": "results_table warm (column cache)", "versus": "results_table warm with P(X > Y)",
          "command": "rla table warm (whole command)"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="build (or reuse) the database here")
    parser.add_argument("--rla", type=Path, default=None, help="also time the RLA of this checkout")
    args = parser.parse_args()
    data_root = args.keep or Path(tempfile.mkdtemp(prefix="rla_table_bench_")) / "db"
    checkouts = {"": ROOT, **({" [--rla]": args.rla.resolve()} if args.rla else {})}
    try:
        if not (data_root / "log" / TASKS[0]).exists():
            started = time.perf_counter()
            build(data_root, args.seeds, args.rows)
            print(f"built {len(TASKS)} tables x {GROUPS} groups x {args.seeds} seeds x {args.rows} rows "
                  f"in {time.perf_counter() - started:.1f} s ({data_root})")
        load_before = os.getloadavg()[0]
        for rla in checkouts.values():  # the same page cache and bytecode caches for every phase
            measure("baseline", data_root, ROOT)
            measure("command", data_root, rla)
        results: Dict[Tuple[str, str], List[Tuple[float, float]]] = {}
        for _ in range(args.repeat):  # interleaved, best of each: robust to a busy machine
            for suffix, rla in checkouts.items():
                shutil.rmtree(Database(data_root).column_cache_dir(), ignore_errors=True)
                for name in LABELS:
                    if name != "baseline" or not suffix:
                        results.setdefault((name, suffix), []).append(
                            measure(name, data_root, ROOT if name == "baseline" else rla))
        best = {key: (min(r[0] for r in rounds), min(r[1] for r in rounds)) for key, rounds in results.items()}
        base_wall, base_cpu = best[("baseline", "")]
        print(f"cpus: {os.cpu_count()}, load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after; "
              f"best of {args.repeat}; {REPS} bootstrap resamples")
        print(f"{'':44s} {'wall':>8s} {'CPU':>8s}   ratios to the loop (wall, CPU)")
        for (name, suffix), (wall, cpu) in best.items():
            line = f"{LABELS[name] + suffix:44s} {wall:6.3f} s {cpu:6.3f} s"
            if name != "baseline":
                line += f"   {wall / base_wall:.2f}x, {cpu / base_cpu:.2f}x"
            print(line)
        print("target: warm < 0.5 s")
    finally:
        if args.keep is None:
            shutil.rmtree(data_root.parent, ignore_errors=True)


if __name__ == "__main__":
    main()
