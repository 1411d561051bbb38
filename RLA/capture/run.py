"""``rla run``: any training command becomes a database item, unchanged.

:func:`run_command` makes the item an ``exp_manager`` run would make (its
parameters read from the command line, the code snapshot, git state, run.json
with the command and the relevant environment), runs the command as if we were
not there (:mod:`RLA.capture.process`), captures the TensorBoard scalars it
writes while it runs (:mod:`RLA.capture.watcher`) and records how it ended:
finished, failed (its exit status) or killed (a signal). If everything is
killed at once (SIGKILL), run.json keeps ``running`` and its pid is gone:
``rla ls`` shows the run as lost. Run again with ``RLA_RESUME=auto`` (a sweep's
trial run again), it continues its item: the rows before the first step the
command logs again (from its own checkpoint, or from the start) are kept, the
later ones replaced.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from RLA.capture.command_line import CommandLine, parse_command_line
from RLA.capture.neighbours import WatchRecord
from RLA.capture.process import Outcome, run_child
from RLA.capture.watcher import EventWatcher
from RLA.config import SYSTEM_METRICS_SECONDS, RLAConfig, load_config
from RLA.db.layout import WALL_TIME_COLUMN
from RLA.db.records import nest_params, typed_value
from RLA.errors import UsageError

__all__ = ["run_command", "CaptureResult", "Alerting", "captured_environment", "default_task", "default_record"]

PathLike = Union[str, os.PathLike]

#: the config file read from the command's working directory, as every rla command does
CONFIG_FILE = "rla_config.yaml"
#: environment variables worth keeping with a run (which GPU, which job, how many threads); never secrets
_KEPT_VARIABLES = re.compile(r"^(CUDA_VISIBLE_DEVICES|SLURM_[A-Z_]*(ID|NAME|NODELIST|PROCID|NTASKS|CPUS_[A-Z_]+)"
                             r"|OMP_NUM_THREADS|MKL_NUM_THREADS|PYTHONHASHSEED|CUBLAS_WORKSPACE_CONFIG"
                             r"|VIRTUAL_ENV|CONDA_DEFAULT_ENV|RLA_(SWEEP|SWEEP_TRIAL|RESUME|RUN_GROUP)|HOSTNAME)$")
_SECRET_WORDS = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|KEY|CREDENTIAL", re.I)
#: files left out of the default code snapshot: what training writes beside the code
_OUTPUT_PATTERNS = ["events.out.tfevents.*", "runs/", "wandb/", "mlruns/", "outputs/", "multirun/", "videos/"]
#: parameters that name a place, not a setting
_PATH_KEY = re.compile(r"(^|_)(dir|logdir|path|folder|file|log|root|output)s?$", re.I)
#: how often the heartbeat in run.json is refreshed while the command runs
_HEARTBEAT_SECONDS = 30.0


@dataclass
class Alerting:
    """Alert choices given on the command line, over the config's NOTIFY keys (None: as configured)."""

    target: Optional[str] = None
    watch: List[str] = field(default_factory=list)
    stall_minutes: Optional[float] = None

    def apply(self, config: RLAConfig) -> None:
        if self.target is not None:
            config.NOTIFY = self.target
        if self.watch:
            config.NOTIFY_WATCH = list(self.watch)
        if self.stall_minutes is not None:
            if not self.stall_minutes >= 0:
                raise UsageError(f"--stall-minutes {self.stall_minutes!r}: give minutes, or 0 for never")
            config.NOTIFY_STALL_MINUTES = float(self.stall_minutes)


@dataclass
class CaptureResult:
    """What :func:`run_command` made."""

    index: str
    outcome: Outcome
    rows: int
    event_files: List[str] = field(default_factory=list)


def default_task(line: CommandLine) -> str:
    """The table of a run given no ``-t``: the program's name (``train`` for ``python train.py``)."""
    stem = Path(line.program).name
    stem = stem[:-3] if stem.endswith(".py") else stem
    return re.sub(r"[^\w\-]+", "_", stem).strip("_") or "runs"


def default_record(params: Dict[str, Any]) -> List[str]:
    """The parameters named in the item's name when ``--record`` is not given: those on the command
    line but for places (a value with a ``/``, a key such as ``log_dir`` or ``tensorboard_log``) and
    lists (a list of overrides says nothing of the setting)."""
    return [k for k, v in params.items() if not isinstance(v, (list, dict)) and not _PATH_KEY.search(k)
            and not (isinstance(v, str) and ("/" in v or os.sep in v))]


