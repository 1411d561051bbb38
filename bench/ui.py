"""`rla ui` over a large database: the runs table's pages and grouped curves, beside an os.walk.

Two databases, served by a real uvicorn server in this process:

- ``--items`` (100,000) runs built as bench/query.py builds them: the first page of the runs
  table from a fresh server (the index already built: targets < 0.3 s), a scroll (a page from
  the middle of the same listing: < 0.1 s), the first page of a filtered listing
  (``-w 'lr >= 1e-3 and seed in [1, 2] and env == "Hopper-v4"'``) and of a listing sorted by a
  parameter; each beside an ``os.walk`` of the same tree measured in the same run;
- ``--curve-runs`` (10,000) runs x ``--rows`` (1,000) rows x 5 metrics (built as
  bench/plot_load.py builds them): a curve request grouped by a parameter, cold then warm
  (target < 2 s warm); ``--curve-runs 0``: none.

The RLA timed is the checkout the script is in: a copy of this script in a checkout of another
commit, run with the same ``--root``, times that commit on the same trees (a release whose runs
table sends every run at once, without pages, is timed on the one request it makes).

    python bench/ui.py [--items 100000] [--curve-runs 10000] [--rows 1000] [--root DIR] [--walks 3]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Optional

ROOT = Path(__file__).resolve().parents[1]
WHERE = 'lr >= 1e-3 and seed in [1, 2] and env == "Hopper-v4"'


def _bench_module(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def get(url: str, body: Optional[dict] = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=3600) as response:
        return json.loads(response.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--per-day", type=int, default=1000)
    parser.add_argument("--curve-runs", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--walks", type=int, default=3, help="walks of the tree timed, the best kept (a million "
                                                              "runs' tree takes minutes to walk)")
    parser.add_argument("--root", type=Path, default=None, help="build (or reuse) the databases here; kept")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(1, str(ROOT / "test"))
    import conftest  # noqa: F401  (first: it imports ui_server's fixtures once it is whole)
    from ui_server import running_ui

    from RLA.db import query

    base = args.root or Path(tempfile.mkdtemp(prefix="rla_ui_bench_"))
    listing_root = base / f"db_{args.items}_{args.per_day}"
    curves_root = base / f"curves_{args.curve_runs}x{args.rows}"
    bench_query, plot_load = _bench_module("query"), _bench_module("plot_load")
    try:
        if not listing_root.exists():
            bench_query.build(listing_root, args.items, args.per_day)
        if args.curve_runs and not curves_root.exists():
            plot_load.build(curves_root, args.curve_runs, args.rows)
        query.select(listing_root, query.ItemFilter(where=WHERE))  # the index built (and warm) before the server
        best = bench_query.timed  # (wall, CPU) seconds of the best of n runs
        t_walk, cpu_walk = best(lambda: bench_query.walk(listing_root), args.walks)
        print(f"RLA from {ROOT}; {args.items:,} runs; os.walk of the tree {t_walk:.3f} s (cpu {cpu_walk:.3f} s); "
              "wall seconds, then CPU seconds (the server is in this process), each beside the walk's")

        def figure(name: str, seconds: Any, target: str = "") -> None:
            wall, cpu = seconds
            print(f"  {name:<40}{wall:>9.3f} s{wall / t_walk:>7.2f}x  cpu {cpu:>8.3f} s{cpu / cpu_walk:>7.2f}x  "
                  f"{target}", flush=True)

        with running_ui(listing_root) as url:
            first = get(url + "api/runs")
            paged = "total" in first
            figure("runs table: first page (fresh server)", best(lambda: get(url + "api/runs"), 1), "target < 0.3 s")
            if paged:
                total, snapshot = first["total"], first["snapshot"]
                middle = urllib.parse.urlencode({"snapshot": snapshot, "offset": total // 2, "limit": 100})
                figure("runs table: a scroll (page of the middle)", best(lambda: get(f"{url}api/runs?{middle}"),
                                                                         args.repeat), "target < 0.1 s")
            else:
                print(f"  {'runs table: a scroll':<40}      n/a   (every run came with the first request: "
                      f"{len(first['runs']):,})")
            filtered = urllib.parse.urlencode({"q": f"-w '{WHERE}'"})
            figure("runs table: filtered first page", best(lambda: get(f"{url}api/runs?{filtered}"), args.repeat),
                   "target < 0.3 s")
            if paged:
                by_lr = urllib.parse.urlencode({"sort": "params.lr", "desc": "1", "cols": "params.lr"})
                figure("runs table: sorted by lr, first page", best(lambda: get(f"{url}api/runs?{by_lr}"),
                                                                    args.repeat))
        if not args.curve_runs:
            return
        metric = plot_load.METRICS[0]
        request = {"filter": f"-t {plot_load.TASK}", "metrics": [metric], "split_keys": ["group"], "band": "std"}
        with running_ui(curves_root) as url:
            cold = best(lambda: get(url + "api/curves", request), 1)
            warm = best(lambda: get(url + "api/curves", request), args.repeat)
            groups = len(get(url + "api/curves", request)["metrics"][metric])
        print(f"  curves over {args.curve_runs:,} runs x {args.rows:,} rows, {groups} groups: cold {cold[0]:.3f} s "
              f"(cpu {cold[1]:.3f} s), warm {warm[0]:.3f} s (cpu {warm[1]:.3f} s; target < 2 s)")
    finally:
        if not args.root:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
