"""What `rla run -- COMMAND` costs a training command, against the same command run bare, in one run.

1. Wall time of a CPU-bound script (a fixed amount of numpy work, a TensorBoard scalar every
   ~0.1 s of it) under `rla run` / bare (target <= 1.03x), the two run alternately.
2. Capture lag: how long after the script wrote a scalar (its own event file, flushed) the
   value is in the item's progress.csv, read by polling it (target p95 < 2 s).
3. The CPU `rla run` itself uses (its process, not the command's) as a share of one core over
   the run (target < 1%).
4. Where the extra wall time goes: from launch to the script's first line and from its last
   line to the exit, under `rla run` and bare.

    python bench/run_wrapper.py [--seconds 60] [--repeats 2]
"""
import argparse
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CPU_SCRIPT = """
    import time
    started = time.time()
    import json, resource, sys
    import numpy as np
    from torch.utils.tensorboard import SummaryWriter

    work, base = int(sys.argv[1]), float(sys.argv[3])  # TensorBoard keeps float32: seconds since base
    writer = SummaryWriter("runs/cpu")
    matrix = np.random.default_rng(0).random((200, 200))
    start, last = time.perf_counter(), 0.0
    for step in range(work):
        matrix = np.tanh(matrix @ matrix.T / 200.0)
        now = time.perf_counter()
        if now - last >= 0.1:
            last = now
            writer.add_scalar("wall_time_written", time.time() - base, step)
            writer.flush()
    writer.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    json.dump({"cpu": usage.ru_utime + usage.ru_stime, "wall": time.perf_counter() - start,
               "started": started, "ended": time.time()}, open(sys.argv[2], "w"))
"""


#: bytecode caches for the runs (an installed package has its own): without them every start of
#: rla run would compile RLA again (PYTHONDONTWRITEBYTECODE=1 in some environments)
PYCACHE = Path(tempfile.gettempdir()) / "rla-bench-pycache"


def env() -> dict:
    environ = dict(os.environ)
    environ["PYTHONPATH"] = os.pathsep.join([str(REPO), environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    environ.pop("PYTHONDONTWRITEBYTECODE", None)
    environ["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return environ


def calibrate(folder: Path, seconds: float) -> int:
    """The amount of work that takes about ``seconds`` here."""
    probe = 200
    out = folder / "probe.json"
    subprocess.run([sys.executable, "cpu.py", str(probe), str(out), "0"], cwd=folder, env=env(), check=True)
    per_step = json.loads(out.read_text())["wall"] / probe
    return max(probe, int(seconds / per_step))


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bare(folder: Path, work: int) -> dict:
    """Wall time, and the CPU the script's process tree used beyond what it measured itself (its exit,
    processes it started): the part of the wrapped run's CPU that is not rla run's."""
    cpu_before, start, launched = children_cpu(), time.perf_counter(), time.time()
    subprocess.run([sys.executable, "cpu.py", str(work), str(folder / "bare.json"), "0"], cwd=folder, env=env(),
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall, exited = time.perf_counter() - start, time.time()
    own = json.loads((folder / "bare.json").read_text())
    unmeasured = children_cpu() - cpu_before - own["cpu"]
    return {"wall": wall, "unmeasured_cpu": unmeasured, "start": own["started"] - launched,
            "end": exited - own["ended"], "loop": own["wall"]}


def wrapped(folder: Path, work: int, db: Path) -> dict:
    """Wall time, the lags seen by polling progress.csv, and the CPU seconds of rla run and its command."""
    before = set(db.rglob("progress.csv")) if db.exists() else set()
    base = float(int(time.time()))
    start, launched = time.perf_counter(), time.time()
    process = subprocess.Popen([sys.executable, "-m", "RLA.cli", "run", "-d", str(db), "-t", "bench", "--",
                                sys.executable, "cpu.py", str(work), str(folder / "wrapped.json"), str(base)],
                               cwd=folder, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lags, seen, progress = [], 0, None
    while process.poll() is None:
        time.sleep(0.05)
        if progress is None:
            new = set(db.rglob("progress.csv")) - before if db.exists() else set()
            progress = next(iter(new), None)
            continue
        with open(progress, newline="") as f:
            rows = list(csv.DictReader(f))
        now = time.time()
        for row in rows[seen:]:
            if row.get("wall_time_written"):
                lags.append(now - base - float(row["wall_time_written"]))
        seen = len(rows)
    wall, exited = time.perf_counter() - start, time.time()
    own = json.loads((folder / "wrapped.json").read_text())
    return {"wall": wall, "lags": lags, "command_cpu": own["cpu"], "start": own["started"] - launched,
            "end": exited - own["ended"], "loop": own["wall"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the CPU-bound script")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "project"
        folder.mkdir()
        (folder / "cpu.py").write_text(textwrap.dedent(CPU_SCRIPT))
        db = Path(tmp) / "db"
        work = calibrate(folder, args.seconds)
        subprocess.run([sys.executable, "-m", "RLA.cli", "run", "-d", str(db), "-t", "warm", "--", "true"],
                       cwd=folder, env=env(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        bare_times, wrapped_times, lags, wrapper_cpu = [], [], [], []
        starts, ends, loops = ({"bare": [], "rla run": []} for _ in range(3))
        load = os.getloadavg()[0]
        for _ in range(args.repeats):
            plain = bare(folder, work)
            bare_times.append(plain["wall"])
            starts["bare"].append(plain["start"])
            ends["bare"].append(plain["end"])
            loops["bare"].append(plain["loop"])
            cpu_before = children_cpu()
            result = wrapped(folder, work, db)
            spent = children_cpu() - cpu_before  # rla run is reaped: its CPU and its command's
            wrapped_times.append(result["wall"])
            starts["rla run"].append(result["start"])
            ends["rla run"].append(result["end"])
            loops["rla run"].append(result["loop"])
            lags.extend(result["lags"])
            wrapper_cpu.append((spent - result["command_cpu"] - plain["unmeasured_cpu"]) / result["wall"])
    ratio = statistics.median(wrapped_times) / statistics.median(bare_times)
    lags.sort()
    p95 = lags[int(0.95 * (len(lags) - 1))] if lags else float("nan")
    print(f"CPU-bound script, {work} steps, {args.repeats} runs each; load average {load:.2f} at the start, "
          f"{os.getloadavg()[0]:.2f} at the end")
    print(f"  bare       {statistics.median(bare_times):7.2f} s (median)")
    print(f"  rla run    {statistics.median(wrapped_times):7.2f} s (median)   ratio {ratio:.3f}x   target <= 1.03x")
    print(f"capture lag  p50 {lags[len(lags) // 2] if lags else float('nan'):.2f} s   p95 {p95:.2f} s   "
          f"max {lags[-1] if lags else float('nan'):.2f} s over {len(lags)} scalars   target p95 < 2 s")
    print(f"rla run's own CPU  {100 * statistics.median(wrapper_cpu):.2f}% of one core (median)   target < 1%")
    for what, times in (("launch to the script's first line", starts), ("the script's own loop", loops),
                        ("script's last line to exit", ends)):
        print(f"{what}: bare {statistics.median(times['bare']):.2f} s, "
              f"rla run {statistics.median(times['rla run']):.2f} s (medians)")


if __name__ == "__main__":
    main()
