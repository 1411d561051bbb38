"""What holds a run's memory: the process's resident size and the largest variables in scope.

``log_memory_usage()`` records ``memory/rss_mb`` (now) and ``memory/peak_rss_mb``
for the next row; ``log_large_variables()`` writes the largest variables of the
caller (numpy arrays, torch tensors, replay buffers, ...) to the log and, with
TensorBoard on, as a text table at the current time-step: what to look at when a
long run creeps towards the memory limit.
"""
from __future__ import annotations

import inspect
import os
import resource
import sys
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

__all__ = ["object_bytes", "human_bytes", "large_variables", "log_large_variables", "process_memory_mb",
           "log_memory_usage"]

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def object_bytes(value: Any) -> int:
    """The bytes ``value`` holds: an array's or tensor's data buffer, else ``sys.getsizeof``."""
    nbytes = getattr(value, "nbytes", None)  # numpy arrays, and torch tensors since 2.1
    if isinstance(nbytes, int):
        return nbytes
    if hasattr(value, "element_size") and hasattr(value, "nelement"):
        return int(value.element_size() * value.nelement())
    return sys.getsizeof(value)


def human_bytes(size: float) -> str:
    """``1536`` -> ``"1.5 KiB"``."""
    for unit in _UNITS[:-1]:
        if abs(size) < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} {_UNITS[-1]}"


def large_variables(namespace: Mapping[str, Any], min_bytes: int = 1 << 20, top: int = 10) -> List[Tuple[str, int]]:
    """The ``top`` variables of ``namespace`` holding at least ``min_bytes``, largest first."""
    sizes = ((name, object_bytes(value)) for name, value in namespace.items() if not name.startswith("__"))
    return sorted((s for s in sizes if s[1] >= min_bytes), key=lambda s: -s[1])[:top]


def log_large_variables(namespace: Optional[Mapping[str, Any]] = None, min_bytes: int = 1 << 20, top: int = 10,
                        tag: str = "large_memory") -> Dict[str, str]:
    """Log the largest variables of ``namespace`` (the caller's locals by default) as
    ``name: size`` lines, and as a TensorBoard text ``tag`` when TensorBoard is on;
    returns ``{name: human size}``."""
    from RLA.easy_log import logger

    if namespace is None:
        frame = inspect.currentframe()
        caller = frame.f_back if frame is not None else None
        namespace = dict(caller.f_locals) if caller is not None else {}
        del frame, caller
    found = {name: human_bytes(size) for name, size in large_variables(namespace, min_bytes, top)}
    for name, size in found.items():
        logger.info(f"{name:>30}: {size:>10}")
    if found and logger.get_current().tensorboard() is not None:
        table = "| variable | size |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in found.items())
        logger.get_tbx_writer().add_text(tag, table, logger.get_time())
    return found


def process_memory_mb() -> Tuple[float, float]:
    """``(resident, peak resident)`` size of this process in MiB."""
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    peak = peak_kib / (1 << 20) if sys.platform == "darwin" else peak_kib / 1024
    try:
        with open("/proc/self/statm") as statm:
            resident = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / (1 << 20)
    except OSError:  # no procfs (macOS): psutil when installed, else the peak
        try:
            import psutil

            resident = psutil.Process().memory_info().rss / (1 << 20)
        except ImportError:
            resident = peak
    return resident, peak


def log_memory_usage(prefix: str = "memory/", exclude: Sequence[str] = ()) -> Dict[str, float]:
    """Record ``<prefix>rss_mb`` and ``<prefix>peak_rss_mb`` for the next row; returns them."""
    from RLA.easy_log import logger

    resident, peak = process_memory_mb()
    values = {f"{prefix}rss_mb": resident, f"{prefix}peak_rss_mb": peak}
    for key, value in values.items():
        logger.record_tabular(key, value, exclude=tuple(exclude))
    return values
