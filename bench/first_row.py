"""What a run pays before its first row: a fresh interpreter from start to its first ``dump_tabular``,
with TensorBoard on (``LOG_USED: [csv, tensorboard]``) against csv only (the baseline, same run).

Each probe is a new process that imports RLA, configures, claims its item (``log_files_gen``: the code
snapshot, the git state, params.json, run.json, the TensorBoard HParams) and dumps one row; it prints the
seconds since its interpreter started (``time.time`` against the process's start time), its CPU time
(user + system, with the git processes it waited for: what a busy machine does not change much) and its
peak RSS. The code is a plain folder (as the targets were set) and, once more, a git repository with an
uncommitted change (the usual case: its commit and diff are recorded). Interpreters keep their bytecode
(as an installed package does). The events written are read back with TensorBoard's own reader.
Targets with TensorBoard on: <= 0.35 s and <= 60 MB peak RSS, with no torch or TensorFlow imported.
``--rla PATH`` runs the same probes with the RLA of another checkout, in the same rounds.

    python bench/first_row.py [--repeat 5] [--rla PATH]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List, Tuple

ROOT = Path(__file__).resolve().parents[1]
#: bytecode caches of the probes (some environments set PYTHONDONTWRITEBYTECODE=1, and every start would
#: compile RLA again, which an installed package never does)
PYCACHE = Path(tempfile.gettempdir()) / "rla-bench-pycache"

PROBE = """
import os, resource, sys, time
started = time.time()
with open(f"/proc/{os.getpid()}/stat") as f:  # the process's start, in clock ticks after boot
    ticks = int(f.read().rsplit(")", 1)[1].split()[19])
with open("/proc/uptime") as f:
    uptime = float(f.read().split()[0])
process_start = started - (uptime - ticks / os.sysconf("SC_CLK_TCK"))
from RLA import exp_manager, logger
exp_manager.set_hyper_param(lr=0.01, seed=1)
exp_manager.add_record_param(["lr", "seed"])
exp_manager.configure(task_table_name="first_row", rla_config={"LOG_USED": sys.argv[2].split(",")},
                      data_root=sys.argv[1], code_root=sys.argv[3])
exp_manager.log_files_gen()
exp_manager.time_step_holder.set_time(0)
logger.record_tabular("reward", 1.0)
logger.dump_tabular()
elapsed = time.time() - process_start
cpu = sum(getattr(resource.getrusage(who), field) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
          for field in ("ru_utime", "ru_stime"))
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
heavy = [m for m in ("torch", "tensorflow", "tensorboard", "matplotlib", "pandas") if m in sys.modules]
print(elapsed, cpu, peak_mb, ",".join(heavy) or "-", exp_manager.log_dir)
exp_manager.finish()
"""

#: what is timed: (LOG_USED, the code folder)
CASES = (("csv", "plain"), ("csv,tensorboard", "plain"), ("csv,tensorboard", "git"))


def probe(rla: Path, outputs: str, data_root: str, code_root: str) -> Tuple[float, float, float, str, str]:
    env = {**os.environ, "PYTHONPATH": str(rla), "PYTHONPYCACHEPREFIX": str(PYCACHE)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    done = subprocess.run([sys.executable, "-c", PROBE, data_root, outputs, code_root], capture_output=True,
                          text=True, env=env, check=True, cwd=data_root)
    seconds, cpu, peak_mb, heavy, log_dir = done.stdout.split()
    return float(seconds), float(cpu), float(peak_mb), heavy, log_dir


def read_back(log_dir: str) -> list:
    """The rewards of the run's events, read by TensorBoard's EventAccumulator."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(os.path.join(log_dir, "tb"))
    events.Reload()
    return [(s.step, s.value) for s in events.Scalars("reward")]


def code_folders(folder: Path) -> Dict[str, Path]:
    """A plain folder with a training script, and a git repository with one committed and changed."""
    plain, repository = folder / "code", folder / "repository"
    for code in (plain, repository):
        code.mkdir()
        (code / "train.py").write_text("print('a training script')\n")
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "first"]):
        subprocess.run([*git, *args], cwd=repository, check=True, capture_output=True)
    (repository / "train.py").write_text("print('a changed training script')\n")
    return {"plain": plain, "git": repository}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rla", type=Path, default=None, help="also time the RLA of this checkout")
    args = parser.parse_args()
    checkouts = {"": ROOT, " [--rla]": args.rla.resolve()} if args.rla else {"": ROOT}
    results: Dict[Tuple[str, str, str], List[Tuple[float, float, float, str, str]]] = {}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        code = code_folders(Path(folder))
        db = Path(folder) / "db"
        db.mkdir()
        for rla in checkouts.values():  # warm-up: the page cache and the bytecode caches
            for outputs, where in CASES:
                probe(rla, outputs, str(db), str(code[where]))
        for _ in range(args.repeat):  # interleaved, so that a busy moment costs every probe alike
            for suffix, rla in checkouts.items():
                for outputs, where in CASES:
                    results.setdefault((outputs, where, suffix), []).append(probe(rla, outputs, str(db),
                                                                                  str(code[where])))
        for (outputs, _, _), runs in results.items():
            if "tensorboard" in outputs:
                assert read_back(runs[-1][4]) == [(0, 1.0)], "TensorBoard cannot read the events"
    print(f"start of the interpreter to the first row written, median of {args.repeat} fresh processes; "
          f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, {os.cpu_count()} cpus")
    summary = {}
    for (outputs, where, suffix), runs in results.items():
        seconds, cpu, peak = (statistics.median(r[i] for r in runs) for i in range(3))
        summary[outputs, where, suffix] = (seconds, cpu, peak)
        label = f"{outputs}, {'a git repository' if where == 'git' else 'a plain folder'}{suffix}"
        print(f"  {label:44s} {seconds:6.3f} s  CPU {cpu:6.3f} s  peak RSS {peak:5.1f} MB  heavy: {runs[0][3]}")
    for suffix in checkouts:
        (base_s, base_cpu, base_mb), (tb_s, tb_cpu, tb_mb) = (summary["csv", "plain", suffix],
                                                              summary["csv,tensorboard", "plain", suffix])
        print(f"  TensorBoard on / csv only{suffix}: {tb_s / base_s:.2f}x time, {tb_cpu / base_cpu:.2f}x CPU, "
              f"{tb_mb / base_mb:.2f}x memory (targets with TensorBoard: <= 0.35 s, <= 60 MB)")
    base_s, base_cpu, base_mb = summary["csv", "plain", ""]
    tb_s, tb_cpu, tb_mb = summary["csv,tensorboard", "plain", ""]
    print(json.dumps({"csv_s": base_s, "csv_cpu": base_cpu, "csv_mb": base_mb, "tensorboard_s": tb_s,
                      "tensorboard_cpu": tb_cpu, "tensorboard_mb": tb_mb}))


if __name__ == "__main__":
    main()
