"""The experiment manager: configure -> log_files_gen -> run lifecycle.

``exp_manager`` (alias ``tester``) is the process-wide instance a training
script talks to. ``configure`` says where the database is and which table the
run belongs to; ``log_files_gen`` claims a new item, starts the logger, and
writes the code snapshot and the run's records.
"""
from __future__ import annotations

import atexit
import dataclasses
import datetime as _dt
import os
import platform
import signal
import socket
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Tuple, Union

from RLA.config import RLAConfig, load_config
from RLA.db import layout
from RLA.db.layout import Database, Item
from RLA.db.records import flatten_params, lookup_param, read_json, to_jsonable, write_json_atomic
from RLA.easy_log import logger
from RLA.easy_log.time_step import TimeStepHolder, time_step_holder
from RLA.errors import RunNotStartedError

if TYPE_CHECKING:
    from RLA.easy_log.checkpoint import Saver

__all__ = ["ExperimentManager", "exp_manager", "tester", "RunNotStartedError", "local_ip"]

ConfigSource = Union[str, os.PathLike, Dict[str, Any], RLAConfig, None]

#: how often (seconds) a dump refreshes run.json's heartbeat and last time-step
HEARTBEAT_SECONDS = 30.0


_ip_cache: Optional[str] = None


def local_ip() -> str:
    """This machine's outbound IPv4 address, or 127.0.0.1; never blocks, sends nothing.

    ``RLA_IP`` in the environment overrides it (e.g. a cluster node name).
    """
    global _ip_cache
    override = os.environ.get("RLA_IP")
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


def _now() -> str:
    return _dt.datetime.now().isoformat(timespec="microseconds")


