"""Many SFTP requests in flight over one session, so a sync waits for the network once per batch, not per request.

paramiko's SFTP calls are synchronous: each open, write, close, mkdir or
rename waits a round trip. Here a sync is written as *tasks*: generators that
yield a list of :class:`Request` s and sub-tasks and are resumed with their
results (in order) once all of them are done; meanwhile the other tasks run.
A request that fails is thrown into its task (after the rest of its list is
done), so a task handles SFTP errors with ``try``/``except`` as usual. Tasks
that never yield a request (the local side of a sync) run under the same
scheduler without a session. Built on paramiko's request numbering and reply
routing (``_expecting``, ``_read_response``: the mechanism of its own pipelined
writes and prefetch); the requests of a round are sent in one channel write.
"""
from __future__ import annotations

import functools
from collections import deque
from typing import Any, Callable, Deque, Dict, Generator, Iterable, List, Optional, Tuple

__all__ = ["Request", "Task", "run_tasks", "immediate", "WINDOW"]

#: requests in flight at most (each reply is small; the SSH window is never the limit)
WINDOW = 256
#: tasks (files, items) under way at once
CONCURRENCY = 32

Task = Generator[List[Any], List[Any], Any]


class Request:
    """One SFTP request: its type (``paramiko.sftp.CMD_*``) and arguments; ``tolerant``: a failure is
    returned as the result (an exception instance) instead of being thrown into the task."""

    __slots__ = ("type", "args", "tolerant")

    def __init__(self, type_: int, *args: Any, tolerant: bool = False):
        self.type, self.args, self.tolerant = type_, args, tolerant


class _Waiter:
    """A task waiting for the results of the list it yielded."""

    __slots__ = ("gen", "parent", "slot", "pending", "results", "error")

    def __init__(self, gen: Task, parent: Optional["_Waiter"], slot: int):
        self.gen, self.parent, self.slot = gen, parent, slot
        self.pending = 0
        self.results: List[Any] = []
        self.error: Optional[BaseException] = None


class _Scheduler:
    def __init__(self, sftp: Any, window: int):
        self.sftp, self.window = sftp, window
        self.inflight: Dict[int, Tuple[_Waiter, int, bool]] = {}
        self.unsent: Deque[Tuple[_Waiter, int, Request]] = deque()
        self.ready: Deque[_Waiter] = deque()
        self.finished: List[Tuple[int, Any]] = []
        self.failure: Optional[BaseException] = None
        self.running = 0

    # paramiko calls this with each reply to a request sent with ``self`` as its file object
    def _async_response(self, t: int, msg: Any, num: int) -> None:
        from paramiko.sftp import CMD_STATUS

        waiter, slot, tolerant = self.inflight.pop(num)
        result: Any = msg
        if t == CMD_STATUS:
            try:
                self.sftp._convert_status(msg)
                result = None
            except (OSError, EOFError) as exc:
                result = exc
                if not tolerant and waiter.error is None:
                    waiter.error = exc
        self._fill(waiter, slot, result)

    def _fill(self, waiter: _Waiter, slot: int, result: Any) -> None:
        waiter.results[slot] = result
        waiter.pending -= 1
        if waiter.pending == 0:
            self.ready.append(waiter)

    def start(self, gen: Task, parent: Optional[_Waiter], slot: int) -> None:
        self._step(_Waiter(gen, parent, slot), None)

    def _step(self, waiter: _Waiter, value: Any) -> None:
        try:
            if waiter.error is not None:
                error, waiter.error = waiter.error, None
                batch = waiter.gen.throw(error)
            else:
                batch = waiter.gen.send(value)
        except StopIteration as stop:
            self._done(waiter, stop.value, None)
            return
        except Exception as exc:  # noqa: BLE001 - handed to the parent task, or raised by run_tasks
            self._done(waiter, None, exc)
            return
        waiter.pending, waiter.results = len(batch), [None] * len(batch)
        if not batch:
            self.ready.append(waiter)
        for slot, part in enumerate(batch):
            if isinstance(part, Request):
                self.unsent.append((waiter, slot, part))
            else:
                self.start(part, waiter, slot)

    def _done(self, waiter: _Waiter, value: Any, error: Optional[BaseException]) -> None:
        parent = waiter.parent
        if parent is None:
            self.running -= 1
            if error is not None and self.failure is None:
                self.failure = error
            self.finished.append((waiter.slot, value))
            return
        if error is not None and parent.error is None:
            parent.error = error
        self._fill(parent, waiter.slot, value)

    def _send(self) -> None:
        """Send what fits in the window as one write on the channel: many SFTP requests share an SSH
        packet, instead of one packet (encrypted, sent and acknowledged on its own) each."""
        import struct

        from paramiko import Message, SFTPAttributes
        from paramiko.sftp import int64

        sftp, out = self.sftp, []
        with sftp._lock:
            while self.unsent and len(self.inflight) < self.window:
                waiter, slot, request = self.unsent.popleft()
                num = sftp.request_number
                sftp.request_number += 1
                sftp._expecting[num] = self
                self.inflight[num] = (waiter, slot, request.tolerant)
                msg = Message()
                msg.add_int(num)
                for arg in request.args:
                    if isinstance(arg, int64):
                        msg.add_int64(arg)
                    elif isinstance(arg, int):
                        msg.add_int(arg)
                    elif isinstance(arg, SFTPAttributes):
                        arg._pack(msg)
                    else:
                        msg.add_string(arg)
                body = msg.asbytes()
                out.append(struct.pack(">IB", len(body) + 1, request.type) + body)
        sftp.sock.sendall(b"".join(out))

    def pump(self) -> bool:
        """Resume what is ready, send what fits in the window, read one reply; False when nothing is left."""
        while self.ready:
            waiter = self.ready.popleft()
            results, waiter.results = waiter.results, []
            self._step(waiter, results)
        if self.unsent and self.failure is None:
            self._send()
        if self.inflight:
            self.sftp._read_response()
            while self.inflight and self.sftp.sock.recv_ready():  # the replies that are already here
                self.sftp._read_response()
            return True
        return bool(self.ready)


def run_tasks(sftp: Any, tasks: Iterable[Task], concurrency: int = CONCURRENCY,
              window: int = WINDOW) -> List[Any]:
    """Run ``tasks`` (at most ``concurrency`` at once) over the SFTP session ``sftp`` (``None``: tasks that
    need none); their results in order. The first task that fails stops the start of new ones; the
    requests in flight are waited for, then its exception is raised."""
    scheduler = _Scheduler(sftp, window)
    pending = enumerate(tasks)
    more = True
    while True:
        while more and scheduler.failure is None and scheduler.running < concurrency:
            slot, task = next(pending, (-1, None))
            if task is None:
                more = False
                break
            scheduler.running += 1
            scheduler.start(task, None, slot)
        busy = scheduler.pump()
        if scheduler.failure is not None:
            if not scheduler.inflight and not scheduler.ready:
                break
        elif not busy and not more:
            if scheduler.running:
                raise RuntimeError("sync tasks wait for nothing: a bug in RLA.db.sync")
            break
    if scheduler.failure is not None:
        raise scheduler.failure
    return [value for _, value in sorted(scheduler.finished, key=lambda pair: pair[0])]


def immediate(fn: Callable[..., Any]) -> Callable[..., Task]:
    """A plain function as a task that sends no request (how the local side of a sync takes part)."""
    @functools.wraps(fn)
    def task(*args: Any, **kwargs: Any) -> Task:
        return fn(*args, **kwargs)
        yield  # unreachable: makes ``task`` a generator  # noqa

    return task
