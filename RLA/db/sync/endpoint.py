"""Where the central database is and how to log in: an ``sftp://`` URL or ``REMOTE_SETTING``.

The SSH library is paramiko (the ``remote`` extra): mature, synchronous (a
push runs in a background thread of the training process, no event loop to
share), and it offers OpenSSH's ``posix-rename`` so a replaced file appears
whole. Credentials come from a key file, the ssh-agent, ``~/.ssh/config`` and
the usual ``~/.ssh/id_*`` keys; a password only from ``REMOTE_SETTING.password``
or ``$RLA_REMOTE_PASSWORD``, and it is kept in memory only. Host keys are
always checked against ``known_hosts``; an unknown host is refused unless
``host_key_policy`` is ``accept-new``.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional
from urllib.parse import unquote, urlsplit

from RLA import environment
from RLA.config import RemoteSetting
from RLA.errors import ConfigError, HostKeyError, SyncError, UsageError

if TYPE_CHECKING:
    import paramiko

__all__ = ["Endpoint", "PASSWORD_ENV", "from_setting", "from_url"]

PASSWORD_ENV = environment.REMOTE_PASSWORD.name
CONNECT_TIMEOUT = 15.0


@dataclass(frozen=True)
class Endpoint:
    """A remote data root reached over SSH; ``repr`` never shows the password."""

    host: str
    root: str
    port: int = 22
    username: str = ""
    key_file: str = ""
    known_hosts: str = ""
    host_key_policy: str = "reject"
    password: str = field(default="", repr=False, compare=False)

    @property
    def url(self) -> str:
        user = f"{self.username}@" if self.username else ""
        return f"sftp://{user}{self.host}:{self.port}{self.root}"

    @property
    def key(self) -> str:
        """A stable name for this remote, for the local record of what it holds (no credentials in it)."""
        return hashlib.sha256(self.url.encode()).hexdigest()[:16]

    def connect(self) -> "paramiko.SFTPClient":
        """An open SFTP session (its SSH client is kept alive by the session's ``ssh_client`` attribute)."""
        import paramiko

        client = paramiko.SSHClient()
        known = os.path.expanduser(self.known_hosts or "~/.ssh/known_hosts")
        if os.path.isfile(known):
            client.load_host_keys(known)
        if self.host_key_policy == "accept-new":
            client.set_missing_host_key_policy(_append_new_host_key(known))
        else:
            client.set_missing_host_key_policy(paramiko.RejectPolicy())
        options = self._ssh_config()
        key_file = self.key_file or (options.get("identityfile") or [None])[0]
        try:
            client.connect(options.get("hostname", self.host), port=self.port,
                           username=self.username or options.get("user") or None,
                           password=self.password or None,
                           key_filename=os.path.expanduser(key_file) if key_file else None,
                           timeout=CONNECT_TIMEOUT, banner_timeout=CONNECT_TIMEOUT, auth_timeout=CONNECT_TIMEOUT,
                           allow_agent=True, look_for_keys=not key_file)
            _no_delay(client)
            sftp = client.open_sftp()
        except paramiko.BadHostKeyException as exc:
            client.close()
            raise HostKeyError(f"the host key of {self.host}:{self.port} does not match {known}: the server "
                               "changed or someone is in between; check with its admin, then fix known_hosts") from exc
        except paramiko.SSHException as exc:
            client.close()
            if "not found in known_hosts" in str(exc):
                raise HostKeyError(
                    f"{self.host}:{self.port} is not in {known}: connect once with `ssh -p {self.port} "
                    f"{self.host}` to check and record its key, or set REMOTE_SETTING.known_hosts, or "
                    "host_key_policy: accept-new") from exc
            raise SyncError(f"cannot log in to {self.url}: {exc}; check username, key_file or "
                            f"${PASSWORD_ENV}") from exc
        except (OSError, EOFError) as exc:
            client.close()
            raise SyncError(f"cannot reach {self.url}: {exc or type(exc).__name__}") from exc
        sftp.ssh_client = client
        return sftp

    def _ssh_config(self) -> Any:
        """What ``~/.ssh/config`` says about this host (hostname, user, identityfile)."""
        import paramiko

        path = os.path.expanduser("~/.ssh/config")
        if not os.path.isfile(path):
            return {}
        return paramiko.SSHConfig.from_path(path).lookup(self.host)


def _no_delay(client: "paramiko.SSHClient") -> None:
    """Send small SFTP requests at once: with Nagle's algorithm on, each request that waits for
    its reply behind a delayed ACK costs ~40 ms."""
    import socket

    sock = client.get_transport().sock
    if getattr(sock, "family", None) in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def from_setting(setting: RemoteSetting, where: str = "REMOTE_SETTING") -> Endpoint:
    """The endpoint of a config's ``REMOTE_SETTING`` (``$RLA_REMOTE_PASSWORD`` fills a missing password)."""
    if setting.file_transfer_protocol != "sftp":
        raise ConfigError(f"{where}.file_transfer_protocol is {setting.file_transfer_protocol!r}: this release "
                          "syncs over SFTP (SSH) only, FTP sends passwords and data unencrypted; "
                          "set file_transfer_protocol: sftp")
    if not setting.ftp_server or not setting.remote_data_root:
        raise ConfigError(f"{where} needs ftp_server (the central host) and remote_data_root "
                          "(its data root) to sync; or pass --remote sftp://user@host:port/path")
    return Endpoint(host=setting.ftp_server, root=_absolute(setting.remote_data_root), port=setting.port,
                    username=setting.username, key_file=setting.key_file, known_hosts=setting.known_hosts,
                    host_key_policy=setting.host_key_policy,
                    password=setting.password or environment.REMOTE_PASSWORD.get() or "")


def from_url(url: str, setting: Optional[RemoteSetting] = None) -> Endpoint:
    """The endpoint of ``sftp://user@host:port/path``; keys and host-key options come from ``setting``."""
    parts = urlsplit(url)
    if parts.scheme != "sftp" or not parts.hostname or not parts.path:
        raise UsageError(f"--remote {url!r}: write it as sftp://user@host:port/absolute/path")
    if parts.password is not None:
        raise UsageError(f"--remote must not hold a password (it would stay in your shell history): "
                         f"use a key, the ssh-agent or ${PASSWORD_ENV}")
    setting = setting or RemoteSetting()
    return Endpoint(host=parts.hostname, root=_absolute(unquote(parts.path)), port=parts.port or 22,
                    username=unquote(parts.username or "") or setting.username, key_file=setting.key_file,
                    known_hosts=setting.known_hosts, host_key_policy=setting.host_key_policy,
                    password=setting.password or environment.REMOTE_PASSWORD.get() or "")


def _absolute(path: str) -> str:
    if not path.startswith("/"):
        raise UsageError(f"the remote data root {path!r} must be an absolute path on the central host")
    return path.rstrip("/") or "/"


def _append_new_host_key(known_hosts: str) -> Any:
    """``accept-new``: a host seen for the first time has its key appended to ``known_hosts`` as one line
    (paramiko's own saving rewrites the whole file, dropping its comments and markers)."""
    import paramiko

    class AppendNewHostKey(paramiko.MissingHostKeyPolicy):
        def missing_host_key(self, client: Any, hostname: str, key: Any) -> None:
            client.get_host_keys().add(hostname, key.get_name(), key)
            os.makedirs(os.path.dirname(known_hosts) or ".", exist_ok=True)
            with open(known_hosts, "a", encoding="utf-8") as f:
                f.write(f"{hostname} {key.get_name()} {key.get_base64()}\n")

    return AppendNewHostKey()
