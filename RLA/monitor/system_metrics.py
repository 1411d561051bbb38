"""System metrics of a run's whole process tree, sampled in a background thread into the item's
``system.csv``: CPU (% of one core), resident memory, threads, processes, disk reads and writes, the
host's network traffic, and each GPU's utilisation and memory through NVML when there is one.

Read from ``/proc`` on Linux (about a millisecond per sample), with psutil elsewhere when it is
installed. A process that ended between two samples keeps its counted IO; its CPU of that last
interval is not seen.
"""
from __future__ import annotations

import csv
import io
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from RLA.config import SYSTEM_METRICS_SECONDS
from RLA.monitor.process_tree import process_tree

__all__ = ["SystemSampler", "COLUMNS", "DEFAULT_PERIOD_SECONDS", "read_system_metrics"]

#: the default time between two samples
DEFAULT_PERIOD_SECONDS = SYSTEM_METRICS_SECONDS
#: the columns every system.csv has; GPU columns (gpu0_util, gpu0_mem_mb, ...) follow where there are GPUs
COLUMNS = ["wall_time", "elapsed", "cpu_percent", "rss_mb", "threads", "processes", "read_mb", "write_mb",
           "net_recv_mb", "net_sent_mb"]
_MB = 1024.0 * 1024.0
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096

#: pid -> (cpu seconds, rss bytes, threads, read bytes, write bytes)
Usage = Dict[int, Tuple[float, float, int, float, float]]


def _proc_usage(pids: List[int]) -> Usage:
    usage: Usage = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        cpu = (int(fields[11]) + int(fields[12])) / _TICKS
        read = write = 0.0
        try:
            with open(f"/proc/{pid}/io", "rb") as f:
                for line in f:
                    if line.startswith(b"read_bytes:"):
                        read = float(line.split()[1])
                    elif line.startswith(b"write_bytes:"):
                        write = float(line.split()[1])
        except OSError:
            pass  # another user's process: no IO counters
        usage[pid] = (cpu, float(int(fields[21]) * _PAGE), int(fields[17]), read, write)
    return usage


def _psutil_usage(pids: List[int]) -> Usage:
    import psutil

    usage: Usage = {}
    for pid in pids:
        try:
            process = psutil.Process(pid)
            with process.oneshot():
                times = process.cpu_times()
                counters = process.io_counters() if hasattr(process, "io_counters") else None
                usage[pid] = (times.user + times.system, float(process.memory_info().rss), process.num_threads(),
                              float(counters.read_bytes) if counters else 0.0,
                              float(counters.write_bytes) if counters else 0.0)
        except Exception:
            continue
    return usage


def _network_bytes() -> Tuple[float, float]:
    """Bytes received and sent by the host's interfaces but loopback, since boot."""
    received = sent = 0.0
    try:
        with open("/proc/net/dev", encoding="ascii") as f:
            for line in f.readlines()[2:]:
                name, _, counters = line.partition(":")
                if name.strip() == "lo":
                    continue
                values = counters.split()
                received += float(values[0])
                sent += float(values[8])
    except (OSError, IndexError, ValueError):
        pass
    return received, sent


class _Gpus:
    """Utilisation and memory of each GPU, through NVML (the nvidia-ml-py package); none without it."""

    def __init__(self) -> None:
        self.handles: List[Any] = []
        try:
            import pynvml

            pynvml.nvmlInit()
            self.nvml = pynvml
            self.handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
        except Exception:  # no package, no driver, no GPU
            self.handles = []

    def columns(self) -> List[str]:
        return [f"gpu{i}_{what}" for i in range(len(self.handles)) for what in ("util", "mem_mb")]

    def sample(self) -> List[float]:
        values: List[float] = []
        for handle in self.handles:
            try:
                values.append(float(self.nvml.nvmlDeviceGetUtilizationRates(handle).gpu))
                values.append(self.nvml.nvmlDeviceGetMemoryInfo(handle).used / _MB)
            except Exception:
                values.extend([float("nan"), float("nan")])
        return values


