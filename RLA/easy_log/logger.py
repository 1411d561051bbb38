"""Key-value logger, API-compatible with the OpenAI-baselines logger.

One :class:`Logger` holds the state; the module-level functions
(``record_tabular``, ``dump_tabular``, ``log``, ...) forward to
``Logger.CURRENT``, which the experiment manager replaces when a run starts.
Each output format is one :class:`KVWriter`; :func:`make_output_format` maps a
``LOG_USED`` word to a writer.
"""
from __future__ import annotations

import csv
import json
import math
import os
import socket
import sys
import time
import warnings
from collections import defaultdict, deque
from typing import Any, Callable, Deque, Dict, Iterable, List, Optional, Sequence, TextIO, Tuple, Union

from RLA.db import layout
from RLA.easy_log.time_step import TimeStepHolder, time_step_holder

__all__ = [
    "DEBUG", "INFO", "WARN", "ERROR", "DISABLED", "TIME_STEP_KEY",
    "KVWriter", "HumanOutputFormat", "CSVOutputFormat", "JSONOutputFormat", "TensorBoardOutputFormat",
    "make_output_format", "Logger", "configure", "reset", "get_current", "truncate_progress",
    "record_tabular", "logkv", "logkv_mean", "logkvs", "ma_record_tabular", "dump_tabular", "dumpkvs",
    "getkvs", "log", "debug", "info", "warn", "error", "backup", "set_level", "get_level", "get_dir",
]

DEBUG = 10
INFO = 20
WARN = 30
ERROR = 40
DISABLED = 50

TIME_STEP_KEY = "time-step"
Exclude = Union[None, str, Sequence[str]]


def _to_builtin(value: Any) -> Any:
    """numpy / torch / tensorflow scalars -> python numbers; other values unchanged."""
    if type(value) in (float, int, str, bool):
        return value
    to_numpy = getattr(value, "numpy", None)
    if to_numpy is not None and not hasattr(value, "item"):  # tf.Tensor
        try:
            value = to_numpy()
        except Exception:
            return value
    item = getattr(value, "item", None)  # numpy scalar, 1-element array or torch tensor
    if item is not None:
        try:
            return item()
        except (ValueError, RuntimeError, TypeError):
            return value
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, complex)


class KVWriter:
    """One output format: receives every dumped row."""

    #: the LOG_USED word for this format, used by ``exclude``
    name = ""

    def write(self, key_values: Dict[str, Any], step: int) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class SeqWriter:
    """A format that also receives free-text log messages."""

    def write_seq(self, seq: Iterable[Any]) -> None:
        raise NotImplementedError


class HumanOutputFormat(KVWriter, SeqWriter):
    """A boxed table per row, to stdout (``stdout``) or ``log.txt`` (``log``)."""

    def __init__(self, target: Union[str, TextIO], name: str = "log", max_length: int = 40):
        self.name = name
        self.max_length = max_length
        if isinstance(target, str):
            self.file: TextIO = open(target, "a", encoding="utf-8")
            self.own_file = True
        else:
            self.file = target
            self.own_file = False

    def write(self, key_values: Dict[str, Any], step: int) -> None:
        rows = [(self._truncate(k), self._truncate(self._format(v))) for k, v in key_values.items()]
        if not rows:
            return
        key_width = max(len(k) for k, _ in rows)
        val_width = max(len(v) for _, v in rows)
        dashes = "-" * (key_width + val_width + 7)
        lines = [dashes]
        lines += [f"| {k}{' ' * (key_width - len(k))} | {v}{' ' * (val_width - len(v))} |" for k, v in rows]
        lines.append(dashes)
        self.file.write("\n".join(lines) + "\n")
        self.file.flush()

    @staticmethod
    def _format(value: Any) -> str:
        if isinstance(value, float) and not isinstance(value, bool):
            return f"{value:<8.3g}"
        return str(value)

    def _truncate(self, text: str) -> str:
        return text[: self.max_length - 3] + "..." if len(text) > self.max_length else text

    def write_seq(self, seq: Iterable[Any]) -> None:
        self.file.write(" ".join(str(s) for s in seq) + "\n")
        self.file.flush()

    def close(self) -> None:
        if self.own_file:
            self.file.close()


