"""The experiment manager: configure -> log_files_gen (or ``with exp_manager.run():``) -> the run.

``exp_manager`` (alias ``tester``) is the process-wide instance a training
script talks to. ``configure`` says where the database is and which table the
run belongs to; ``log_files_gen`` claims a new item, starts the logger, and
writes the code snapshot and the run's records. The manager is a facade: the
run's record lives in :mod:`run_record`, how the process ends in :mod:`hooks`,
checkpoints in :mod:`run_checkpoints`, resuming in :mod:`resume`.
"""
from __future__ import annotations

import contextlib
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Optional, Tuple, Union

from RLA.config import RLAConfig, load_config
from RLA.db import layout
from RLA.db.layout import Database, Item
from RLA.db.records import to_jsonable, write_json_atomic
from RLA.easy_log import logger, ranks, run_pickle
from RLA.easy_log.hooks import ProcessHooks, exit_status
from RLA.easy_log.manager_extras import ManagerExtras
from RLA.easy_log.net import local_ip
from RLA.easy_log.run_checkpoints import RunCheckpoints
from RLA.easy_log.run_params import RunParams
from RLA.easy_log.run_paths import RunPaths
from RLA.easy_log.run_record import HEARTBEAT_SECONDS, RunRecord
from RLA.easy_log.time_step import TimeStepHolder, time_step_holder
from RLA.errors import ConfigError, DiskFullError, RunNotStartedError

if TYPE_CHECKING:
    from RLA.easy_log.checkpoint import Saver
    from RLA.easy_log.run_sync import RunSync
    from RLA.monitor.alerts import RunAlerts
    from RLA.monitor.system_metrics import SystemSampler

__all__ = ["ExperimentManager", "Tester", "exp_manager", "tester", "RunNotStartedError", "local_ip",
           "HEARTBEAT_SECONDS"]

ConfigSource = Union[str, os.PathLike, Dict[str, Any], RLAConfig, None]

