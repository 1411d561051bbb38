"""The logger's output formats: one :class:`KVWriter` per ``LOG_USED`` word.

:func:`make_output_format` maps a word (``stdout``, ``log``, ``csv``, ``json``,
``tensorboard``) to its writer; the file each writes is named by
:class:`RLA.db.layout.LogFolder`. Adding a format touches one class and one line.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import socket
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Optional, TextIO, Union

from RLA.db.layout import TIME_STEP_COLUMN, WALL_TIME_COLUMN, LogFolder
from RLA.db.records import flatten_params, to_jsonable
from RLA.easy_log.append_file import AppendFile
from RLA.easy_log.csv_format import CSVOutputFormat
from RLA.easy_log.kv_writer import KVWriter, SeqWriter
from RLA.easy_log.tb_events import (
    event,
    frame,
    hparams_end_summary,
    hparams_start_summary,
    scalars_summary,
    text_summary,
)
from RLA.errors import UsageError

__all__ = ["KVWriter", "SeqWriter", "HumanOutputFormat", "CSVOutputFormat", "JSONOutputFormat",
           "TensorBoardOutputFormat", "WRITERS", "make_output_format"]

PathLike = Union[str, os.PathLike]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, complex)


def _float32(value: Any) -> float:
    """A number as TensorBoard's float32 holds it: an int beyond a double's range becomes ±inf."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


class HumanOutputFormat(KVWriter, SeqWriter):
    """A boxed table per row, to stdout (``stdout``) or ``log.txt`` (``log``); the row's wall-clock
    time is left out (a reader sees the time of the line)."""

    def __init__(self, target: Union[PathLike, TextIO], name: str = "log", max_length: int = 40):
        self.name = name
        self.max_length = max_length
        self.log_file = AppendFile(target) if isinstance(target, (str, os.PathLike)) else None
        self.stream: Optional[TextIO] = target if self.log_file is None else None  # type: ignore[assignment]

    def _emit(self, text: str) -> None:
        if self.log_file is not None:
            self.log_file.append(text)
        elif self.stream is not None:
            try:
                self.stream.write(text)
                self.stream.flush()
            except BrokenPipeError:  # `python main.py | head`: the reader is gone, not the training
                self._stream_closed()

    def _stream_closed(self) -> None:
        """The reader of our stream left (a pipe into ``head``): stop writing to it and point its file
        descriptor at /dev/null, so that neither the script's own prints nor Python's last flush fail;
        the run goes on writing its files."""
        stream, self.stream = self.stream, None
        devnull = os.open(os.devnull, os.O_WRONLY)
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(devnull, stream.fileno())  # type: ignore[union-attr]
        os.close(devnull)
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.write(f"RLA: {self.name} was closed (its reader ended): the run goes on, "
                             "its rows and messages still reach its files\n")

    def write(self, key_values: Dict[str, Any], step: int) -> None:
        rows = [(self._truncate(k), self._truncate(self._format(v))) for k, v in key_values.items()
                if k != WALL_TIME_COLUMN]
        if not rows:
            return
        key_width = max(len(k) for k, _ in rows)
        val_width = max(len(v) for _, v in rows)
        dashes = "-" * (key_width + val_width + 7)
        lines = [dashes]
        lines += [f"| {k}{' ' * (key_width - len(k))} | {v}{' ' * (val_width - len(v))} |" for k, v in rows]
        lines.append(dashes)
        self._emit("\n".join(lines) + "\n")

    @staticmethod
    def _format(value: Any) -> str:
        if isinstance(value, float) and not isinstance(value, bool):
            return f"{value:<8.3g}"
        return str(value)

    def _truncate(self, text: str) -> str:
        return text[: self.max_length - 3] + "..." if len(text) > self.max_length else text

    def write_seq(self, seq: Iterable[Any]) -> None:
        self._emit(" ".join(str(s) for s in seq) + "\n")

    def close(self) -> None:
        if self.log_file is not None:
            self.log_file.close()


class JSONOutputFormat(KVWriter):
    """``progress.json``: one JSON object per line (NaN and Infinity kept)."""

    name = "json"

    def __init__(self, path: PathLike):
        self.file = AppendFile(path)

    def write(self, key_values: Dict[str, Any], step: int) -> None:
        self.file.append(json.dumps(key_values, default=repr) + "\n")

    def close(self) -> None:
        self.file.close()