class SystemSampler:
    """Samples the process tree of ``root_pid`` every ``period`` seconds into ``path`` (appended)."""

    def __init__(self, path: Path, period: float = DEFAULT_PERIOD_SECONDS, root_pid: Optional[int] = None,
                 warn: Callable[[str], None] = lambda message: None):
        self.path = path
        self.period = period
        self.root_pid = root_pid
        self.warn = warn
        self._usage = _proc_usage if os.path.isdir("/proc/self") else _psutil_usage
        self._gpus = _Gpus()
        self.columns = COLUMNS + self._gpus.columns()
        self._cpu_seen: Dict[int, float] = {}
        self._io_seen: Dict[int, Tuple[float, float]] = {}
        self._network_start = _network_bytes()
        self._start = self._last = time.monotonic()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.samples = 0

    def sample(self) -> Optional[Dict[str, float]]:
        """One row: the tree's CPU since the last sample, its memory and threads now, IO since the start."""
        if self.root_pid is None:
            return None
        try:
            usage = self._usage(sorted(process_tree(self.root_pid)))
        except ImportError:
            return None
        moment = time.monotonic()
        interval, self._last = max(moment - self._last, 1e-9), moment
        cpu = 0.0
        for pid, (seconds, _, _, read, write) in usage.items():
            cpu += seconds - self._cpu_seen.get(pid, 0.0)
            self._cpu_seen[pid] = seconds
            self._io_seen[pid] = (read, write)
        received, sent = _network_bytes()
        row = {"wall_time": round(time.time(), 3), "elapsed": round(moment - self._start, 3),
               "cpu_percent": round(100.0 * cpu / interval, 2),
               "rss_mb": round(sum(u[1] for u in usage.values()) / _MB, 2),
               "threads": sum(u[2] for u in usage.values()), "processes": len(usage),
               "read_mb": round(sum(r for r, _ in self._io_seen.values()) / _MB, 3),
               "write_mb": round(sum(w for _, w in self._io_seen.values()) / _MB, 3),
               "net_recv_mb": round((received - self._network_start[0]) / _MB, 3),
               "net_sent_mb": round((sent - self._network_start[1]) / _MB, 3)}
        row.update(zip(self._gpus.columns(), self._gpus.sample()))
        return row

    def _write(self, row: Dict[str, float]) -> None:
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        line = io.StringIO()
        writer = csv.writer(line)
        if fresh:
            writer.writerow(self.columns)
        writer.writerow([row.get(c, "") for c in self.columns])
        with open(self.path, "a", encoding="utf-8", newline="") as f:
            f.write(line.getvalue())
        self.samples += 1

    def start(self, root_pid: Optional[int] = None) -> None:
        """Start sampling (the tree of ``root_pid``, or the one given when made)."""
        if root_pid is not None:
            self.root_pid = root_pid
        self._cpu_seen = {pid: u[0] for pid, u in self._usage(sorted(process_tree(self.root_pid))).items()} \
            if self.root_pid is not None else {}
        self._start = self._last = time.monotonic()
        self._thread = threading.Thread(target=self._loop, name="rla-system-metrics", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.period):
            try:
                row = self.sample()
                if row is not None:
                    self._write(row)
            except Exception as exc:  # the run goes on without its system metrics
                self.warn(f"RLA: system metrics stopped: {exc!r}")
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None


def read_system_metrics(path: Path, max_points: int = 600) -> Dict[str, List[float]]:
    """The columns of a system.csv, at most ``max_points`` rows of them (evenly spread); {} without one."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
    except OSError:
        return {}
    if len(rows) < 2:
        return {}
    header, body = rows[0], [r for r in rows[1:] if len(r) == len(rows[0]) and r != rows[0]]
    if len(body) > max_points:
        stride = len(body) / max_points
        body = [body[int(i * stride)] for i in range(max_points)]
    columns: Dict[str, List[float]] = {name: [] for name in header}
    for row in body:
        for name, cell in zip(header, row):
            try:
                columns[name].append(float(cell))
            except ValueError:
                columns[name].append(float("nan"))
    return columns
