"""The two ends of a sync have the same operations (:class:`Side`); this is the local one.

Paths are relative to the data root, ``/``-separated. Every write is one of
three kinds, so a reader at the destination never sees half of anything:
``append`` (an append-only file grows), ``replace`` (a temporary file renamed
over the target) and ``publish_folder`` (a folder, a checkpoint or a new item's,
written under a temporary name and renamed into place). Temporary names follow
:mod:`RLA.db.atomic`, so every RLA reader already ignores them. Writes are tasks
of :mod:`RLA.db.sync.pipeline`, run by the side's ``run``; the remote side
(:mod:`RLA.db.sync.sftp_side`) keeps many in flight at once.
"""
from __future__ import annotations

import os
import posixpath
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import IO, ContextManager, Dict, Iterable, Iterator, List, Optional, Tuple

from RLA.db.atomic import is_temp_name, publish, temp_path
from RLA.db.sync.pipeline import Task, immediate, run_tasks

__all__ = ["Stat", "Side", "LocalSide", "CHUNK", "chunks", "tmp_name"]

CHUNK = 1 << 18
Stat = Tuple[int, int]  # size, mtime in ns


class Side:
    """What the sync engine needs of a data root."""

    label = ""
    requests = 0  # requests sent over the network so far

    def scan(self, rel: str) -> Dict[str, Stat]:
        """Every file under ``rel`` (or ``rel`` itself when it is a file), temporary names left out."""
        raise NotImplementedError

    def stat(self, rel: str) -> Optional[Stat]:
        raise NotImplementedError

    def open_read(self, rel: str) -> "ContextManager[Tuple[IO[bytes], Stat]]":
        """``rel`` open for reading, with the size and mtime of the file opened (not of a later one)."""
        raise NotImplementedError

    def append(self, rel: str, offset: int, chunks: Iterator[bytes]) -> Task:
        """Task: write an append-only file's new bytes at ``offset``; the bytes sent."""
        raise NotImplementedError

    def replace(self, rel: str, chunks: Iterator[bytes]) -> Task:
        """Task: write ``rel`` under a temporary name and rename it into place; the bytes sent."""
        raise NotImplementedError

    def publish_folder(self, rel: str, files: Dict[str, Iterator[bytes]], new: bool = False) -> Task:
        """Task: write a folder under a temporary name, rename it into place (replacing one there, or,
        when ``new``, raising ``FileExistsError``); the bytes sent."""
        raise NotImplementedError

    def remove(self, rel: str) -> Task:
        raise NotImplementedError

    def touch(self, rel: str) -> Task:
        """Task: set the mtime of the folder ``rel`` to now (the query index of that database lists
        again the date folder of an item the sync changed in place); nothing when it is gone."""
        raise NotImplementedError

    def run(self, tasks: Iterable[Task]) -> List:
        """Carry out write tasks; their results in order."""
        return run_tasks(None, tasks, concurrency=1)

    def close(self) -> None:
        pass


def tmp_name(rel: str) -> str:
    return posixpath.join(posixpath.dirname(rel), temp_path(posixpath.basename(rel)).name)


class LocalSide(Side):
    """A data root on this machine (the source of a push, the destination of a pull)."""

    def __init__(self, root: os.PathLike):
        self.root = Path(root)
        self.label = str(self.root)

    def _abs(self, rel: str) -> Path:
        return self.root / rel

    def scan(self, rel: str) -> Dict[str, Stat]:
        top = self._abs(rel)
        found: Dict[str, Stat] = {}
        if top.is_file():
            st = top.stat()
            return {rel: (st.st_size, st.st_mtime_ns)}
        for folder, dirs, files in os.walk(top):
            dirs[:] = [d for d in dirs if not is_temp_name(d)]
            base = posixpath.join(rel, os.path.relpath(folder, top)) if folder != str(top) else rel
            for name in files:
                if is_temp_name(name):
                    continue
                try:
                    st = os.stat(os.path.join(folder, name))
                except FileNotFoundError:  # rotated away while we looked
                    continue
                found[posixpath.normpath(posixpath.join(base, name))] = (st.st_size, st.st_mtime_ns)
        return found

    def stat(self, rel: str) -> Optional[Stat]:
        try:
            st = self._abs(rel).stat()
        except FileNotFoundError:
            return None
        return st.st_size, st.st_mtime_ns

    @contextmanager
    def open_read(self, rel: str) -> Iterator[Tuple[IO[bytes], Stat]]:
        with open(self._abs(rel), "rb") as f:
            st = os.fstat(f.fileno())
            yield f, (st.st_size, st.st_mtime_ns)

    @immediate
    def append(self, rel: str, offset: int, chunks: Iterator[bytes]) -> int:
        with open(self._abs(rel), "r+b") as f:
            f.seek(offset)
            return _write_all(f, chunks)

    @immediate
    def replace(self, rel: str, chunks: Iterator[bytes]) -> int:
        target = self._abs(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_path(target)
        try:
            with open(tmp, "wb") as f:
                sent = _write_all(f, chunks)
            publish(tmp, target, durable=False)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return sent

    @immediate
    def publish_folder(self, rel: str, files: Dict[str, Iterator[bytes]], new: bool = False) -> int:
        target = self._abs(rel)
        if new and target.exists():
            raise FileExistsError(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_path(target)
        sent = 0
        try:
            for name, chunks in files.items():
                path = tmp / name
                path.parent.mkdir(parents=True, exist_ok=True)
                with open(path, "wb") as f:
                    sent += _write_all(f, chunks)
            if target.exists():
                old = temp_path(target)
                publish(target, old, durable=False)
                publish(tmp, target, durable=False)
                shutil.rmtree(old, ignore_errors=True)
            else:
                publish(tmp, target, durable=False)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return sent

    @immediate
    def touch(self, rel: str) -> None:
        try:
            os.utime(self._abs(rel))
        except FileNotFoundError:
            pass

    @immediate
    def remove(self, rel: str) -> None:
        path = self._abs(rel)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def chunks(f: IO[bytes], offset: int, length: int) -> Iterator[bytes]:
    """``length`` bytes of an open file from ``offset`` on."""
    f.seek(offset)
    left = length
    while left > 0:
        chunk = f.read(min(CHUNK, left))
        if not chunk:
            raise EOFError("a file became shorter while it was sent; it is sent again next time")
        left -= len(chunk)
        yield chunk


def _write_all(f: IO[bytes], chunks: Iterator[bytes]) -> int:
    sent = 0
    for chunk in chunks:
        f.write(chunk)
        sent += len(chunk)
    return sent
