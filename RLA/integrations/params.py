"""Hyper-parameters from where researchers keep them.

``argparse.Namespace``, dataclass instances, mappings and OmegaConf/Hydra
configs all become one nested dict of plain values; nested keys are tracked
with dots (``add_record_param("optim.lr")``).
"""
from __future__ import annotations

import argparse
import dataclasses
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from RLA.db.records import flatten_params
from RLA.easy_log.tester import ExperimentManager, exp_manager

__all__ = ["params_to_dict", "flatten_params", "set_hyper_params_from", "arg_parser_postprocess"]


def _is_omegaconf(value: Any) -> bool:
    return type(value).__module__.startswith("omegaconf")


def _plain(value: Any) -> Any:
    """A config node -> nested dicts/lists of plain values."""
    if _is_omegaconf(value):
        from omegaconf import OmegaConf

        return _plain(OmegaConf.to_container(value, resolve=True))
    if isinstance(value, argparse.Namespace):
        return {k: _plain(v) for k, v in vars(value).items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    return value


def params_to_dict(source: Any) -> Dict[str, Any]:
    """``source`` (Namespace, dataclass, mapping or OmegaConf config) -> a nested dict.

    OmegaConf interpolations are resolved; nested configs stay nested.
    """
    params = _plain(source)
    if not isinstance(params, dict):
        raise TypeError(
            f"hyper-parameters must be an argparse.Namespace, a dataclass instance, a mapping or an "
            f"OmegaConf DictConfig; got {type(source).__name__}"
        )
    return params


def set_hyper_params_from(source: Any, record: Union[str, Iterable[str], None] = None,
                          manager: Optional[ExperimentManager] = None) -> Dict[str, Any]:
    """Set every parameter of ``source`` as hyper-parameters and track ``record`` in the run's name.

    ``record`` keys may be dotted to reach nested values (``"optim.lr"``).
    Returns the parameters as set.
    """
    manager = manager if manager is not None else exp_manager
    params = params_to_dict(source)
    manager.set_hyper_param(**params)
    if record is not None:
        manager.add_record_param(record)
        manager.tracked_params()  # a misspelled key fails here, not at log_files_gen
    return params


def arg_parser_postprocess(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add RLA's standard flags to ``parser`` (those it already has are kept as they are).

    ``--info`` describes the run (usually tracked in its name); ``--loaded_task_name``
    and ``--loaded_date`` name an earlier run to resume from (empty: start fresh).
    """
    flags: List[Tuple[str, Dict[str, Any]]] = [
        ("--info", dict(type=str, default="default exp info", help="a description of this run")),
        ("--loaded_task_name", dict(type=str, default="",
                                    help="table of the run to resume from (default: this run's table)")),
        ("--loaded_date", dict(type=str, default="",
                               help="record date of the run to resume from, e.g. "
                                    "2024/05/01/12-00-00-000000_127.0.0.1_&lr=0.001; empty: start fresh")),
    ]
    for flag, options in flags:
        try:
            parser.add_argument(flag, **options)
        except argparse.ArgumentError:
            pass  # the script defines this flag itself
    return parser


def boolean_flag(parser: argparse.ArgumentParser, name: str, default: bool = False,
                 help: Optional[str] = None) -> None:
    """Add ``--<name>`` (sets True) and ``--no-<name>`` (sets False) to ``parser``."""
    dest = name.replace("-", "_")
    parser.add_argument(f"--{name}", action="store_true", default=default, dest=dest, help=help)
    parser.add_argument(f"--no-{name}", action="store_false", dest=dest)
