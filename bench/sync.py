"""Sync speed against a real sshd on loopback (the one test/sshd_server.py starts).

1. An item that gained 1,000 rows: the incremental push vs a full re-upload of the item.
   Target: >= 10x faster.
2. A first push of 200 items vs ``rsync -a -e ssh`` of the same folders. Target: <= 1.5x rsync's time.

    PYTHONPATH=$PWD python bench/sync.py
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "test"))

from sshd_server import running_sshd  # noqa: E402

from RLA.config import RemoteSetting  # noqa: E402
from RLA.db import remote  # noqa: E402
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


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="rla-bench-sync-"))
    try:
        for server in running_sshd(work / "sshd"):
            def endpoint(root: Path) -> remote.Endpoint:
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
            incremental = timed(lambda: remote.push_items(sessions["central1"][1], [item], sessions["central1"][0]))
            full = timed(lambda: remote.push_items(sessions["central2"][1], [item], sessions["central2"][0]))
            for _, session in sessions.values():
                session.close()
            exp_manager.finish()
            print(f"item that gained 1,000 rows: incremental {incremental * 1000:.0f} ms, full re-upload "
                  f"{full * 1000:.0f} ms -> {full / incremental:.1f}x faster (target >= 10x)")

            # 2. a first push of 200 items vs rsync -a -e ssh
            many = work / "many"
            for seed in range(200):
                start_run(many, "many", seed, 50)
            exp_manager.finish()
            ours = timed(lambda: remote.push(many, endpoint(work / "central3"), ItemFilter(task="many")))
            (work / "central4").mkdir()
            ssh = (f"ssh -p {server.port} -i {server.user_key} -o UserKnownHostsFile={server.known_hosts} "
                   "-o BatchMode=yes")
            folders = [str(p) for p in many.iterdir() if not p.name.startswith(".")]
            rsync = timed(lambda: subprocess.run(["rsync", "-a", "-e", ssh, *folders,
                                                  f"{server.user}@{server.host}:{work / 'central4'}/"], check=True))
            print(f"first push of 200 items: rla sync {ours:.2f} s, rsync -a -e ssh {rsync:.2f} s -> "
                  f"{ours / rsync:.2f}x rsync's time (target <= 1.5x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
