"""The Starlette application of ``rla ui``: the page, its static files and a small JSON API.

Every endpoint is a thin face over :mod:`RLA.ui.runs`, :mod:`RLA.ui.curves`
and :mod:`RLA.ui.actions`; the work runs in a worker thread, one request at a
time (the index and column caches are shared), and an RLA error comes back as
``{"error": message}`` for the page to show.
"""
from __future__ import annotations

import json
import logging
import mimetypes
import threading
from pathlib import Path
from typing import Any, Callable, Dict, Optional

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from RLA.db import data_types
from RLA.db.annotations import MAX_NOTE_CHARS
from RLA.db.layout import Database
from RLA.errors import ItemNotFoundError, RLAError, UsageError
from RLA.ui import arguments, curves, results, runs
from RLA.ui.actions import Actions
from RLA.ui.annotations import annotate_runs
from RLA.ui.guard import guard_middleware, safe_path
from RLA.ui.selection import find_record

__all__ = ["create_app", "STATIC_DIR"]

STATIC_DIR = Path(__file__).parent / "static"
FILE_TYPES = data_types.names_with(browsable=True)
_log = logging.getLogger(__name__)


class _JSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(content, default=str, separators=(",", ":")).encode("utf-8")


def _api(work: Callable[[Path, Any, Dict[str, Any]], Any]) -> Callable[[Request], Any]:
    """An endpoint calling ``work(data_root, state, arguments)`` in a worker thread, under the app's lock;
    the arguments are the query string and, for a POST, the JSON body."""

    async def endpoint(request: Request) -> Response:
        arguments: Dict[str, Any] = {k: v for k, v in request.query_params.items() if k != "token"}
        if request.method == "POST":
            try:
                body = await request.json()
            except (ValueError, RecursionError):
                return _JSON({"error": "the request body is not JSON (or is nested too deep)"}, status_code=400)
            if not isinstance(body, dict):
                return _JSON({"error": "the request body must be a JSON object"}, status_code=400)
            arguments.update(body)
        state = request.app.state

        def locked() -> Any:
            with state.lock:
                return work(state.data_root, state, arguments)

        try:
            result = await run_in_threadpool(locked)
        except (ItemNotFoundError, FileNotFoundError) as error:
            return _JSON({"error": str(error)}, status_code=404)
        except PermissionError as error:
            return _JSON({"error": str(error)}, status_code=403)
        except RLAError as error:  # the request's mistake: arguments.py and the layers below say which
            return _JSON({"error": str(error)}, status_code=400)
        except Exception as error:  # our own bug: its traceback goes to the terminal running rla ui
            _log.exception("rla ui: %s %s failed", request.method, request.url.path)
            return _JSON({"error": f"RLA failed on this request ({type(error).__name__}: {error}); this is a bug "
                                   "in RLA: the traceback is in the terminal running rla ui"}, status_code=500)
        return result if isinstance(result, Response) else _JSON(result)

    return endpoint


def _runs(root: Path, state: Any, a: Dict[str, Any]) -> Any:
    columns = [k for k in arguments.text(a, "cols").split(",") if k]
    snapshot = arguments.number(a, "snapshot", -1, whole=True)
    return state.runs_tables.table(root, arguments.text(a, "q"), columns, arguments.text(a, "sort") or None,
                                   arguments.flag(a, "desc"), int(arguments.number(a, "offset", 0, whole=True)),
                                   int(arguments.number(a, "limit", runs.PAGE_ROWS, whole=True)),
                                   None if snapshot < 0 else int(snapshot))


def _run_indices(root: Path, state: Any, a: Dict[str, Any]) -> Any:
    return state.runs_tables.indices(int(arguments.number(a, "snapshot", -1, whole=True)))


def _run(root: Path, state: Any, a: Dict[str, Any]) -> Any:
    return runs.run_detail(root, arguments.text(a, "index"), arguments.flag(a, "archived"))


