"""What every ``rla`` command shares: the database option, the selection options, JSON output.

Kept apart from the group (:mod:`RLA.cli.group`) so that every command module uses them
without importing the group.
"""
from __future__ import annotations

import functools
import json
import os
from typing import Any, Callable, Dict, List, Optional

import click

from RLA import environment
from RLA.db.selection_words import PATTERN_HELP, SELECTION_WORDS, Word

__all__ = ["DATA_ROOT_ENV", "CONFIG_FILE", "PATTERN_HELP", "resolve_data_root", "selection", "tables_selection",
           "word_option", "print_json"]

DATA_ROOT_ENV = environment.DATA_ROOT.name
CONFIG_FILE = "rla_config.yaml"


def resolve_data_root(data_root: Optional[str]) -> str:
    """``--data-root`` (or ``$RLA_DATA_ROOT``), else DATA_ROOT of ./rla_config.yaml."""
    from RLA.config import load_config

    if data_root:
        return data_root
    if os.path.isfile(CONFIG_FILE):
        data_root = load_config(CONFIG_FILE).data_root()
    if not data_root:
        where = f"set DATA_ROOT in ./{CONFIG_FILE}" if os.path.isfile(CONFIG_FILE) else \
            f"write ./{CONFIG_FILE} with `rla init`"
        raise click.UsageError(f"which database? pass --data-root DIR, set {DATA_ROOT_ENV}, or {where}")
    return data_root


def word_option(word: Word) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The click option of a selection word (:mod:`RLA.db.selection_words`)."""
    kwargs: Dict[str, Any] = {"help": word.help}
    if word.kind == "flag":
        kwargs["is_flag"] = True
    elif word.kind == "many":
        kwargs["multiple"] = True
    elif word.kind == "int":
        kwargs["type"] = int
    return click.option(*word.flags, word.field, **kwargs)


def selection(command: Callable[..., Any], tables_here: bool = True) -> Callable[..., Any]:
    """PATTERN, --data-root and the selection words, passed on as ``data_root`` and ``filters``.

    ``tables_here``: ``-t`` names a table of this database, so a table it lacks is a mistake said
    at once, with the closest names (False for ``rla sync pull``, whose tables are the remote's)."""
    options: List[Callable[[Any], Any]] = [
        click.argument("pattern", required=False),
        click.option("-d", "--data-root", "data_root", envvar=DATA_ROOT_ENV, type=click.Path(file_okay=False),
                     help=f"The database folder (default: ${DATA_ROOT_ENV}, else DATA_ROOT in ./{CONFIG_FILE})."),
        *map(word_option, SELECTION_WORDS),
    ]
    for option in reversed(options):
        command = option(command)

    @functools.wraps(command)
    def wrapper(data_root: Optional[str], pattern: Optional[str], **kwargs: Any) -> Any:
        filters: Dict[str, Any] = {"pattern": pattern, **{w.field: kwargs.pop(w.field) for w in SELECTION_WORDS}}
        data_root = resolve_data_root(data_root)
        if tables_here and filters.get("task") and os.path.isdir(data_root):  # else the command says why
            from RLA.db.layout import Database

            Database(data_root).check_table(filters["task"], bool(filters.get("archived")))
        return command(data_root=data_root, filters=filters, **kwargs)

    return wrapper


def tables_selection(command: Callable[..., Any]) -> Callable[..., Any]:
    """PATTERN, --data-root, ``-t`` repeatable (several tables: ``tasks``) and the other selection words,
    passed on as ``data_root``, ``tasks`` and ``selection`` (the ItemFilter fields but the table), for
    the commands that compare runs across tables (``rla table``, ``rla importance``); ``data_root`` is
    None when neither a database nor a table is named."""
    words = [word for word in SELECTION_WORDS if word.field != "task"]
    options: List[Callable[[Any], Any]] = [
        click.argument("pattern", required=False),
        click.option("-d", "--data-root", "data_root", envvar=DATA_ROOT_ENV, type=click.Path(file_okay=False),
                     help=f"The database folder (default: ${DATA_ROOT_ENV}, else DATA_ROOT in ./{CONFIG_FILE})."),
        click.option("-t", "--task", "tasks", multiple=True, help="A table (task_table_name); repeatable."),
        *map(word_option, words),
    ]
    for option in reversed(options):
        command = option(command)

    @functools.wraps(command)
    def wrapper(data_root: Optional[str], pattern: Optional[str], tasks: tuple, **kwargs: Any) -> Any:
        chosen: Dict[str, Any] = {"pattern": pattern, **{w.field: kwargs.pop(w.field) for w in words}}
        if data_root is None and not tasks:  # no database named (rla table --again FILE knows its own)
            return command(data_root=None, tasks=[], selection={}, **kwargs)
        data_root = resolve_data_root(data_root)
        if os.path.isdir(data_root):  # else the command says why
            from RLA.db.layout import Database

            for task in tasks:
                Database(data_root).check_table(task, bool(chosen.get("archived")))
        selection = {key: value for key, value in chosen.items() if value not in (None, (), False)}
        return command(data_root=data_root, tasks=list(tasks), selection=selection, **kwargs)

    return wrapper


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))
