"""``rla import tensorboard LOGDIR``: every folder holding event files under LOGDIR is one run.

Read with RLA's TensorBoard record reader (:mod:`RLA.easy_log.tb_reader`, the one
``rla run`` tails files with; faster than TensorBoard's own loader, see
``bench/import_tb.py``), over tensorboardX's protobuf messages. A folder's event
files are read oldest first (their names start with the time they were made), as
TensorBoard reads them: scalars land at their own steps, a restart's
``SessionLog.START`` drops what the earlier session logged at its step or later,
images become results, and the files themselves are kept in the item's ``tb/``.
Parameters come from the HParams plugin, CleanRL's ``hyperparameters`` text table,
and ``name_pattern`` applied to the folder's name, in that order of precedence. The
status is the HParams session end when it comes after the last scalar (RLA's writer
puts it there; SB3 and ``add_hparams`` write it before training): else ``unknown``.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from RLA.db.layout import EVENT_FILE_PREFIX
from RLA.db.records import nest_params, typed_value
from RLA.easy_log.tb_reader import (
    EventFileTail,
    hparams_of,
    image_file_name,
    images_of,
    is_event_file,
    scalars_of,
    session_end_status_of,
    starts_session,
    text_params_of,
)
from RLA.errors import UsageError
from RLA.importers.base import UNKNOWN_STATUS, EventFile, Importer, RunRef, SourceError, SourceRun

__all__ = ["TensorBoardImporter", "name_pattern_regex"]

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")
#: what an event file's name holds after its prefix and time: the host, then pids, counters and suffixes
_NAME_TAIL = re.compile(r"^\d+(\.\d+)?\.(?P<rest>.*)$")
#: the bytes of an event file read at a time
_CHUNK_BYTES = 16 << 20


def name_pattern_regex(pattern: str) -> "re.Pattern[str]":
    """``'{env_id}__{exp_name}__{seed}'`` as a regex whose groups are the fields (each at least one character)."""
    fields = _FIELD.findall(pattern)
    if not fields:
        raise UsageError(f"--name-pattern {pattern!r} names no field: write fields in braces, "
                         "e.g. '{env_id}__{exp_name}__{seed}__{time}'")
    if len(set(fields)) != len(fields):
        raise UsageError(f"--name-pattern {pattern!r} names a field twice")
    parts: List[str] = []
    last = 0
    for match in _FIELD.finditer(pattern):
        parts += [re.escape(pattern[last:match.start()]), f"(?P<f{len(parts) // 2}>.+?)"]
        last = match.end()
    parts.append(re.escape(pattern[last:]))
    return re.compile("^" + "".join(parts) + "$", re.S)


class TensorBoardImporter(Importer):
    name = "tensorboard"

    def __init__(self, source: str, name_pattern: Optional[str] = None):
        super().__init__(source)
        self.root = Path(os.path.abspath(os.path.expanduser(source)))
        if not self.root.is_dir():
            raise SourceError(f"no folder {source}: give the logdir TensorBoard reads (e.g. runs/ or "
                              "the tensorboard_log folder)")
        self.pattern = name_pattern_regex(name_pattern) if name_pattern else None
        self.fields = _FIELD.findall(name_pattern) if name_pattern else []

    def find(self) -> List[RunRef]:
        refs = []
        for folder, dirs, files in os.walk(self.root):
            dirs.sort()
            events = sorted(name for name in files
                            if is_event_file(name) and os.path.isfile(os.path.join(folder, name)))
            if not events:
                continue
            path = Path(folder)
            relative = path.relative_to(self.root).as_posix()
            sizes = {name: os.path.getsize(path / name) for name in events}
            # the oldest file's name holds its time, host and pid: the run's id wherever the logdir is moved
            refs.append(RunRef(id=f"{path.name}/{events[0]}", name=self.root.name if relative == "." else relative,
                               fingerprint={"files": sizes},
                               handle=(path, events)))
        return refs

    def read(self, ref: RunRef) -> SourceRun:
        folder, names = ref.handle
        reading = _Reading()
        event_files, damage = [], []
        for name in names:
            tail = EventFileTail(folder / name)
            while True:  # a chunk at a time: a file of millions of events is never in memory whole
                events = tail.read(_CHUNK_BYTES)
                if not events:
                    break
                reading.take(events)
            if tail.damaged:
                damage.append(f"{name} is damaged at byte {tail.offset}")
            if tail.offset:
                event_files.append(EventFile(folder / name, tail.offset))
        if reading.start is None:
            raise SourceError("no event can be read" + (f" ({'; '.join(damage)})" if damage else ""))
        reading.warnings += [f"{what}: the events after it are not imported" for what in damage]
        params, params_from = self._params(folder, reading)
        return SourceRun(
            id=ref.id, name=ref.name, location=str(folder), start_time=reading.start, end_time=reading.end,
            status=reading.status or UNKNOWN_STATUS, params=params, params_from=params_from,
            host=_host(names[0]), rows=reading.rows, wall_times=reading.wall_times, event_files=event_files,
            results=reading.images, warnings=reading.warnings,
            details={"event_files": list(names)},
        )

    def _params(self, folder: Path, reading: "_Reading") -> Tuple[Dict[str, Any], List[str]]:
        """The run's parameters, typed; the later sources win: folder name, text table, HParams."""
        flat: Dict[str, Any] = {}
        sources = []
        if self.pattern is not None:
            match = self.pattern.match(folder.name)
            if match is None:
                reading.warnings.append(f"the folder name {folder.name!r} does not match --name-pattern")
            else:
                flat.update({field: typed_value(match.group(f"f{i}")) for i, field in enumerate(self.fields)})
                sources.append("folder name")
        if reading.text_params:
            flat.update({k: typed_value(v) for k, v in reading.text_params.items()})
            sources.append("tensorboard text 'hyperparameters'")
        if reading.hparams:
            flat.update(reading.hparams)
            sources.append("tensorboard hparams")
        return nest_params(flat), sources


