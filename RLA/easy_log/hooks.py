"""How a run learns the way its process ended: the explicit ``with exp_manager.run():`` or fallback hooks.

Inside ``with exp_manager.run():`` the context sees every exception, ``sys.exit``
included, and records ``finished``, ``failed`` or ``killed`` itself. Scripts
that never use it get the fallback installed by ``log_files_gen``: an
``atexit`` handler, a chained ``sys.excepthook`` and a thin wrapper of
``sys.exit`` (Python 3.11 offers no other way to see a script's exit status
before the interpreter exits). SIGTERM and SIGHUP (a scheduler or a closed
terminal) are turned into an exception in the main thread in both cases, so
``finally`` blocks run and the run is recorded as ``killed``; another one while
the run unwinds is ignored (SLURM signals every process of a job it ends, which
may also get SIGTERM from its parent), and one that comes while the end of the
run is recorded is acted on once it is.
"""
from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
import threading
import traceback
from typing import Any, Callable, Iterator, List, Optional, Tuple

__all__ = ["Terminated", "TERMINATING_SIGNALS", "exit_status", "ProcessHooks"]

#: signals a scheduler or a closed terminal sends to stop a job: recorded as "killed"
TERMINATING_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))

#: ``(status, error)`` of a run that ends now
Outcome = Tuple[str, Optional[str]]


class Terminated(SystemExit):
    """Raised in the main thread on SIGTERM/SIGHUP so the run unwinds and is recorded as killed."""


def exit_status(exc: Optional[BaseException]) -> Outcome:
    """The status and error message a run gets when ``exc`` ends it (``None``: it returned)."""
    if exc is None:
        return "finished", None
    if isinstance(exc, (KeyboardInterrupt, Terminated)):
        return "killed", None
    if isinstance(exc, SystemExit):
        if exc.code in (None, 0):
            return "finished", None
        return "failed", f"sys.exit({exc.code!r})"
    return "failed", "".join(traceback.format_exception_only(type(exc), exc)).strip()


class ProcessHooks:
    """Process-wide hooks that end the current run with the right status when the script does not.

    ``end_run(status, error)`` ends the run; ``owns_run()`` says whether this
    process has a run of its own to end (a forked child does not).
    """

    def __init__(self, end_run: Callable[[str, Optional[str]], None], owns_run: Callable[[], bool],
                 describe_run: Callable[[], Optional[str]] = lambda: None):
        self._end_run = end_run
        self._owns_run = owns_run
        #: the current (or just ended) run of this process, in words, for the Ctrl-C line
        self._describe_run = describe_run
        self._outcome: Optional[Outcome] = None
        self._installed = False
        self._watching_exit = False
        #: a terminating signal is being acted on (the stack unwinds): later ones are ignored
        self._terminating = False
        #: the end of the run is being recorded; a signal that comes meanwhile waits in ``_pending``
        self._recording = False
        self._pending: Optional[int] = None

    def install(self, watch_exit: bool) -> None:
        """Install the hooks once; ``watch_exit`` makes the excepthook note the outcome and adds the
        ``sys.exit`` wrapper."""
        if not self._installed:
            self._installed = True
            atexit.register(self._at_exit)
            if threading.current_thread() is threading.main_thread():
                for signum in TERMINATING_SIGNALS:
                    if signal.getsignal(signum) in (signal.SIG_DFL, None):
                        signal.signal(signum, self._on_signal)
            self._hook_exceptions()
        if watch_exit and not self._watching_exit:
            self._watching_exit = True
            self._watch_exit()

    def reset(self) -> None:
        """Forget the outcome noted for the previous run."""
        self._outcome = None
        self._terminating = False
        self._pending = None

    @contextlib.contextmanager
    def ending(self) -> Iterator[None]:
        """The run's end is being recorded: a terminating signal or a Ctrl-C that comes meanwhile is
        acted on after."""
        outermost = not self._recording
        self._recording = True
        interrupted: List[int] = []
        defer_interrupt = outermost and threading.current_thread() is threading.main_thread() \
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        if defer_interrupt:
            signal.signal(signal.SIGINT, lambda signum, frame: interrupted.append(signum))
        try:
            yield
        finally:
            if outermost:
                self._recording = False
            if defer_interrupt:
                signal.signal(signal.SIGINT, signal.default_int_handler)
        if outermost and self._pending is not None:
            signum, self._pending = self._pending, None
            self._terminate(signum)
        if interrupted:
            raise KeyboardInterrupt

    def _hook_exceptions(self) -> None:
        """A Ctrl-C that ends a run is one line saying what became of the run, not a traceback of
        wherever the loop happened to be (another excepthook than Python's own is left to speak)."""
        previous_hook = sys.excepthook

        def excepthook(exc_type: type, exc: BaseException, tb: Any) -> None:
            if self._watching_exit and self._owns_run():
                self._outcome = exit_status(exc)
            run = self._describe_run() if isinstance(exc, KeyboardInterrupt) else None
            if run is not None and previous_hook is sys.__excepthook__:
                sys.stderr.write(f"interrupted: {run}, recorded as killed\n")
            else:
                previous_hook(exc_type, exc, tb)

        sys.excepthook = excepthook

    def _watch_exit(self) -> None:
        previous_exit: Callable[[Any], Any] = sys.exit

        def exit_recording_status(status: Any = None) -> None:
            # atexit cannot see the exit status, and SystemExit never reaches excepthook
            outcome = exit_status(SystemExit(status))
            if outcome[0] != "finished" and self._owns_run():
                self._outcome = outcome
            previous_exit(status)

        sys.exit = exit_recording_status  # type: ignore[assignment]  # sys.exit is typed as never returning

    def _on_signal(self, signum: int, frame: Any) -> None:
        if not self._owns_run():
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        if self._terminating:
            return
        if self._recording:
            self._pending = signum
        else:
            self._terminate(signum)

    def _terminate(self, signum: int) -> None:
        # unwind the stack (running finally blocks), then record "killed" at exit
        self._terminating = True
        self._outcome = ("killed", None)
        raise Terminated(128 + signum)

    def _at_exit(self) -> None:
        try:
            self._end_run(*(self._outcome or ("finished", None)))
        except (Terminated, KeyboardInterrupt):
            pass  # a signal or a Ctrl-C while the end was recorded: the process is exiting already
