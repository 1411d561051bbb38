"""Serve ``rla ui`` with uvicorn: loopback by default, a fresh random token in the URL every time."""
from __future__ import annotations

import os
import secrets
import socket
from typing import Any, Optional, Tuple

from RLA.errors import DatabaseNotFoundError
from RLA.ui.guard import is_loopback

__all__ = ["make_server", "serve"]


def make_server(data_root: Any, host: str = "127.0.0.1", port: int = 6007,
                token: Optional[str] = None) -> Tuple[Any, str]:
    """A uvicorn server over the database and the URL to open (with ``?token=`` when one is needed).

    A token is made up when ``host`` is not a loopback address and none is given.
    """
    import uvicorn

    from RLA.ui.app import create_app

    if not os.path.isdir(data_root):
        raise DatabaseNotFoundError(f"no RLA database at {data_root}: pass the data root with -d DIR")
    loopback = is_loopback(host)
    if not loopback and token is None:
        token = secrets.token_urlsafe(24)
    app = create_app(data_root, token=token, loopback=loopback)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
    shown = socket.gethostname() if host in ("0.0.0.0", "::") else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    return uvicorn.Server(config), url


def serve(data_root: Any, host: str = "127.0.0.1", port: int = 6007, echo: Any = print) -> None:
    """Print the URL and serve until Ctrl-C.

    A token is required even on loopback: other users of a shared machine (a
    cluster's login node) reach its loopback ports too.
    """
    server, url = make_server(data_root, host, port, token=secrets.token_urlsafe(24))
    echo(url)
    echo("open the URL above (its token is needed by this page only); serving until Ctrl-C")
    try:
        server.run()
    except KeyboardInterrupt:  # uvicorn shuts down on Ctrl-C, then raises it again
        pass
