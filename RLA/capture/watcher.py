"""Every TensorBoard event file a command writes, tailed while it runs and turned into rows of its item.

:class:`EventWatcher` looks for event files under the command's folders (its
working directory and any ``--logdir``), tails each one (:mod:`RLA.easy_log.tb_reader`),
copies its records into the item's TensorBoard folder and hands the scalars to
a :class:`Sink` as rows: one row per step, holding the keys logged at that
step, so a key logged at its own steps (CleanRL's episodic returns at
arbitrary global steps) keeps them, and the latest wall-clock time of its
events. A row is handed over once a poll passes without new values at its
step, so a step whose values arrive in two flushes still makes one row.
Hyper-parameters (HParams) and text summaries that carry parameters (a
``|key|value|`` table, an argparse ``Namespace(...)``) fill in the item's
parameters; other texts go to its note, images to its results.

Only the files of the command's own processes are taken, so two runs writing
into one folder (the trials of a sweep, a folder shared by cluster nodes) each
get their own:

- a file its process tree holds open, or whose name carries the pid of one of
  them on this host (the name torch, TensorFlow and RLA give them), is its own;
  one another process holds, or named by another pid, is not;
- a file nobody holds and no pid names (a tensorboardX writer, whose names carry
  no pid, opened and closed between two scans, as ``add_hparams`` does) goes with
  the nearest folder above it that holds files of known owner: taken when they
  are the command's. With no such folder, it is taken when the command has ended
  if no other ``rla run`` of the database watched its folder when it was written
  (:mod:`RLA.capture.neighbours`); else it is left out, with a warning naming it.
"""
from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Protocol, Sequence, Set, Tuple

from RLA.capture.neighbours import WatchRecord
from RLA.easy_log.tb_reader import (
    EventFileTail,
    hparams_of,
    image_file_name,
    images_of,
    is_event_file,
    opened_at,
    params_in_text,
    scalars_of,
    texts_of,
)
from RLA.monitor.process_tree import holders, process_tree

__all__ = ["Sink", "EventWatcher", "SCAN_FOLDER_LIMIT"]

#: folders never searched for event files: version control, environments, caches
_SKIPPED_NAMES = {"__pycache__", "node_modules", "site-packages", "wandb", "mlruns"}
#: a scan stops after this many folders (a command started in $HOME); --logdir narrows it
SCAN_FOLDER_LIMIT = 20_000
_OURS, _FOREIGN, _AMBIGUOUS = "ours", "foreign", "ambiguous"


class Sink(Protocol):
    """Where captured content goes (the run's item)."""

    def write_row(self, step: int, values: Dict[str, float], wall_time: Optional[float]) -> None: ...

    def add_params(self, params: Dict[str, Any], source: str) -> None: ...

    def add_result(self, name: str, content: bytes) -> None: ...

    def add_note(self, tag: str, step: int, text: str) -> None: ...

    def warn(self, message: str) -> None: ...


