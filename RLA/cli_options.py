"""What every ``rla`` command shares: the database option, the selection options, JSON output.

Kept apart from :mod:`RLA.cli` so that commands living in their own modules
(``rla sync``, ``rla sweep``, ``rla ui``) use them without importing the group.
"""
from __future__ import annotations

import functools
import json
import os
from typing import Any, Callable, Dict, Optional, Tuple

import click

__all__ = ["DATA_ROOT_ENV", "CONFIG_FILE", "PATTERN_HELP", "resolve_data_root", "selection", "print_json"]

DATA_ROOT_ENV = "RLA_DATA_ROOT"
CONFIG_FILE = "rla_config.yaml"
PATTERN_HELP = ("PATTERN is a glob on the record date YYYY/MM/DD/<name>, as in earlier releases: "
                "'2022/03/01/21-13*', or '2022/03/*' for everything under a date folder.")


def resolve_data_root(data_root: Optional[str]) -> str:
    """``--data-root`` (or ``$RLA_DATA_ROOT``), else DATA_ROOT of ./rla_config.yaml."""
    from RLA.config import load_config

    if data_root:
        return data_root
    if os.path.isfile(CONFIG_FILE):
        data_root = load_config(CONFIG_FILE).data_root()
    if not data_root:
        raise click.UsageError(f"which database? pass --data-root DIR, set {DATA_ROOT_ENV}, "
                               f"or set DATA_ROOT in ./{CONFIG_FILE}")
    return data_root


def selection(command: Callable[..., Any]) -> Callable[..., Any]:
    """PATTERN, --data-root and the filter options, passed on as ``data_root`` and ``filters``."""
    options = [
        click.argument("pattern", required=False),
        click.option("-d", "--data-root", "data_root", envvar=DATA_ROOT_ENV, type=click.Path(file_okay=False),
                     help=f"The database folder (default: ${DATA_ROOT_ENV}, else DATA_ROOT in ./{CONFIG_FILE})."),
        click.option("-t", "--task", help="The table (task_table_name); default: every table."),
        click.option("-w", "--where", help='Parameter expression, e.g. \'lr >= 1e-3 and env == "Hopper-v4"\'.'),
        click.option("-s", "--status", multiple=True,
                     help="Keep items with this status (running, finished, failed, killed, stopped, lost, unknown); repeatable."),
        click.option("--since", help="Keep items started at or after this time (2022-03-01, '2022-03-01 21:13')."),
        click.option("--until", help="Keep items started at or before this time; a bare date (2022-03-01) "
                                     "means the end of that day."),
        click.option("--regex", help="A Python regular expression searched in the record date."),
        click.option("--archived", is_flag=True, help="Select among archived items (<data_root>/arc)."),
    ]
    for option in reversed(options):
        command = option(command)

    @functools.wraps(command)
    def wrapper(data_root: Optional[str], pattern: Optional[str], task: Optional[str], where: Optional[str],
                status: Tuple[str, ...], since: Optional[str], until: Optional[str], regex: Optional[str],
                archived: bool, **kwargs: Any) -> Any:
        data_root = resolve_data_root(data_root)
        filters: Dict[str, Any] = dict(task=task, pattern=pattern, where=where, status=status, since=since,
                                       until=until, regex=regex, archived=archived)
        return command(data_root=data_root, filters=filters, **kwargs)

    return wrapper


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))
