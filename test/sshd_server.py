"""A real OpenSSH server on loopback for the sync tests and bench/sync.py.

Throw-away host and user keys are made with ``ssh-keygen`` in a temporary
folder; ``sshd -D -e -f <config> -p <port>`` serves SFTP (``internal-sftp``)
to root logging in with the user key. A server that cannot start fails the
caller with its stderr.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

SSHD = "/usr/sbin/sshd"
SSH_KEYGEN = shutil.which("ssh-keygen") or "/usr/bin/ssh-keygen"


class SshdError(RuntimeError):
    """sshd could not be started: the message holds its stderr."""


@dataclass
class Sshd:
    """A running sshd: where it listens, the keys to reach it, and how to stop and restart it."""

    folder: Path
    port: int = 0
    process: Optional[subprocess.Popen] = None
    user: str = "root"
    host: str = "127.0.0.1"
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.folder / "sshd.log"

    @property
    def user_key(self) -> Path:
        return self.folder / "id_ed25519"

    @property
    def host_key(self) -> Path:
        return self.folder / "ssh_host_ed25519_key"

    @property
    def known_hosts(self) -> Path:
        """A known_hosts file that trusts this server's host key."""
        return self.folder / "known_hosts"

    @property
    def config_file(self) -> Path:
        return self.folder / "sshd_config"

    def url(self, remote_root: os.PathLike | str) -> str:
        return f"sftp://{self.user}@{self.host}:{self.port}{os.fspath(remote_root)}"

    def remote_setting(self, remote_root: os.PathLike | str, **extra: object) -> dict:
        """An rla_config REMOTE_SETTING reaching this server with the user key."""
        return {"ftp_server": self.host, "port": self.port, "username": self.user,
                "remote_data_root": os.fspath(remote_root), "key_file": str(self.user_key),
                "known_hosts": str(self.known_hosts), **extra}

    def start(self) -> "Sshd":
        """Start sshd (again, on the same port after a stop) and wait until it accepts connections."""
        Path("/run/sshd").mkdir(exist_ok=True)
        if not self.port:
            self.port = _free_port()
        log = open(self.log, "ab")
        self.process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(self.config_file), "-p", str(self.port)],
                                        stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SshdError(f"sshd exited with {self.process.returncode}: {self.log.read_text()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5) as sock:
                    if sock.recv(4).startswith(b"SSH-"):
                        return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise SshdError(f"sshd did not accept connections on port {self.port} within 15 s: {self.log.read_text()}")

    def stop(self) -> None:
        """Stop the listener and the sessions it forked (they outlive it otherwise), like a server going down."""
        if self.process is None:
            return
        sessions = _children(self.process.pid)
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
        for pid in sessions:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass


def _children(pid: int) -> list:
    """The pids whose parent is ``pid`` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_sshd(folder: Path) -> Sshd:
    """Write keys and a minimal sshd_config into ``folder``; not started yet."""
    folder.mkdir(parents=True, exist_ok=True)
    server = Sshd(folder)
    for key in (server.host_key, server.user_key):
        if not key.exists():
            subprocess.run([SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True,
                           capture_output=True)
    authorized = folder / "authorized_keys"
    authorized.write_text(server.user_key.with_suffix(".pub").read_text())
    server.config_file.write_text(
        f"ListenAddress 127.0.0.1\n"
        f"HostKey {server.host_key}\n"
        f"PidFile {folder / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {authorized}\n"
        "StrictModes no\nUsePAM no\nPermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nMaxStartups 100\nMaxSessions 100\n"
        "Subsystem sftp internal-sftp\n"
    )
    return server


def trust(server: Sshd) -> None:
    """Write a known_hosts file holding the server's host key for its loopback address and port."""
    public = server.host_key.with_suffix(".pub").read_text().split()
    server.known_hosts.write_text(f"[{server.host}]:{server.port} {public[0]} {public[1]}\n")


def running_sshd(folder: Optional[Path] = None) -> Iterator[Sshd]:
    """A started sshd with a trusting known_hosts; stopped (and its folder removed if made here) after."""
    own = folder is None
    folder = Path(tempfile.mkdtemp(prefix="rla-sshd-")) if folder is None else folder
    server = make_sshd(folder).start()
    trust(server)
    try:
        yield server
    finally:
        server.stop()
        if own:
            shutil.rmtree(folder, ignore_errors=True)
