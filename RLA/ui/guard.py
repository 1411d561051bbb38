"""Who may talk to the page and which files a request may read.

Bound to a loopback address, the app answers only requests naming a loopback
host (a web page elsewhere cannot reach it through DNS rebinding). Given a
token (``rla ui`` always makes one: other users of a shared machine reach its
loopback too), every API request must carry it, compared in constant time: the
page sends it as the ``X-RLA-Token`` header, and as ``?token=`` in the links
that open a run's files. No cookie holds it: browsers send a host's cookies to
every port of that host, so any other local web server the browser visits
would receive it. The page itself (HTML, script, styles) holds no data and is
served without the token, which it reads from its own address (``?token=``,
kept there so that bookmarks and reloads work). A POST must be JSON, which a
cross-site form cannot send without the browser asking first. Every response
forbids inline and foreign script (Content-Security-Policy) and sends no
referrer. Paths from requests never leave the item's folder nor the data root,
symlinks included.
"""
from __future__ import annotations

import hmac
import ipaddress
from pathlib import Path
from typing import Any, Awaitable, Callable, Optional

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from RLA.errors import UsageError

__all__ = ["LOOPBACK_HOSTS", "PAGE_POLICY", "guard_middleware", "is_loopback", "safe_path"]

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
#: what the page may load and run: its own script files only (no inline script, no other origin)
PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; object-src 'none'; "
               "base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
#: the paths that answer with data, and so need the token
_API_PREFIX = "/api/"


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


def _host_name(header: str) -> str:
    """The host of a Host header, without the port (``[::1]:6007`` -> ``[::1]``)."""
    return header.split("]")[0] + "]" if header.startswith("[") else header.rsplit(":", 1)[0]


def _refuse(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)


def guard_middleware(token: Optional[str], loopback: bool) -> Callable[..., Any]:
    """An HTTP middleware enforcing the rules of this module."""

    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        host = _host_name(request.headers.get("host", ""))
        if loopback and not is_loopback(host):
            return _secured(_refuse(403, f"host {host!r} refused: this server answers only on its loopback address"))
        if token is not None and request.url.path.startswith(_API_PREFIX):
            given = request.headers.get("x-rla-token") or request.query_params.get("token")
            if given is None or not hmac.compare_digest(given.encode(), token.encode()):
                return _secured(_refuse(401, "a token is required: open the URL `rla ui` printed "
                                             "(it ends in ?token=...)"))
        if request.method == "POST" and not request.headers.get("content-type", "").startswith("application/json"):
            return _secured(_refuse(415, "POST requests must send JSON"))
        return _secured(await call_next(request))

    return guard


def _secured(response: Response) -> Response:
    """``response`` with the headers every answer carries (a file download keeps its own, stricter policy)."""
    response.headers.setdefault("Content-Security-Policy", PAGE_POLICY)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def safe_path(data_root: Path, base: Path, relative: str) -> Path:
    """``base / relative`` resolved, refused unless it is a file inside both ``base`` and ``data_root``."""
    if not relative or "\0" in relative or Path(relative).is_absolute():
        raise UsageError(f"path {relative[:200]!r} must be a relative path inside the item's folder")
    root, folder = data_root.resolve(), base.resolve()
    target = (folder / relative).resolve()
    if not (target.is_relative_to(folder) and target.is_relative_to(root)):
        raise PermissionError(f"path {relative!r} leaves the item's folder")
    if not target.is_file():
        raise FileNotFoundError(f"no file {relative!r} in the item's folder")
    return target