def _file(root: Path, state: Any, a: Dict[str, Any]) -> Any:
    data_type = arguments.text(a, "type")
    if data_type not in FILE_TYPES:
        raise UsageError(f"type must be one of {FILE_TYPES}")
    record = find_record(root, arguments.text(a, "index"), arguments.flag(a, "archived"))
    path = safe_path(root, record.item.path(data_type), arguments.text(a, "path"))
    # files come from runs, not from us: never run them as a page of this origin (an .html or .svg of
    # results/ or of a code snapshot could otherwise call the API); images and videos still show inline.
    # Starlette spells any file name in Content-Disposition (RFC 6266 filename*, quotes escaped).
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    inline = media_type.startswith(("image/", "video/")) and media_type != "image/svg+xml"
    response = FileResponse(path, media_type=media_type, filename=None if inline else path.name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    return response


def _metrics(root: Path, state: Any, a: Dict[str, Any]) -> Any:
    return curves.curve_choices(root, arguments.text(a, "filter"), arguments.names(a, "indices"))


def _compare(root: Path, state: Any, a: Dict[str, Any]) -> Any:
    return runs.compare(root, arguments.text(a, "filter"), arguments.names(a, "indices") or [])


def _code_diff(root: Path, state: Any, a: Dict[str, Any]) -> Any:
    return runs.code_diff(root, arguments.text(a, "a"), arguments.text(a, "b"), arguments.flag(a, "archived"))


def _results_options(root: Path, state: Any, a: Dict[str, Any]) -> Any:
    return results.options(root, arguments.text(a, "filter"), arguments.names(a, "indices"))


def _results_panel(panel: Callable[[Path, results.ResultsRequest], Any]) -> Callable[[Path, Any, Dict[str, Any]], Any]:
    return lambda root, state, a: panel(root, results.ResultsRequest.of(a))


#: the downloads of a results table: format -> media type, file suffix
_TABLE_FILES = {"md": ("text/markdown", "md"), "latex": ("application/x-latex", "tex"), "csv": ("text/csv", "csv")}


def _results_table_file(root: Path, state: Any, a: Dict[str, Any]) -> Any:
    fmt = arguments.text(a, "format", "md")
    if fmt not in _TABLE_FILES:
        raise UsageError(f"format must be one of {', '.join(_TABLE_FILES)}, got {fmt!r}")
    media, suffix = _TABLE_FILES[fmt]
    text = results.table_file(root, results.ResultsRequest.of({k: v for k, v in a.items() if k != "format"}), fmt)
    return Response(text, media_type=media, headers={"Content-Disposition": f'attachment; filename="results.{suffix}"'})


def _curve_request(a: Dict[str, Any]) -> curves.CurveRequest:
    return curves.CurveRequest.of({k: v for k, v in a.items() if k != "format"})


def _curves(root: Path, state: Any, a: Dict[str, Any]) -> Any:
    return curves.curves(root, _curve_request(a))


def _curves_csv(root: Path, state: Any, a: Dict[str, Any]) -> Any:
    return Response(curves.curves_csv(root, _curve_request(a)), media_type="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="curves.csv"'})


def _curves_figure(root: Path, state: Any, a: Dict[str, Any]) -> Any:
    fmt = arguments.text(a, "format", "png")
    media = "application/pdf" if fmt == "pdf" else "image/png"
    return Response(curves.curves_figure(root, _curve_request(a), fmt), media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="curves.{fmt}"'})


def _annotate(root: Path, state: Any, a: Dict[str, Any]) -> Any:
    note, append = (arguments.text(a, name, limit=MAX_NOTE_CHARS) if a.get(name) is not None else None
                    for name in ("note", "append"))
    return annotate_runs(root, arguments.names(a, "indices") or [], arguments.flag(a, "archived"),
                         arguments.names(a, "add") or [], arguments.names(a, "remove") or [], note, append)


def _plan(root: Path, state: Any, a: Dict[str, Any]) -> Any:
    return state.actions.plan(arguments.text(a, "action"), arguments.names(a, "indices") or [],
                              arguments.flag(a, "include_running"), arguments.flag(a, "allow_all"),
                              arguments.flag(a, "archived"), arguments.text(a, "to_task"))


def _apply(root: Path, state: Any, a: Dict[str, Any]) -> Any:
    return state.actions.apply(arguments.text(a, "id"))


async def _index(request: Request) -> Response:
    return FileResponse(STATIC_DIR / "index.html")


def create_app(data_root: Any, token: Optional[str] = None, loopback: bool = True) -> Starlette:
    """The app over the database at ``data_root``. ``token``: required on every API request;
    ``loopback``: answer only requests naming a loopback host."""
    root = Database(data_root).root
    routes = [
        Route("/", _index),
        Route("/api/runs", _api(_runs)),
        Route("/api/runs/indices", _api(_run_indices)),
        Route("/api/run", _api(_run)),
        Route("/api/file", _api(_file)),
        Route("/api/metrics", _api(_metrics), methods=["POST"]),
        Route("/api/compare", _api(_compare), methods=["POST"]),
        Route("/api/code-diff", _api(_code_diff), methods=["POST"]),
        Route("/api/curves", _api(_curves), methods=["POST"]),
        Route("/api/results/options", _api(_results_options), methods=["POST"]),
        Route("/api/results/table", _api(_results_panel(results.table)), methods=["POST"]),
        Route("/api/results/versus", _api(_results_panel(results.versus)), methods=["POST"]),
        Route("/api/results/table-file", _api(_results_table_file), methods=["POST"]),
        Route("/api/results/curves", _api(_results_panel(results.curves)), methods=["POST"]),
        Route("/api/results/importance", _api(_results_panel(results.importance)), methods=["POST"]),
        Route("/api/curves.csv", _api(_curves_csv), methods=["POST"]),
        Route("/api/figure", _api(_curves_figure), methods=["POST"]),
        Route("/api/annotate", _api(_annotate), methods=["POST"]),
        Route("/api/plan", _api(_plan), methods=["POST"]),
        Route("/api/apply", _api(_apply), methods=["POST"]),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    middleware = [Middleware(BaseHTTPMiddleware, dispatch=guard_middleware(token, loopback))]
    app = Starlette(routes=routes, middleware=middleware)
    app.state.data_root = root
    app.state.lock = threading.Lock()
    app.state.actions = Actions(root)
    app.state.runs_tables = runs.RunsTables()
    return app