class ExperimentManager(RunParams, ManagerExtras, RunPaths):
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
        # tracked keys added since the current run started: they name the next run
        self._record_since_start: List[str] = []
        self.resume: Optional[str] = None
        #: the script saves its checkpoints itself, outside the item (see configure)
        self.own_checkpoints = False
        self._record = RunRecord()
        self._checkpoints = RunCheckpoints(self)
        self._hooks = ProcessHooks(self.finish, lambda: self._record.owned_here(), self._interrupted_run)
        #: set by run(): the context records how the run ends, no exit hooks are needed
        self._explicit_lifecycle = False
        #: print_args() was called before the run had an item: backup.txt is written when it has one
        self._args_to_back_up = False
        self._sync: Optional["RunSync"] = None
        self._system_metrics: Optional["SystemSampler"] = None
        self._alerts: Optional["RunAlerts"] = None

    @property
    def run_record(self) -> Dict[str, Any]:
        """The current run's run.json, as a dict."""
        return self._record.data

    # -- configuration ------------------------------------------------------
    def configure(self, task_table_name: Optional[str] = None, rla_config: ConfigSource = None,
                  data_root: Union[str, os.PathLike, None] = None, ignore_file_path: Optional[str] = None,
                  run_file: Optional[str] = None, is_master_node: bool = False,
                  code_root: Optional[str] = None, *, task_name: Optional[str] = None,
                  private_config_path: ConfigSource = None,
                  log_root: Union[str, os.PathLike, None] = None,
                  resume: Union[str, bool, None] = None, own_checkpoints: bool = False) -> "ExperimentManager":
        """Say where the database is and which table the next run belongs to.

        ``task_name``, ``private_config_path`` and ``log_root`` are the names
        earlier releases used for ``task_table_name``, ``rla_config`` and
        ``data_root`` (which defaults to ``DATA_ROOT`` of the config). Configuring
        again after a run started begins a fresh experiment: the previous run is
        finished; its tracked keys, custom data, step and log files do not carry
        over, its hyper-parameters stay until changed. ``is_master_node=True``
        says this process runs on the central host: ``sync_log_file`` does nothing there.

        ``resume="auto"`` (or ``RLA_RESUME=auto`` in the environment) makes
        ``log_files_gen`` continue the newest unfinished run of this task with
        the same tracked parameters, if there is one; ``resume=<record date>``
        continues that item. ``own_checkpoints=True`` says the script saves
        its checkpoints itself, outside the item: a resumed run keeps the
        rows logged before until the script says the step it went back to
        (:meth:`rewind_logs_to`), as for checkpoints of its own in the item's
        checkpoint folder.
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
        if os.path.exists(root) and not os.path.isdir(root):
            raise ConfigError(f"data_root {os.fspath(root)!r} is a file: give the folder that holds the database "
                              "(or where it is to be made)")
        if self.item is not None:
            self._start_fresh_experiment()
        self.config = config
        self.task_table_name = task
        self.data_root = os.path.abspath(os.path.expanduser(os.fspath(root)))
        self.run_file = os.path.abspath(run_file) if run_file else None
        self.ignore_file_path = ignore_file_path
        self.is_master_node = is_master_node
        self.resume = resume_choice
        self.own_checkpoints = own_checkpoints
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
        self._record = RunRecord()
        self._checkpoints = RunCheckpoints(self)
        self._hooks.reset()
        self.time_step_holder.config(0, 0)
        logger.reset()

    @property
    def database(self) -> Database:
        if self.data_root is None:
            raise RunNotStartedError("call exp_manager.configure(task_table_name=..., data_root=...) first")
        return Database(self.data_root)

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
        ranks.note_sweep(self.hyper_param)
        self.check_storable()
        rank = ranks.process_rank()
        if rank:
            self.item = ranks.join_rank0(self.database, self.task_table_name, rank, self.time_step_holder)
            return self.item
        tracked = self.tracked_params()
        ip = local_ip()
        if self.resume is not None:
            from RLA.easy_log.resume import claim_item_to_resume

            resumed = claim_item_to_resume(self.database, self.task_table_name, self.resume, tracked,
                                           self.hyper_param)
            if resumed is not None:
                return self._continue_item(*resumed)
        item = self.database.create_item(self.task_table_name, ip, tracked)
        self._begin_run(item)
        self._open_logger()
        self._write_params()
        self._record.start(item, self.record_param, self.config.LOG_USED)
        self._install_hooks()
        self._backup_code()
        self.write_tensorboard_params()
        self.serialize_object_and_save()
        self._back_up_args()
        logger.info(f"RLA: run {item.index} -> {self.log_dir}")
        return item

    def _open_logger(self) -> None:
        logger.configure(self.log_dir, self.config.LOG_USED, self.time_step_holder)
        logger.get_current().after_dump = self._after_dump

    def _after_dump(self, step: int) -> None:
        self._record.on_dump(step)
        if self._alerts is not None:
            self._alerts.on_row(step, logger.get_current().last_row)

    def _backup_code(self) -> None:
        from RLA.easy_log.backup import back_up_run

        assert self.item is not None and self.code_root is not None
        state = back_up_run(self.item, self.database, self.config, Path(self.code_root), self.run_file,
                            Path(self.ignore_file_path) if self.ignore_file_path else None, logger.warn)
        self._record.update(git=state)

    def write_tensorboard_params(self) -> None:
        """Write the hyper-parameters to TensorBoard's HParams and Text dashboards."""
        board = logger.get_current().tensorboard()
        if board is not None:
            board.write_params(self.hyper_param)

    def print_args(self) -> None:
        """Write every hyper-parameter to backup.txt (and the log), one per line.

        Called before the run has an item (``log_files_gen``), it prints them and
        writes backup.txt once the item exists.
        """
        self._args_to_back_up = self.item is None
        for key, value in sorted(self.hyper_param.items()):
            logger.backup(f"{key}: {value}")

    def _back_up_args(self) -> None:
        """The backup.txt a print_args() before the run asked for (the parameters as they are now)."""
        if self._args_to_back_up:
            self._args_to_back_up = False
            for key, value in sorted(self.hyper_param.items()):
                logger.get_current().backup(f"{key}: {value}", echo=False)

    def serialize_object_and_save(self) -> Path:
        """Pickle this manager (parameters, custom data, time-step) for resuming."""
        return run_pickle.save(self, self._item_or_raise().pickle_file)

    def __getstate__(self) -> Dict[str, Any]:
        return run_pickle.state_of(self)

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__init__(TimeStepHolder(state.pop("time_step", 0)))  # type: ignore[misc]
        self._record.data = state.pop("run_record", None) or {}
        self.__dict__.update(state)

    # -- checkpoints --------------------------------------------------------------
    def new_saver(self, max_to_keep: Optional[int] = 10, keep_best: int = 0,
                  var_prefix: Optional[str] = None) -> "Saver":
        """Choose how checkpoints are kept: the last ``max_to_keep`` (``None``: all) plus the
        best ``keep_best`` by the metric given to ``save_checkpoint``.

        ``DL_FRAMEWORK`` picks torch or tensorflow; ``var_prefix`` selects the
        tf.compat.v1 variables of the default session (TF1-style graphs).
        """
        return self._checkpoints.new_saver(max_to_keep, keep_best, var_prefix)

    def has_checkpoint(self) -> bool:
        """Whether this run's item holds a checkpoint (e.g. after an auto-resume)."""
        return self.latest_checkpoint_step() is not None

    def latest_checkpoint_step(self) -> Optional[int]:
        """The time-step of this run's latest checkpoint, or ``None``."""
        return self._checkpoints.latest_step()

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
        return self._checkpoints.save(model_dict, related_variable, metric, mode, metric_value)

    def load_checkpoint(self, ckp_index: Optional[int] = None, model_dict: Optional[Dict[str, Any]] = None,
                        restore_rng: bool = True) -> Tuple[int, Any]:
        """``(time_step, state)`` of this run's checkpoint ``ckp_index`` (the latest by default).

        ``state`` maps the names of ``model_dict`` to their saved states; objects
        passed in ``model_dict`` get them loaded (tensorflow needs them). The
        time-step, custom data, logger position and (unless ``restore_rng`` is
        False) the RNG states are restored too.
        """
        return self._checkpoints.load(ckp_index, model_dict, restore_rng)

    def rewind_to_checkpoint(self, ckp_index: Optional[int] = None) -> Optional[int]:
        """Drop the rows logged after checkpoint ``ckp_index`` (the latest; every row when the
        run has none) from progress.csv/json and hide them in TensorBoard.

        Returns the last step the logs keep. Resuming and forking call it.
        """
        return self._checkpoints.rewind_to(ckp_index)

    def rewind_logs_to(self, step: Optional[int]) -> None:
        """Drop the rows logged after ``step`` (every row if ``None``) and hide them in TensorBoard.

        For runs that save their own checkpoints (e.g. SB3 zips): on resume, call it
        with the step of the checkpoint loaded; the resume in run.json records it.
        """
        self._checkpoints.rewind_logs_to(step)

    @property
    def logs_rewind_deferred(self) -> bool:
        """Resumed from the script's own checkpoints, the logs not yet rewound (see rewind_logs_to)."""
        return self._checkpoints.logs_rewind_deferred

    def reopen_logger(self) -> None:
        """Reopen the run's log files, e.g. after fork_log_files replaced them on disk."""
        logger.get_current().close()
        self._open_logger()

    def record_run_info(self, **info: Any) -> None:
        """Add ``info`` to this run's run.json (e.g. which item it was forked from)."""
        self._item_or_raise()
        self._record.update(**info)

    def _begin_run(self, item: Item) -> None:
        """Make ``item`` the current run of this process, with all its folders."""
        self.item = item
        self._record_since_start = []
        self._hooks.reset()
        for folder in (item.code_dir, item.checkpoint_dir, item.results_dir):
            folder.mkdir(parents=True, exist_ok=True)
        ranks.publish_item(self.database, item.task, item)
        self._start_system_metrics(item)
        self._start_alerts(item)

    def _start_alerts(self, item: Item) -> None:
        """Alert ``NOTIFY`` when this run fails, is killed, logs NaN/inf or stalls."""
        if self.config.NOTIFY:
            from RLA.monitor.alerts import RunAlerts

            self._alerts = RunAlerts(self.config.NOTIFY, item.index, [item.log.output_txt, item.log.log_txt],
                                     self.config.NOTIFY_WATCH, 60.0 * self.config.NOTIFY_STALL_MINUTES,
                                     warn=logger.warn)

    def _start_system_metrics(self, item: Item) -> None:
        """Sample this process's tree into the item's system.csv, with ``SYSTEM_METRICS`` set."""
        period = self.config.SYSTEM_METRICS
        if period > 0:
            from RLA.monitor.system_metrics import SystemSampler

            item.log_dir.mkdir(parents=True, exist_ok=True)
            self._system_metrics = SystemSampler(item.log.system_csv, period, os.getpid(), warn=logger.warn)
            self._system_metrics.start()

    def _continue_item(self, item: Item, previous_run: Dict[str, Any]) -> Item:
        """Go on writing into ``item``: rewind its logs to its latest checkpoint (or let the script
        say where, when it saves its own checkpoints), record the resume."""
        self._begin_run(item)
        last_kept_step = self._checkpoints.continue_logs()
        self._write_params()
        number = self._record.resume(item, previous_run, self.latest_checkpoint_step(), last_kept_step)
        self._install_hooks()
        self.serialize_object_and_save()
        self._back_up_args()
        logger.info(f"RLA: run {item.index} resumed (resume #{number}) -> {self.log_dir}")
        return item

    # -- the lifecycle ---------------------------------------------------------------
    def _write_params(self) -> None:
        if self.item is not None:
            params = to_jsonable(self.hyper_param)
            write_json_atomic(self.item.params_json, params)
            if self.item.hyperparameter_dir.is_dir():
                write_json_atomic(self.item.hyperparameter_json, params)

    @contextlib.contextmanager
    def run(self) -> Iterator[Item]:
        """The explicit form of a run: ``with exp_manager.run(): ...train...``.

        Starts the run (``log_files_gen``) unless one is going, and on leaving
        records ``finished``, ``failed`` (an exception, ``sys.exit(1)``) or
        ``killed`` (Ctrl-C, SIGTERM, SIGHUP). Scripts that never use it are
        covered by process hooks (:mod:`RLA.easy_log.hooks`).
        """
        self._explicit_lifecycle = True
        try:
            item = self._item_or_raise() if self._record.running else self.log_files_gen()
            try:
                yield item
            except BaseException as exc:
                self.finish(*exit_status(exc))
                raise
            self.finish()
        finally:
            self._explicit_lifecycle = False

    def finish(self, status: str = "finished", error: Optional[str] = None) -> None:
        """End the run: record ``status`` (and ``error``) and the end time, and close the log files.

        A run that synced itself (``sync_log_file``) pushes once more, waiting at most
        ``REMOTE_SETTING.final_sync_timeout`` seconds.
        """
        if not self._record.running or not self._record.owned_here():
            return
        with self._hooks.ending():  # a SIGTERM now is acted on once the end is recorded
            self._end(status, error)

    def _end(self, status: str, error: Optional[str]) -> None:
        if self._system_metrics is not None:
            self._system_metrics.stop()
            self._system_metrics = None
        current = logger.get_current()
        board = current.tensorboard()
        try:
            self._record.end(status, current.last_dumped_step, error)
        except DiskFullError as exc:
            # the run ends either way (its error was raised where the disk filled up); run.json may
            # still say running, which `rla ls` shows as lost
            self._record.data["status"] = status
            warnings.warn(f"RLA: the end of this run could not be recorded: {exc}", RuntimeWarning, stacklevel=2)
        if self._alerts is not None:  # once the end is on disk: a slow webhook never leaves it "running"
            self._alerts.on_end(status, error)
            self._alerts = None
        try:  # after run.json: a writer that fails now cannot leave the run "running"
            if board is not None:
                board.write_hparams_end(status, self.time_step_holder.get_time())
        finally:
            current.close()
            logger.reset()
            if self._sync is not None:
                self._sync.close()
                self._sync = None

    def sync_log_file(self, skip_error: bool = True) -> None:
        """Push this run's item to the central database of ``REMOTE_SETTING`` (with ``SEND_LOG_FILE: true``).

        With ``skip_error`` (the default) it returns at once: a background thread
        pushes what changed, and a server that is down costs one warning and
        retries, never the training. ``skip_error=False`` pushes now and raises
        :class:`RLA.errors.SyncError` on failure. A no-op on the central host
        (``configure(is_master_node=True)``) and when ``SEND_LOG_FILE`` is off.
        """
        if self.is_master_node or not self.config.SEND_LOG_FILE:
            return
        item = self._item_or_raise()
        if self._sync is None or self._sync.item != item:
            from RLA.easy_log.run_sync import RunSync

            self._sync = RunSync(item, self.config.REMOTE_SETTING)
        if skip_error:
            self._sync.request()
        else:
            self._sync.push_now()

    def _interrupted_run(self) -> Optional[str]:
        """The run of this process a Ctrl-C ends, in words (``None``: no run of ours is going or just ended
        killed)."""
        index = self._record.data.get("index")
        if not index or not self._record.owned_here() or self._record.data.get("status") not in ("running", "killed"):
            return None
        return f"run {index} stopped at time-step {self.time_step_holder.get_time()}"

    def _install_hooks(self) -> None:
        self._hooks.install(watch_exit=not self._explicit_lifecycle)


def _one_of(name: str, value: Any, old_name: str, old_value: Any) -> Any:
    if value is not None and old_value is not None and value != old_value:
        raise TypeError(f"configure() got both {name}={value!r} and its older name {old_name}={old_value!r}")
    return value if value is not None else old_value


#: the class's name in RLA 0.6
Tester = ExperimentManager
exp_manager = ExperimentManager()
tester = exp_manager
