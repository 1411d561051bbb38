"""Alerts without a server: a command run, or a JSON webhook posted, when a run fails, is killed, logs
NaN or inf in a watched metric, or stops writing rows for longer than a limit. Each kind once per run.

The target decides the notifier (:data:`NOTIFIERS`): an ``http(s)://`` URL gets a POST of the alert
as JSON (its ``text`` field makes it a Slack or Mattermost message as it is); anything else is a
shell command, given the JSON on its standard input and ``RLA_ALERT_KIND``, ``RLA_ALERT_ITEM`` and
``RLA_ALERT_MESSAGE`` in its environment. A notifier that fails costs a warning, never the run.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
import subprocess
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from RLA import environment

__all__ = ["Alert", "RunAlerts", "NOTIFIERS", "notifier_for", "DELIVERY_TIMEOUT_SECONDS"]

#: how long one delivery may take (a webhook's answer, a command's run)
DELIVERY_TIMEOUT_SECONDS = 10.0
#: lines of the run's log sent with an alert
LOG_TAIL_LINES = 20


@dataclass
class Alert:
    """What happened to which run."""

    kind: str  # failed | killed | nan | stalled
    item: str
    message: str
    status: str
    step: Optional[int]
    host: str = field(default_factory=platform.node)
    time: str = field(default_factory=lambda: _dt.datetime.now().isoformat(timespec="seconds"))
    log_tail: List[str] = field(default_factory=list)

    def payload(self) -> Dict[str, Any]:
        data = asdict(self)
        data["text"] = f"RLA: {self.item} {self.message} (on {self.host})"
        return data


def _post(url: str, alert: Alert) -> None:
    request = urllib.request.Request(url, data=json.dumps(alert.payload()).encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/json", "User-Agent": "RLA alerts"})
    with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT_SECONDS) as response:
        response.read()


def _run(command: str, alert: Alert) -> None:
    env = {**os.environ, environment.ALERT_KIND.name: alert.kind, environment.ALERT_ITEM.name: alert.item,
           environment.ALERT_MESSAGE.name: alert.message}
    subprocess.run(command, shell=True, input=json.dumps(alert.payload()), text=True, env=env, check=True,
                   timeout=DELIVERY_TIMEOUT_SECONDS, stdout=subprocess.DEVNULL)


#: how an alert reaches its target, by the target's form
NOTIFIERS: Dict[str, Callable[[str, Alert], None]] = {"webhook": _post, "command": _run}


def notifier_for(target: str) -> Callable[[Alert], None]:
    kind = "webhook" if target.startswith(("http://", "https://")) else "command"
    deliver = NOTIFIERS[kind]
    return lambda alert: deliver(target, alert)


def _tail(path: Optional[Path]) -> List[str]:
    if path is None:
        return []
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 16384))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return []
    lines = [line.rsplit("\r", 1)[-1] for line in text.splitlines()]  # a progress bar's last state
    return lines[-LOG_TAIL_LINES:]


class RunAlerts:
    """The alerts of one run: told of each row and of the end, watching for a stall in a thread."""

    def __init__(self, target: str, item: str, log_files: Sequence[Path], watch: Sequence[str] = (),
                 stall_seconds: float = 0.0, warn: Callable[[str], None] = lambda message: None):
        self.deliver = notifier_for(target)
        self.item = item
        self.log_files = list(log_files)
        self.watch = set(watch)
        self.stall_seconds = stall_seconds
        self.warn = warn
        self.sent: Dict[str, Alert] = {}
        self._last_row = time.monotonic()
        self._step: Optional[int] = None
        self._stop = threading.Event()
        self._deliveries: List[threading.Thread] = []
        self._watcher: Optional[threading.Thread] = None
        if stall_seconds > 0:
            self._watcher = threading.Thread(target=self._watch_stall, name="rla-alerts", daemon=True)
            self._watcher.start()

    def _log_tail(self) -> List[str]:
        for path in self.log_files:
            if path.exists() and path.stat().st_size:
                return _tail(path)
        return []

    def _send(self, kind: str, message: str, status: str) -> None:
        if kind in self.sent:
            return
        alert = Alert(kind, self.item, message, status, self._step, log_tail=self._log_tail())
        self.sent[kind] = alert

        def deliver() -> None:
            try:
                self.deliver(alert)
            except Exception as exc:
                self.warn(f"RLA: the {kind} alert of {self.item} could not be sent: {exc!r}")

        thread = threading.Thread(target=deliver, name=f"rla-alert-{kind}", daemon=True)
        thread.start()
        self._deliveries.append(thread)

    def on_row(self, step: int, row: Mapping[str, Any]) -> None:
        self._last_row = time.monotonic()
        self._step = step
        for key, value in row.items():
            if (not self.watch or key in self.watch) and isinstance(value, float) and not math.isfinite(value):
                self._send("nan", f"logged {value} in {key} at step {step}", "running")
                return

    def _watch_stall(self) -> None:
        while not self._stop.wait(min(self.stall_seconds / 4, 30.0)):
            quiet = time.monotonic() - self._last_row
            if quiet >= self.stall_seconds:
                self._send("stalled", f"has written no row for {quiet / 60:.0f} min (last step {self._step})",
                           "running")

    def on_end(self, status: str, error: Optional[str]) -> None:
        """The run ended: alert a failure or a kill, and wait (a little) for the deliveries to go out."""
        self._stop.set()
        if status in ("failed", "killed"):
            self._send(status, f"{status}" + (f": {error}" if error else ""), status)
        deadline = time.monotonic() + DELIVERY_TIMEOUT_SECONDS
        for thread in self._deliveries:
            thread.join(max(0.0, deadline - time.monotonic()))
