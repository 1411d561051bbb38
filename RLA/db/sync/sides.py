"""The two ends of a sync: a local data root and a remote one over SFTP, with the same operations.

Paths are relative to the data root, ``/``-separated. Every write is one of
three kinds, so a reader at the destination never sees half of anything:
``append`` (an append-only file grows), ``replace`` (a temporary file renamed
over the target) and ``publish_folder`` (a checkpoint folder written under a
temporary name and renamed into place). Temporary names follow
:mod:`RLA.db.atomic`, so every RLA reader already ignores them.
"""
from __future__ import annotations

import os
import posixpath
import shutil
import stat as stat_module
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, ContextManager, Dict, Iterator, List, Optional, Set, Tuple

from RLA.db.atomic import is_temp_name, publish, temp_path

if TYPE_CHECKING:
    import paramiko

__all__ = ["Stat", "Side", "LocalSide", "RemoteSide", "CHUNK", "chunks"]

CHUNK = 1 << 18
Stat = Tuple[int, int]  # size, mtime in ns


class Side:
    """What the sync engine needs of a data root."""

    label = ""

    def scan(self, rel: str) -> Dict[str, Stat]:
        """Every file under ``rel`` (or ``rel`` itself when it is a file), temporary names left out."""
        raise NotImplementedError

    def stat(self, rel: str) -> Optional[Stat]:
        raise NotImplementedError

    def open_read(self, rel: str) -> "ContextManager[Tuple[IO[bytes], Stat]]":
        """``rel`` open for reading, with the size and mtime of the file opened (not of a later one)."""
        raise NotImplementedError

    def append(self, rel: str, offset: int, chunks: Iterator[bytes]) -> int:
        raise NotImplementedError

    def replace(self, rel: str, chunks: Iterator[bytes]) -> int:
        raise NotImplementedError

    def publish_folder(self, rel: str, files: Dict[str, Iterator[bytes]]) -> int:
        raise NotImplementedError

    def remove(self, rel: str) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _tmp_name(rel: str) -> str:
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

    def append(self, rel: str, offset: int, chunks: Iterator[bytes]) -> int:
        with open(self._abs(rel), "r+b") as f:
            f.seek(offset)
            return _write_all(f, chunks)

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

    def publish_folder(self, rel: str, files: Dict[str, Iterator[bytes]]) -> int:
        target = self._abs(rel)
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

    def remove(self, rel: str) -> None:
        path = self._abs(rel)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