def captured_environment(environ: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The environment variables that say where and how a run ran; none that may hold a secret."""
    environ = dict(os.environ if environ is None else environ)
    return {k: v for k, v in sorted(environ.items()) if _KEPT_VARIABLES.match(k) and not _SECRET_WORDS.search(k)}


def _literal(path: str) -> str:
    """``path`` as a gitignore pattern that matches it alone (``logs[1]`` is no character class)."""
    return re.sub(r"([\\\[\]*?])", r"\\\1", path)


def _config(config_file: Optional[PathLike], system_metrics: Optional[float] = None,
            logdirs: Sequence[PathLike] = ()) -> RLAConfig:
    """The project's rla_config.yaml, or one snapshotting the working tree but what training writes there
    (``logdirs`` too); never logging to our stdout (the command owns the terminal) nor TensorBoard (the
    command's own event files are kept). System metrics every ``system_metrics`` seconds, else as
    configured, else every SYSTEM_METRICS_SECONDS."""
    if config_file is None and os.path.isfile(CONFIG_FILE):
        config_file = CONFIG_FILE
    if config_file is not None:
        config = load_config(config_file)
    else:
        config = RLAConfig()
        inside = [os.path.relpath(os.path.abspath(d)) for d in logdirs]  # those outside it are never copied
        outputs = [*_OUTPUT_PATTERNS, *(f"/{_literal(Path(d).as_posix())}/" for d in inside
                                        if d != os.curdir and d != os.pardir and not d.startswith(os.pardir + os.sep))]
        config.BACKUP_CONFIG = dataclasses.replace(config.BACKUP_CONFIG, backup_code_dir=["."],
                                                   ignore_code_paths=outputs)
    if system_metrics is not None:
        if not system_metrics >= 0:
            raise UsageError(f"--system-metrics {system_metrics!r}: give the seconds between two samples, or 0")
        config.SYSTEM_METRICS = float(system_metrics)
    elif config.SYSTEM_METRICS == 0:
        config.SYSTEM_METRICS = SYSTEM_METRICS_SECONDS
    log_used = [f for f in config.LOG_USED if f not in ("stdout", "tensorboard")]
    config.LOG_USED = log_used if "csv" in log_used else [*log_used, "csv"]
    return config


class _ItemSink:
    """Captured content into the running item, through the experiment manager and its logger."""

    def __init__(self, manager: Any, given: Dict[str, Any], warn: Callable[[str], None]):
        from RLA.easy_log import logger

        self.manager = manager
        self.logger = logger
        self.given = given
        self._warn = warn
        self._refused: set = set()
        self._last_beat = time.monotonic()
        #: the note this run wrote from the command's text summaries
        self._note = ""

    def write_row(self, step: int, values: Dict[str, float], wall_time: Optional[float]) -> None:
        if self.manager.logs_rewind_deferred:
            # resumed: the command went back to its own checkpoint (or to the start), and logs again
            # from there: the rows the last attempt logged from this step on are superseded
            self.manager.rewind_logs_to(step - 1 if step > 0 else None)
        try:
            self.manager.time_step_holder.set_time(step)
        except UsageError as exc:
            self.warn(f"rla run: a row at step {step} was not kept: {exc}")
            return
        for key, value in values.items():
            try:
                self.logger.logkv(key, value)
            except UsageError as exc:
                if key not in self._refused:
                    self._refused.add(key)
                    self.warn(f"rla run: the key {key!r} is not kept: {exc}")
        if wall_time:  # when the command logged the row, not when we read it
            self.logger.logkv(WALL_TIME_COLUMN, round(wall_time, 3))
        self.logger.dumpkvs()
        self._last_beat = time.monotonic()

    def add_params(self, params: Dict[str, Any], source: str) -> None:
        """Parameters the command logged itself; those given on its command line win."""
        flat = {k: typed_value(v) if isinstance(v, str) else v for k, v in params.items() if k not in self.given}
        if flat:
            self.manager.add_run_params(**nest_params(flat))
            self.manager.record_run_info(params_from=source)

    def add_result(self, name: str, content: bytes) -> None:
        """A file the command logged into its events (an image) kept in the item's results folder."""
        from RLA.db.atomic import atomic_write

        target = self.manager.item.result_file(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, content, durable=False)

    def add_note(self, tag: str, step: int, text: str) -> None:
        """A text the command logged (not parameters) added to the item's note, unless someone has
        written the note since."""
        from RLA.db.annotate import annotate_item
        from RLA.db.annotations import MAX_NOTE_CHARS, read_annotations

        item = self.manager.item
        if read_annotations(item)[0].note != self._note:
            return  # edited meanwhile (rla note, the page): theirs
        entry = f"{tag} (step {step}):\n{text.strip()}"
        note = (f"{self._note}\n\n{entry}" if self._note else entry)[:MAX_NOTE_CHARS]
        if note != self._note:
            annotate_item(item, note=note)
            self._note = note

    def beat(self) -> None:
        if time.monotonic() - self._last_beat >= _HEARTBEAT_SECONDS:
            self._last_beat = time.monotonic()
            self.manager.record_run_info(heartbeat=_dt.datetime.now().isoformat(timespec="microseconds"))

    def warn(self, message: str) -> None:
        self._warn(message)
        self.logger.warn(message)


def run_command(argv: Sequence[str], data_root: PathLike, task: Optional[str] = None,
                record: Optional[Sequence[str]] = None, logdirs: Sequence[PathLike] = (),
                config_file: Optional[PathLike] = None, system_metrics: Optional[float] = None,
                alerting: Optional[Alerting] = None,
                notice: Callable[[str], None] = lambda m: print(m, file=sys.stderr, flush=True)) -> CaptureResult:
    """Run ``argv`` as a new item of table ``task`` of ``data_root``; returns the item and how the command ended.

    ``record`` names the parameters in the item's name (default: those given on the
    command line); ``logdirs`` are searched for TensorBoard files besides the working
    directory; ``system_metrics`` is the seconds between two samples of the run's process tree (0: none;
    default: ``SYSTEM_METRICS`` of the config, else 5). ``notice`` gets our few lines (the item at the
    start, a summary at the end); ``alerting`` overrides the config's alert keys.
    """
    from RLA.easy_log.tester import exp_manager as manager

    if not argv:
        raise UsageError("give the command to run after --, e.g. `rla run -- python train.py --seed 1`")
    line = parse_command_line(argv)
    task = task or default_task(line)
    params = dict(line.params)
    missing = [k for k in record or () if k not in params]
    if missing:
        raise UsageError(f"--record {missing[0]!r} is not a parameter of the command line; "
                         f"its parameters: {', '.join(params) or 'none'}")
    config = _config(config_file, system_metrics, logdirs)
    if alerting is not None:
        alerting.apply(config)
    script = line.script if line.script and os.path.isfile(line.script) else None
    manager.configure(task_table_name=task, rla_config=config, data_root=data_root, code_root=os.getcwd(),
                      run_file=script, own_checkpoints=True)
    manager.set_hyper_param(**nest_params(params))
    manager.add_record_param(list(record) if record is not None else default_record(params))
    item = manager.log_files_gen()
    manager.record_run_info(command=list(argv), program=line.program, args=line.args,
                            captured=True, environment_variables=captured_environment())
    notice(f"rla run: item {item.index} of {manager.data_root}")
    sink = _ItemSink(manager, params, notice)
    roots = [Path.cwd(), *(Path(d) for d in logdirs)]
    watcher = EventWatcher(roots, item.tb_dir, [Path(data_root)], sink,
                           record=WatchRecord(manager.database, roots))
    watcher.on_poll = sink.beat
    watcher.start()
    def started(pid: int) -> None:
        watcher.track(pid)
        manager.record_run_info(command_pid=pid)

    outcome = Outcome(1)
    try:
        outcome = run_child(argv, item.log.output_txt, on_start=started)
    except FileNotFoundError as exc:
        notice(f"rla run: cannot run {argv[0]!r}: {exc.strerror}; check the command (and PATH)")
        outcome = Outcome(127)
    finally:
        watcher.stop()
        manager.finish(outcome.status, outcome.error)
    notice(f"rla run: {outcome.status}{f' ({outcome.error})' if outcome.error else ''}: item {item.index}, "
           f"{watcher.rows_written} rows from {len(watcher.files)} TensorBoard file"
           f"{'' if len(watcher.files) == 1 else 's'}")
    return CaptureResult(item.index, outcome, watcher.rows_written, watcher.files)
