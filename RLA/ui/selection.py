"""The filter box: the selection language of ``rla ls``, parsed by the ``ls`` command itself.

``2024/05/* -w 'lr >= 1e-3' -s finished --since 2024-05-01 -t hopper`` selects
here exactly what it selects on the command line: the words are parsed by the
options of ``rla ls`` and become an :class:`RLA.db.select.ItemFilter`.
"""
from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import click

from RLA.db.query import ItemFilter, ItemRecord, select
from RLA.errors import ExpressionError, ItemNotFoundError, UsageError

__all__ = ["FILTER_FIELDS", "parse_filter", "select_records", "find_record"]

#: the ``rla ls`` options that select items (the others, such as --json, do not apply here)
FILTER_FIELDS = ("task", "pattern", "where", "status", "since", "until", "regex", "archived", "timestep_below")


def parse_filter(text: str) -> Dict[str, Any]:
    """The :class:`ItemFilter` fields of a filter box, or an RLA error saying what is wrong."""
    from RLA.cli import ls_command

    try:
        words = shlex.split(text or "")
    except ValueError as error:
        raise ExpressionError(f"cannot read the filter {text!r}: {error}") from None
    try:
        context = ls_command.make_context("filter", words, resilient_parsing=False)
    except click.exceptions.Exit:
        raise UsageError("the filter takes the words of `rla ls`: PATTERN, -t TASK, -w EXPR, -s STATUS, "
                         "--since, --until, --regex, --archived, --timestep-below") from None
    except click.ClickException as error:
        raise ExpressionError(f"filter: {error.format_message()}") from None
    fields = {name: context.params.get(name) for name in FILTER_FIELDS}
    fields["status"] = tuple(fields["status"] or ())
    fields["archived"] = bool(fields["archived"])
    ItemFilter(**fields)  # bad times, tasks and regexes are reported here
    return fields


def select_records(data_root: Path, text: str, indices: Optional[Sequence[str]] = None) -> List[ItemRecord]:
    """The items the filter selects, narrowed to ``indices`` when given (a selection in the table)."""
    records = select(data_root, ItemFilter(**parse_filter(text)))
    if indices is not None:
        wanted = set(indices)
        records = [r for r in records if r.index in wanted]
    return records


def find_record(data_root: Path, index: str, archived: bool = False) -> ItemRecord:
    """The one item named ``index`` (``task/YYYY/MM/DD/name``), found by listing its table."""
    task = index.split("/", 1)[0]
    for record in select(data_root, ItemFilter(task=task or None, archived=archived)) if task else []:
        if record.index == index:
            return record
    raise ItemNotFoundError(f"no item {index!r} in {data_root}; it may have been moved or deleted: reload the list")
