"""Run a command as if we were not there, keeping a copy of what it prints.

The command gets our working directory, environment, standard input and
process group. On a terminal its output goes through a pseudo-terminal of the
same size, so it still sees a terminal (progress bars, colours); otherwise
through pipes, stdout and stderr kept apart. Either way every byte reaches our
own stdout/stderr and the item's output file. Signals we get (SIGTERM from
SLURM or a launcher, SIGHUP, SIGUSR1/2 for requeueing) are passed on; Ctrl-C
reaches the command from the terminal itself, and is passed on only when it
did not come from there.
"""
from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable, List, Optional, Sequence, cast

__all__ = ["Outcome", "run_child", "FORWARDED_SIGNALS", "TEE_GRACE_SECONDS"]

#: how long output is still copied after the command ended (a process it started in the background may
#: hold its stdout for ever)
TEE_GRACE_SECONDS = 5.0

FORWARDED_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGINT")
                          if hasattr(signal, name))


@dataclass
class Outcome:
    """How the command ended."""

    returncode: int

    @property
    def signal(self) -> Optional[int]:
        """The signal that killed it, if one did."""
        return -self.returncode if self.returncode < 0 else None

    @property
    def status(self) -> str:
        """The run's status: finished (0), killed (a signal, or the shell's 128+N of SIGINT/SIGTERM), failed."""
        if self.returncode == 0:
            return "finished"
        if self.signal is not None or self.returncode in (128 + signal.SIGINT, 128 + signal.SIGTERM):
            return "killed"
        return "failed"

    @property
    def error(self) -> Optional[str]:
        if self.signal is not None:
            return f"killed by {signal.Signals(self.signal).name}"
        if self.returncode != 0:
            return f"exit status {self.returncode}"
        return None


class _Tee:
    """Copies one output stream of the command to our stream and to the output file."""

    def __init__(self, source: int, target: IO[bytes], log: IO[bytes], lock: threading.Lock):
        self.source, self.target, self.log, self.lock = source, target, log, lock
        #: set when the command ended long ago and a process it left behind still holds the stream
        self.stopped = False
        self._partial = b""
        self.thread = threading.Thread(target=self._copy, daemon=True)
        self.thread.start()

    def _copy(self) -> None:
        while not self.stopped:
            try:
                chunk = os.read(self.source, 65536)
            except OSError as exc:  # EIO: the pseudo-terminal's other side closed
                if exc.errno in (errno.EIO, errno.EBADF):
                    break
                raise
            if not chunk:
                break
            self._log_lines(chunk)
            try:
                self.target.write(chunk)
                self.target.flush()
            except BrokenPipeError:
                break  # our reader went away (`| head`): the command's next write fails as it would have
        self._log_lines(b"", final=True)
        os.close(self.source)

    def _log_lines(self, chunk: bytes, final: bool = False) -> None:
        """Into the output file by whole lines (``\n`` or a progress bar's ``\r``), so that lines of
        stdout and stderr never cut into each other there."""
        self._partial += chunk
        end = len(self._partial) if final else max(self._partial.rfind(b"\n"), self._partial.rfind(b"\r")) + 1
        if end <= 0:
            return
        with self.lock:
            if not self.stopped:
                self.log.write(self._partial[:end])
                self.log.flush()
        self._partial = self._partial[end:]

    def finish(self, timeout: float) -> None:
        """Wait for the stream to end; after ``timeout`` stop copying (a background process holds it)."""
        self.thread.join(timeout)
        with self.lock:
            self.stopped = True


def _binary(stream: Any) -> IO[bytes]:
    """The byte stream under a text stream (a test's capture may be bytes-only already)."""
    return cast(IO[bytes], getattr(stream, "buffer", stream))


def _terminal_size(fd: int) -> Optional[bytes]:
    import fcntl
    import termios

    try:
        return fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8)
    except OSError:
        return None


def _set_terminal_size(fd: int, size: Optional[bytes]) -> None:
    import fcntl
    import termios

    if size is not None:
        try:
            fcntl.ioctl(fd, termios.TIOCSWINSZ, size)
        except OSError:
            pass


def _from_our_terminal() -> bool:
    """Whether a SIGINT we got came from the terminal, which sent it to the command too."""
    try:
        return os.tcgetpgrp(sys.stdin.fileno()) == os.getpgrp()
    except (OSError, ValueError, AttributeError):
        return False


def run_child(argv: Sequence[str], output_file: Path, on_start: Optional[Callable[[int], None]] = None,
              environ: Optional[dict] = None) -> Outcome:
    """Run ``argv`` to its end; its output also goes to ``output_file`` (appended)."""
    use_terminal = sys.stdout.isatty()
    lock = threading.Lock()
    out, err = _binary(sys.stdout), _binary(sys.stderr)
    sys.stdout.flush()
    sys.stderr.flush()
    with open(output_file, "ab") as log:
        tees: List[_Tee] = []
        previous = {s: signal.getsignal(s) for s in FORWARDED_SIGNALS}
        child: Optional[subprocess.Popen] = None

        def forward(signum: int, frame: Any) -> None:
            if child is None or child.poll() is not None:
                return
            if signum == signal.SIGINT and _from_our_terminal():
                return  # the terminal sent it to the command's process group already
            try:
                child.send_signal(signum)
            except ProcessLookupError:
                pass

        for signum in FORWARDED_SIGNALS:
            signal.signal(signum, forward)
        try:
            if use_terminal:
                master, slave = os.openpty()
                _set_terminal_size(slave, _terminal_size(sys.stdout.fileno()))
                child = subprocess.Popen(list(argv), stdout=slave, stderr=slave, env=environ)
                os.close(slave)
                tees.append(_Tee(master, out, log, lock))
                if hasattr(signal, "SIGWINCH"):
                    signal.signal(signal.SIGWINCH, lambda *_: _set_terminal_size(
                        master, _terminal_size(sys.stdout.fileno())))
            else:
                child = subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environ)
                assert child.stdout is not None and child.stderr is not None
                tees.append(_Tee(os.dup(child.stdout.fileno()), out, log, lock))
                tees.append(_Tee(os.dup(child.stderr.fileno()), err, log, lock))
                child.stdout.close()
                child.stderr.close()
            if on_start is not None:
                on_start(child.pid)
            returncode = _wait(child)
            for tee in tees:
                tee.finish(TEE_GRACE_SECONDS)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
            if use_terminal and hasattr(signal, "SIGWINCH"):
                signal.signal(signal.SIGWINCH, signal.SIG_DFL)
    return Outcome(returncode)


def _wait(child: subprocess.Popen) -> int:
    while True:
        try:
            return child.wait()
        except KeyboardInterrupt:  # only if our handler was replaced; the command decides when it ends
            continue
