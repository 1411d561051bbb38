"""One item's entry in the query index: what is read from its files, and when to read it again.

An entry summarises ``run.json``, ``params.json``, ``progress.csv``, the
item's tags and note (``annotations.json``) and the sizes of the item's data
types; its :class:`Signature` records the mtimes it was read at, so
:mod:`RLA.db.index` reads the item again only when they move.
"""
from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from operator import is_not
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

from RLA.db import data_types, layout
from RLA.db.annotations import parse_annotations
from RLA.db.layout import DATA_TYPES, LogFolder
from RLA.db.liveness import shown_status
from RLA.db.names import readable_name
from RLA.db.progress import summarize_csv, time_step_value
from RLA.db.records import flatten_params, read_legacy_params, read_record

__all__ = ["UNKNOWN_STATUS", "DAMAGED_STATUS", "SETTLE_NS", "UNMEASURED", "Signature", "IndexEntry", "read_entry",
           "measured_sizes", "read_signature", "outputs_stamp", "progress_stamp", "log_stamp"]

#: the status of an item that has no run.json (written by an earlier release)
UNKNOWN_STATUS = "unknown"
#: the status of an item whose run.json cannot be read (its entry's ``damage`` says why)
DAMAGED_STATUS = "damaged"
#: mtimes younger than this are not trusted (file systems store them in coarse ticks)
SETTLE_NS = 2_000_000_000
#: the size of a folder not measured yet: a refresh reads what selecting items needs, and an
#: item's folders are measured when a listing first returns it
UNMEASURED = -1
_LOG = DATA_TYPES.index("log")
# where tools may still write after a run ended (evaluations, figures): checked for each item returned
_OUTPUT_TYPES = data_types.names_with(role=data_types.OUTPUT_ROLE)
# written by the run alone (a resumed run also replaces run.json, which the log folder's mtime shows)
_SNAPSHOT_TYPES = data_types.names_with(role=data_types.SNAPSHOT_ROLE)
# a parameter value in a legacy name is converted only when it is a plain number
# (int() and float() also take "1_0", " 1", "inf", "nan" or "infinity")
_INT_TEXT = re.compile(r"^[+-]?\d+$")
_FLOAT_TEXT = re.compile(r"^[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?$")


class Signature(NamedTuple):
    """What an item's files were when its entry was read: the entry holds while they are the same.

    The stamps are deterministic hashes of mtimes (and sizes of files), so the index stays small.
    """

    log_mtime: Optional[int]  # the log folder's mtime, kept as is for the quick check
    progress: Optional[int]  # progress.csv's mtime and size; None without one
    outputs: int  # checkpoint and results
    snapshot: int  # code and the pickled experiment manager


_NO_SIZES = (None,) * len(DATA_TYPES)


@dataclass
class IndexEntry:
    """What the index keeps of one item: what listing, filtering and planning operations need."""

    # presence: which data types the item was read with (a size is not None), as the index lists
    # them; derived from sizes, so not a field (not compared, not stored)
    __slots__ = ("signature", "sizes", "params", "tracked", "status", "last_time_step", "rows", "host", "ip",
                 "end_time", "damage", "tags", "note", "running", "pid", "heartbeat", "presence")
    signature: Optional[Signature]  # None: read the item again next time
    sizes: List[Optional[int]]  # bytes per data type, aligned with DATA_TYPES; None for a type the item lacks,
    # UNMEASURED for a folder not measured yet
    params: Dict[str, Any]  # every hyper-parameter, nested keys flattened as "a.b"
    tracked: List[str]  # the parameters in the item's name
    status: str  # running, finished, failed, killed, stopped, unknown (no run.json) or damaged
    last_time_step: Optional[int]
    rows: Optional[int]  # rows of progress.csv; None without one
    host: Optional[str]
    ip: Optional[str]
    end_time: Optional[str]
    damage: Optional[str]  # which of the item's files cannot be read, and why; None when all can
    tags: List[str]  # the item's tags (RLA.db.annotations), in the order they were added
    note: str  # the item's note, "" without one
    running: bool  # run.json says running (the status shown is lost when its process is gone)
    pid: Optional[int]  # of a running run: what liveness asks about
    heartbeat: Optional[str]

    def __post_init__(self) -> None:
        self.presence = tuple(map(is_not, self.sizes, _NO_SIZES))


def read_signature(paths: Dict[str, str]) -> Tuple[Signature, int]:
    """The signature of the item whose data types are at ``paths``, and the newest mtime in it."""
    log_mtime = None
    if "log" in paths:
        try:
            log_mtime = os.lstat(paths["log"]).st_mtime_ns
        except OSError:
            pass
    csv_stat = _progress_stat(paths["log"]) if "log" in paths else None
    outputs, newest_output = _stamp(paths, _OUTPUT_TYPES)
    snapshot, newest_snapshot = _stamp(paths, _SNAPSHOT_TYPES)
    newest = max(log_mtime or -1, csv_stat[0] if csv_stat else -1, newest_output, newest_snapshot)
    return Signature(log_mtime, hash(csv_stat) if csv_stat is not None else None, outputs, snapshot), newest


