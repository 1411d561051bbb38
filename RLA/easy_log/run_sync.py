"""A run pushing its own item to the central database while it trains (``exp_manager.sync_log_file``).

A background thread does the pushing, so ``sync_log_file()`` returns at once
and training never waits for the network. When the server cannot be reached
the run warns once, retries with back-off (doubling up to a minute) and
catches up when it returns. At the end of the run one last push is attempted, bounded by
``REMOTE_SETTING.final_sync_timeout``.
"""
from __future__ import annotations

import contextlib
import threading
import time
import warnings
from typing import Optional

from RLA.config import RemoteSetting
from RLA.db.layout import Item

__all__ = ["RunSync"]

FIRST_RETRY_SECONDS = 1.0
MAX_RETRY_SECONDS = 60.0


class RunSync:
    """Pushes one item to the ``REMOTE_SETTING`` endpoint, in the caller's thread or in the background."""

    def __init__(self, item: Item, setting: RemoteSetting):
        from RLA.db import remote

        self.item = item
        self.setting = setting
        self.endpoint = remote.from_setting(setting)
        self._session: Optional[remote.RemoteSide] = None
        self._lock = threading.Lock()  # one push at a time, and one session
        self._wake = threading.Condition()
        self._requested = False
        self._closing = False
        self._busy = False
        self._thread: Optional[threading.Thread] = None
        self._failing = False
        self._gave_last_try = False

    def push_now(self) -> None:
        """Push in this thread; raise :class:`RLA.errors.SyncError` when it fails."""
        from RLA.db import remote

        with self._lock:
            try:
                if self._session is None:
                    self._session = remote.connect(self.endpoint)
                remote.push_items(self._session, [self.item], self.endpoint, self.setting.sync_types)
            except BaseException:
                self._drop_session()
                raise

    def request(self) -> None:
        """Ask the background thread for a push (started on first use) and return at once."""
        with self._wake:
            self._requested = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="rla-sync", daemon=True)
                self._thread.start()
            self._wake.notify_all()

    def close(self, timeout: Optional[float] = None) -> bool:
        """One last push, waiting at most ``timeout`` seconds (default: the config's); True when it went through."""
        timeout = self.setting.final_sync_timeout if timeout is None else timeout
        self.request()
        deadline = time.monotonic() + timeout
        with self._wake:
            self._closing = True
            self._wake.notify_all()
            while (self._requested or self._busy) and self._thread is not None and self._thread.is_alive():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._wake.wait(left)
            done = not self._requested and not self._busy and not self._failing
        if not done:
            warnings.warn(f"RLA: the last sync of {self.item.index} to {self.endpoint.url} did not finish within "
                          f"{timeout:g} s; push it later with `rla sync push {self.item.record_date}`",
                          RuntimeWarning, stacklevel=2)
        with self._lock if done else contextlib.nullcontext():  # a stuck push holds the lock
            self._drop_session()
        return done

    def _loop(self) -> None:
        delay = FIRST_RETRY_SECONDS
        while True:
            with self._wake:
                while not self._requested:
                    if self._closing:
                        return
                    self._wake.wait()
                self._requested = False
                self._busy = True
            try:
                self.push_now()
            except Exception as exc:  # whatever goes wrong with the sync, the run must go on
                self._note_failure(exc)
                with self._wake:
                    self._busy = False
                    self._requested = True  # catch up when the server is back
                    self._wake.notify_all()
                    retry_at = time.monotonic() + delay
                    while not self._closing and (left := retry_at - time.monotonic()) > 0:
                        self._wake.wait(left)  # only the end of the run cuts the back-off short
                    if self._closing and self._gave_last_try:
                        return
                    self._gave_last_try = self._closing
                delay = min(delay * 2, MAX_RETRY_SECONDS)
                continue
            delay = FIRST_RETRY_SECONDS
            with self._wake:
                self._failing = False
                self._busy = False
                self._wake.notify_all()

    def _note_failure(self, exc: BaseException) -> None:
        if not self._failing:
            warnings.warn(f"RLA: cannot sync {self.item.index} to {self.endpoint.url} ({exc}); training goes on, "
                          "the run retries and catches up when the server is back", RuntimeWarning, stacklevel=2)
        self._failing = True

    def _drop_session(self) -> None:
        if self._session is not None:
            try:
                self._session.close()
            except Exception:  # a broken connection may fail to close; it is dropped either way
                pass
            self._session = None

