"""RLA 0.6's ``RLA.easy_log.tools``: time a span or a call into the next logged row, and the first
delete tool of 0.6 (``log_root/sub_proj`` is the database)."""
from __future__ import annotations

import os
import time
from typing import Any, Callable, Optional, Sequence

from RLA.easy_log import logger
from RLA.easy_log.log_tools import DeleteLogTool as _DeleteItems
from RLA.easy_log.log_tools import Filter
from RLA.easy_log.time_tracker import time_record, time_record_end

__all__ = ["time_record", "time_record_end", "time_used_wrap", "DeleteLogTool"]


def time_used_wrap(name: str, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``func(*args, **kwargs)``, its seconds logged as ``time_used/<name>`` in a row of their own."""
    start = time.perf_counter()
    output = func(*args, **kwargs)
    seconds = time.perf_counter() - start
    logger.info(f"{name} took {seconds:.2f} s")
    logger.record_tabular(f"time_used/{name}", seconds)
    logger.dump_tabular()
    return output


class DeleteLogTool(_DeleteItems):
    """``DeleteLogTool(log_root, sub_proj, task, regex, config).delete_related_log()`` of 0.6's first
    releases: the items of ``task`` matching ``regex`` in the database ``log_root/sub_proj``."""

    def __init__(self, log_root: str, sub_proj: str, task: str, regex: str, config: Any = None,
                 optional_log_type: Optional[Sequence[str]] = None):
        super().__init__(os.path.join(log_root, sub_proj), task, regex, Filter())
