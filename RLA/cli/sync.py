"""``rla sync push|pull|status``: the face of :mod:`RLA.db.remote` on the command line.

The remote is ``--remote sftp://user@host:port/path``, else ``REMOTE_SETTING``
of ``./rla_config.yaml`` (which also gives the key file, known_hosts and the
data types to send); the selection options are those of every command.
"""
from __future__ import annotations

import functools
import json
import os
from typing import Any, Dict, Optional

import click

from RLA.cli.options import CONFIG_FILE, PATTERN_HELP, selection
from RLA.words import counted

__all__ = ["sync_group"]


def _remote_options(command: Any) -> Any:
    for option in reversed([
        click.option("--remote", help="sftp://user@host:port/absolute/path of the central data root "
                                      f"(default: REMOTE_SETTING of ./{CONFIG_FILE})."),
        click.option("--type", "data_types", multiple=True,
                     help="A data type to sync (log, code, checkpoint, archive_tester, results); repeatable "
                          "(default: REMOTE_SETTING.sync_types, else all)."),
        click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout."),
    ]):
        command = option(command)
    return command


def _endpoint_and_types(remote: Optional[str], data_types: tuple) -> tuple:
    from RLA.config import load_config
    from RLA.db import remote as db_remote

    config = load_config(CONFIG_FILE) if os.path.isfile(CONFIG_FILE) else load_config(None)
    setting = config.REMOTE_SETTING
    endpoint = db_remote.from_url(remote, setting) if remote else db_remote.from_setting(setting, CONFIG_FILE)
    return endpoint, list(data_types) or setting.sync_types


def _sync(direction: str, data_root: str, filters: Dict[str, Any], remote: Optional[str], data_types: tuple,
          dry_run: bool, as_json: bool) -> None:
    from RLA.console import display
    from RLA.db import remote as db_remote
    from RLA.db.select import ItemFilter

    endpoint, types = _endpoint_and_types(remote, data_types)
    item_filter = ItemFilter(**filters)
    if dry_run or direction == "status":
        run = db_remote.pull if direction == "pull" else db_remote.push
        report = run(data_root, endpoint, item_filter, types, dry_run=True)
    else:
        planned = db_remote.status(data_root, endpoint, item_filter, types).actions if direction == "push" else 0
        with display.progress_bar(planned, f"{direction} {endpoint.url}", as_json or not planned) as advance:
            report = getattr(db_remote, direction)(data_root, endpoint, item_filter, types, on_progress=advance)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    _show(report, direction)


def _show(report: Any, direction: str) -> None:
    from RLA.console.display import human_size, printable

    behind = [r for r in report.items if r.actions]
    verb = {"push": "sent", "pull": "fetched", "status": "behind"}[direction]
    if report.dry_run and direction != "status":
        verb = "to send" if direction == "push" else "to fetch"
    for result in behind:
        amount = result.planned_bytes if report.dry_run else result.sent_bytes
        click.echo(f"{printable(result.index)}: {result.actions} files, {human_size(amount)} {verb}")
    total = sum(r.planned_bytes if report.dry_run else r.sent_bytes for r in report.items)
    click.echo(f"{counted(len(report.items), 'item')}, {len(behind)} {'behind' if report.dry_run else 'changed'}, "
               f"{human_size(total)} {verb} ({report.remote})", err=True)



@click.group("sync")
def sync_group() -> None:
    """Push and pull items to and from a central database over SSH (SFTP)."""


@sync_group.command("push", epilog=PATTERN_HELP)
@selection
@_remote_options
@click.option("-n", "--dry-run", is_flag=True, help="Show what would be sent; send nothing.")
def push_command(data_root: str, filters: Dict[str, Any], **options: Any) -> None:
    """Send the selected items to the central database (only what changed since the last push)."""
    _sync("push", data_root, filters, **options)


@sync_group.command("pull", epilog=PATTERN_HELP)
@functools.partial(selection, tables_here=False)
@_remote_options
@click.option("-n", "--dry-run", is_flag=True, help="Show what would be fetched; change nothing here.")
def pull_command(data_root: str, filters: Dict[str, Any], **options: Any) -> None:
    """Fetch the selected items of the central database into this one."""
    _sync("pull", data_root, filters, **options)


@sync_group.command("status", epilog=PATTERN_HELP)
@selection
@_remote_options
def status_command(data_root: str, filters: Dict[str, Any], **options: Any) -> None:
    """What the central database lacks of the selected items, per item."""
    _sync("status", data_root, filters, dry_run=True, **options)