class CSVOutputFormat(KVWriter):
    """``progress.csv``: one row per dump, ``time-step`` first.

    A key that first appears mid-run adds a column: the file is rewritten once,
    through a temporary file and an atomic rename, so earlier rows are never
    lost (they get empty cells in the new column).
    """

    name = "csv"

    def __init__(self, path: str):
        self.path = path
        self.keys: List[str] = self._read_header(path)
        self._key_set = set(self.keys)
        self.file = open(path, "a", encoding="utf-8", newline="")
        self.writer = csv.writer(self.file)

    @staticmethod
    def _read_header(path: str) -> List[str]:
        try:
            with open(path, encoding="utf-8", newline="") as f:
                return next(csv.reader(f), [])
        except FileNotFoundError:
            return []

    def write(self, key_values: Dict[str, Any], step: int) -> None:
        new_keys = [k for k in key_values if k not in self._key_set]
        if new_keys:
            self._add_columns(new_keys)
        self.writer.writerow([_csv_cell(key_values.get(k)) for k in self.keys])
        self.file.flush()

    def _add_columns(self, new_keys: List[str]) -> None:
        self.file.close()
        old_keys = self.keys
        self.keys = old_keys + new_keys
        self._key_set.update(new_keys)
        tmp_path = self.path + ".tmp"
        with open(tmp_path, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(self.keys)
            if old_keys:
                with open(self.path, encoding="utf-8", newline="") as old:
                    reader = csv.reader(old)
                    next(reader, None)
                    padding = [""] * len(new_keys)
                    for row in reader:
                        writer.writerow(row + padding)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp_path, self.path)
        self.file = open(self.path, "a", encoding="utf-8", newline="")
        self.writer = csv.writer(self.file)

    def close(self) -> None:
        self.file.close()


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    return value


class JSONOutputFormat(KVWriter):
    """``progress.json``: one JSON object per line (NaN and Infinity kept)."""

    name = "json"

    def __init__(self, path: str):
        self.file = open(path, "a", encoding="utf-8")

    def write(self, key_values: Dict[str, Any], step: int) -> None:
        self.file.write(json.dumps(key_values, default=repr) + "\n")
        self.file.flush()

    def close(self) -> None:
        self.file.close()


class TensorBoardOutputFormat(KVWriter):
    """TensorBoard events in ``<log_dir>/tb``: one event carries a whole row.

    Writes the record framing itself (synchronously, flushed at every dump)
    instead of going through a per-key ``add_scalar`` and a writer thread.
    """

    name = "tensorboard"

    def __init__(self, folder: str):
        from tensorboardX.proto import event_pb2, summary_pb2
        from tensorboardX.record_writer import masked_crc32c

        self._event_pb2 = event_pb2
        self._summary_pb2 = summary_pb2
        self._crc = masked_crc32c
        os.makedirs(folder, exist_ok=True)
        self.folder = folder
        file_name = (f"events.out.tfevents.{time.time():.6f}.{socket.gethostname()}."
                     f"{os.getpid()}.rla")
        self.path = os.path.join(folder, file_name)
        self.file = open(self.path, "ab")
        self._skipped: set = set()
        self._write_event(event_pb2.Event(wall_time=time.time(), file_version="brain.Event:2"))

    def _write_event(self, event: Any) -> None:
        import struct

        data = event.SerializeToString()
        header = struct.pack("<Q", len(data))
        self.file.write(header + struct.pack("<I", self._crc(header)) + data
                        + struct.pack("<I", self._crc(data)))
        self.file.flush()

    def write(self, key_values: Dict[str, Any], step: int) -> None:
        value_cls = self._summary_pb2.Summary.Value
        values = []
        for key, value in key_values.items():
            if key == TIME_STEP_KEY:
                continue
            if _is_number(value):
                values.append(value_cls(tag=key, simple_value=value))
            elif key not in self._skipped:
                self._skipped.add(key)
                warnings.warn(
                    f"RLA logger: value of {key!r} is not a number ({type(value).__name__}); it is "
                    "written to the text outputs and skipped for TensorBoard. Exclude it from "
                    "TensorBoard with record_tabular(key, value, exclude='tensorboard').",
                    stacklevel=4,
                )
        if values:
            self.write_summary(self._summary_pb2.Summary(value=values), step)

    def write_summary(self, summary: Any, step: int) -> None:
        self._write_event(self._event_pb2.Event(wall_time=time.time(), step=int(step), summary=summary))

    def write_purge(self, step: int) -> None:
        """Hide every event at ``step`` or later written before this one.

        A ``SessionLog.START`` event is how TensorBoard marks a restart: its
        readers drop the earlier events whose step is not below the START's.
        """
        session_log = self._event_pb2.SessionLog(status=self._event_pb2.SessionLog.START)
        self._write_event(self._event_pb2.Event(wall_time=time.time(), step=int(step), session_log=session_log))

    def write_text(self, tag: str, text: str, step: int = 0) -> None:
        from tensorboardX.summary import text as text_summary

        self.write_summary(text_summary(tag, text), step)

    def write_hparams(self, hparams: Dict[str, Any], step: int = 0) -> None:
        """Session-start info for the HParams dashboard, in this run's own folder."""
        from tensorboardX.summary import hparams as hparams_summaries

        _, session_start, _ = hparams_summaries(hparams, {})
        self.write_summary(session_start, step)

    def write_hparams_end(self, status: str, step: int) -> None:
        from tensorboardX.proto.api_pb2 import Status
        from tensorboardX.proto.plugin_hparams_pb2 import HParamsPluginData, SessionEndInfo

        # the HParams enum has no "aborted": a killed run shows as a failure
        code = {"finished": "STATUS_SUCCESS", "failed": "STATUS_FAILURE",
                "killed": "STATUS_FAILURE"}.get(status, "STATUS_UNKNOWN")
        content = HParamsPluginData(session_end_info=SessionEndInfo(status=Status.Value(code)), version=0)
        meta = self._summary_pb2.SummaryMetadata(plugin_data=self._summary_pb2.SummaryMetadata.PluginData(
            plugin_name="hparams", content=content.SerializeToString()))
        value = self._summary_pb2.Summary.Value(tag="_hparams_/session_end_info", metadata=meta)
        self.write_summary(self._summary_pb2.Summary(value=[value]), step)

    def close(self) -> None:
        self.file.close()


