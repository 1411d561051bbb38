"""An append-only log file (progress.csv / .json, log.txt, TensorBoard events) whose records land whole.

Each record is written and flushed in one piece. When the write fails midway
(the disk is full), the file is cut back to where the record began, so that
after space is freed the next record does not follow half of one: a reader
never meets a torn row in the middle of a file. A full disk is raised as
:class:`RLA.errors.DiskFullError`.
"""
from __future__ import annotations

import contextlib
import os
from typing import IO, Any, Optional, Union

from RLA.db.atomic import reporting_full_disk

__all__ = ["AppendFile"]


class AppendFile:
    """``path`` opened for appending text (``binary=False``) or bytes."""

    def __init__(self, path: Union[str, os.PathLike], binary: bool = False):
        self.path = os.fspath(path)
        self.binary = binary
        self.file: Optional[IO[Any]] = self._open()

    def _open(self) -> IO[Any]:
        with reporting_full_disk(self.path):
            if self.binary:
                return open(self.path, "ab")
            return open(self.path, "a", encoding="utf-8", newline="")

    def append(self, record: Union[str, bytes]) -> None:
        """Write one whole record, or nothing."""
        if self.file is None:  # a failed write closed it
            self.file = self._open()
        start = os.fstat(self.file.fileno()).st_size  # the buffer is empty: every record is flushed
        try:
            with reporting_full_disk(self.path):
                self.file.write(record)
                self.file.flush()
        except OSError:
            with contextlib.suppress(OSError):
                self.file.close()  # closes even when its flush of the rest fails; that rest is dropped
            self.file = None
            os.truncate(self.path, start)
            raise

    def close(self) -> None:
        if self.file is not None:
            with reporting_full_disk(self.path):
                self.file.close()
