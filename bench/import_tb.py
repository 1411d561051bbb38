"""``rla import tensorboard`` of a logdir, against reading the same files with TensorBoard's own EventAccumulator.

Writes N runs (default 100; ``--full``: 1,000) of S scalars each (default 10,000:
10 keys at 1,000 steps, one scalar per event, as torch's SummaryWriter writes them),
then measures, each phase in a fresh interpreter after a warm-up on a small run
(imports, TensorFlow's record reader when it is installed) and with the files in
the page cache:

- baseline: ``EventAccumulator(run).Reload()`` and ``Scalars(tag)`` of every tag, run by run;
- import: ``import_runs("tensorboard", logdir, ...)`` into a fresh database: the same reading,
  plus progress.csv, params.json, run.json and the event files' copies written.

Prints the best time of ``--repeat`` interleaved rounds (default 3; 1 with ``--full``) and the
ratio (target: import <= 1.2x).

    python bench/import_tb.py [--runs 100] [--scalars 10000] [--full] [--repeat N] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KEYS = 10


def write_run(folder: Path, scalars: int, seed: int) -> None:
    """One run's event file, one scalar per event, written with RLA's record framing over tensorboardX's protos."""
    from RLA.easy_log.tb_events import frame, tbx_module

    event_pb2, summary_pb2 = tbx_module("proto.event_pb2"), tbx_module("proto.summary_pb2")
    folder.mkdir(parents=True)
    start = 1.7e9 + seed * 3600
    records = [frame(event_pb2.Event(wall_time=start, file_version="brain.Event:2").SerializeToString())]
    for i in range(scalars):
        step, key = divmod(i, KEYS)
        summary = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=f"charts/metric_{key}",
                                                                       simple_value=(step * 0.01 + key) % 7)])
        event = event_pb2.Event(wall_time=start + i * 0.001, step=step * 128, summary=summary)
        records.append(frame(event.SerializeToString()))
    (folder / f"events.out.tfevents.{int(start)}.bench.{seed}.0").write_bytes(b"".join(records))


def build(logdir: Path, runs: int, scalars: int) -> None:
    for i in range(runs):
        write_run(logdir / f"CartPole-v1__ppo__{i}__{1700000000 + i}", scalars, i)


def warm_files(logdir: Path) -> None:
    for path in logdir.rglob("events.out.tfevents.*"):
        path.read_bytes()


def phase_baseline(logdir: Path) -> float:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    def read(folder: Path) -> int:
        accumulator = EventAccumulator(str(folder), size_guidance={"scalars": 0})
        accumulator.Reload()
        return sum(len(accumulator.Scalars(tag)) for tag in accumulator.Tags()["scalars"])

    read(logdir.parent / "warmup" / "run")
    folders = sorted(p for p in logdir.iterdir() if p.is_dir())
    begin = time.perf_counter()
    total = sum(read(folder) for folder in folders)
    elapsed = time.perf_counter() - begin
    assert total == len(folders) * int(os.environ["BENCH_SCALARS"]), total
    return elapsed


def phase_import(logdir: Path) -> float:
    from RLA.importers import import_runs

    db = logdir.parent / "db"
    import_runs("tensorboard", logdir.parent / "warmup", logdir.parent / "warmup_db", "bench")
    shutil.rmtree(db, ignore_errors=True)
    begin = time.perf_counter()
    report = import_runs("tensorboard", logdir, db, "bench", name_pattern="{env_id}__{exp_name}__{seed}__{time}")
    elapsed = time.perf_counter() - begin
    assert [o.action for o in report.outcomes] == ["new"] * len(report.outcomes), report.outcomes[:3]
    return elapsed


def child(phase: str, logdir: Path) -> float:
    out = subprocess.run([sys.executable, __file__, "--phase", phase, "--logdir", str(logdir)], check=True,
                         capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return float(json.loads(out.stdout.strip().splitlines()[-1])["seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--scalars", type=int, default=10_000, help="scalars per run")
    parser.add_argument("--full", action="store_true", help="1,000 runs (the target's size; about half an hour)")
    parser.add_argument("--repeat", type=int, default=None, help="interleaved rounds (default: 3, 1 with --full)")
    parser.add_argument("--keep", type=Path, default=None, help="build the logdir here and keep it")
    parser.add_argument("--phase", choices=["baseline", "import"], help=argparse.SUPPRESS)
    parser.add_argument("--logdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        seconds = (phase_baseline if args.phase == "baseline" else phase_import)(args.logdir)
        print(json.dumps({"seconds": seconds}))
        return
    runs = 1000 if args.full else args.runs
    repeat = args.repeat or (1 if args.full else 3)
    base = args.keep or Path(tempfile.mkdtemp(prefix="rla_bench_import_"))
    logdir = base / "logdir"
    os.environ["BENCH_SCALARS"] = str(args.scalars)
    try:
        if not logdir.exists():
            begin = time.perf_counter()
            build(logdir, runs, args.scalars)
            write_run(base / "warmup" / "run", 200, 0)
            print(f"wrote {runs} runs x {args.scalars:,} scalars in {time.perf_counter() - begin:.1f} s")
        warm_files(logdir)
        best = {"baseline": float("inf"), "import": float("inf")}
        for _ in range(repeat):
            for phase in best:
                best[phase] = min(best[phase], child(phase, logdir))
        size = sum(p.stat().st_size for p in logdir.rglob("*") if p.is_file())
        print(f"{runs} runs x {args.scalars:,} scalars ({size / 2**20:.0f} MB of event files), best of {repeat}")
        print(f"  EventAccumulator read  {best['baseline']:7.2f} s")
        print(f"  rla import             {best['import']:7.2f} s   {best['import'] / best['baseline']:.2f}x "
              "(target <= 1.2x)")
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