def make_output_format(fmt: str, log_dir: str) -> KVWriter:
    """The writer for one ``LOG_USED`` word, writing under ``log_dir``."""
    if fmt == "stdout":
        return HumanOutputFormat(sys.stdout, name="stdout")
    if fmt == "log":
        return HumanOutputFormat(os.path.join(log_dir, layout.LOG_TXT), name="log")
    if fmt == "csv":
        return CSVOutputFormat(os.path.join(log_dir, layout.PROGRESS_CSV))
    if fmt == "json":
        return JSONOutputFormat(os.path.join(log_dir, layout.PROGRESS_JSON))
    if fmt == "tensorboard":
        return TensorBoardOutputFormat(os.path.join(log_dir, layout.TB_DIR))
    raise ValueError(f"unknown log format {fmt!r}; LOG_USED accepts stdout, log, csv, json, tensorboard")


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
        self._side_files: Dict[str, TextIO] = {}
        #: called with the step after every dump (the experiment manager's heartbeat)
        self.after_dump: Optional[Callable[[int], None]] = None

    # -- key-values -------------------------------------------------------
    def _due(self, freq: Optional[int]) -> bool:
        return freq is None or freq <= 0 or self.step_holder.get_time() % freq == 0

    def logkv(self, key: str, val: Any, exclude: Exclude = None, freq: Optional[int] = None) -> None:
        if not self._due(freq):
            return
        self.name2val[key] = _to_builtin(val)
        if exclude:
            self.name2excluded[key] = (exclude,) if isinstance(exclude, str) else tuple(exclude)

    def logkv_mean(self, key: str, val: Any, exclude: Exclude = None) -> None:
        val = _to_builtin(val)
        old_val, count = self.name2val.get(key, 0.0), self.name2cnt[key]
        self.name2val[key] = old_val * count / (count + 1) + val / (count + 1)
        self.name2cnt[key] = count + 1
        if exclude:
            self.name2excluded[key] = (exclude,) if isinstance(exclude, str) else tuple(exclude)

    def ma_record(self, key: str, val: Any, record_len: int, ignore_nan: bool = False,
                  exclude: Exclude = None, freq: Optional[int] = None) -> None:
        """Record the moving average of the last ``record_len`` values of ``key``."""
        buffer = self.ma_buffers.get(key)
        if buffer is None or buffer.maxlen != record_len:
            buffer = self.ma_buffers[key] = deque(buffer or (), maxlen=record_len)
        val = _to_builtin(val)
        if not (ignore_nan and isinstance(val, float) and math.isnan(val)):
            buffer.append(val)
        if len(buffer) == record_len:
            self.logkv(key, sum(buffer) / record_len, exclude, freq)

    def dumpkvs(self) -> Dict[str, Any]:
        """Write the pending row to every output format and start a new one."""
        if not self.name2val:
            return {}
        step = self.step_holder.get_time()
        row = {TIME_STEP_KEY: step}
        row.update(self.name2val)
        excluded = self.name2excluded
        for fmt in self.output_formats:
            if excluded:
                out = {k: v for k, v in row.items() if fmt.name not in excluded.get(k, ())}
            else:
                out = row
            fmt.write(out, step)
        self.last_dumped_step = step
        self.last_row = row
        self.name2val = {}
        self.name2cnt.clear()
        self.name2excluded = {}
        if self.after_dump is not None:
            self.after_dump(step)
        return row

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
            if level >= WARN:
                self._side_write(layout.WARN_TXT, args)

    def backup(self, *args: Any) -> None:
        """A line for ``backup.txt`` (the run's record of its arguments), also logged."""
        self._side_write(layout.BACKUP_TXT, args)
        self.log(*args, level=INFO)

    def _side_write(self, file_name: str, args: Sequence[Any]) -> None:
        if self.dir is None:
            return
        handle = self._side_files.get(file_name)
        if handle is None:
            handle = self._side_files[file_name] = open(os.path.join(self.dir, file_name), "a", encoding="utf-8")
        handle.write(" ".join(str(a) for a in args) + "\n")
        handle.flush()

    def set_level(self, level: int) -> None:
        self.level = level

    def get_dir(self) -> Optional[str]:
        return self.dir

    def tensorboard(self) -> Optional[TensorBoardOutputFormat]:
        for fmt in self.output_formats:
            if isinstance(fmt, TensorBoardOutputFormat):
                return fmt
        return None

    def close(self) -> None:
        for fmt in self.output_formats:
            fmt.close()
        for handle in self._side_files.values():
            handle.close()
        self._side_files.clear()