def outputs_stamp(paths: Dict[str, str]) -> int:
    """The stamp of the item's checkpoint and results: where tools may still write after the run ended."""
    return _stamp(paths, _OUTPUT_TYPES)[0]


def _stamp(paths: Dict[str, str], data_types: Sequence[str]) -> Tuple[int, int]:
    """A stamp of some entries of an item, and their newest mtime."""
    stamps: List[int] = []
    for data_type in data_types:
        try:
            st = os.lstat(paths[data_type])
        except (KeyError, OSError):
            stamps += [-1, -1]
            continue
        stamps += [st.st_mtime_ns, 0 if stat.S_ISDIR(st.st_mode) else st.st_size]
    return hash(tuple(stamps)), max(stamps[::2])


def _progress_stat(log_dir: str) -> Optional[Tuple[int, int]]:
    """``(mtime, size)`` of the log folder's progress.csv (a string join: this runs per item of a warm query)."""
    try:
        st = os.stat(os.path.join(log_dir, layout.PROGRESS_CSV))
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def log_stamp(log_dir: str) -> Optional[int]:
    """The log folder's mtime, as in :attr:`Signature.log_mtime` (None without one)."""
    try:
        return os.lstat(log_dir).st_mtime_ns
    except OSError:
        return None


def progress_stamp(log_dir: str) -> Optional[int]:
    """The stamp of the log folder's progress.csv, as in :attr:`Signature.progress`."""
    csv_stat = _progress_stat(log_dir)
    return hash(csv_stat) if csv_stat is not None else None


def read_entry(paths: Dict[str, str], name: str, now: int, sizes_of_folders: bool = True) -> IndexEntry:
    """Read an item from its files into an index entry; without ``sizes_of_folders``, the sizes of
    its folders are left :data:`UNMEASURED` (:func:`measured_sizes`) and its log folder is not
    listed (its files are opened by name)."""
    # first: a later write shows as a newer mtime
    sizes, item_signature, newest, log_files = _scan(paths, sizes_of_folders)
    # a log folder that was listed (or not measured: lstat said a folder) is a folder, not a link to nothing
    folder_damage = (_folder_damage(paths["log"]) if "log" in paths and log_files is None
                     and sizes[_LOG] != UNMEASURED else None)
    # the log folder's files as strings: this runs for every item of a new index
    log = paths["log"] if "log" in paths and folder_damage is None else None

    def listed(file: str) -> bool:  # whether the log folder holds ``file``, as far as its listing says
        return log_files is None or file in log_files

    run, run_damage = read_record(f"{log}/{layout.RUN_JSON}") if log and listed(layout.RUN_JSON) else (None, None)
    params, params_damage = (read_record(f"{log}/{layout.PARAMS_JSON}") if log and listed(layout.PARAMS_JSON)
                             else (None, None))
    if log and params is None and params_damage is None:
        params = read_legacy_params(LogFolder(Path(log)).legacy_params_files())
    annotations, annotations_damage = (read_record(f"{log}/{layout.ANNOTATIONS_JSON}")
                                       if log and listed(layout.ANNOTATIONS_JSON) else (None, None))
    progress_csv = f"{log}/{layout.PROGRESS_CSV}"
    rows, csv_time_step = summarize_csv(progress_csv) if log else (None, None)
    csv_damage = _csv_damage(progress_csv) if log and rows is None else None
    readable = readable_name(name)
    name_damage = "its folder name is not UTF-8 text: rename the folder" if readable != name else None
    damage = "; ".join(filter(None, (name_damage, folder_damage, run_damage, params_damage, csv_damage,
                                     annotations_damage))) or None
    annotated = parse_annotations(annotations)
    run = run or {}
    tracked = run.get("record_param")
    ip = run.get("ip")
    # the name is parsed only for what run.json lacks (a run of an earlier release)
    parsed = layout.parse_log_name(readable) if params is None or not ip or not isinstance(tracked, list) else None
    name_params = parsed.params() if parsed is not None else {}
    last_time_step = csv_time_step
    run_step = time_step_value(run["last_time_step"]) if isinstance(run.get("last_time_step"), int) else None
    if run_step is not None:
        # run.json's count survives a torn or truncated progress.csv; progress.csv may be newer
        last_time_step = run_step if last_time_step is None else max(last_time_step, run_step)
    status = DAMAGED_STATUS if run_damage or folder_damage else str(shown_status(run) or UNKNOWN_STATUS)
    settled = newest < now - SETTLE_NS and damage is None  # a repair in place moves no folder's mtime
    if params is None:  # a run of an earlier release: the tracked parameters in its name are all there is
        params = {k: _coerce(v) for k, v in name_params.items()}
    return IndexEntry(
        signature=item_signature if settled else None,
        sizes=sizes,
        params=flatten_params(params),
        tracked=list(tracked) if isinstance(tracked, list) else list(name_params),
        status=status,
        last_time_step=last_time_step,
        rows=rows,
        host=run.get("host"),
        ip=ip or (parsed.ip if parsed is not None else None),
        end_time=run.get("end_time"),
        damage=damage,
        tags=list(annotated.tags),
        note=annotated.note,
        running=run.get("status") == "running",
        pid=run["pid"] if type(run.get("pid")) is int else None,
        heartbeat=run["heartbeat"] if isinstance(run.get("heartbeat"), str) else None,
    )