class TensorBoardOutputFormat(KVWriter):
    """TensorBoard events in a log folder's ``tb``: one event carries a whole row, at the row's
    wall-clock time (the event's own field, not a scalar: float32 would round it to minutes).

    Writes the record framing itself (synchronously, flushed at every dump)
    instead of going through a per-key ``add_scalar`` and a writer thread.
    """

    name = "tensorboard"

    def __init__(self, log_folder: LogFolder):
        os.makedirs(log_folder.tb_dir, exist_ok=True)
        self.folder = os.fspath(log_folder.tb_dir)
        self.path = os.fspath(log_folder.new_event_file(socket.gethostname(), os.getpid(), time.time()))
        self.file = AppendFile(self.path, binary=True)
        self._skipped: set = set()
        self._write_event(event(time.time(), file_version="brain.Event:2"))

    def _write_event(self, serialized: bytes) -> None:
        self.file.append(frame(serialized))

    def write(self, key_values: Dict[str, Any], step: int) -> None:
        values = []
        for key, value in key_values.items():
            if key in (TIME_STEP_COLUMN, WALL_TIME_COLUMN):
                continue
            if _is_number(value):
                values.append((key, _float32(value)))
            elif key not in self._skipped:
                self._skipped.add(key)
                warnings.warn(
                    f"RLA logger: value of {key!r} is not a number ({type(value).__name__}); it is "
                    "written to the text outputs and skipped for TensorBoard. Exclude it from "
                    "TensorBoard with record_tabular(key, value, exclude='tensorboard').",
                    stacklevel=4,
                )
        if values:
            wall_time = key_values.get(WALL_TIME_COLUMN)
            self.write_summary(scalars_summary(values), step, wall_time if _is_number(wall_time) else None)

    def write_summary(self, summary: Any, step: int, wall_time: Optional[float] = None) -> None:
        """An event of ``summary`` (a Summary message, or serialized) at ``step``."""
        serialized = summary if isinstance(summary, bytes) else summary.SerializeToString()
        self._write_event(event(time.time() if wall_time is None else wall_time, int(step), summary=serialized))

    def write_purge(self, step: int) -> None:
        """Hide every event at ``step`` or later written before this one.

        A ``SessionLog.START`` event is how TensorBoard marks a restart: its
        readers drop the earlier events whose step is not below the START's.
        """
        self._write_event(event(time.time(), int(step), session_start=True))

    def write_text(self, tag: str, text: str, step: int = 0) -> None:
        self.write_summary(text_summary(tag, text), step)

    def write_params(self, params: Dict[str, Any]) -> None:
        """The run's parameters, flat, to the HParams dashboard and as a table to the Text dashboard."""
        flat = flatten_params(to_jsonable(params))
        self.write_hparams({k: v if isinstance(v, (int, float, str, bool)) else repr(v) for k, v in flat.items()})
        table = "| parameter | value |\n|---|---|\n" + "\n".join(
            f"| {k} | {str(v).replace('|', '&#124;')} |" for k, v in flat.items())
        self.write_text("hyperparameters", table)

    def write_hparams(self, hparams: Dict[str, Any], step: int = 0) -> None:
        """Session-start info for the HParams dashboard, in this run's own folder."""
        self.write_summary(hparams_start_summary(hparams), step)

    def write_hparams_end(self, status: str, step: int) -> None:
        # the HParams enum has no "aborted": a killed run shows as a failure
        code = {"finished": "STATUS_SUCCESS", "failed": "STATUS_FAILURE",
                "killed": "STATUS_FAILURE"}.get(status, "STATUS_UNKNOWN")
        self.write_summary(hparams_end_summary(code), step)

    def close(self) -> None:
        self.file.close()


#: each ``LOG_USED`` word (:data:`RLA.config.LOG_FORMATS`) -> its writer, made for a log folder;
#: a new format is one class and one line here
WRITERS: Dict[str, Callable[[LogFolder], KVWriter]] = {
    "stdout": lambda folder: HumanOutputFormat(sys.stdout, name="stdout"),
    "log": lambda folder: HumanOutputFormat(folder.log_txt, name="log"),
    "csv": lambda folder: CSVOutputFormat(folder.progress_csv),
    "json": lambda folder: JSONOutputFormat(folder.progress_json),
    "tensorboard": lambda folder: TensorBoardOutputFormat(folder),
}


def make_output_format(fmt: str, log_dir: PathLike) -> KVWriter:
    """The writer for one ``LOG_USED`` word, writing under ``log_dir``."""
    make = WRITERS.get(fmt)
    if make is None:
        raise UsageError(f"unknown log format {fmt!r}; LOG_USED accepts {', '.join(WRITERS)}")
    return make(LogFolder(Path(log_dir)))
