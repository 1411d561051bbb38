"""``rla import wandb SOURCE``: W&B runs from their run folders (``wandb/offline-run-*``, ``wandb/run-*``).

Everything comes from the run's ``.wandb`` file (:mod:`RLA.importers.wandb_file`),
which offline and synced runs both keep: its config (typed as logged), name, tags
and notes, host, git commit, start time, every ``run.log`` at its step with its
``_timestamp`` as the wall time, and how it exited (0: finished, else failed; no
exit: ``unknown``). Numbers become scalars (nested keys joined with ``.``); logged
images are copied from the run's ``files/`` folder into results; other media
(tables, histograms) are named in a warning. Nothing is sent anywhere.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from RLA.db.layout import result_name
from RLA.importers.base import UNKNOWN_STATUS, Importer, RunRef, SourceError, SourceRun
from RLA.importers.wandb_file import history_value, read_records

__all__ = ["WandbImporter"]

#: a run's folder, and the run file in it
_RUN_FOLDER = re.compile(r"^(offline-)?run-\d{8}_\d{6}-(?P<id>[A-Za-z0-9]+)$")
_RUN_FILE = re.compile(r"^run-(?P<id>[A-Za-z0-9]+)\.wandb$")
#: W&B's own keys of a logged row: the step, its time, the time since the start
_STEP, _TIMESTAMP = "_step", "_timestamp"


class WandbImporter(Importer):
    name = "wandb"

    def __init__(self, source: str):
        super().__init__(source)
        self.root = Path(os.path.abspath(os.path.expanduser(source)))
        if not self.root.is_dir():
            raise SourceError(f"no folder {source}: give the wandb/ folder of a project, or one run folder in it")

    def find(self) -> List[RunRef]:
        refs: List[RunRef] = []
        seen: Dict[str, int] = {}
        for folder in self._run_folders():
            run_file = next(iter(sorted(p for p in folder.iterdir() if _RUN_FILE.match(p.name))), None)
            if run_file is None:
                continue
            run_id = _RUN_FILE.match(run_file.name)["id"]  # type: ignore[index]  # matched just above
            seen[run_id] = seen.get(run_id, 0) + 1
            # a resumed run has a folder per session: the later ones are told apart by their folder
            refs.append(RunRef(id=run_id if seen[run_id] == 1 else f"{run_id}/{folder.name}", name=folder.name,
                               fingerprint={"size": run_file.stat().st_size}, handle=(folder, run_file)))
        return refs

    def _run_folders(self) -> List[Path]:
        if any(_RUN_FILE.match(p.name) for p in self.root.iterdir()):
            return [self.root]
        folders: Dict[str, Path] = {}
        for parent in (self.root, self.root / "wandb"):
            if not parent.is_dir():
                continue
            for child in sorted(parent.iterdir()):
                if _RUN_FOLDER.match(child.name) and child.is_dir() and not child.is_symlink():
                    folders.setdefault(os.path.realpath(child), child)
        return sorted(folders.values(), key=lambda p: p.name.split("run-", 1)[1])

    def read(self, ref: RunRef) -> SourceRun:
        folder, run_file = ref.handle
        records, damage = read_records(run_file)
        reading = _Reading(folder)
        for record in records:
            reading.take(record)
        if reading.run is None:
            raise SourceError(f"{run_file.name} holds no run record" + (f": {damage}" if damage else ""))
        if damage:
            reading.warnings.append(f"{run_file.name}: {damage}; the records after it are not imported")
        run = reading.run
        start = run.start_time.seconds + run.start_time.nanos / 1e9 if run.HasField("start_time") else None
        start = start or min(reading.wall_times.values(), default=os.path.getmtime(run_file))
        end = start + reading.runtime if reading.runtime is not None else max(reading.wall_times.values(),
                                                                              default=None)
        details = {key: value for key, value in (("project", run.project), ("entity", run.entity),
                                                  ("display_name", run.display_name), ("group", run.run_group),
                                                  ("job_type", run.job_type), ("sweep_id", run.sweep_id),
                                                  ("git_commit", run.git.commit))  # no remote URL: it may hold a token
                   if value}
        return SourceRun(
            id=ref.id, name=ref.name, location=str(folder), start_time=start, end_time=end, status=reading.status,
            params=reading.config, params_from=["wandb config"] if reading.config else [], tags=list(run.tags),
            notes=run.notes or None, host=run.host or None, rows=reading.rows, wall_times=reading.wall_times,
            results=reading.images, details=details, warnings=reading.warnings,
        )


class _Reading:
    """What the records of one run say, taken in the order they were written."""

    def __init__(self, folder: Path):
        self.files = folder / "files"
        self.run: Optional[Any] = None
        self.config: Dict[str, Any] = {}
        self.rows: Dict[int, Dict[str, float]] = {}
        self.wall_times: Dict[int, float] = {}
        self.images: Dict[str, Any] = {}
        self.status = UNKNOWN_STATUS
        self.runtime: Optional[float] = None
        self.warnings: List[str] = []
        self._skipped: Dict[str, None] = {}

    def take(self, record: Any) -> None:
        kind = record.WhichOneof("record_type")
        if kind == "run" and self.run is None:
            self.run = record.run
            self._configure(record.run.config)
        elif kind == "config":
            self._configure(record.config)
        elif kind == "history":
            self._row(record.history)
        elif kind == "exit":
            self.status = "finished" if record.exit.exit_code == 0 else "failed"
            self.runtime = float(record.exit.runtime) if record.exit.runtime else None

    def _configure(self, config: Any) -> None:
        for item in config.update:
            path = _path(item)
            if path[0].startswith("_wandb"):
                continue
            _set(self.config, path, history_value(item))
        for item in config.remove:
            _unset(self.config, _path(item))

    def _row(self, history: Any) -> None:
        values: Dict[str, Any] = {}
        for item in history.item:
            _set(values, _path(item), history_value(item))
        step = history.step.num if history.HasField("step") else values.get(_STEP)
        if not isinstance(step, int):
            return
        timestamp = values.get(_TIMESTAMP)
        row: Dict[str, float] = {}
        for key, value in _leaves(values):
            if key.startswith("_"):
                continue
            if isinstance(value, (int, float)):
                row[key] = float(value)
            elif isinstance(value, dict) and value.get("_type") == "image-file" and isinstance(value.get("path"), str):
                self._image(key, step, value["path"])
            elif key not in self._skipped:
                self._skipped[key] = None
                what = value.get("_type") if isinstance(value, dict) else type(value).__name__
                self.warnings.append(f"{key!r} holds {what} values, which are not imported")
        if row:
            self.rows.setdefault(step, {}).update(row)
            if isinstance(timestamp, (int, float)):
                self.wall_times[step] = float(timestamp)

    def _image(self, key: str, step: int, relative: str) -> None:
        """An image the run logged, kept when it is a file of the run's ``files/`` folder (a path naming
        a file elsewhere, absolute or through ``..`` or a link, is not read)."""
        path = self.files / relative
        if not path.is_file() or not path.resolve().is_relative_to(self.files.resolve()):
            return
        self.images[result_name(key, step, path.suffix)] = path


def _path(item: Any) -> Tuple[str, ...]:
    return tuple(item.nested_key) or (item.key,)


def _set(target: Dict[str, Any], path: Tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        child = target.get(part)
        if not isinstance(child, dict):
            child = target[part] = {}
        target = child
    target[path[-1]] = value


def _unset(target: Dict[str, Any], path: Tuple[str, ...]) -> None:
    for part in path[:-1]:
        target = target.get(part)  # type: ignore[assignment]
        if not isinstance(target, dict):
            return
    target.pop(path[-1], None)


def _leaves(values: Dict[str, Any], prefix: str = "") -> List[Tuple[str, Any]]:
    """``(key, value)`` of a logged row: nested dicts joined with ``.``, a media object (``_type``) kept whole."""
    out: List[Tuple[str, Any]] = []
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and "_type" not in value:
            out += _leaves(value, f"{name}.")
        else:
            out.append((name, float(value) if isinstance(value, bool) else value))
    return out
