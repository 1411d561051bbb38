"""Key-value logger, API-compatible with the OpenAI-baselines logger.

One :class:`Logger` holds the state; the module-level functions
(``record_tabular``, ``dump_tabular``, ``log``, ...) forward to
``Logger.CURRENT``, which the experiment manager replaces when a run starts.
Each output format is one :class:`KVWriter` of :mod:`RLA.easy_log.output_formats`
(re-exported here); :func:`make_output_format` maps a ``LOG_USED`` word to a writer.
"""
from __future__ import annotations

import contextlib
import csv
import functools
import json
import math
import os
import sys
import time
from collections import defaultdict, deque
from pathlib import Path
from typing import Any, Callable, Deque, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from RLA.db.atomic import atomic_writer
from RLA.db.late_columns import late_rows
from RLA.db.layout import TIME_STEP_COLUMN, WALL_TIME_COLUMN, LogFolder
from RLA.easy_log.append_file import AppendFile
from RLA.easy_log.log_readers import read_csv, read_json, read_tb  # noqa: F401  (0.6's logger had them)
from RLA.easy_log.output_formats import (
    CSVOutputFormat,
    HumanOutputFormat,
    JSONOutputFormat,
    KVWriter,
    SeqWriter,
    TensorBoardOutputFormat,
    make_output_format,
)
from RLA.easy_log.rank_mean import mean_over_ranks, mpi_weighted_mean, require_mpi4py
from RLA.easy_log.row_values import cell_value, checked_key, number
from RLA.easy_log.time_step import TimeStepHolder, time_step_holder
from RLA.easy_log.time_tracker import record_into, time_tracker
from RLA.errors import UsageError

__all__ = [
    "DEBUG", "INFO", "WARN", "ERROR", "DISABLED", "TIME_STEP_KEY",
    "KVWriter", "HumanOutputFormat", "CSVOutputFormat", "JSONOutputFormat", "TensorBoardOutputFormat",
    "make_output_format", "Logger", "configure", "reset", "get_current", "truncate_progress",
    "record_tabular", "logkv", "logkv_mean", "logkvs", "ma_record_tabular", "dump_tabular", "dumpkvs",
    "getkvs", "log", "debug", "info", "warn", "error", "backup", "set_level", "get_level", "get_dir",
    "set_time", "get_time", "timestep", "log_key_value", "open_time_tracker", "log_time_tracker",
    "scoped_configure", "profile", "read_csv", "read_json", "read_tb",
    "get_tbx_writer", "log_from_tf_summary", "set_comm", "mpi_weighted_mean",
]

DEBUG = 10
INFO = 20
WARN = 30
ERROR = 40
DISABLED = 50

#: the first column of every row (kept under its historic name)
TIME_STEP_KEY = TIME_STEP_COLUMN
Exclude = Union[None, str, Sequence[str]]


