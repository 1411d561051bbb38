"""`rla ui` speed: the first runs table and a grouped curve request, beside plot_func.

Two databases, served by a real uvicorn server in this process:

- ``--items`` (10,000) small runs (built as bench/query.py builds them): the time
  to the first table JSON of a fresh server (target < 1 s), then warm, and a
  filtered listing (``-w 'lr >= 1e-3'``) warm;
- ``--runs`` (1,000) runs x ``--rows`` (10,000) rows x 5 metrics (built as
  bench/plot_load.py builds them): a curve request grouped by a parameter, warm
  (target < 0.5 s), beside ``plot_func`` warm on the same runs (the baseline:
  the page's numbers come from the same code).

    python bench/ui.py [--items 10000] [--runs 1000] [--rows 10000] [--repeat 3] [--keep DIR]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Callable, Optional

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "test"))


def _bench_module(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def best(call: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def get(url: str, body: Optional[dict] = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())


def main() -> None:
    from ui_server import running_ui

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="build (or reuse) the databases here")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="rla_ui_bench_"))
    listing_root, curves_root = base / f"list_{args.items}", base / f"curves_{args.runs}x{args.rows}"
    if not listing_root.exists():
        _bench_module("query").build(listing_root, args.items)
    plot_load = _bench_module("plot_load")
    if not curves_root.exists():
        plot_load.build(curves_root, args.runs, args.rows)

    with running_ui(listing_root) as url:
        first = best(lambda: get(url + "api/runs"), 1)
        warm = best(lambda: get(url + "api/runs"), args.repeat)
        query = urllib.parse.urlencode({"q": "-w 'lr >= 1e-3'"})
        filtered = best(lambda: get(f"{url}api/runs?{query}"), args.repeat)
        count = len(get(url + "api/runs")["runs"])
    print(f"{count} runs: first table JSON {first:.3f} s (target < 1 s), warm {warm:.3f} s, "
          f"filtered (-w 'lr >= 1e-3') warm {filtered:.3f} s")

    from RLA.easy_plot.plot_func import plot_func

    metric = plot_load.METRICS[0]
    request = {"filter": f"-t {plot_load.TASK}", "metrics": [metric], "split_keys": ["group"]}
    with running_ui(curves_root) as url:
        cold = best(lambda: get(url + "api/curves", request), 1)
        warm_curves = best(lambda: get(url + "api/curves", request), args.repeat)
        groups = len(get(url + "api/curves", request)["metrics"][metric])
    plot_warm = best(lambda: plot_func(curves_root, plot_load.TASK, None, ["group"], [metric]), args.repeat)
    print(f"{args.runs} runs x {args.rows} rows, {groups} groups: curve request cold {cold:.3f} s, "
          f"warm {warm_curves:.3f} s (target < 0.5 s); plot_func warm {plot_warm:.3f} s "
          f"(request / plot_func: {warm_curves / plot_warm:.2f}x)")


if __name__ == "__main__":
    main()
