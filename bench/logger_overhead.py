"""Cost of one logged row (10 record_tabular + dump_tabular, csv + tensorboard on).

Baseline, measured in the same run: the same rows written straight to a csv
file plus a tensorboardX SummaryWriter with one add_scalar per key (what most
training scripts do). Target: RLA at most 0.3x the baseline. Also prints the
import time of ``import RLA`` + the exp_manager (target < 0.3 s, no heavy imports).
"""
import csv
import os
import subprocess
import sys
import tempfile
import time

STEPS = 3000
KEYS = [f"metric/{i}" for i in range(10)]


def rla_per_step(folder: str) -> float:
    from RLA import exp_manager, logger

    exp_manager.configure(task_table_name="bench", rla_config={"LOG_USED": ["csv", "tensorboard"]},
                          data_root=folder)
    exp_manager.log_files_gen()
    start = time.perf_counter()
    for step in range(STEPS):
        exp_manager.time_step_holder.set_time(step)
        for i, key in enumerate(KEYS):
            logger.record_tabular(key, step * 0.1 + i)
        logger.dump_tabular()
    elapsed = time.perf_counter() - start
    exp_manager.finish()
    return elapsed / STEPS


def baseline_per_step(folder: str) -> float:
    from tensorboardX import SummaryWriter

    writer = SummaryWriter(os.path.join(folder, "tb"))
    with open(os.path.join(folder, "progress.csv"), "w", newline="") as f:
        rows = csv.writer(f)
        rows.writerow(["time-step", *KEYS])
        start = time.perf_counter()
        for step in range(STEPS):
            values = [step * 0.1 + i for i in range(len(KEYS))]
            rows.writerow([step, *values])
            f.flush()
            for key, value in zip(KEYS, values):
                writer.add_scalar(key, value, step)
        writer.flush()
        elapsed = time.perf_counter() - start
    writer.close()
    return elapsed / STEPS


IMPORT_PROBE = """
import sys, time
start = time.perf_counter()
import RLA
from RLA.easy_log.tester import exp_manager
elapsed = time.perf_counter() - start
heavy = [m for m in ("torch", "tensorflow", "matplotlib", "tensorboard", "tensorboardX", "pandas")
         if m in sys.modules]
print(f"{elapsed:.4f} {','.join(heavy) or '-'}")
"""


def import_time() -> tuple:
    runs = [subprocess.run([sys.executable, "-c", IMPORT_PROBE], capture_output=True, text=True,
                           check=True).stdout.split() for _ in range(5)]
    return min(float(r[0]) for r in runs), runs[0][1]


def main() -> None:
    with tempfile.TemporaryDirectory() as rla_dir, tempfile.TemporaryDirectory() as base_dir:
        baseline_per_step(base_dir)  # warm-up: imports, page cache
        baseline = baseline_per_step(base_dir)
        rla = rla_per_step(rla_dir)
    print(f"logger overhead: {STEPS} rows x {len(KEYS)} keys, csv + tensorboard")
    print(f"  baseline (csv + SummaryWriter.add_scalar per key): {baseline * 1e6:8.1f} us/row")
    print(f"  RLA record_tabular x10 + dump_tabular:            {rla * 1e6:8.1f} us/row")
    print(f"  ratio RLA / baseline: {rla / baseline:.3f}x (target <= 0.3x)")
    seconds, heavy = import_time()
    print(f"import RLA + exp_manager: {seconds:.3f} s (target < 0.3 s); heavy modules imported: {heavy}")


if __name__ == "__main__":
    main()