class Logger:
    """The state of one run's logging: pending row, writers, level and files."""

    CURRENT: "Logger"

    def __init__(self, folder: Optional[str], output_formats: List[KVWriter],
                 step_holder: TimeStepHolder = time_step_holder):
        self.dir = folder
        self.output_formats = output_formats
        self.step_holder = step_holder
        self.name2val: Dict[str, Any] = {}
        self.name2cnt: Dict[str, int] = defaultdict(int)
        self.name2excluded: Dict[str, Tuple[str, ...]] = {}
        self.ma_buffers: Dict[str, Deque[float]] = {}
        self.level = INFO
        self.last_dumped_step: Optional[int] = None
        #: the row written by the last dump (what a checkpoint's metric is read from)
        self.last_row: Dict[str, Any] = {}
        #: the files of ``folder`` (warn.txt, backup.txt); None for a stdout-only logger
        self.log_folder = LogFolder(Path(folder)) if folder is not None else None
        self._side_files: Dict[Path, AppendFile] = {}
        #: called with the step after every dump (the experiment manager's heartbeat)
        self.after_dump: Optional[Callable[[int], None]] = None
        self._tbx_writer: Any = None
        #: an mpi4py communicator whose ranks' rows are averaged at each dump (:meth:`set_comm`)
        self.comm: Any = None

    # -- key-values -------------------------------------------------------
    def _due(self, freq: Optional[int]) -> bool:
        return freq is None or freq <= 0 or self.step_holder.get_time() % freq == 0

    def logkv(self, key: str, val: Any, exclude: Exclude = None, freq: Optional[int] = None) -> None:
        if not self._due(freq):
            return
        self.name2val[checked_key(key)] = cell_value(key, val)
        if exclude:
            self.name2excluded[key] = (exclude,) if isinstance(exclude, str) else tuple(exclude)

    def logkv_mean(self, key: str, val: Any, exclude: Exclude = None) -> None:
        val = number(checked_key(key), val, "logkv_mean")
        old_val, count = self.name2val.get(key, 0.0), self.name2cnt[key]
        self.name2val[key] = old_val * count / (count + 1) + val / (count + 1)
        self.name2cnt[key] = count + 1
        if exclude:
            self.name2excluded[key] = (exclude,) if isinstance(exclude, str) else tuple(exclude)

    def ma_record(self, key: str, val: Any, record_len: int, ignore_nan: bool = False,
                  exclude: Exclude = None, freq: Optional[int] = None) -> None:
        """Record the moving average of the last ``record_len`` values of ``key``."""
        val = number(checked_key(key), val, "ma_record_tabular")
        buffer = self.ma_buffers.get(key)
        if buffer is None or buffer.maxlen != record_len:
            buffer = self.ma_buffers[key] = deque(buffer or (), maxlen=record_len)
        if not (ignore_nan and isinstance(val, float) and math.isnan(val)):
            buffer.append(val)
        if len(buffer) == record_len:
            self.logkv(key, sum(buffer) / record_len, exclude, freq)

    def set_comm(self, comm: Any) -> None:
        """Average each dumped row over the ranks of ``comm`` (an mpi4py communicator; None: stop):
        every rank dumps together, rank 0 writes the means and the other ranks write nothing."""
        if comm is not None:
            require_mpi4py()
        self.comm = comm

    def dumpkvs(self) -> Dict[str, Any]:
        """Write the pending row to every output format and start a new one: its time-step first,
        then its wall-clock time (unix seconds, unless a value was logged under ``wall_time``:
        `rla run` gives the time of the TensorBoard event a row came from)."""
        values: Optional[Dict[str, Any]] = self.name2val
        if self.comm is not None:  # every rank takes part, even one with nothing pending
            values = mean_over_ranks(self.comm, self.name2val, self.name2cnt)
            if values is None:  # not rank 0: rank 0 writes the row
                self._start_row()
                return {}
        if not values:
            return {}
        step = self.step_holder.get_time()
        row: Dict[str, Any] = {TIME_STEP_KEY: step, WALL_TIME_COLUMN: round(time.time(), 3)}
        row.update(values)
        excluded = self.name2excluded
        for fmt in self.output_formats:
            if excluded:
                out = {k: v for k, v in row.items() if fmt.name not in excluded.get(k, ())}
            else:
                out = row
            fmt.write(out, step)
        self.last_dumped_step = step
        self.last_row = row
        self._start_row()
        if self.after_dump is not None:
            self.after_dump(step)
        return row

    def _start_row(self) -> None:
        self.name2val = {}
        self.name2cnt.clear()
        self.name2excluded = {}

    def pending_state(self) -> Dict[str, Any]:
        """What a checkpoint keeps of the logger: the row in progress and the moving averages."""
        return {"name2val": dict(self.name2val), "name2cnt": dict(self.name2cnt),
                "name2excluded": dict(self.name2excluded),
                "ma_buffers": {k: (list(v), v.maxlen) for k, v in self.ma_buffers.items()},
                "last_dumped_step": self.last_dumped_step}

    def restore_pending_state(self, state: Dict[str, Any]) -> None:
        """Go back to a :meth:`pending_state`, as if the rows after it were never logged."""
        self.name2val = dict(state["name2val"])
        self.name2cnt = defaultdict(int, state["name2cnt"])
        self.name2excluded = dict(state["name2excluded"])
        self.ma_buffers = {k: deque(values, maxlen=maxlen) for k, (values, maxlen) in state["ma_buffers"].items()}
        self.last_dumped_step = state["last_dumped_step"]

    # -- messages ---------------------------------------------------------
    def log(self, *args: Any, level: int = INFO) -> None:
        if self.level <= level:
            for fmt in self.output_formats:
                if isinstance(fmt, SeqWriter):
                    fmt.write_seq(args)
            if level >= WARN and self.log_folder is not None:
                self._append_line(self.log_folder.warn_txt, args)

    def backup(self, *args: Any, echo: bool = True) -> None:
        """A line for ``backup.txt`` (the run's record of its arguments), also logged unless not ``echo``."""
        if self.log_folder is not None:
            self._append_line(self.log_folder.backup_txt, args)
        if echo:
            self.log(*args, level=INFO)

    def _append_line(self, path: Path, args: Sequence[Any]) -> None:
        handle = self._side_files.get(path)
        if handle is None:
            handle = self._side_files[path] = AppendFile(path)
        handle.append(" ".join(str(a) for a in args) + "\n")

    def set_level(self, level: int) -> None:
        self.level = level

    def get_dir(self) -> Optional[str]:
        return self.dir

    def tensorboard(self) -> Optional[TensorBoardOutputFormat]:
        for fmt in self.output_formats:
            if isinstance(fmt, TensorBoardOutputFormat):
                return fmt
        return None

    def tbx_writer(self) -> Any:
        """A tensorboardX ``SummaryWriter`` into this run's TensorBoard folder (made once), for what
        rows cannot hold: images, audio, histograms, graphs."""
        board = self.tensorboard()
        if board is None:
            raise UsageError("no TensorBoard output: add 'tensorboard' to LOG_USED in rla_config.yaml")
        if self._tbx_writer is None:
            from tensorboardX import SummaryWriter

            self._tbx_writer = SummaryWriter(board.folder)
        return self._tbx_writer

    def close(self) -> None:
        if self._tbx_writer is not None:
            self._tbx_writer.close()
            self._tbx_writer = None
        for fmt in self.output_formats:
            fmt.close()
        for handle in self._side_files.values():
            handle.close()
        self._side_files.clear()


