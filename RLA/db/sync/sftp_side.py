"""The remote end of a sync: a data root on the central host, over one SFTP session.

Writes are tasks of :mod:`RLA.db.sync.pipeline`, so the files of many items are
in flight at once: a file costs an open, its writes and a close sent back to
back, not three waits. Folders are made ``mkdir -p``-like in one batch; the
folders this session made or listed are remembered, so a folder is listed (for
leftovers of uploads killed midway, and to know what exists) at most once.
"""
from __future__ import annotations

import posixpath
import stat as stat_module
import time
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Dict, Iterable, Iterator, List, Optional, Set, Tuple

from RLA.db.atomic import is_temp_name
from RLA.db.sync.pipeline import Request, Task, run_tasks
from RLA.db.sync.sides import CHUNK, Side, Stat, tmp_name

if TYPE_CHECKING:
    import paramiko

__all__ = ["RemoteSide"]

#: bytes of one SFTP write request (what every server accepts) and write requests sent per batch
WRITE_SIZE = 32768
WRITE_BATCH = 64


class RemoteSide(Side):
    """A data root on the central host, over one SFTP session."""

    def __init__(self, sftp: "paramiko.SFTPClient", root: str, label: str = ""):
        self.sftp = sftp
        self.root = root
        self.label = label or root
        self._dirs: Set[str] = set()
        self._listings: Dict[str, Set[str]] = {}  # folder -> names in it, as this session knows them

    def _abs(self, rel: str) -> str:
        return posixpath.join(self.root, rel)

    @property
    def requests(self) -> int:  # type: ignore[override]
        return self.sftp.request_number

    def run(self, tasks: Iterable[Task]) -> List:
        return run_tasks(self.sftp, tasks)

    # reading --------------------------------------------------------------------------
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

    # writing (tasks) ------------------------------------------------------------------
    def append(self, rel: str, offset: int, chunks: Iterator[bytes]) -> Task:
        """Write the new bytes of an append-only file at ``offset`` (what the record says was sent);
        ``FileNotFoundError`` when the file is gone from the remote (the caller sends it whole)."""
        from paramiko.sftp import SFTP_FLAG_WRITE

        return (yield from self._put(self._abs(rel), chunks, SFTP_FLAG_WRITE, offset))

    def replace(self, rel: str, chunks: Iterator[bytes]) -> Task:
        target = self._abs(rel)
        folder, name = posixpath.split(target)
        yield from self._prepare(folder, name)
        tmp = tmp_name(target)
        sent = yield from self._put(tmp, chunks, _create())
        yield from self._rename_over(tmp, target)
        return sent

    def publish_folder(self, rel: str, files: Dict[str, Iterator[bytes]], new: bool = False) -> Task:
        target = self._abs(rel)
        parent, name = posixpath.split(target)
        names = yield from self._prepare(parent, name)
        if new and name in names:
            raise FileExistsError(target)
        tmp = tmp_name(target)
        folders = {posixpath.dirname(posixpath.join(tmp, inner)) for inner in files}
        chain = sorted({tmp} | {f for folder in folders for f in _ancestors(folder, parent)})
        yield [Request(_cmd("MKDIR"), f, _attrs()) for f in chain]
        sizes = yield [self._put(posixpath.join(tmp, inner), chunks, _create()) for inner, chunks in files.items()]
        (renamed,) = yield [Request(_cmd("RENAME"), tmp, target, tolerant=True)]
        if renamed is not None:  # a folder: a plain rename fails when the target exists
            if new:
                yield from self._remove_tree(tmp)
                raise FileExistsError(target)
            old = tmp_name(target)
            yield [Request(_cmd("RENAME"), target, old), Request(_cmd("RENAME"), tmp, target)]
            yield from self._remove_tree(old)
        names.add(name)
        return sum(sizes)

    def remove(self, rel: str) -> Task:
        """Task: remove a file or folder, and what uploads of it killed midway left beside it."""
        path = self._abs(rel)
        folder, name = posixpath.split(path)
        try:
            yield from self._clear_leftovers(folder, name)
            attrs = self.sftp.stat(path)
        except FileNotFoundError:
            return
        if stat_module.S_ISDIR(attrs.st_mode or 0):
            yield from self._remove_tree(path)
        else:
            yield [Request(_cmd("REMOVE"), path)]
        self._listings.get(folder, set()).discard(name)

    def touch(self, rel: str) -> Task:
        attrs = _attrs()
        attrs.st_atime = attrs.st_mtime = int(time.time())
        yield [Request(_cmd("SETSTAT"), self._abs(rel), attrs, tolerant=True)]

    def close(self) -> None:
        client = getattr(self.sftp, "ssh_client", None)
        self.sftp.close()
        if client is not None:
            client.close()

    # helpers --------------------------------------------------------------------------
    def _put(self, path: str, chunks: Iterator[bytes], flags: int, offset: int = 0) -> Task:
        """Open ``path``, write ``chunks`` from ``offset`` on and close it, the writes back to back."""
        from paramiko.sftp import int64

        (reply,) = yield [Request(_cmd("OPEN"), path, flags, _attrs())]
        handle = reply.get_binary()
        sent, batch = 0, []
        try:
            for chunk in chunks:
                for start in range(0, len(chunk), WRITE_SIZE):
                    piece = chunk[start:start + WRITE_SIZE]
                    batch.append(Request(_cmd("WRITE"), handle, int64(offset + sent), piece))
                    sent += len(piece)
                if len(batch) >= WRITE_BATCH:
                    yield batch
                    batch = []
        except Exception:
            yield [Request(_cmd("CLOSE"), handle, tolerant=True)]
            raise
        yield batch + [Request(_cmd("CLOSE"), handle)]
        return sent

    def _rename_over(self, source: str, target: str) -> Task:
        """Rename over an existing file in one step where the server offers posix-rename."""
        (done,) = yield [Request(_cmd("EXTENDED"), "posix-rename@openssh.com", source, target, tolerant=True)]
        if done is not None:
            yield [Request(_cmd("REMOVE"), target, tolerant=True)]
            yield [Request(_cmd("RENAME"), source, target)]

    def _prepare(self, folder: str, name: str) -> Task:
        """Make ``folder`` (``mkdir -p``) and clear what uploads of ``name`` killed midway left there;
        the names in ``folder`` as this session knows them."""
        missing = []
        path = folder
        while path not in self._dirs and path not in ("", "/"):
            missing.append(path)
            path = posixpath.dirname(path)
        if missing:
            made = yield [Request(_cmd("MKDIR"), p, _attrs(), tolerant=True) for p in reversed(missing)]
            self._dirs.update(missing)
            if made[-1] is None:
                self._listings[folder] = set()
        return (yield from self._clear_leftovers(folder, name))

    def _clear_leftovers(self, folder: str, name: str) -> Task:
        """Remove the temporaries of ``name`` in ``folder`` (``FileNotFoundError`` without the folder);
        the names in ``folder`` as this session knows them."""
        if folder not in self._listings:
            self._listings[folder] = set(self.sftp.listdir(folder))
        names = self._listings[folder]
        leftovers = [n for n in names if n.startswith(f".{name}.") and is_temp_name(n)]
        for leftover in leftovers:
            path = posixpath.join(folder, leftover)
            if stat_module.S_ISDIR(self.sftp.stat(path).st_mode or 0):
                yield from self._remove_tree(path)
            else:
                self.sftp.remove(path)
            names.discard(leftover)
        return names

    def _remove_tree(self, path: str) -> Task:
        entries = self.sftp.listdir_attr(path)
        yield [self._remove_tree(posixpath.join(path, e.filename)) if stat_module.S_ISDIR(e.st_mode or 0)
               else Request(_cmd("REMOVE"), posixpath.join(path, e.filename)) for e in entries]
        yield [Request(_cmd("RMDIR"), path)]
        self._dirs.discard(path)
        self._listings.pop(path, None)


def _ancestors(folder: str, stop: str) -> List[str]:
    """``folder`` and its parents up to (not including) ``stop``."""
    found = []
    while folder != stop and folder not in ("", "/"):
        found.append(folder)
        folder = posixpath.dirname(folder)
    return found


def _cmd(name: str) -> int:
    from paramiko import sftp

    return getattr(sftp, f"CMD_{name}")


def _attrs() -> "paramiko.SFTPAttributes":
    from paramiko import SFTPAttributes

    return SFTPAttributes()


def _remote_stat(attrs: "paramiko.SFTPAttributes") -> Stat:
    return int(attrs.st_size or 0), int(attrs.st_mtime or 0) * 1_000_000_000


def _create() -> int:
    """Open flags of a file written from scratch."""
    from paramiko.sftp import SFTP_FLAG_CREATE, SFTP_FLAG_TRUNC, SFTP_FLAG_WRITE

    return SFTP_FLAG_WRITE | SFTP_FLAG_CREATE | SFTP_FLAG_TRUNC
