"""This machine's address, as item names carry it (it keeps names of different hosts apart)."""
from __future__ import annotations

import socket
from typing import Optional

from RLA import environment

__all__ = ["IP_ENV", "local_ip"]

IP_ENV = environment.IP.name

_ip_cache: Optional[str] = None


def local_ip() -> str:
    """This machine's outbound IPv4 address, or 127.0.0.1; never blocks, sends nothing.

    ``RLA_IP`` in the environment overrides it (e.g. a cluster node name).
    """
    global _ip_cache
    override = environment.IP.get()
    if override:
        return override.replace("_", "-").replace(" ", "-").replace("/", "-")
    if _ip_cache is None:
        # connect() on a UDP socket only asks the routing table: no packet leaves.
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.connect(("192.0.2.1", 9))  # TEST-NET-1: documentation range, never routed
            _ip_cache = sock.getsockname()[0]
        except OSError:
            _ip_cache = "127.0.0.1"
        finally:
            sock.close()
    return _ip_cache
