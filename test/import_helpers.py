"""What the `rla import` tests read back: imported items, through RLA's own readers."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from conftest import subprocess_env

from RLA.db.layout import Database, Item
from RLA.easy_plot.loader import load_runs

RLA_CLI = [sys.executable, "-m", "RLA.cli"]


def rla(*args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([*RLA_CLI, *args], cwd=cwd, env=subprocess_env({"COLUMNS": "80"}), capture_output=True,
                          text=True, timeout=timeout)


def run_json(item: Item) -> dict:
    return json.loads(item.run_json.read_text())


def params_json(item: Item) -> dict:
    return json.loads(item.params_json.read_text())


def imported(db: Path, task: str) -> Dict[str, Item]:
    """The items of ``task``, by the name their source gave their run."""
    items = {run_json(item)["imported"]["name"]: item for item in Database(db).items(task)}
    assert len(items) == len(Database(db).items(task)), "two items of one source run"
    return items


def curves(db: Path, task: str, item: Item, keys: Sequence[str]) -> Dict[str, List[Tuple[int, float]]]:
    """``{key: [(step, value), ...]}`` of one item, as plot_func loads them (a key at the steps it has a value at)."""
    runs = [run for run in load_runs(db, task, None, ["time-step", *keys], use_cache=False)
            if run.item.index == item.index]
    assert len(runs) == 1, runs
    out: Dict[str, List[Tuple[int, float]]] = {}
    for key in keys:
        steps, values = runs[0].xy("time-step", key)
        out[key] = [(int(s), float(v)) for s, v in zip(steps, values) if not math.isnan(v)]
    return out


def tree_state(db: Path) -> Dict[str, Tuple[int, int]]:
    """Every file under ``db`` (but the lock and caches) with its size and mtime: what a second import must keep."""
    return {str(p.relative_to(db)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(db.rglob("*"))
            if p.is_file() and not p.relative_to(db).parts[0].startswith(".")}


#: `rla ...` with every network connection refused: a socket to anything but a local file, or a name lookup,
#: ends the process with an error naming it
_OFFLINE = """
import socket, sys

def refuse(event, args):
    if event == "socket.connect" and args[0].family != socket.AF_UNIX:
        raise RuntimeError(f"network connection attempted: {args[1]!r}")
    if event == "socket.getaddrinfo":
        raise RuntimeError(f"network name lookup attempted: {args[0]!r}")

sys.addaudithook(refuse)
from RLA.cli import main
main(sys.argv[1:], prog_name="rla")
"""


def rla_offline(*args: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    """:func:`rla` with the network refused (an audit hook on every socket connection and name lookup)."""
    return subprocess.run([sys.executable, "-c", _OFFLINE, *args], cwd=cwd, env=subprocess_env({"COLUMNS": "80"}),
                          capture_output=True, text=True, timeout=timeout)