def truncate_progress(log_dir: str, last_kept_step: Optional[int]) -> None:
    """Drop the rows of ``progress.csv`` and ``progress.json`` logged after ``last_kept_step``
    (every row when it is ``None``), and a row torn by a kill. Call it while no writer has
    the files open."""

    def keep(step: Any) -> bool:
        try:
            return last_kept_step is not None and float(step) <= last_kept_step
        except (TypeError, ValueError):
            return False

    csv_path = os.path.join(log_dir, layout.PROGRESS_CSV)
    if os.path.exists(csv_path):
        with open(csv_path, encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        if rows:
            column = rows[0].index(TIME_STEP_KEY) if TIME_STEP_KEY in rows[0] else 0
            kept = [r for r in rows[1:] if len(r) == len(rows[0]) and keep(r[column])]
            _rewrite_atomic(csv_path, lambda out: csv.writer(out).writerows([rows[0]] + kept), newline="")
    json_path = os.path.join(log_dir, layout.PROGRESS_JSON)
    if os.path.exists(json_path):
        with open(json_path, encoding="utf-8") as f:
            kept_lines = [line for line in f if keep(_json_row(line).get(TIME_STEP_KEY))]
        _rewrite_atomic(json_path, lambda out: out.writelines(kept_lines))


def _json_row(line: str) -> Dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError:
        return {}
    return row if isinstance(row, dict) else {}


def _rewrite_atomic(path: str, write: Callable[[TextIO], Any], newline: Optional[str] = None) -> None:
    tmp_path = path + ".tmp"
    with open(tmp_path, "w", encoding="utf-8", newline=newline) as out:
        write(out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp_path, path)


def _default_logger() -> Logger:
    return Logger(None, [HumanOutputFormat(sys.stdout, name="stdout")])


Logger.CURRENT = _default_logger()


def configure(dir: Optional[str] = None, format_strs: Optional[Sequence[str]] = None,
              step_holder: TimeStepHolder = time_step_holder) -> Logger:
    """Replace the current logger by one writing ``format_strs`` under ``dir``."""
    formats = list(format_strs if format_strs is not None else ("stdout",))
    if dir is not None:
        os.makedirs(dir, exist_ok=True)
    elif any(f != "stdout" for f in formats):
        raise ValueError("the logger needs a folder for formats other than stdout")
    writers = [make_output_format(f, dir or "") for f in dict.fromkeys(formats)]
    Logger.CURRENT.close()
    Logger.CURRENT = Logger(dir, writers, step_holder)
    return Logger.CURRENT


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