_Listed = Dict[str, Optional[os.stat_result]]  # the entries of a folder: name -> lstat (None for a folder)


def _scan(paths: Dict[str, str],
          sizes_of_folders: bool) -> Tuple[List[Optional[int]], Signature, int, Optional[_Listed]]:
    """One pass over the item's entries: the size of each data type (None for one it lacks; without
    ``sizes_of_folders``, UNMEASURED for a folder), its signature (as :func:`read_signature` gives
    it) and newest mtime, and the entries directly in its log folder with their lstat (None for a
    folder; the whole is None when the log folder was not listed: not a folder that could be listed,
    or not measured)."""
    sizes: List[Optional[int]] = []
    stamps: Dict[str, Tuple[int, int]] = {}
    log_files: Optional[_Listed] = None
    for data_type in DATA_TYPES:
        path = paths.get(data_type)
        if path is None:
            sizes.append(None)
            continue
        try:
            st = os.lstat(path)
        except OSError:
            sizes.append(0)
            continue
        folder = stat.S_ISDIR(st.st_mode)
        stamps[data_type] = (st.st_mtime_ns, 0 if folder else st.st_size)
        if not folder:
            sizes.append(st.st_size)
            continue
        if not sizes_of_folders:
            sizes.append(UNMEASURED)
            continue
        top: Optional[_Listed] = {} if data_type == "log" else None
        size, listed = _folder_size(path, top)
        sizes.append(size)
        if top is not None and listed:
            log_files = top
    log_stat = stamps.get("log")
    csv_stat: Optional[Tuple[int, int]] = None
    if "log" in paths:
        entry = log_files.get(layout.PROGRESS_CSV) if log_files is not None else None
        if entry is not None and stat.S_ISREG(entry.st_mode):
            csv_stat = (entry.st_mtime_ns, entry.st_size)
        else:  # not listed, or a link: as os.stat sees it
            csv_stat = _progress_stat(paths["log"])
    outputs = [v for t in _OUTPUT_TYPES for v in stamps.get(t, (-1, -1))]
    snapshot = [v for t in _SNAPSHOT_TYPES for v in stamps.get(t, (-1, -1))]
    newest = max(log_stat[0] if log_stat else -1, csv_stat[0] if csv_stat else -1, *outputs[::2], *snapshot[::2])
    signature = Signature(log_stat[0] if log_stat else None, hash(csv_stat) if csv_stat is not None else None,
                          hash(tuple(outputs)), hash(tuple(snapshot)))
    return sizes, signature, newest, log_files


def measured_sizes(paths: Dict[str, str], sizes: Sequence[Optional[int]]) -> List[Optional[int]]:
    """``sizes`` (as an entry holds them) with every UNMEASURED folder at ``paths`` measured."""
    out = list(sizes)
    for i, data_type in enumerate(DATA_TYPES):
        if out[i] == UNMEASURED:
            try:
                st = os.lstat(paths[data_type])
            except (KeyError, OSError):
                out[i] = 0
                continue
            out[i] = _folder_size(paths[data_type], None)[0] if stat.S_ISDIR(st.st_mode) else st.st_size
    return out


def _folder_size(path: str, top: Optional[_Listed]) -> Tuple[int, bool]:
    """Bytes of every file under a folder (symbolic links not followed), and whether the folder
    itself could be listed; ``top`` collects the entries directly in it, when given (the lstat of a file,
    None for a folder)."""
    total = 0
    listed = True
    stack = [path]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as it:
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                        if top is not None and folder is path:
                            top[entry.name] = None
                        continue
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    total += st.st_size
                    if top is not None and folder is path:
                        top[entry.name] = st
        except OSError:
            listed = listed and folder is not path
    return total, listed


def _folder_damage(path: str) -> Optional[str]:
    """What keeps the log folder at ``path`` from being read (a link that leads nowhere), or None."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return "its log folder is a symbolic link to nothing: remove the link" if os.path.islink(path) else None
    except OSError as exc:
        return f"its log folder cannot be opened ({exc.strerror or exc}): remove or repair it"
    return None


def _csv_damage(path: str) -> Optional[str]:
    """What keeps a progress.csv from being read, or None when it is readable or missing."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        return f"{layout.PROGRESS_CSV} cannot be read ({exc.strerror or exc})"
    return f"{layout.PROGRESS_CSV} is a folder, not a file" if stat.S_ISDIR(mode) else None


def _coerce(text: str) -> Any:
    """A parameter value read from a legacy name: number, bool or None when it looks like one.

    Only plain numbers are converted (``clip=1_0`` stays the text ``1_0``).
    """
    if _INT_TEXT.match(text):
        return int(text)
    if _FLOAT_TEXT.match(text):
        return float(text)
    return {"True": True, "False": False, "None": None}.get(text, text)