def truncate_progress(log_dir: str, last_kept_step: Optional[int]) -> None:
    """Drop the rows of ``progress.csv`` and ``progress.json`` logged after ``last_kept_step``
    (every row when it is ``None``), and a row torn by a kill; the late columns of progress.csv
    are folded into it. Call it while no writer has the files open."""

    def keep(step: Any) -> bool:
        try:
            return last_kept_step is not None and float(step) <= last_kept_step
        except (TypeError, ValueError):
            return False

    folder = LogFolder(Path(log_dir))
    if folder.progress_csv.exists():
        with open(folder.progress_csv, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        if rows:
            header = rows[0]
            column = header.index(TIME_STEP_KEY) if TIME_STEP_KEY in header else 0
            late_keys, late = late_rows(folder.progress_csv, header)
            kept_rows = [i for i, r in enumerate(rows[1:]) if len(r) == len(header) and keep(r[column])]
            late_keys = [k for k in late_keys if any(k in late.get(i, ()) for i in kept_rows)]  # none: gone
            kept = [rows[i + 1] + [late.get(i, {}).get(k, "") for k in late_keys] for i in kept_rows]
            with atomic_writer(folder.progress_csv, durable=True, newline="") as out:
                csv.writer(out).writerows([header + late_keys] + kept)
        folder.progress_late.unlink(missing_ok=True)  # folded above (or left by a file gone since)
    if folder.progress_json.exists():
        with open(folder.progress_json, encoding="utf-8") as f:
            kept_lines = [line for line in f if keep(_json_row(line).get(TIME_STEP_KEY))]
        with atomic_writer(folder.progress_json, durable=True) as out:
            out.writelines(kept_lines)


def _json_row(line: str) -> Dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError:
        return {}
    return row if isinstance(row, dict) else {}


def _default_logger() -> Logger:
    return Logger(None, [HumanOutputFormat(sys.stdout, name="stdout")])


Logger.CURRENT = _default_logger()


def configure(dir: Optional[str] = None, format_strs: Optional[Sequence[str]] = None,
              step_holder: TimeStepHolder = time_step_holder, comm: Any = None) -> Logger:
    """Replace the current logger by one writing ``format_strs`` under ``dir``; it averages its rows
    over the ranks of ``comm``, else of the communicator the current logger had (see :func:`set_comm`)."""
    new = _new_logger(dir, format_strs, step_holder, comm if comm is not None else Logger.CURRENT.comm)
    Logger.CURRENT.close()
    Logger.CURRENT = new
    return new


def _new_logger(dir: Optional[str], format_strs: Optional[Sequence[str]], step_holder: TimeStepHolder,
                comm: Any = None) -> Logger:
    if comm is not None:
        require_mpi4py()  # before any file is opened
    formats = list(format_strs if format_strs is not None else ("stdout",))
    if dir is not None:
        os.makedirs(dir, exist_ok=True)
    elif any(f != "stdout" for f in formats):
        raise UsageError("the logger needs a folder for formats other than stdout: configure(dir=...)")
    new = Logger(dir, [make_output_format(f, dir or "") for f in dict.fromkeys(formats)], step_holder)
    new.comm = comm
    return new


def reset() -> None:
    """Close the current logger's files and go back to stdout only."""
    Logger.CURRENT.close()
    Logger.CURRENT = _default_logger()


def get_current() -> Logger:
    return Logger.CURRENT


# -- the module-level API: thin forwards to Logger.CURRENT -------------------
def logkv(key: str, val: Any, exclude: Exclude = None, freq: Optional[int] = None) -> None:
    """Record ``val`` under ``key`` for the pending row (the last value wins)."""
    Logger.CURRENT.logkv(key, val, exclude, freq)


record_tabular = logkv
record_into(logkv)  # the time trackers record their statistics and spans here


def logkv_mean(key: str, val: Any, exclude: Exclude = None) -> None:
    """Record the mean of every value given for ``key`` before the next dump."""
    Logger.CURRENT.logkv_mean(key, val, exclude)


def logkvs(d: Dict[str, Any], prefix: str = "", exclude: Exclude = None) -> None:
    """Record every item of ``d``, keys prefixed by ``prefix``."""
    for key, value in d.items():
        Logger.CURRENT.logkv(prefix + key, value, exclude)


def ma_record_tabular(key: str, val: Any, record_len: int, ignore_nan: bool = False,
                      exclude: Exclude = None, freq: Optional[int] = None) -> None:
    """Record the moving average of the last ``record_len`` values of ``key``."""
    Logger.CURRENT.ma_record(key, val, record_len, ignore_nan, exclude, freq)


def dumpkvs() -> Dict[str, Any]:
    """Write the pending row (with its ``time-step``) to every output format."""
    return Logger.CURRENT.dumpkvs()


dump_tabular = dumpkvs


def getkvs() -> Dict[str, Any]:
    return Logger.CURRENT.name2val


def log(*args: Any, level: int = INFO) -> None:
    Logger.CURRENT.log(*args, level=level)


def debug(*args: Any) -> None:
    log(*args, level=DEBUG)


def info(*args: Any) -> None:
    log(*args, level=INFO)


def warn(*args: Any) -> None:
    log(*args, level=WARN)


def error(*args: Any) -> None:
    log(*args, level=ERROR)


def backup(*args: Any) -> None:
    Logger.CURRENT.backup(*args)


def set_level(level: int) -> None:
    Logger.CURRENT.set_level(level)


def get_level() -> int:
    return Logger.CURRENT.level


def get_dir() -> Optional[str]:
    return Logger.CURRENT.get_dir()


def set_time(ts: int) -> None:
    """Set the time-step the next rows are logged at (the run's ``time_step_holder``)."""
    Logger.CURRENT.step_holder.set_time(ts)


def get_time() -> int:
    """The time-step the next row is logged at."""
    return Logger.CURRENT.step_holder.get_time()


timestep = get_time


@contextlib.contextmanager
def scoped_configure(dir: Optional[str] = None, format_strs: Optional[Sequence[str]] = None,
                     comm: Any = None) -> Iterator[Logger]:
    """A logger writing ``format_strs`` under ``dir`` for the block, averaging its rows over the ranks
    of ``comm`` if given; the previous one comes back after."""
    previous = Logger.CURRENT  # kept open for after the block
    Logger.CURRENT = _new_logger(dir, format_strs, previous.step_holder, comm)
    try:
        yield Logger.CURRENT
    finally:
        Logger.CURRENT.close()
        Logger.CURRENT = previous


def profile(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``@logger.profile("update")``: the mean seconds per call as ``wait_update`` in the next row."""
    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                Logger.CURRENT.logkv_mean(f"wait_{name}", time.perf_counter() - start)
        return timed
    return decorator


def set_comm(comm: Any) -> None:
    """Average every dumped row over the MPI ranks of ``comm`` (RLA 0.6's and baselines' ``set_comm``):
    ``logger.set_comm(MPI.COMM_WORLD)``. Each rank logs its own values and every rank dumps at the same
    points; rank 0 writes each key's mean (weighted by the values a ``logkv_mean`` averaged), the other
    ranks write nothing. Needs mpi4py (``pip install 'RLA[mpi]'``); ``None`` stops averaging."""
    Logger.CURRENT.set_comm(comm)


def log_key_value(keys: Sequence[str], values: Sequence[Any], prefix_name: str = "") -> None:
    """Record ``values`` under ``keys`` (each prefixed by ``prefix_name``)."""
    for key, value in zip(keys, values):
        Logger.CURRENT.logkv(prefix_name + key, value)


def open_time_tracker(name: str) -> Any:
    """``with logger.open_time_tracker("rollout"): ...`` counts the calls and time of a snippet."""
    return time_tracker(name)


def log_time_tracker(exclude_lst: Optional[Sequence[str]] = ("csv",)) -> Dict[str, float]:
    """Record the statistics of every time tracker as ``time_used/...`` keys (not in csv by default)."""
    return time_tracker.log(exclude_lst)


def get_tbx_writer() -> Any:
    """A tensorboardX ``SummaryWriter`` writing into the run's TensorBoard folder."""
    return Logger.CURRENT.tbx_writer()


def log_from_tf_summary(summary: Any) -> List[str]:
    """Log a TensorFlow ``Summary`` (serialized bytes or the message): its scalars as keys of the
    pending row, anything else (images, histograms, text) to TensorBoard at the current step.

    Returns the scalar tags recorded.
    """
    from RLA.easy_log.tb_events import tbx_module

    summary_pb2 = tbx_module("proto.summary_pb2")
    message = summary_pb2.Summary()
    message.ParseFromString(summary if isinstance(summary, bytes) else summary.SerializeToString())
    scalars = [v for v in message.value if v.WhichOneof("value") == "simple_value"]
    for value in scalars:
        Logger.CURRENT.logkv(value.tag, value.simple_value)
    others = [v for v in message.value if v.WhichOneof("value") != "simple_value"]
    board = Logger.CURRENT.tensorboard()
    if others and board is not None:
        board.write_summary(summary_pb2.Summary(value=others), get_time())
    return [v.tag for v in scalars]
