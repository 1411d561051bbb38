"""``rla_config.yaml`` -> a typed, validated :class:`RLAConfig`.

Every key has a default, so a two-line file (or an empty dict) is a valid
configuration. A misspelled or wrongly typed key fails at load time with the
key, the file and the expected type; nothing else in RLA reads raw YAML.
"""
from __future__ import annotations

import dataclasses
import difflib
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Union, get_args, get_origin, get_type_hints

from RLA.errors import ConfigError

__all__ = ["ConfigError", "RLAConfig", "load_config", "LOG_FORMATS", "DL_FRAMEWORKS"]

LOG_FORMATS = ("stdout", "log", "csv", "json", "tensorboard")
DL_FRAMEWORKS = ("torch", "tensorflow", "none")
BACKUP_MODES = ("source", "lib")
#: seconds between two system-metrics samples of ``SYSTEM_METRICS: true`` and of ``rla run``
SYSTEM_METRICS_SECONDS = 5.0
#: what ``rla sync`` may send: the data types of RLA.db.layout.DATA_TYPES
SYNC_TYPES = ("log", "code", "checkpoint", "archive_tester", "results")
#: an unknown remote host key is refused ("reject") or trusted once and written to known_hosts ("accept-new")
HOST_KEY_POLICIES = ("reject", "accept-new")


@dataclass
class ProjectType:
    # "source": copy BACKUP_CONFIG.backup_code_dir; "lib": copy BACKUP_CONFIG.lib_dir
    backup_code_by: str = "source"


@dataclass
class BackupConfig:
    # folders (relative to the project's code root) snapshotted with every run
    backup_code_dir: List[str] = field(default_factory=list)
    # the installed library folder to snapshot when backup_code_by is "lib"
    lib_dir: str = ""
    # gitignore-style patterns left out of the snapshot (secrets are always left out)
    ignore_code_paths: List[str] = field(default_factory=list)
    # files larger than this are left out of the snapshot (and listed in warn.txt)
    max_file_size_mb: float = 10.0


@dataclass
class RemoteSetting:
    """The central database that ``sync_log_file`` and ``rla sync`` push to (0.6 key names kept)."""

    # the central host (0.6 name: it is an SSH host now)
    ftp_server: str = ""
    username: str = ""
    # better: a key file, the ssh-agent or $RLA_REMOTE_PASSWORD; never written into any item
    password: str = ""
    # the central data root; 0.6's remote_log_root is read as this key
    remote_data_root: str = ""
    file_transfer_protocol: str = "sftp"
    port: int = 22
    # a private key file; default: the ssh-agent, then ~/.ssh/config and the usual ~/.ssh/id_* keys
    key_file: str = ""
    # where host keys are checked (default ~/.ssh/known_hosts); an unknown host is refused unless
    # host_key_policy is "accept-new"
    known_hosts: str = ""
    host_key_policy: str = "reject"
    # the data types sent; default: all of them
    sync_types: List[str] = field(default_factory=lambda: list(SYNC_TYPES))
    # at the end of a run, how long the last sync may take before the process exits anyway
    final_sync_timeout: float = 30.0


@dataclass
class RLAConfig:
    PROJECT_TYPE: ProjectType = field(default_factory=ProjectType)
    BACKUP_CONFIG: BackupConfig = field(default_factory=BackupConfig)
    LOG_USED: List[str] = field(default_factory=lambda: ["stdout", "log", "csv", "tensorboard"])
    DL_FRAMEWORK: str = "torch"
    SEND_LOG_FILE: bool = False
    REMOTE_SETTING: RemoteSetting = field(default_factory=RemoteSetting)
    # the database folder, relative to this file; used when configure() and the
    # rla command are given none
    DATA_ROOT: str = ""
    # seconds between two samples of the run's CPU, memory, threads, IO and GPU into its system.csv;
    # 0 or false: none; true: every SYSTEM_METRICS_SECONDS (rla run samples so unless given --system-metrics 0)
    SYSTEM_METRICS: float = 0.0
    # a command to run, or an http(s) URL to POST JSON to, when a run fails, is killed, logs NaN/inf
    # (in NOTIFY_WATCH, default every key) or writes no row for NOTIFY_STALL_MINUTES (0: never)
    NOTIFY: str = ""
    NOTIFY_WATCH: List[str] = field(default_factory=list)
    NOTIFY_STALL_MINUTES: float = 30.0
    # where the config came from, for error messages; not a YAML key
    source: Optional[str] = field(default=None, compare=False)

    def data_root(self) -> Optional[str]:
        """``DATA_ROOT`` as an absolute path (relative to the config file), or None."""
        if not self.DATA_ROOT:
            return None
        base = os.path.dirname(self.source) if self.source else os.getcwd()
        return os.path.abspath(os.path.join(base, os.path.expanduser(self.DATA_ROOT)))

    def to_dict(self) -> Dict[str, Any]:
        data = dataclasses.asdict(self)
        data.pop("source")
        return data


