"""RLA 0.6's ``RLA.trackers.memory_used_recorder``, over :mod:`RLA.easy_log.memory_tracker`."""
import inspect
from typing import Any, Dict, Mapping, Optional

from RLA.easy_log.memory_tracker import log_large_variables, log_memory_usage, process_memory_mb

__all__ = ["print_large_memory_variable", "log_large_variables", "log_memory_usage", "process_memory_mb"]

#: 0.6 reported only the variables of a GiB or more
GIB = 1 << 30


def print_large_memory_variable(namespace: Optional[Mapping[str, Any]] = None, min_bytes: int = GIB) -> Dict[str, str]:
    """Log the caller's variables of at least ``min_bytes`` (1 GiB, as in 0.6); returns ``{name: size}``."""
    if namespace is None:
        frame = inspect.currentframe()
        namespace = dict(frame.f_back.f_locals) if frame is not None and frame.f_back is not None else {}
        del frame
    return log_large_variables(namespace, min_bytes=min_bytes)
