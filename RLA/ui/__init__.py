"""``rla ui``: the experiment database in a browser.

A Starlette app (:func:`RLA.ui.app.create_app`) over :mod:`RLA.db` and
:mod:`RLA.easy_plot`, served by uvicorn (:func:`RLA.ui.server.serve`). The
page's JavaScript and the chart library (uPlot, vendored in ``static/vendor``)
are served from the package: nothing is fetched from the network. The web
stack is an optional extra (``pip install RLA[ui]``), imported only here.
"""
from __future__ import annotations

from typing import Any

__all__ = ["create_app", "serve"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from RLA.ui.app import create_app

        return create_app
    if name == "serve":
        from RLA.ui.server import serve

        return serve
    raise AttributeError(name)