class EventWatcher:
    """Finds and tails the event files written under ``roots`` since the watcher was made."""

    def __init__(self, roots: Sequence[Path], copy_root: Path, skip: Sequence[Path], sink: Sink,
                 poll_seconds: float = 0.5, scan_seconds: float = 1.0, record: Optional[WatchRecord] = None):
        self.roots = [Path(os.path.abspath(r)) for r in roots]
        self.copy_root = copy_root
        self.skip = {os.path.realpath(p) for p in (*skip, copy_root)}
        self.sink = sink
        self.poll_seconds = poll_seconds
        self.scan_seconds = scan_seconds
        self._tails: Dict[str, EventFileTail] = {}
        #: files of no known owner -> their size when last asked about
        self._checked: Dict[str, int] = {}
        #: event files written by other processes (held by one, or named with its pid)
        self._foreign: Set[str] = set()
        #: what this run watches, for the other runs of the database, and theirs (None: nobody to ask)
        self.record = record
        #: (event folder, tag) -> the key its values are stored under
        self._keys: Dict[Tuple[str, str], str] = {}
        self._key_owner: Dict[str, str] = {}
        self._pending: Dict[int, Dict[str, float]] = {}
        #: the latest wall-clock time of the events behind each pending row
        self._pending_wall: Dict[int, float] = {}
        self._warned_limit = False
        self._last_scan = 0.0
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        #: files that were there before the command started: only what they gain is read
        self._before = {path: os.path.getsize(path) for path in self._event_files()}
        #: the command's process and every process seen below it (set by :meth:`track`)
        self.root_pid: Optional[int] = None
        self.pids: Set[int] = set()
        self._host = socket.gethostname()
        #: rows handed to the sink
        self.rows_written = 0
        #: called after every poll of the thread (the run's heartbeat)
        self.on_poll: Optional[Callable[[], None]] = None

    # -- finding files ----------------------------------------------------------
    def _event_files(self) -> List[str]:
        found: List[str] = []
        folders = 0
        stack = [str(r) for r in self.roots if r.is_dir()]
        seen: Set[str] = set()
        while stack:
            folder = stack.pop()
            real = os.path.realpath(folder)
            if real in seen or real in self.skip:
                continue
            seen.add(real)
            folders += 1
            if folders > SCAN_FOLDER_LIMIT:
                if not self._warned_limit:
                    self._warned_limit = True
                    self.sink.warn(f"rla run: more than {SCAN_FOLDER_LIMIT} folders under {self.roots[0]}; "
                                   "TensorBoard files beyond them are not captured: give --logdir DIR, "
                                   "the folder the command writes them to")
                break
            try:
                entries = list(os.scandir(folder))
            except OSError:
                continue
            for entry in entries:
                name = entry.name
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if not name.startswith(".") and name not in _SKIPPED_NAMES:
                            stack.append(entry.path)
                    elif is_event_file(name) and entry.is_file():
                        found.append(entry.path)
                except OSError:
                    continue
        return found

    def _copy_path(self, path: str) -> Path:
        for i, root in enumerate(self.roots):
            try:
                rel = Path(path).relative_to(root)
            except ValueError:
                continue
            return self.copy_root / (rel if i == 0 else Path(f"logdir{i}") / rel)
        return self.copy_root / Path(path).name

    def track(self, pid: int) -> None:
        """The command started as process ``pid``: its files are the ones to take."""
        self.root_pid = pid
        self.pids.add(pid)

    def _scan(self, final: bool = False) -> None:
        """Classify the event files that appeared or grew since the last look: asking who holds a file
        walks every process's open files, so a file is asked about again only when its size moved."""
        if self.root_pid is None:
            return
        sizes = {}
        for path in self._event_files():
            if path not in self._tails and path not in self._foreign:
                with contextlib.suppress(OSError):
                    sizes[path] = os.path.getsize(path)
        changed = [path for path, size in sizes.items() if self._checked.get(path) != size]
        if changed:
            self.pids |= process_tree(self.root_pid)
            held = holders(os.path.realpath(p) for p in changed)
            for path in changed:
                owner = self._owner(path, held)
                if owner == _OURS:
                    self._take_file(path)
                elif owner == _FOREIGN:
                    self._foreign.add(path)
                else:
                    self._checked[path] = sizes[path]
        for path in sizes:
            if path in self._checked and path not in self._tails and path not in self._before:
                self._place_unknown(path, final)

    def _take_file(self, path: str) -> None:
        self._tails[path] = EventFileTail(Path(path), self._before.get(path, 0), self._copy_path(path))

    def _owner(self, path: str, held: Optional[Dict[str, Set[int]]]) -> Optional[str]:
        """Whose ``path`` is, by who holds it open or the pid in its name; None when nothing tells."""
        if held is None:  # nothing can tell: every file written since the start
            return _OURS
        holding = held.get(os.path.realpath(path), set())
        if holding:
            return _OURS if holding & self.pids else _FOREIGN
        _, marker, rest = os.path.basename(path).partition(f".{self._host}.")
        pid = rest.split(".")[0] if marker else ""
        if not pid.isdigit():
            return None
        if int(pid) in self.pids:
            return _OURS
        return _FOREIGN if path not in self._before else None

    def _place_unknown(self, path: str, final: bool) -> None:
        """A file nobody holds and no pid names: the owner of the nearest folder above it with files of
        known owner; with none, this run's at the end if no other run watched its folder meanwhile."""
        owner = self._nearest_owner(path)
        if owner == _OURS:
            self._take_file(path)
        elif final and owner is None:
            written_at = opened_at(Path(path)) or os.path.getmtime(path)
            others = self.record.others_watching(path, written_at) if self.record is not None else []
            if others:
                self.sink.warn(f"rla run: {path} is not captured: no process holds it nor is named in it, and "
                               f"{len(others)} other rla run{'s' if len(others) > 1 else ''} watched its folder "
                               "then; write each run's TensorBoard files into a folder of its own")
            else:
                self._take_file(path)
        elif final and owner == _AMBIGUOUS:
            self.sink.warn(f"rla run: {path} is not captured: no process holds it nor is named in it, and its "
                           "folder holds files of this run and of another; write each run's TensorBoard files "
                           "into a folder of its own")

    def _nearest_owner(self, path: str) -> Optional[str]:
        folder = os.path.dirname(path)
        depth, owners = -1, set()
        for files, owner in ((self._tails, _OURS), (self._foreign, _FOREIGN)):
            for owned in {os.path.dirname(p) for p in files}:
                if folder == owned or folder.startswith(owned + os.sep):
                    if owned.count(os.sep) > depth:
                        depth, owners = owned.count(os.sep), {owner}
                    elif owned.count(os.sep) == depth:
                        owners.add(owner)
        return None if not owners else owners.pop() if len(owners) == 1 else _AMBIGUOUS

    # -- reading ----------------------------------------------------------------
    def _key(self, folder: str, tag: str) -> str:
        key = self._keys.get((folder, tag))
        if key is None:
            owner = self._key_owner.setdefault(tag, folder)
            key = tag if owner == folder else f"{os.path.basename(folder)}/{tag}"
            self._keys[(folder, tag)] = key
        return key

    def poll(self, final: bool = False) -> int:
        """Read what every file gained; hand over the rows no longer growing (all of them if ``final``)."""
        moment = time.monotonic()
        if final or moment - self._last_scan >= self.scan_seconds:
            self._last_scan = moment
            self._scan(final)
        touched: Set[int] = set()
        count = 0
        for path, tail in list(self._tails.items()):
            folder = os.path.dirname(path)
            was_damaged = tail.damaged
            for event in tail.read():
                count += self._take(folder, event, touched)
            if tail.damaged and not was_damaged:
                self.sink.warn(f"rla run: {path} has a damaged record at byte {tail.offset}; "
                               "its events after it are not captured")
        for step in sorted(self._pending):
            if final or step not in touched:
                self.sink.write_row(step, self._pending.pop(step), self._pending_wall.pop(step, None))
                self.rows_written += 1
        return count

    def _take(self, folder: str, event: Any, touched: Set[int]) -> int:
        params = hparams_of(event)
        if params:
            self.sink.add_params(params, "tensorboard hparams")
        for tag, text in texts_of(event):
            carried = params_in_text(text)
            if carried:
                self.sink.add_params(carried, f"tensorboard text {tag!r}")
            else:
                self.sink.add_note(tag, int(event.step), text)
        for tag, image in images_of(event):
            self.sink.add_result(image_file_name(tag, int(event.step), image), image)
        found = scalars_of(event)
        if found:
            step = int(event.step)
            row = self._pending.setdefault(step, {})
            for tag, value in found:
                row[self._key(folder, tag)] = value
            if event.wall_time > self._pending_wall.get(step, 0.0):
                self._pending_wall[step] = float(event.wall_time)
            touched.add(step)
        return len(found)

    # -- the thread ---------------------------------------------------------------
    def start(self) -> None:
        if self.record is not None:
            self.record.begin()
        self._thread = threading.Thread(target=self._loop, name="rla-run-events", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            try:
                self.poll()
                if self.on_poll is not None:
                    self.on_poll()
            except Exception as exc:  # a capture problem never stops the command
                self.sink.warn(f"rla run: reading TensorBoard files failed: {exc!r}; retrying")

    def stop(self) -> None:
        """Stop the thread, read what is left, hand over every row and close the copies."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.poll(final=True)
        for tail in self._tails.values():
            tail.close()
        if self.record is not None:
            self.record.end()

    @property
    def files(self) -> List[str]:
        """The event files something was read from."""
        return sorted(path for path, tail in self._tails.items() if tail.offset > self._before.get(path, 0))