class RemoteSide(Side):
    """A data root on the central host, over one SFTP session."""

    def __init__(self, sftp: "paramiko.SFTPClient", root: str, label: str = ""):
        self.sftp = sftp
        self.root = root
        self.label = label or root
        self._dirs: Set[str] = set()

    def _abs(self, rel: str) -> str:
        return posixpath.join(self.root, rel)

    def scan(self, rel: str) -> Dict[str, Stat]:
        found: Dict[str, Stat] = {}
        try:
            top = self.sftp.stat(self._abs(rel))
        except FileNotFoundError:
            return found
        if not stat_module.S_ISDIR(top.st_mode or 0):
            return {rel: _remote_stat(top)}
        pending: List[str] = [rel]
        while pending:
            folder = pending.pop()
            for entry in self.sftp.listdir_attr(self._abs(folder)):
                if is_temp_name(entry.filename):
                    continue
                child = posixpath.join(folder, entry.filename)
                if stat_module.S_ISDIR(entry.st_mode or 0):
                    pending.append(child)
                else:
                    found[child] = _remote_stat(entry)
        return found

    def listdir(self, rel: str) -> List[str]:
        """The names in a remote folder, temporary ones left out; none when it does not exist."""
        try:
            return sorted(n for n in self.sftp.listdir(self._abs(rel)) if not is_temp_name(n))
        except FileNotFoundError:
            return []

    def stat(self, rel: str) -> Optional[Stat]:
        try:
            return _remote_stat(self.sftp.stat(self._abs(rel)))
        except FileNotFoundError:
            return None

    @contextmanager
    def open_read(self, rel: str) -> Iterator[Tuple[IO[bytes], Stat]]:
        with self.sftp.open(self._abs(rel), "rb", bufsize=CHUNK) as f:
            stat = _remote_stat(f.stat())
            if stat[0] > CHUNK:
                f.prefetch(stat[0])
            yield f, stat

    def append(self, rel: str, offset: int, chunks: Iterator[bytes]) -> int:
        with self._open(self._abs(rel), "r+b") as f:
            f.seek(offset)
            return _write_all(f, chunks)

    def replace(self, rel: str, chunks: Iterator[bytes]) -> int:
        target = self._abs(rel)
        self._ensure_dir(posixpath.dirname(target))
        tmp = _tmp_name(target)
        with self._open(tmp, "wb") as f:
            sent = _write_all(f, chunks)
        self._rename(tmp, target)
        return sent

    def publish_folder(self, rel: str, files: Dict[str, Iterator[bytes]]) -> int:
        target = self._abs(rel)
        parent, name = posixpath.split(target)
        self._ensure_dir(parent)
        for leftover in self.sftp.listdir(parent):  # of an upload killed midway
            if leftover.startswith(f".{name}.") and is_temp_name(leftover):
                self._remove_tree(posixpath.join(parent, leftover))
        tmp = _tmp_name(target)
        self.sftp.mkdir(tmp)
        self._dirs.add(tmp)
        sent = 0
        for name, chunks in files.items():
            path = posixpath.join(tmp, name)
            self._ensure_dir(posixpath.dirname(path))
            with self._open(path, "wb") as f:
                sent += _write_all(f, chunks)
        try:
            self.sftp.rename(tmp, target)  # a folder: plain rename fails if the target exists
        except OSError:
            old = _tmp_name(target)
            self.sftp.rename(target, old)
            self.sftp.rename(tmp, target)
            self._remove_tree(old)
        return sent

    def remove(self, rel: str) -> None:
        path = self._abs(rel)
        try:
            attrs = self.sftp.stat(path)
        except FileNotFoundError:
            return
        if stat_module.S_ISDIR(attrs.st_mode or 0):
            self._remove_tree(path)
        else:
            self.sftp.remove(path)

    def close(self) -> None:
        client = getattr(self.sftp, "ssh_client", None)
        self.sftp.close()
        if client is not None:
            client.close()

    # helpers --------------------------------------------------------------------------
    @contextmanager
    def _open(self, path: str, mode: str) -> Iterator[IO[bytes]]:
        with self.sftp.open(path, mode, bufsize=CHUNK) as f:
            f.set_pipelined(True)
            yield f

    def _rename(self, source: str, target: str) -> None:
        """Rename over an existing file in one step where the server offers posix-rename."""
        try:
            self.sftp.posix_rename(source, target)
        except OSError:
            try:
                self.sftp.remove(target)
            except FileNotFoundError:
                pass
            self.sftp.rename(source, target)

    def _ensure_dir(self, path: str) -> None:
        if path in self._dirs or path in ("", "/"):
            return
        try:
            self.sftp.mkdir(path)
        except OSError:
            try:
                attrs = self.sftp.stat(path)
            except FileNotFoundError:
                self._ensure_dir(posixpath.dirname(path))
                self.sftp.mkdir(path)
            else:
                if not stat_module.S_ISDIR(attrs.st_mode or 0):
                    raise
                self._clear_leftover_files(path)
        self._dirs.add(path)

    def _clear_leftover_files(self, path: str) -> None:
        """Remove the temporary files of uploads killed midway in a folder this session writes into
        (once per folder and session; temporary folders are cleared by publish_folder)."""
        for entry in self.sftp.listdir_attr(path):
            if is_temp_name(entry.filename) and not stat_module.S_ISDIR(entry.st_mode or 0):
                self.sftp.remove(posixpath.join(path, entry.filename))

    def _remove_tree(self, path: str) -> None:
        for entry in self.sftp.listdir_attr(path):
            child = posixpath.join(path, entry.filename)
            if stat_module.S_ISDIR(entry.st_mode or 0):
                self._remove_tree(child)
            else:
                self.sftp.remove(child)
        self.sftp.rmdir(path)
        self._dirs.discard(path)


def _remote_stat(attrs: "paramiko.SFTPAttributes") -> Stat:
    return int(attrs.st_size or 0), int(attrs.st_mtime or 0) * 1_000_000_000


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