class ExperimentManager:
    """One run at a time: its parameters, its database item and its lifecycle."""

    def __init__(self, step_holder: TimeStepHolder = time_step_holder):
        self.time_step_holder = step_holder
        self.hyper_param: Dict[str, Any] = {}
        self.record_param: List[str] = []
        self.custom_data: Dict[str, Any] = {}
        self.config: RLAConfig = RLAConfig()
        self.task_table_name: Optional[str] = None
        self.data_root: Optional[str] = None
        self.run_file: Optional[str] = None
        self.code_root: Optional[str] = None
        self.ignore_file_path: Optional[str] = None
        self.is_master_node = False
        self.item: Optional[Item] = None
        self.run_record: Dict[str, Any] = {}
        # what was set since the current run started: it carries over to the next run
        # tracked keys added since the current run started: they name the next run
        self._record_since_start: List[str] = []
        self._owner_pid: Optional[int] = None
        self._pending_status: Optional[str] = None
        self._last_heartbeat = 0.0
        self._hooks_installed = False
        self.resume: Optional[str] = None
        self._saver: Optional["Saver"] = None
        #: after a resume or fork, until the first load_checkpoint: the last step the logs keep
        self._rewind_pending = False
        self._rewound_to: Optional[int] = None

    # -- configuration ------------------------------------------------------
    def configure(self, task_table_name: Optional[str] = None, rla_config: ConfigSource = None,
                  data_root: Union[str, os.PathLike, None] = None, ignore_file_path: Optional[str] = None,
                  run_file: Optional[str] = None, is_master_node: bool = False,
                  code_root: Optional[str] = None, *, task_name: Optional[str] = None,
                  private_config_path: ConfigSource = None,
                  log_root: Union[str, os.PathLike, None] = None,
                  resume: Union[str, bool, None] = None) -> "ExperimentManager":
        """Say where the database is and which table the next run belongs to.

        ``task_name``, ``private_config_path`` and ``log_root`` are the names
        earlier releases used for ``task_table_name``, ``rla_config`` and
        ``data_root`` (which defaults to ``DATA_ROOT`` of the config). Configuring
        again after a run started begins a fresh experiment: the previous run is
        finished; its tracked keys, custom data, step and log files do not carry
        over, its hyper-parameters stay until changed. ``is_master_node`` is kept
        for scripts of earlier releases (central log collection, not part of
        this release).

        ``resume="auto"`` (or ``RLA_RESUME=auto`` in the environment) makes
        ``log_files_gen`` continue the newest unfinished run of this task with
        the same tracked parameters, if there is one; ``resume=<record date>``
        continues that item.
        """
        task = _one_of("task_table_name", task_table_name, "task_name", task_name)
        config_source = _one_of("rla_config", rla_config, "private_config_path", private_config_path)
        root = _one_of("data_root", data_root, "log_root", log_root)
        if task is None:
            raise TypeError("configure() needs task_table_name (the table this run belongs to)")
        layout.validate_task_name(task)
        from RLA.easy_log.resume import resume_request

        resume_choice = resume_request(resume)
        config = load_config(config_source)
        if root is None:
            root = config.data_root()
        if root is None:
            raise TypeError("configure() needs data_root (the folder of the database, e.g. '../'), "
                            "or DATA_ROOT in the rla config")
        if self.item is not None:
            self._start_fresh_experiment()
        self.config = config
        self.task_table_name = task
        self.data_root = os.path.abspath(os.path.expanduser(os.fspath(root)))
        self.run_file = os.path.abspath(run_file) if run_file else None
        self.ignore_file_path = ignore_file_path
        self.is_master_node = is_master_node
        self.resume = resume_choice
        if code_root is not None:
            self.code_root = os.path.abspath(code_root)
        elif isinstance(config_source, (str, os.PathLike)):
            self.code_root = os.path.dirname(os.path.abspath(config_source))
        else:
            self.code_root = os.getcwd()
        return self

    def _start_fresh_experiment(self) -> None:
        """End the current run and drop its state; hyper-parameters stay until changed,
        tracked keys only when added again since the run started."""
        self.finish()
        self.record_param = self._record_since_start
        self.custom_data = {}
        self.item = None
        self.run_record = {}
        self._saver = None
        self._rewind_pending = False
        self.time_step_holder.config(0, 0)
        logger.reset()

    @property
    def database(self) -> Database:
        if self.data_root is None:
            raise RunNotStartedError("call exp_manager.configure(task_table_name=..., data_root=...) first")
        return Database(self.data_root)

    # -- hyper-parameters ---------------------------------------------------
    def set_hyper_param(self, **kwargs: Any) -> None:
        """Set hyper-parameters for the next ``log_files_gen`` (merged into those already set).

        They stay set for later runs of this process until changed. A run's
        ``params.json`` is written when it starts; to add parameters found
        while it runs, use :meth:`add_run_params`.
        """
        self.hyper_param.update(kwargs)

    def update_hyper_param(self, key: str, value: Any) -> None:
        """Change one hyper-parameter for the next run (a dotted key changes a nested value)."""
        target = self.hyper_param
        parts = key.split(".") if key not in self.hyper_param else [key]
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value

    def add_run_params(self, **kwargs: Any) -> None:
        """Add parameters known only once the run is going (e.g. from a library) to its params.json."""
        self._item_or_raise()
        self.hyper_param.update(kwargs)
        self._write_params()

    def add_record_param(self, keys: Union[str, Iterable[str]]) -> None:
        """Track ``keys`` in the item's name (dotted keys index nested dicts)."""
        for key in [keys] if isinstance(keys, str) else keys:
            if key not in self.record_param:
                self.record_param.append(key)
            if key not in self._record_since_start:
                self._record_since_start.append(key)

    def clear_record_param(self) -> None:
        self.record_param = []
        self._record_since_start = []

    def tracked_params(self) -> List[Tuple[str, Any]]:
        """``(key, value)`` of every tracked parameter, in the order they were added."""
        out = []
        for key in self.record_param:
            try:
                out.append((key, lookup_param(self.hyper_param, key)))
            except KeyError:
                raise KeyError(
                    f"add_record_param key {key!r} is not a hyper-parameter; set it with "
                    f"set_hyper_param({key.split('.')[0]}=...) first (known: {sorted(self.hyper_param)})"
                ) from None
        return out

    # -- custom data --------------------------------------------------------
    def add_custom_data(self, key: str, data: Any, dtype: type = list, max_len: int = -1) -> None:
        """Keep ``data`` with the run (saved with its pickle and checkpoints).

        With ``dtype=list`` values accumulate (the oldest dropped beyond
        ``max_len`` when it is positive); otherwise the value is replaced.
        """
        if dtype is list:
            values = self.custom_data.setdefault(key, [])
            values.append(data)
            if max_len > 0 and len(values) > max_len:
                del values[: len(values) - max_len]
        else:
            self.custom_data[key] = data

    def get_custom_data(self, key: str, default: Any = None) -> Any:
        return self.custom_data.get(key, default)

    # -- the run --------------------------------------------------------------
    def log_files_gen(self) -> Item:
        """Claim a new database item for this run and start writing into it."""
        if self.task_table_name is None or self.data_root is None:
            raise RunNotStartedError(
                "call exp_manager.configure(task_table_name=..., rla_config=..., data_root=...) "
                "before log_files_gen()"
            )
        if self.item is not None:
            self._start_fresh_experiment()
        tracked = self.tracked_params()
        ip = local_ip()
        if self.resume is not None:
            resumed = self._claim_item_to_resume(tracked)
            if resumed is not None:
                return self._continue_item(*resumed)
        self._begin_run(self.database.create_item(self.task_table_name, ip, tracked))
        self._open_logger()
        self._write_params()
        self.run_record = self._initial_run_record(ip)
        self._write_run_record()
        self._install_hooks()
        self._backup_code()
        self._write_tensorboard_params()
        self.serialize_object_and_save()
        logger.info(f"RLA: run {self.item.index} -> {self.log_dir}")
        return self.item

    def _open_logger(self) -> None:
        logger.configure(self.log_dir, self.config.LOG_USED, self.time_step_holder)
        logger.get_current().after_dump = self._after_dump

    def _initial_run_record(self, ip: str) -> Dict[str, Any]:
        from RLA.easy_log.backup import environment

        assert self.item is not None
        return {
            "format": "v1",
            "task": self.item.task,
            "index": self.item.index,
            "log_name": self.item.name,
            "status": "running",
            "start_time": _now(),
            "end_time": None,
            "heartbeat": _now(),
            "last_time_step": None,
            "record_param": list(self.record_param),
            "ip": ip,
            "pid": os.getpid(),
            "argv": list(sys.argv),
            "cwd": os.getcwd(),
            **environment(),
            "git": None,
            "log_used": list(self.config.LOG_USED),
            "resumes": [],
            "error": None,
        }

    def _backup_code(self) -> None:
        from RLA.easy_log.backup import git_state, requirements, snapshot_code

        assert self.item is not None and self.code_root is not None
        code_dir = self.item.path("code")
        backup = self.config.BACKUP_CONFIG
        report = snapshot_code(
            Path(self.code_root), code_dir,
            mode=self.config.PROJECT_TYPE.backup_code_by,
            backup_dirs=backup.backup_code_dir, lib_dir=backup.lib_dir, run_file=self.run_file,
            ignore_patterns=backup.ignore_code_paths,
            ignore_file=Path(self.ignore_file_path) if self.ignore_file_path else None,
            exclude_roots=[self.database.root, *self.database.managed_dirs()],
            max_file_bytes=int(backup.max_file_size_mb * 1024 * 1024),
        )
        for missing in report.missing:
            logger.warn(f"RLA backup: {missing} does not exist; check BACKUP_CONFIG in your rla_config.yaml")
        if report.skipped_large:
            logger.warn(f"RLA backup: left out files over {backup.max_file_size_mb} MB: "
                        + ", ".join(report.skipped_large))
        state = git_state(Path(self.code_root))
        if state is not None:
            (code_dir / layout.GIT_DIFF).write_text(state.pop("diff"), encoding="utf-8")
            self.run_record["git"] = state
        (code_dir / layout.REQUIREMENTS_TXT).write_text(requirements(), encoding="utf-8")
        self._write_run_record()

    def _write_tensorboard_params(self) -> None:
        board = logger.get_current().tensorboard()
        if board is None:
            return
        flat = flatten_params(to_jsonable(self.hyper_param))
        hparams = {k: v if isinstance(v, (int, float, str, bool)) else repr(v) for k, v in flat.items()}
        board.write_hparams(hparams)
        table = "| parameter | value |\n|---|---|\n" + "\n".join(
            f"| {k} | {str(v).replace('|', '&#124;')} |" for k, v in flat.items())
        board.write_text("hyperparameters", table)

    def print_args(self) -> None:
        """Write every hyper-parameter to backup.txt (and the log), one per line."""
        for key, value in sorted(self.hyper_param.items()):
            logger.backup(f"{key}: {value}")

    def serialize_object_and_save(self) -> Path:
        """Pickle this manager (parameters, custom data, time-step) for resuming."""
        import dill

        path = self._item_or_raise().path("archive_tester")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            dill.dump(self, f)
        os.replace(tmp, path)
        return path

    def __getstate__(self) -> Dict[str, Any]:
        state = {k: v for k, v in self.__dict__.items()
                 if k in ("hyper_param", "record_param", "custom_data", "config", "task_table_name",
                          "data_root", "run_file", "code_root", "ignore_file_path", "is_master_node",
                          "item", "run_record")}
        state["time_step"] = self.time_step_holder.get_time()
        # the pickle lives in the database: keep the remote credentials out of it
        remote = dataclasses.replace(self.config.REMOTE_SETTING, username="", password="")
        state["config"] = dataclasses.replace(self.config, REMOTE_SETTING=remote)
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__init__(TimeStepHolder(state.pop("time_step", 0)))  # type: ignore[misc]
        self.__dict__.update(state)

    # -- checkpoints and resuming ----------------------------------------------
    def new_saver(self, max_to_keep: Optional[int] = 10, keep_best: int = 0,
                  var_prefix: Optional[str] = None) -> "Saver":
        """Choose how checkpoints are kept: the last ``max_to_keep`` (``None``: all) plus the
        best ``keep_best`` by the metric given to ``save_checkpoint``.

        ``DL_FRAMEWORK`` picks torch or tensorflow; ``var_prefix`` selects the
        tf.compat.v1 variables of the default session (TF1-style graphs).
        """
        from RLA.easy_log.checkpoint import make_saver

        self._saver = make_saver(self.config.DL_FRAMEWORK, self.checkpoint_dir, max_to_keep, keep_best, var_prefix)
        return self._saver

    def has_checkpoint(self) -> bool:
        """Whether this run's item holds a checkpoint (e.g. after an auto-resume)."""
        return self.latest_checkpoint_step() is not None

    def latest_checkpoint_step(self) -> Optional[int]:
        """The time-step of this run's latest checkpoint, or ``None``."""
        from RLA.easy_log.checkpoint import Saver

        return Saver(self.checkpoint_dir).latest_step()

    def save_checkpoint(self, model_dict: Optional[Dict[str, Any]] = None,
                        related_variable: Optional[Dict[str, Any]] = None, metric: Optional[str] = None,
                        mode: str = "max", metric_value: Optional[float] = None) -> Path:
        """Save ``model_dict`` (torch modules/optimizers/tensors, or tensorflow trackables) at the
        current time-step, with the RNG states, the custom data (``related_variable`` is
        added to it) and the logger's position.

        ``metric`` names a logged key (its value in the pending row, else in the
        last dumped row, unless ``metric_value`` is given) that ranks the checkpoint
        for ``keep_best``; ``mode`` is ``"max"`` or ``"min"``. Call it after
        ``dump_tabular`` so a resume continues the curves exactly.
        """
        from RLA.easy_log.checkpoint import capture_rng

        saver = self._saver or self.new_saver()
        if related_variable:
            self.custom_data.update(related_variable)
        current = logger.get_current()
        value = metric_value
        if metric is not None and value is None:
            value = current.name2val.get(metric, current.last_row.get(metric))
            if value is None:
                raise KeyError(f"metric {metric!r} was not logged in this row or the last one; record it with "
                               f"logger.record_tabular({metric!r}, value) first, or pass metric_value=")
        step = self.time_step_holder.get_time()
        meta = {"time_step": step, "rng": capture_rng(), "custom_data": self.custom_data,
                "logger": current.pending_state()}
        path = saver.save(step, model_dict, meta, metric=value, mode=mode if value is not None else None)
        self.run_record["last_checkpoint_step"] = step
        self._write_run_record()
        return path

    def load_checkpoint(self, ckp_index: Optional[int] = None, model_dict: Optional[Dict[str, Any]] = None,
                        restore_rng: bool = True) -> Tuple[int, Any]:
        """``(time_step, state)`` of this run's checkpoint ``ckp_index`` (the latest by default).

        ``state`` maps the names of ``model_dict`` to their saved states; objects
        passed in ``model_dict`` get them loaded (tensorflow needs them). The
        time-step, custom data, logger position and (unless ``restore_rng`` is
        False) the RNG states are restored too.
        """
        from RLA.easy_log.checkpoint import restore_rng as set_rng

        saver = self._saver or self.new_saver()
        checkpoint = saver.load(ckp_index, model_dict)
        meta = checkpoint.meta
        logger_state = meta.get("logger", {})
        if self._rewind_pending:
            self._rewind_pending = False
            if logger_state.get("last_dumped_step") != self._rewound_to:
                self._rewind_logs(logger_state.get("last_dumped_step"))
        self.time_step_holder.set_time(meta.get("time_step", checkpoint.step))
        self.custom_data.update(meta.get("custom_data", {}))
        if restore_rng:
            set_rng(meta.get("rng", {}))
        if logger_state:
            logger.get_current().restore_pending_state(logger_state)
        return checkpoint.step, checkpoint.state

    def rewind_to_checkpoint(self, ckp_index: Optional[int] = None) -> Optional[int]:
        """Drop the rows logged after checkpoint ``ckp_index`` (the latest; every row when the
        run has none) from progress.csv/json and hide them in TensorBoard.

        Returns the last step the logs keep. Resuming and forking call it.
        """
        logged_step = None
        if self.has_checkpoint():
            logged_step = (self._saver or self.new_saver()).load_meta(ckp_index).get("logger", {}).get(
                "last_dumped_step")
        self._rewind_logs(logged_step)
        self._rewind_pending = ckp_index is None
        return logged_step

    def _rewind_logs(self, last_kept_step: Optional[int]) -> None:
        """Truncate the progress files after ``last_kept_step``, reopen the logger, purge TensorBoard."""
        logger.get_current().close()
        logger.truncate_progress(self.log_dir, last_kept_step)
        self.reopen_logger()
        board = logger.get_current().tensorboard()
        if board is not None:
            purge_step = 0 if last_kept_step is None else last_kept_step + 1
            board.write_purge(purge_step)
            if purge_step == 0:
                self._write_tensorboard_params()
        self._rewound_to = last_kept_step

    def reopen_logger(self) -> None:
        """Reopen the run's log files, e.g. after fork_log_files replaced them on disk."""
        logger.get_current().close()
        self._open_logger()

    def record_run_info(self, **info: Any) -> None:
        """Add ``info`` to this run's run.json (e.g. which item it was forked from)."""
        self._item_or_raise()
        self.run_record.update(to_jsonable(info))
        self._write_run_record()

    def _claim_item_to_resume(self, tracked: List[Tuple[str, Any]]) -> Optional[Tuple[Item, Dict[str, Any]]]:
        """The item this run continues and its run record, claimed atomically; ``None`` for a new item."""
        from RLA.easy_log import resume

        assert self.task_table_name is not None and self.resume is not None
        if self.resume == "auto":
            candidates = resume.find_unfinished(self.database, self.task_table_name, tracked,
                                                 self.hyper_param)
        else:
            from RLA.db.resolve import resolve_item

            item = resolve_item(self.database, self.task_table_name, self.resume)
            run = read_json(item.path("log") / layout.RUN_JSON)
            if run is None:
                raise ValueError(f"item {item.index} has no run.json: it cannot be continued in place; "
                                 "fork it with ExperimentLoader.fork_log_files() instead")
            if resume.is_alive(run):
                raise RuntimeError(f"item {item.index} is still running (pid {run.get('pid')} on "
                                   f"{run.get('host')}); stop it before continuing it")
            if not resume.tracked_match(item, run, tracked):
                raise ValueError(f"item {item.index} was run with other tracked parameters than "
                                 f"{dict(tracked)}; continue it with the same ones, or fork it")
            candidates = [item]
        for item in candidates:
            run = read_json(item.path("log") / layout.RUN_JSON) or {}
            if resume.claim(item, len(run.get("resumes") or []) + 1):
                return item, run
            if self.resume != "auto":
                raise RuntimeError(f"item {item.index} was just resumed by another process")
        return None

    def _begin_run(self, item: Item) -> None:
        """Make ``item`` the current run of this process, with all its folders."""
        self.item = item
        self._record_since_start = []
        self._owner_pid = os.getpid()
        self._pending_status = None
        self._last_heartbeat = time.monotonic()
        for data_type in ("code", "checkpoint", "results"):
            item.path(data_type).mkdir(parents=True, exist_ok=True)

    def _continue_item(self, item: Item, previous_run: Dict[str, Any]) -> Item:
        """Go on writing into ``item``: rewind its logs to its latest checkpoint, record the resume."""
        self._begin_run(item)
        last_kept_step = self.rewind_to_checkpoint()
        self._write_params()
        resumes = list(previous_run.get("resumes") or [])
        resumes.append({"time": _now(), "host": platform.node(), "ip": local_ip(), "pid": os.getpid(),
                        "argv": list(sys.argv), "previous_status": previous_run.get("status"),
                        "checkpoint_step": self.latest_checkpoint_step(), "last_kept_step": last_kept_step})
        self.run_record = {**previous_run, "status": "running", "end_time": None, "heartbeat": _now(),
                           "host": platform.node(), "pid": os.getpid(), "error": None, "resumes": resumes}
        self._write_run_record()
        self._install_hooks()
        self.serialize_object_and_save()
        logger.info(f"RLA: run {item.index} resumed (resume #{len(resumes)}) -> {self.log_dir}")
        return item

    # -- run.json and the lifecycle -------------------------------------------
    def _write_params(self) -> None:
        if self.item is not None:
            write_json_atomic(Path(self.log_dir) / layout.PARAMS_JSON, to_jsonable(self.hyper_param))

    def _write_run_record(self) -> None:
        if self.item is not None and os.getpid() == self._owner_pid:
            write_json_atomic(Path(self.log_dir) / layout.RUN_JSON, self.run_record)

    def _after_dump(self, step: int) -> None:
        self.run_record["last_time_step"] = step
        now = time.monotonic()
        if now - self._last_heartbeat >= HEARTBEAT_SECONDS:
            self._last_heartbeat = now
            self.run_record["heartbeat"] = _now()
            self._write_run_record()

    def finish(self, status: str = "finished") -> None:
        """End the run: record ``status`` and the end time, and close the log files."""
        if self.item is None or self.run_record.get("status") != "running":
            return
        if os.getpid() != self._owner_pid:
            return
        current = logger.get_current()
        board = current.tensorboard()
        if board is not None:
            board.write_hparams_end(status, self.time_step_holder.get_time())
        self.run_record.update(status=status, end_time=_now(), heartbeat=_now())
        if current.last_dumped_step is not None:
            self.run_record["last_time_step"] = current.last_dumped_step
        self._write_run_record()
        current.close()
        logger.reset()

    def _install_hooks(self) -> None:
        if self._hooks_installed:
            return
        self._hooks_installed = True
        atexit.register(self._at_exit)
        previous_hook = sys.excepthook

        def excepthook(exc_type: type, exc: BaseException, tb: Any) -> None:
            if self.item is not None and os.getpid() == self._owner_pid:
                killed = issubclass(exc_type, (KeyboardInterrupt, _Terminated))
                self._pending_status = "killed" if killed else "failed"
                if not killed:
                    self.run_record["error"] = "".join(traceback.format_exception_only(exc_type, exc)).strip()
            previous_hook(exc_type, exc, tb)

        sys.excepthook = excepthook
        previous_exit = sys.exit

        def exit_recording_status(status: Any = None) -> None:
            # atexit cannot see the exit status, and SystemExit never reaches excepthook
            if status not in (None, 0) and self.item is not None and os.getpid() == self._owner_pid:
                self._pending_status = "failed"
                self.run_record["error"] = f"sys.exit({status!r})"
            previous_exit(status)

        sys.exit = exit_recording_status
        if threading.current_thread() is threading.main_thread():
            for signum in _TERMINATING_SIGNALS:
                if signal.getsignal(signum) in (signal.SIG_DFL, None):
                    signal.signal(signum, self._on_sigterm)

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        if os.getpid() != self._owner_pid:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        # unwind the stack (running finally blocks), then record "killed" at exit
        self._pending_status = "killed"
        raise _Terminated(128 + signum)

    def _at_exit(self) -> None:
        self.finish(self._pending_status or "finished")

    # -- paths ------------------------------------------------------------------
    def _item_or_raise(self) -> Item:
        if self.item is None:
            raise RunNotStartedError("no run yet: call exp_manager.configure(...) then log_files_gen()")
        return self.item

    @property
    def log_dir(self) -> str:
        return str(self._item_or_raise().path("log"))

    @property
    def code_dir(self) -> str:
        return str(self._item_or_raise().path("code"))

    @property
    def checkpoint_dir(self) -> str:
        return str(self._item_or_raise().path("checkpoint"))

    @property
    def results_dir(self) -> str:
        return str(self._item_or_raise().path("results"))

    @property
    def pkl_file(self) -> str:
        return str(self._item_or_raise().path("archive_tester"))

    @property
    def log_name(self) -> str:
        return self._item_or_raise().name

    @property
    def record_date(self) -> str:
        """``YYYY/MM/DD/<log_name>``: what ExperimentLoader and the tools take."""
        return self._item_or_raise().record_date

    @property
    def item_index(self) -> str:
        return self._item_or_raise().index


#: signals a scheduler or a closed terminal sends to stop a job: recorded as "killed"
_TERMINATING_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class _Terminated(SystemExit):
    """Raised in the main thread on SIGTERM/SIGHUP so the run unwinds and is recorded as killed."""


def _one_of(name: str, value: Any, old_name: str, old_value: Any) -> Any:
    if value is not None and old_value is not None and value != old_value:
        raise TypeError(f"configure() got both {name}={value!r} and its older name {old_name}={old_value!r}")
    return value if value is not None else old_value


exp_manager = ExperimentManager()
tester = exp_manager
