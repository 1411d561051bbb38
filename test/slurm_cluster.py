"""A throw-away single-node SLURM cluster on loopback, started by the tests (and bench/sweep.py).

``munged`` with a generated key, then ``slurmctld`` and ``slurmd`` from a
generated ``slurm.conf`` in a temporary folder, as root; the clients
(sbatch, squeue, scontrol, submitit) find it through ``SLURM_CONF``. If the
node does not come up, :class:`SlurmCluster.start` raises with the daemons' logs.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional

import pytest

CPUS = 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _mem_mb() -> int:
    with open("/proc/meminfo") as f:
        total_kb = int(f.readline().split()[1])
    return max(512, total_kb // 1024 // 2)


class SlurmCluster:
    """munged + slurmctld + slurmd in ``root``; ``env`` holds what clients need (SLURM_CONF)."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.host = socket.gethostname()
        self.conf = self.root / "slurm.conf"
        self.munge_socket = self.root / "munge.socket"
        self._procs: List[subprocess.Popen] = []

    @property
    def env(self) -> Dict[str, str]:
        return {"SLURM_CONF": str(self.conf)}

    def start(self, deadline_s: float = 60.0) -> "SlurmCluster":
        missing = [c for c in ("munged", "slurmctld", "slurmd", "sinfo") if shutil.which(c) is None]
        if missing:
            raise RuntimeError(f"SLURM test cluster: {', '.join(missing)} not found; run `make system-deps`")
        if os.geteuid() != 0:
            raise RuntimeError("SLURM test cluster: slurmd must run as root on this machine")
        for sub in ("state", "spool", "log"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self._start_munge()
        self._write_conf()
        os.environ["SLURM_CONF"] = str(self.conf)
        self._spawn(["slurmctld", "-D", "-i", "-f", str(self.conf)], "slurmctld.out")
        self._spawn(["slurmd", "-D", "-f", str(self.conf)], "slurmd.out")
        self._wait_idle(deadline_s)
        return self

    def _start_munge(self) -> None:
        key = self.root / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o400)
        subprocess.run(["munged", f"--socket={self.munge_socket}", f"--key-file={key}",
                        f"--pid-file={self.root / 'munged.pid'}", f"--log-file={self.root / 'log' / 'munged.log'}",
                        f"--seed-file={self.root / 'munged.seed'}", "--force"], check=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def _write_conf(self) -> None:
        log = self.root / "log"
        self.conf.write_text("\n".join([
            "ClusterName=rlatest",
            f"SlurmctldHost={self.host}(127.0.0.1)",
            f"SlurmctldPort={_free_port()}",
            f"SlurmdPort={_free_port()}",
            "SlurmUser=root",
            "SlurmdUser=root",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={self.munge_socket}",
            f"StateSaveLocation={self.root / 'state'}",
            f"SlurmdSpoolDir={self.root / 'spool'}",
            f"SlurmctldPidFile={self.root / 'slurmctld.pid'}",
            f"SlurmdPidFile={self.root / 'slurmd.pid'}",
            f"SlurmctldLogFile={log / 'slurmctld.log'}",
            f"SlurmdLogFile={log / 'slurmd.log'}",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core",
            "MpiDefault=none",
            "JobRequeue=1",
            "ReturnToService=2",
            "SchedulerType=sched/backfill",
            "SchedulerParameters=sched_interval=1",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "MinJobAge=300",
            "KillWait=5",
            # as on most production clusters, an epilog runs at each job's end: its completion message is what
            # makes slurmctld 22.05 schedule the next pending job at once; without one it waits for a timed
            # scheduling pass (sched_interval here, batch_sched_delay=3 s by default)
            "Epilog=/bin/true",
            "InactiveLimit=0",
            "SlurmdTimeout=30",
            f"NodeName={self.host} NodeAddr=127.0.0.1 CPUs={CPUS} RealMemory={_mem_mb()} State=UNKNOWN",
            f"PartitionName=debug Nodes={self.host} Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO",
            "",
        ]))

    def _spawn(self, cmd: List[str], out_name: str) -> None:
        out = open(self.root / "log" / out_name, "wb")
        self._procs.append(subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **self.env},
                                            start_new_session=True))

    def _wait_idle(self, deadline_s: float) -> None:
        deadline = time.monotonic() + deadline_s
        state = ""
        while time.monotonic() < deadline:
            dead = [p.args[0] for p in self._procs if p.poll() is not None]
            if dead:
                break
            result = subprocess.run(["sinfo", "-h", "-o", "%T"], env={**os.environ, **self.env},
                                    capture_output=True, text=True)
            state = (result.stdout + result.stderr).strip()
            if result.returncode == 0 and state.startswith("idle"):
                return
            time.sleep(0.3)
        logs = self.logs()
        self.stop()
        raise RuntimeError(f"SLURM test cluster did not come up (sinfo: {state!r}); daemon logs:\n{logs}")

    def logs(self) -> str:
        parts = []
        for path in sorted((self.root / "log").glob("*")):
            parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)

    def squeue(self) -> str:
        return subprocess.run(["squeue", "-h", "-o", "%i %T %j"], env={**os.environ, **self.env},
                              capture_output=True, text=True).stdout

    def squeue_reasons(self, job_id: str) -> str:
        """squeue's state and reason of the jobs ``job_id`` (e.g. ``PENDING BeginTime``)."""
        return subprocess.run(["squeue", "-h", "-j", job_id, "-o", "%T %r"], env={**os.environ, **self.env},
                              capture_output=True, text=True).stdout

    def stop(self) -> None:
        for proc in reversed(self._procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self._procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self._procs = []
        pid_file = self.root / "munged.pid"
        if pid_file.exists():
            try:
                os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
            except (ValueError, ProcessLookupError):
                pass
        if os.environ.get("SLURM_CONF") == str(self.conf):
            del os.environ["SLURM_CONF"]


@pytest.fixture(scope="module")
def slurm_cluster(tmp_path_factory: pytest.TempPathFactory):
    """A running single-node cluster for the tests of one module; the test FAILS if it cannot start."""
    cluster = SlurmCluster(tmp_path_factory.mktemp("slurm"))
    try:
        cluster.start()
    except RuntimeError as error:
        pytest.fail(str(error))
    yield cluster
    cluster.stop()


def wait_for(condition, timeout_s: float, what: str, interval: float = 0.2, on_timeout: Optional[str] = None):
    """Poll ``condition()`` until it returns a true value (returned) or ``timeout_s`` passes (AssertionError)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}" + (f"\n{on_timeout}" if on_timeout else ""))