# keys earlier RLA releases wrote under another name -> the name used now
_KEY_ALIASES = {"REMOTE_SETTING": {"remote_log_root": "remote_data_root"}}
_CHOICES = {
    "LOG_USED": LOG_FORMATS,
    "DL_FRAMEWORK": DL_FRAMEWORKS,
    "PROJECT_TYPE.backup_code_by": BACKUP_MODES,
    "REMOTE_SETTING.file_transfer_protocol": ("sftp", "ftp"),
    "REMOTE_SETTING.host_key_policy": HOST_KEY_POLICIES,
    "REMOTE_SETTING.sync_types": SYNC_TYPES,
}
# spellings users wrote for "no framework"
_NO_FRAMEWORK = {None, "", "none", "None", "null"}
# spellings earlier releases' configs used for a framework
_FRAMEWORK_ALIASES = {"pytorch": "torch", "tf": "tensorflow", "tf2": "tensorflow"}


def load_config(source: Union[str, os.PathLike, Mapping[str, Any], RLAConfig, None]) -> RLAConfig:
    """Load and validate a config from a YAML path, a dict, or an existing config."""
    if isinstance(source, RLAConfig):
        return source
    if source is None:
        return RLAConfig()
    if isinstance(source, Mapping):
        return _build(RLAConfig, dict(source), "", "<dict>")
    path = Path(source).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"rla config file {str(path)!r} does not exist (cwd: {os.getcwd()}); "
            "pass the path of your rla_config.yaml (or a dict), or run `rla init` in "
            f"{str(path.parent.absolute())} to write a commented one"
        )
    import yaml

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of keys, got {type(raw).__name__}")
    config = _build(RLAConfig, raw, "", str(path))
    config.source = str(path.absolute())
    return config


def _build(cls: type, raw: Dict[str, Any], prefix: str, where: str) -> Any:
    hints = get_type_hints(cls)
    known = [f.name for f in fields(cls) if f.name != "source"]
    aliases = _KEY_ALIASES.get(prefix.rstrip("."), {})
    values: Dict[str, Any] = {}
    for key, value in raw.items():
        key = aliases.get(key, key)
        dotted = f"{prefix}{key}"
        if key not in known:
            hint = difflib.get_close_matches(str(key), known, n=1)
            suggestion = f"; did you mean {prefix}{hint[0]!r}?" if hint else ""
            raise ConfigError(
                f"{where}: unknown key {dotted!r}{suggestion} (known keys here: {', '.join(known)})"
            )
        if value == "" and str not in (get_args(hints[key]) or (hints[key],)):
            continue  # an empty value means "not set" in RLA 0.6 configs (``port: ''``): the default holds
        values[key] = _convert(hints[key], value, dotted, where)
    return cls(**values)


def _convert(expected: Any, value: Any, dotted: str, where: str) -> Any:
    if isinstance(expected, type) and dataclasses.is_dataclass(expected):
        if value is None:
            return expected()
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: key {dotted!r} must be a mapping, got {value!r}")
        return _build(expected, value, dotted + ".", where)
    if dotted == "DL_FRAMEWORK":
        if value in _NO_FRAMEWORK:
            return "none"
        value = _FRAMEWORK_ALIASES.get(value, value)
    if get_origin(expected) in (list, List):
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where}: key {dotted!r} must be a list of strings, got {value!r}")
        _check_choices(dotted, value, where)
        return list(value)
    (expected_type,) = [t for t in (get_args(expected) or (expected,)) if t is not type(None)][:1]
    if dotted == "SYSTEM_METRICS" and isinstance(value, bool):
        value = SYSTEM_METRICS_SECONDS if value else 0.0
    if expected_type is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if dotted == "SYSTEM_METRICS" and isinstance(value, float) and not value >= 0:
        raise ConfigError(f"{where}: key 'SYSTEM_METRICS' is {value!r}: give the seconds between two samples "
                          f"(e.g. {SYSTEM_METRICS_SECONDS:g}), or 0 for none")
    if expected_type is str and value is None:
        value = ""
    if not isinstance(value, expected_type) or (expected_type is int and isinstance(value, bool)):
        raise ConfigError(
            f"{where}: key {dotted!r} must be of type {expected_type.__name__}, "
            f"got {type(value).__name__} {value!r}"
        )
    _check_choices(dotted, [value], where)
    return value


def _check_choices(dotted: str, values: List[Any], where: str) -> None:
    choices = _CHOICES.get(dotted)
    if choices is None:
        return
    for value in values:
        if value not in choices:
            raise ConfigError(
                f"{where}: key {dotted!r} has value {value!r}; expected one of {', '.join(choices)}"
            )