class _Reading:
    """What the events of one run say, taken in the order they were written."""

    def __init__(self) -> None:
        self.rows: Dict[int, Dict[str, float]] = {}
        self.wall_times: Dict[int, float] = {}
        self.images: Dict[str, Any] = {}
        self.hparams: Dict[str, Any] = {}
        self.text_params: Dict[str, str] = {}
        self.status: Optional[str] = None
        self.start: Optional[float] = None
        self.end: Optional[float] = None
        self.warnings: List[str] = []

    def take(self, events: List[Any]) -> None:
        rows, wall_times = self.rows, self.wall_times
        times = [event.wall_time for event in events if event.wall_time > 0]
        if times:
            self.start = min(times) if self.start is None else min(self.start, *times)
            self.end = max(times) if self.end is None else max(self.end, *times)
        for event in events:
            scalars = scalars_of(event)
            if scalars:
                step = event.step
                row = rows.get(step)
                if row is None:
                    row = rows[step] = {}
                row.update(scalars)
                wall_times[step] = event.wall_time
                self.status = None  # an end written before the last scalars is no end (SB3 writes it first)
            if not scalars or len(scalars) != len(event.summary.value):  # something else than scalars
                self._take_other(event)

    def _take_other(self, event: Any) -> None:
        if starts_session(event):  # as TensorBoard: what earlier sessions logged at its step or later is dropped
            for step in [s for s in self.rows if s >= event.step]:
                del self.rows[step]
                self.wall_times.pop(step, None)
        for tag, image in images_of(event):
            self.images[image_file_name(tag, event.step, image)] = image
        self.hparams.update(hparams_of(event) or {})
        self.text_params.update(text_params_of(event) or {})
        self.status = session_end_status_of(event) or self.status
        if self.status == "running":
            self.status = None


def _host(event_file: str) -> Optional[str]:
    """The host in an event file's name (``events.out.tfevents.<time>.<host>.<pid>...``), when it has one."""
    match = _NAME_TAIL.match(event_file[len(EVENT_FILE_PREFIX):])
    if match is None:
        return None
    parts = match.group("rest").split(".")
    while parts and (parts[-1].isdigit() or parts[-1] in ("v2", "rla", "")):
        parts.pop()
    return ".".join(parts) or None
