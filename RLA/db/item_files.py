"""The files inside an item: their names, and accessors so that no other module spells one.

:class:`RLA.db.layout.Item` answers ``item.log`` (a :class:`LogFolder`) and
``item.code`` (a :class:`CodeFolder`); code that only has a log folder's path
(the logger) builds ``LogFolder(path)``.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List

__all__ = ["LogFolder", "CodeFolder", "result_name"]

# files inside an item's log folder (use the accessors of LogFolder / Item, not these names)
PROGRESS_CSV = "progress.csv"
PROGRESS_JSON = "progress.json"
#: the values of columns progress.csv's header does not have yet (RLA.db.late_columns)
PROGRESS_LATE = "progress.late.jsonl"
PARAMS_JSON = "params.json"
RUN_JSON = "run.json"
TB_DIR = "tb"
LOG_TXT = "log.txt"
WARN_TXT = "warn.txt"
BACKUP_TXT = "backup.txt"
#: what a command run by ``rla run`` printed (stdout and stderr)
OUTPUT_TXT = "output.txt"
#: the run's system metrics (CPU, memory, IO, GPU), sampled in the background
SYSTEM_CSV = "system.csv"
#: the tags and note written about the run after the fact (RLA.db.annotations)
ANNOTATIONS_JSON = "annotations.json"
EVENT_FILE_PREFIX = "events.out.tfevents."
#: RLA 0.6 wrote its event files one folder deeper, in ``tb/events/``
LEGACY_EVENTS_DIR = "events"
#: the parameters as RLA 0.6 wrote them (``.json``, or ``.yaml`` when omegaconf was installed), in the
#: log, code and hyperparameter folders of an item
LEGACY_PARAMS_FILES = ("parameter.json", "parameter.yaml")
RESUME_MARKER_PREFIX = ".resume-"
RANK_LOG = "log-rank{}.txt"
# files beside an item's code snapshot
GIT_DIFF = "git.diff"
REQUIREMENTS_TXT = "requirements.txt"


#: a part of a result's name longer than this is cut (a file system takes 255 bytes)
_MAX_PART_BYTES = 200


def result_name(tag: str, step: int, suffix: str) -> str:
    """Where a figure a run logged under ``tag`` at ``step`` is kept in its item's results folder: the
    tag's folders, then ``<step>-<last part><suffix>`` (as the logger names figures). Parts that would
    leave the folder (empty, ``.``, ``..``) are dropped, so a tag from a source never points outside."""
    parts = [_part(p) for p in tag.replace("\\", "/").split("/") if p.strip("\0") not in ("", ".", "..")] or ["image"]
    return "/".join([*parts[:-1], f"{step}-{parts[-1]}{suffix}"])


def _part(text: str) -> str:
    return text.replace("\0", "_").encode("utf-8")[:_MAX_PART_BYTES].decode("utf-8", "ignore")


@dataclass(frozen=True)
class LogFolder:
    """The files of an item's ``log`` folder (or of any folder the logger writes into)."""

    path: Path

    @property
    def progress_csv(self) -> Path:
        return self.path / PROGRESS_CSV

    @property
    def progress_json(self) -> Path:
        return self.path / PROGRESS_JSON

    @property
    def progress_late(self) -> Path:
        return self.path / PROGRESS_LATE

    @property
    def params_json(self) -> Path:
        return self.path / PARAMS_JSON

    @property
    def run_json(self) -> Path:
        return self.path / RUN_JSON

    @property
    def tb_dir(self) -> Path:
        return self.path / TB_DIR

    @property
    def log_txt(self) -> Path:
        return self.path / LOG_TXT

    @property
    def warn_txt(self) -> Path:
        return self.path / WARN_TXT

    @property
    def backup_txt(self) -> Path:
        return self.path / BACKUP_TXT

    @property
    def output_txt(self) -> Path:
        return self.path / OUTPUT_TXT

    @property
    def system_csv(self) -> Path:
        return self.path / SYSTEM_CSV

    @property
    def annotations_json(self) -> Path:
        return self.path / ANNOTATIONS_JSON

    def rank_log(self, rank: int) -> Path:
        """The log of process ``rank`` (> 0) of a multi-process run; rank 0 writes the item's usual files."""
        return self.path / RANK_LOG.format(int(rank))

    def resume_marker(self, number: int) -> Path:
        """The file that claims the ``number``-th resume of the item."""
        return self.path / f"{RESUME_MARKER_PREFIX}{number}"

    def legacy_params_files(self) -> List[Path]:
        """``parameter.json`` / ``parameter.yaml`` as RLA 0.6 wrote them here (when present)."""
        return [self.path / name for name in LEGACY_PARAMS_FILES if (self.path / name).is_file()]

    def event_files(self) -> List[Path]:
        """The TensorBoard event files, oldest name first (with those RLA 0.6 wrote in ``tb/events/``)."""
        return sorted([*self.tb_dir.glob(EVENT_FILE_PREFIX + "*"),
                       *(self.tb_dir / LEGACY_EVENTS_DIR).glob(EVENT_FILE_PREFIX + "*")],
                      key=lambda p: p.name)

    def new_event_file(self, host: str, pid: int, wall_time: float) -> Path:
        """A new TensorBoard event file name (TensorBoard finds files by this prefix)."""
        return self.tb_dir / f"{EVENT_FILE_PREFIX}{wall_time:.6f}.{host}.{pid}.rla"


@dataclass(frozen=True)
class CodeFolder:
    """The files RLA adds beside an item's code snapshot."""

    path: Path

    @property
    def git_diff(self) -> Path:
        return self.path / GIT_DIFF

    @property
    def requirements_txt(self) -> Path:
        return self.path / REQUIREMENTS_TXT
