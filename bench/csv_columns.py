"""Cost of a dump that brings a new key, at 3,000 rows x 3,000 columns.

Each dump logs ``reward``, ``loss`` and one key never seen before. Before (the
same writer told to fold at every new key: ``late_share=0``, which is how every
release before this one wrote progress.csv): each new key rewrites the whole file. After
(the defaults): the new keys' values go to progress.late.jsonl until they reach a
share of the file. Both are timed on the same rows in the same run: the last
``--last`` dumps of a 3,000-dump run (the "before" file is written up to there in
one go, its rewrites would take minutes), and for "after" every dump of the run
from the first. Also: reading one late column and the column names back
(``read_columns``, ``progress_columns``), before and after.
"""
import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Tuple

from RLA.db.late_columns import progress_columns
from RLA.easy_log.csv_format import CSVOutputFormat
from RLA.easy_plot.loader import read_columns


def row(step: int) -> Dict[str, object]:
    return {"time-step": step, "reward": step * 0.5, "loss": 1.0 / (step + 1), f"metric_{step}": float(step)}


def write_upto(path: Path, dumps: int) -> None:
    """The progress.csv a run of ``dumps`` dumps leaves once every key is a column (one write)."""
    keys = ["time-step", "reward", "loss", *(f"metric_{s}" for s in range(dumps))]
    with open(path, "w", newline="") as f:
        f.write(",".join(keys) + "\n")
        for step in range(dumps):
            cells = [str(step), repr(step * 0.5), repr(1.0 / (step + 1))] + [""] * dumps
            cells[3 + step] = repr(float(step))
            f.write(",".join(cells) + "\n")


def time_dumps(writer: CSVOutputFormat, steps: range) -> Tuple[List[float], int]:
    """The seconds of each dump, and how many of them rewrote progress.csv (its header grew)."""
    costs, rewrites = [], 0
    for step in steps:
        columns = len(writer.keys)
        start = time.perf_counter()
        writer.write(row(step), step)
        costs.append(time.perf_counter() - start)
        rewrites += len(writer.keys) != columns
    return costs, rewrites


def time_reads(path: Path, column: str) -> Dict[str, float]:
    start = time.perf_counter()
    values = read_columns(path, ["time-step", column])
    read = time.perf_counter() - start
    start = time.perf_counter()
    names = progress_columns(path)
    listed = time.perf_counter() - start
    assert len(values[column]) == len(values["time-step"]) and column in names
    return {"read 2 columns": read, "column names": listed}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dumps", type=int, default=3000)
    parser.add_argument("--last", type=int, default=20, help="dumps timed at the end of the run")
    args = parser.parse_args()
    total, last = args.dumps, args.last
    with tempfile.TemporaryDirectory() as folder:
        before_path, after_path = Path(folder, "before", "progress.csv"), Path(folder, "after", "progress.csv")
        before_path.parent.mkdir()
        after_path.parent.mkdir()

        write_upto(before_path, total - last)
        before = CSVOutputFormat(before_path, late_share=0)
        before_costs, _ = time_dumps(before, range(total - last, total))
        before.close()

        after = CSVOutputFormat(after_path)
        start = time.perf_counter()
        after_costs, rewrites = time_dumps(after, range(total))
        after_total = time.perf_counter() - start
        after.close()

        column = f"metric_{total - 1}"
        reads_before, reads_after = time_reads(before_path, column), time_reads(after_path, column)
        late = after_path.with_name("progress.late.jsonl")
        sizes = [os.path.getsize(p) / 1e6 if p.exists() else 0.0 for p in (before_path, after_path, late)]

    tail = after_costs[-last:]
    print(f"a new key at every dump, {total:,} rows x {total:,} columns (load average "
          f"{os.getloadavg()[0]:.2f})")
    print(f"  before (a rewrite per new key), last {last} dumps: mean {ms(statistics.mean(before_costs))}, "
          f"max {ms(max(before_costs))}")
    print(f"  after, the same {last} dumps:                     mean {ms(statistics.mean(tail))}, "
          f"max {ms(max(tail))}  ({statistics.mean(before_costs) / statistics.mean(tail):.0f}x less)")
    print(f"  after, all {total:,} dumps: mean {ms(after_total / total)}, median {ms(statistics.median(after_costs))}, "
          f"p99 {ms(sorted(after_costs)[int(total * 0.99)])}, max {ms(max(after_costs))}, "
          f"total {after_total:.2f} s; {rewrites} dumps rewrote progress.csv")
    print(f"  files: before progress.csv {sizes[0]:.1f} MB; after progress.csv {sizes[1]:.2f} MB + "
          f"progress.late.jsonl {sizes[2]:.2f} MB")
    for what in reads_before:
        print(f"  {what}: before {ms(reads_before[what])}, after {ms(reads_after[what])}")


if __name__ == "__main__":
    main()
