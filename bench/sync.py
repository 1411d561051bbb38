"""Sync speed against a real sshd on loopback (the one test/sshd_server.py starts).

1. An item that gained 1,000 rows: the incremental push vs a full re-upload of the item.
   Target: >= 10x faster.
2. A first push of 200 items vs ``rsync -a -e ssh`` of the same folders. Target: <= 1.5x rsync's time.

Besides wall time (noisy on a shared machine) it prints the CPU time of this
process (for rsync: of rsync and ssh) and the SFTP requests sent, which are not.

    PYTHONPATH=$PWD python bench/sync.py
"""
from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "test"))

from sshd_server import running_sshd  # noqa: E402

from RLA.config import RemoteSetting  # noqa: E402
from RLA.db import remote  # noqa: E402
from RLA.db.query import select  # noqa: E402
from RLA.db.select import ItemFilter  # noqa: E402
from RLA.easy_log import logger  # noqa: E402
from RLA.easy_log.tester import exp_manager  # noqa: E402

LOG_USED = ["log", "csv", "json", "tensorboard"]


def start_run(root: Path, task: str, seed: int, rows: int):
    exp_manager.configure(task, {"LOG_USED": LOG_USED, "DL_FRAMEWORK": "none"}, root, code_root=str(root.parent))
    exp_manager.set_hyper_param(lr=3e-4, seed=seed)
    exp_manager.add_record_param(["seed"])
    item = exp_manager.log_files_gen()
    log_rows(0, rows)
    return item


def log_rows(start: int, count: int) -> None:
    for t in range(start, start + count):
        exp_manager.time_step_holder.set_time(t)
        logger.record_tabular("reward", float(t))
        logger.record_tabular("loss", 1.0 / (t + 1))
        logger.dump_tabular()


class Timed:
    """Wall and CPU seconds of a block (CPU of this process, or of the children it waited for)."""

    def __init__(self, children: bool = False):
        self.children = children

    def _cpu(self) -> float:
        if self.children:
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            return usage.ru_utime + usage.ru_stime
        return time.process_time()

    def __enter__(self) -> "Timed":
        self.wall, self.cpu = time.perf_counter(), self._cpu()
        return self

    def __exit__(self, *exc) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, self._cpu() - self.cpu

    def __str__(self) -> str:
        return f"{self.wall * 1000:.0f} ms (CPU {self.cpu * 1000:.0f} ms)"


def push_over(session, items, endpoint) -> int:
    """Push ``items`` over an open session; the SFTP requests it took."""
    before = session.sftp.request_number
    remote.push_items(session, items, endpoint)
    return session.sftp.request_number - before


def push_all(root: Path, endpoint) -> int:
    """What ``remote.push`` does (select, connect, push), counting the SFTP requests."""
    items = [record.item for record in select(root, ItemFilter(task="many"))]
    session = remote.connect(endpoint)
    try:
        return push_over(session, items, endpoint)
    finally:
        session.close()


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="rla-bench-sync-"))
    try:
        for server in running_sshd(work / "sshd"):
            def endpoint(root: Path, server: Any = server) -> remote.Endpoint:
                return remote.from_setting(RemoteSetting(**server.remote_setting(root)))

            # 1. incremental vs full re-upload of one item that gained 1,000 rows
            local = work / "one"
            item = start_run(local, "grow", 0, 20_000)
            (item.checkpoint_dir / "ckpt-0").mkdir(parents=True, exist_ok=True)
            (item.checkpoint_dir / "ckpt-0" / "model.pt").write_bytes(b"\0" * (8 << 20))
            remote.push(local, endpoint(work / "central1"), ItemFilter(task="grow"))
            log_rows(20_000, 1_000)
            # over an open session, as a run's background sync does (the SSH handshake is not the sync)
            sessions = {name: (endpoint(work / name), remote.connect(endpoint(work / name)))
                        for name in ("central1", "central2")}
            with Timed() as incremental:
                inc_requests = push_over(sessions["central1"][1], [item], sessions["central1"][0])
            with Timed() as full:
                full_requests = push_over(sessions["central2"][1], [item], sessions["central2"][0])
            for _, session in sessions.values():
                session.close()
            exp_manager.finish()
            print(f"item that gained 1,000 rows: incremental {incremental}, {inc_requests} SFTP requests; full "
                  f"re-upload {full}, {full_requests} requests -> {full.wall / incremental.wall:.1f}x faster "
                  "(target >= 10x)")

            # 2. a first push of 200 items vs rsync -a -e ssh
            many = work / "many"
            for seed in range(200):
                start_run(many, "many", seed, 50)
            exp_manager.finish()
            with Timed() as ours:
                requests = push_all(many, endpoint(work / "central3"))
            (work / "central4").mkdir()
            ssh = (f"ssh -p {server.port} -i {server.user_key} -o UserKnownHostsFile={server.known_hosts} "
                   "-o BatchMode=yes")
            folders = [str(p) for p in many.iterdir() if not p.name.startswith(".")]
            with Timed(children=True) as rsync:
                target = f"{server.user}@{server.host}:{work / 'central4'}/"
                subprocess.run(["rsync", "-a", "-e", ssh, *folders, target], check=True)
            print(f"first push of 200 items: rla sync {ours}, {requests} SFTP requests; rsync -a -e ssh {rsync} -> "
                  f"{ours.wall / rsync.wall:.2f}x rsync's time (target <= 1.5x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
