"""Listing a large database through the query index, beside an ``os.walk`` of the same tree.

Builds ``--items`` finished runs in the layout exp_manager writes (log folder with
params.json, run.json and progress.csv; code snapshot, checkpoint and results folders;
the pickled manager), ``--per-day`` runs per date folder (1,000: a lab of 20 people
running 50 runs a day), by writing the files directly. Then, each figure with its ratio
to an ``os.walk`` of the same tree measured in the same run:

- cold: the first listing of a database without an index (the index built whole);
- warm filtered: ``-w 'lr >= 1e-3 and seed in [1, 2] and env == "Hopper-v4"'`` (5% of the runs),
  every record, and the count with the first 100 records;
- first page: the first 100 runs of the full listing, with the count;
- ``rla ls --json`` of every run, as a process (stdout to /dev/null);
- a new run visible: a run starts (exp_manager), then the next listing that finds it; and
  100 new runs, then the next listing.

``--rla PATH`` times the RLA found at PATH (a checkout of another commit, for a baseline
on the same tree: ``--root`` keeps the tree between runs). Warm figures are the best of 3.
``--keep-index`` times the warm figures over the index a run before left (built if missing),
without the cold one, beside one walk of the tree (a tree of a million runs takes minutes).
``--drop-caches`` (as root) empties the page cache before each walk and before the cold build:
both read the tree from the disk, as the first listing of a database not just written does.

    python bench/query.py [--items 100000] [--per-day 1000] [--root DIR] [--rla PATH] [--keep-index] [--walks 3]
                          [--drop-caches]
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
from typing import Any, Callable, List, Optional, Tuple

ROOT = Path(__file__).resolve().parents[1]
TASK = "bench_task"
WHERE = 'lr >= 1e-3 and seed in [1, 2] and env == "Hopper-v4"'
ENVS = ("Hopper-v4", "Walker2d-v4", "HalfCheetah-v4", "Ant-v4")
LRS = (1e-4, 3e-4, 1e-3, 3e-3)
START = _dt.datetime(2024, 1, 1, 8, 0, 0)
FIRST_PAGE = 100


def build(root: Path, n_items: int, per_day: int = 1000) -> None:
    """Write ``n_items`` finished runs, ``per_day`` per date folder, as exp_manager lays them out
    (the files written directly, without fsync: the build is not what is measured)."""
    from RLA.db.names import format_log_name

    csv_text = "time-step,perf/reward,loss\n" + "".join(f"{t * 1000},{t * 0.5},{1 / (t + 1):.4f}\n" for t in range(10))
    made = set()
    for i in range(n_items):
        params = {"lr": LRS[i % 4], "seed": i % 5, "env": ENVS[(i // 5) % 4], "batch_size": 256,
                  "net": {"layers": 2 + i % 3}}
        when = START + _dt.timedelta(days=i // per_day, seconds=i % per_day * 80)
        date = when.strftime("%Y/%m/%d")
        name = format_log_name(when, "10.0.0.1", [("lr", params["lr"]), ("seed", params["seed"])])
        if date not in made:
            for data_type in ("log", "code", "checkpoint", "results", "archive_tester"):
                os.makedirs(f"{root}/{data_type}/{TASK}/{date}", exist_ok=True)
            made.add(date)
        log = f"{root}/log/{TASK}/{date}/{name}"
        os.mkdir(log)
        _write(f"{log}/params.json", json.dumps(params, indent=2) + "\n")
        _write(f"{log}/run.json", json.dumps({
            "format": "v1", "task": TASK, "index": f"{TASK}/{date}/{name}", "log_name": name, "status": "finished",
            "start_time": when.isoformat(), "end_time": when.isoformat(), "heartbeat": when.isoformat(),
            "last_time_step": 9000, "record_param": ["lr", "seed"], "ip": "10.0.0.1", "host": "bench", "pid": 1},
            indent=2) + "\n")
        _write(f"{log}/progress.csv", csv_text)
        os.mkdir(f"{root}/code/{TASK}/{date}/{name}")
        _write(f"{root}/code/{TASK}/{date}/{name}/main.py", "print('hello')\n")
        os.mkdir(f"{root}/checkpoint/{TASK}/{date}/{name}")
        os.mkdir(f"{root}/results/{TASK}/{date}/{name}")
        _write(f"{root}/archive_tester/{TASK}/{date}/{name}.pkl", "\x80\x04N.")


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def timed(func: Callable[[], Any], repeat: int = 1, before: Callable[[], Any] = lambda: None) -> Tuple[float, float]:
    """The best of ``repeat`` runs: wall seconds, and the CPU seconds of that run (this process and the
    processes it waited for: on a busy machine, what the run itself cost); ``before`` runs, untimed,
    before each."""
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        before()
        cpu = _cpu()
        started = time.perf_counter()
        func()
        best = min(best, (time.perf_counter() - started, _cpu() - cpu))
    return best


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def drop_caches() -> None:
    """Empty the page cache (as root): what follows reads the tree from the disk."""
    os.sync()
    try:
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
    except OSError as exc:
        sys.exit(f"--drop-caches: cannot empty the page cache ({exc.strerror or exc}): run as root, or without it")


def walk(root: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(root))


def rla_process(rla: Path, *args: str) -> Tuple[float, float]:
    """Wall and CPU seconds of one ``rla`` command as a user runs it (stdout to /dev/null)."""
    env = {**os.environ, "PYTHONPATH": str(rla), "COLUMNS": "80"}
    return timed(lambda: subprocess.run([sys.executable, "-m", "RLA.cli", *args], env=env, check=True,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))


def first_page(root: Path, where: Optional[str] = None) -> int:
    """The count and the first runs of a listing (what ``rla ls`` and the web page show first)."""
    from RLA.db import query

    if hasattr(query, "Listing"):
        listing = query.Listing(root, query.ItemFilter(task=TASK, where=where))
        return len(listing.page(0, FIRST_PAGE))
    return len(query.select(root, query.ItemFilter(task=TASK, where=where))[:FIRST_PAGE])  # a release without pages


def new_runs(root: Path, count: int, code: Path, first_seed: int) -> List[Any]:
    """``count`` runs started and ended by exp_manager, as a training script runs them."""
    from RLA.easy_log.tester import exp_manager

    items = []
    for n in range(count):
        exp_manager.configure(TASK, {"LOG_USED": ["csv"], "DL_FRAMEWORK": "none"}, str(root), code_root=str(code))
        exp_manager.set_hyper_param(lr=0.5, seed=first_seed + n, env="Hopper-v4")
        exp_manager.add_record_param(["lr", "seed"])
        items.append(exp_manager.log_files_gen())
        exp_manager.finish()
    return items


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--per-day", type=int, default=1000)
    parser.add_argument("--root", type=Path, help="where to build (or find) the tree; kept (default: a temporary "
                                                   "folder, removed)")
    parser.add_argument("--rla", type=Path, default=ROOT, help="the RLA checkout to time (default: this one)")
    parser.add_argument("--keep-index", action="store_true", help="warm figures only, over the index there")
    parser.add_argument("--walks", type=int, help="walks of the tree timed, the best kept (default 3; 1 with "
                                                   "--keep-index: a million runs take minutes)")
    parser.add_argument("--drop-caches", action="store_true", help="empty the page cache before each walk and the "
                                                                    "cold build (as root)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(args.rla))
    from RLA.db import query
    from RLA.db.layout import INDEX_DIR

    base = args.root or Path(tempfile.mkdtemp(prefix="rla_bench_query_"))
    root = base / f"db_{args.items}_{args.per_day}"
    code = base / "code"
    code.mkdir(parents=True, exist_ok=True)
    try:
        if not root.exists():
            t_build = timed(lambda: build(root, args.items, args.per_day))[0]
            print(f"built {args.items:,} runs ({args.per_day:,} a day) in {t_build:.0f} s")
        time.sleep(2.1)  # mtimes younger than 2 s are not trusted by the index
        if not args.keep_index:
            shutil.rmtree(root / INDEX_DIR, ignore_errors=True)
        files: List[int] = []  # what each walk counted
        empty_cache = drop_caches if args.drop_caches else lambda: None
        t_walk, cpu_walk = timed(lambda: files.append(walk(root)), repeat=args.walks or (1 if args.keep_index else 3),
                                 before=empty_cache)
        print(f"RLA from {args.rla} (git {_commit(args.rla)}); {files[-1]:,} files; wall seconds, then CPU "
              "seconds (this process and its children), each beside the walk's")

        def figure(name: str, seconds: Tuple[float, float], target: str = "") -> None:
            wall, cpu = seconds
            print(f"  {name:<34}{wall:>9.3f} s{wall / t_walk:>7.2f}x  cpu {cpu:>8.3f} s{cpu / cpu_walk:>7.2f}x  "
                  f"{target}", flush=True)

        print(f"  {'os.walk of the tree':<34}{t_walk:>9.3f} s{'':>8}  cpu {cpu_walk:>8.3f} s")
        if args.keep_index:
            first_page(root)
        else:
            figure("cold: index built, first listing", timed(lambda: first_page(root), before=empty_cache),
                   "target <= 1.5x walk")
        filtered = query.select(root, query.ItemFilter(task=TASK, where=WHERE))
        assert len(filtered) == args.items // 20, len(filtered)  # runs a bench added do not match
        figure("warm filtered listing (5% of runs)",
               timed(lambda: query.select(root, query.ItemFilter(task=TASK, where=WHERE)), 3), "target < 0.1 s")
        figure("warm filtered: count + first page", timed(lambda: first_page(root, WHERE), 3), "target < 0.1 s")
        figure("warm first page (100 runs + count)", timed(lambda: first_page(root), 3), "target < 0.1 s")
        figure("rla ls --json, every run (process)", rla_process(args.rla, "ls", "-d", str(root), "-t", TASK,
                                                                  "--json"))
        figure("rla ls -w ... (process, warm)", rla_process(args.rla, "ls", "-d", str(root), "-t", TASK, "-w", WHERE))
        first_seed = int(time.time() * 1000)  # the runs this bench adds (the tree may be kept and timed again)
        (item,) = new_runs(root, 1, code, first_seed)
        pattern = query.ItemFilter(task=TASK, pattern=item.record_date)
        figure("a new run: next listing finding it", timed(lambda: query.select(root, pattern)), "target < 0.1 s")
        assert [r.index for r in query.select(root, pattern)] == [item.index]
        new_runs(root, 100, code, first_seed + 1)
        newest = query.ItemFilter(task=TASK, where=f"seed >= {first_seed}")
        figure("100 new runs: the next listing", timed(lambda: query.select(root, newest)))
        assert len(query.select(root, newest)) == 101
    finally:
        if not args.root:
            shutil.rmtree(base, ignore_errors=True)


def _commit(path: Path) -> str:
    found = subprocess.run(["git", "-C", str(path), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return found.stdout.strip() or "?"


if __name__ == "__main__":
    main()
