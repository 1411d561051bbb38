"""``rla import mlflow SOURCE``: every run of a local MLflow store, read with ``mlflow.MlflowClient``.

SOURCE is a tracking URI (``sqlite:///mlflow.db``, ``file:///.../mlruns``) or the path of a
store (a ``mlruns`` folder, a ``.db`` file). Only local stores are read: a server's URI is
refused, MLflow's telemetry is off while the store is read, and artifacts are taken from
the artifact folder on this disk (images and figures become results). Parameters, which
MLflow keeps as strings, are typed back (``0.001`` a float, ``True`` a bool); tags that
are not MLflow's own become the item's tags, ``mlflow.note.content`` its note; the
status is MLflow's (``FINISHED``, ``FAILED``, ``KILLED``; a running run is ``unknown``).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any, Dict, Iterator, List, NamedTuple, Optional, Sequence
from urllib.parse import unquote, urlparse

from RLA.db.records import nest_params, typed_value
from RLA.importers.base import UNKNOWN_STATUS, Importer, RunRef, SourceError, SourceRun
from RLA.words import did_you_mean

__all__ = ["MlflowImporter", "tracking_uri", "without_credentials"]

_STATUSES = {"FINISHED": "finished", "FAILED": "failed", "KILLED": "killed"}
#: while the store is read: no telemetry, and the file store MLflow 3 keeps read-only (it is what old runs are in)
_ENVIRONMENT = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "MLFLOW_ALLOW_FILE_STORE": "true"}
_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".bmp", ".webp", ".pdf"}
_LOCAL_SCHEMES = ("", "file")


def tracking_uri(source: str) -> str:
    """The tracking URI of ``source``: a local URI as given, a path as the URI of the store it holds."""
    scheme = urlparse(source).scheme
    if scheme == "sqlite":
        path = _sqlite_path(source)
        if path is not None and not os.path.isfile(path):
            raise SourceError(f"no MLflow database at {path}: give the .db file the runs were logged to")
        return source
    if scheme == "file":
        path = unquote(urlparse(source).path)
    elif scheme in _LOCAL_SCHEMES or len(scheme) == 1:  # a path (C: on Windows)
        path = os.path.abspath(os.path.expanduser(source))
    else:
        raise SourceError(f"rla import reads local MLflow stores only, not {without_credentials(source)!r}: give "
                          "a sqlite:/// URI, a file:/// URI or the path of a mlruns folder")
    if os.path.isfile(path):
        return f"sqlite:///{path}"
    if not os.path.isdir(path):
        raise SourceError(f"no MLflow store at {path}: give the mlruns folder, the .db file or the tracking URI")
    return Path(path).as_uri()


def without_credentials(uri: Optional[str]) -> Optional[str]:
    """``uri`` without what may authenticate (``user:password@``, a query or fragment such as a signed
    URL's token): what run.json and messages may hold of an artifact store's or server's URI."""
    if not uri:
        return uri
    parsed = urlparse(uri)
    if "@" not in parsed.netloc and not (parsed.query or parsed.fragment):
        return uri
    return parsed._replace(netloc=parsed.netloc.rpartition("@")[2], query="", fragment="").geturl()


def _sqlite_path(uri: str) -> Optional[str]:
    path = uri[len("sqlite:///"):] if uri.startswith("sqlite:///") else None
    return None if not path or path == ":memory:" else (path if os.path.isabs(path) else os.path.abspath(path))


class MlflowImporter(Importer):
    name = "mlflow"

    def __init__(self, source: str, experiments: Optional[Sequence[str]] = None):
        super().__init__(source)
        self.uri = tracking_uri(source)
        self.wanted = list(experiments or ())
        self._stack = contextlib.ExitStack()
        self._stack.enter_context(_reading_quietly())
        try:
            from mlflow import MlflowClient
        except ImportError:
            self._stack.close()
            raise
        try:
            self.client = MlflowClient(tracking_uri=self.uri)
        except Exception as exc:
            self._stack.close()
            raise SourceError(f"MLflow cannot open {self.uri}: {_first_line(exc)}") from None

    def close(self) -> None:
        self._stack.close()

    def _experiments(self) -> List[Any]:
        found = _pages(lambda token: self.client.search_experiments(page_token=token))
        if not self.wanted:
            return found
        chosen = [e for e in found if e.name in self.wanted or e.experiment_id in self.wanted]
        missing = [w for w in self.wanted if not any(w in (e.name, e.experiment_id) for e in found)]
        if missing:
            names = [e.name for e in found]
            raise SourceError(f"no experiment {missing[0]!r} in {self.uri}{did_you_mean(missing[0], names)}; "
                              f"its experiments: {', '.join(names) or 'none'}")
        return chosen

    def find(self) -> List[RunRef]:
        refs = []
        for experiment in self._experiments():
            for run in self._runs(experiment):
                if isinstance(run, _Unreadable):
                    refs.append(RunRef(id=run.run_id, name=f"{experiment.name}/{run.run_id}", handle=run))
                    continue
                info = run.info
                name = f"{experiment.name}/{info.run_name or info.run_id}"
                refs.append(RunRef(id=info.run_id, name=name, fingerprint=_fingerprint(run),
                                   handle=(experiment, run)))
        return refs

    def _runs(self, experiment: Any) -> List[Any]:
        """The experiment's runs, oldest first; in a file store where one run cannot be read (MLflow's search
        fails on it), every run read alone, those that fail kept as :class:`_Unreadable`."""
        ids = [experiment.experiment_id]
        try:
            return _pages(lambda token: self.client.search_runs(ids, page_token=token,
                                                                order_by=["attributes.start_time ASC"]))
        except Exception as exc:
            folder = Path(unquote(urlparse(self.uri).path)) / experiment.experiment_id
            if not self.uri.startswith("file:") or not folder.is_dir():
                raise SourceError(f"MLflow cannot list the runs of {experiment.name}: {_first_line(exc)}") from None
        runs: List[Any] = []
        for run_id in sorted(p.name for p in folder.iterdir() if (p / "meta.yaml").is_file()):
            try:
                runs.append(self.client.get_run(run_id))
            except Exception as exc:  # mlflow raises anything for a damaged run's files
                runs.append(_Unreadable(run_id, exc))
        return sorted(runs, key=lambda run: 0 if isinstance(run, _Unreadable) else run.info.start_time)

    def read(self, ref: RunRef) -> SourceRun:
        if isinstance(ref.handle, _Unreadable):
            raise ref.handle.error
        experiment, run = ref.handle
        info, data = run.info, run.data
        rows: Dict[int, Dict[str, float]] = {}
        wall_times: Dict[int, float] = {}
        for key in sorted(data.metrics):
            for metric in sorted(self.client.get_metric_history(info.run_id, key), key=lambda m: m.timestamp):
                rows.setdefault(int(metric.step), {})[key] = float(metric.value)
                wall_times[int(metric.step)] = max(wall_times.get(int(metric.step), 0.0), metric.timestamp / 1000)
        tags = data.tags
        details = {"experiment": experiment.name, "experiment_id": experiment.experiment_id,
                   "run_name": info.run_name, "artifact_uri": without_credentials(info.artifact_uri),
                   **{key: tags[tag] for key, tag in (("user", "mlflow.user"), ("program", "mlflow.source.name"),
                                                      ("git_commit", "mlflow.source.git.commit"),
                                                      ("parent_run_id", "mlflow.parentRunId")) if tag in tags}}
        results, warnings = _images(info.artifact_uri)
        return SourceRun(
            id=info.run_id, name=ref.name, location=self.uri, start_time=info.start_time / 1000,
            end_time=info.end_time / 1000 if info.end_time else None,
            status=_STATUSES.get(info.status, UNKNOWN_STATUS),
            params=nest_params({key: typed_value(value) for key, value in data.params.items()}),
            params_from=["mlflow params"] if data.params else [],
            tags=[key if value in ("", "true", "True") else f"{key}={value}" for key, value in sorted(tags.items())
                  if not key.startswith("mlflow.")],
            notes=tags.get("mlflow.note.content") or None, rows=rows, wall_times=wall_times, results=results,
            details=details, warnings=warnings,
        )


class _Unreadable(NamedTuple):
    """A run of a file store that MLflow cannot read."""

    run_id: str
    error: Exception


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _pages(search: Any) -> List[Any]:
    """Every result of a paged MLflow search."""
    found: List[Any] = []
    token = None
    while True:
        page = search(token)
        found += list(page)
        token = page.token
        if not token:
            return found


def _fingerprint(run: Any) -> Optional[str]:
    """What changes when a run that ended changes (its tags, a late metric); None for a running run (read it)."""
    if run.info.status not in _STATUSES:
        return None
    said = {"status": run.info.status, "end": run.info.end_time, "params": run.data.params, "tags": run.data.tags,
            "metrics": {k: repr(v) for k, v in run.data.metrics.items()}}
    return hashlib.sha1(json.dumps(said, sort_keys=True).encode()).hexdigest()


def _images(artifact_uri: Optional[str]) -> "tuple[Dict[str, Any], List[str]]":
    """The run's images and figures in its artifact folder, by their path in it; a warning when the artifacts
    are not on this disk (they are left where they are)."""
    if not artifact_uri:
        return {}, []
    parsed = urlparse(artifact_uri)
    if parsed.scheme not in _LOCAL_SCHEMES:
        return {}, [f"its artifacts at {without_credentials(artifact_uri)} are not on this disk: they are not "
                    "imported"]
    root = Path(unquote(parsed.path))
    images: Dict[str, Any] = {}
    for folder, _, files in os.walk(root):
        for name in sorted(files):
            path = Path(folder) / name
            if path.suffix.lower() in _IMAGE_SUFFIXES:
                images[path.relative_to(root).as_posix()] = path
    return images, []


@contextlib.contextmanager
def _reading_quietly() -> Iterator[None]:
    """MLflow's environment for reading a store (see :data:`_ENVIRONMENT`), and its INFO lines kept off the
    terminal; both put back as they were."""
    saved = {key: os.environ.get(key) for key in _ENVIRONMENT}
    os.environ.update(_ENVIRONMENT)
    logger = logging.getLogger("mlflow")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
