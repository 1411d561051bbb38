"""Who may talk to the page and which files a request may read.

Bound to a loopback address, the app answers only requests naming a loopback
host (a web page elsewhere cannot reach it through DNS rebinding). Given a
token (``rla ui`` always makes one: other users of a shared machine reach its
loopback too), every request must carry it, as printed in the URL (as
``?token=``, which also sets a cookie, or the ``X-RLA-Token`` header), compared
in constant time. A POST must be JSON, which a cross-site form cannot send
without the browser asking first. Paths from requests never leave the item's
folder nor the data root, symlinks included.
"""
from __future__ import annotations

import hmac
import ipaddress
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from RLA.errors import UsageError

__all__ = ["LOOPBACK_HOSTS", "guard_middleware", "is_loopback", "safe_path", "token_cookie"]

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a Host header's name or a bind address) is this machine's loopback.

    A name such as ``127.example.com`` is not: only ``localhost`` and loopback IP literals are.
    """
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def token_cookie(port: Optional[int]) -> str:
    """One cookie per port, so that two ``rla ui`` servers on one host keep their own token."""
    return f"rla_token_{port or 0}"


def _host_name(header: str) -> str:
    """The host of a Host header, without the port (``[::1]:6007`` -> ``[::1]``)."""
    return header.split("]")[0] + "]" if header.startswith("[") else header.rsplit(":", 1)[0]


def _refuse(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)


def guard_middleware(token: Optional[str], loopback: bool, port: Optional[int]) -> Callable[..., Any]:
    """An HTTP middleware enforcing the rules of this module."""
    cookie = token_cookie(port)

    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        host = _host_name(request.headers.get("host", ""))
        if loopback and not is_loopback(host):
            return _refuse(403, f"host {host!r} refused: this server answers only on its loopback address")
        if token is not None:
            given = request.query_params.get("token") or request.headers.get("x-rla-token") \
                or request.cookies.get(cookie)
            if given is None or not hmac.compare_digest(given.encode(), token.encode()):
                return _refuse(401, "a token is required: open the URL `rla ui` printed (it ends in ?token=...)")
        if request.method == "POST" and not request.headers.get("content-type", "").startswith("application/json"):
            return _refuse(415, "POST requests must send JSON")
        response = await call_next(request)
        if token is not None and request.query_params.get("token"):
            response.set_cookie(cookie, token, httponly=True, samesite="strict")
        return response

    return guard


def safe_path(data_root: Path, base: Path, relative: str) -> Path:
    """``base / relative`` resolved, refused unless it is a file inside both ``base`` and ``data_root``."""
    if not relative or Path(relative).is_absolute():
        raise UsageError(f"path {relative!r} must be relative to the item's folder")
    root, folder = data_root.resolve(), base.resolve()
    target = (folder / relative).resolve()
    if not (target.is_relative_to(folder) and target.is_relative_to(root)):
        raise PermissionError(f"path {relative!r} leaves the item's folder")
    if not target.is_file():
        raise FileNotFoundError(f"no file {relative!r} in the item's folder")
    return target
