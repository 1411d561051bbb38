"""The ``rla`` group: every command of :mod:`RLA.cli` registered under one name.

An :class:`RLA.errors.RLAError` ends a command with its message and exit
code; any other exception is a bug and keeps its traceback. A warning is
one line, ``warning: <message>``, as a terminal user reads it. Both may quote
the database (a name, a parameter), so their control characters are escaped.
"""
from __future__ import annotations

import warnings
from typing import Any

import click

from RLA.cli import annotate, import_export, importance, init, items, plot, run, sweep, sync, table, ui
from RLA.console.display import printable
from RLA.errors import RLAError

__all__ = ["main"]


class _ErrorMessage(click.ClickException):
    """An RLAError shown as click shows its own errors: ``Error: <message>``, with the error's exit code."""

    def __init__(self, error: RLAError):
        super().__init__(printable(error, lines=True))
        self.exit_code = error.exit_code  # type: ignore[misc]  # click's class default, set per error


def _warning_line(message: Any, category: type, filename: str, lineno: int, line: Any = None) -> str:
    """A warning as one line, ``warning: <message>``: a terminal user acts on what it says, not on
    the line of code that said it."""
    return f"warning: {printable(str(message).removeprefix('RLA: '), lines=True)}\n"


class _Commands(click.Group):
    """The ``rla`` group: turns an RLAError of any command into its message."""

    def invoke(self, ctx: click.Context) -> Any:
        python_format, warnings.formatwarning = warnings.formatwarning, _warning_line
        try:
            return super().invoke(ctx)
        except RLAError as error:
            raise _ErrorMessage(error) from error
        finally:
            warnings.formatwarning = python_format


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="RLA")
def main() -> None:
    """RLA: reinforcement-learning experiments as a database."""


for _command in (*items.COMMANDS, annotate.tag_command, annotate.note_command, importance.importance_command,
                 init.init_command, plot.plot_command, run.run_command, sync.sync_group, sweep.sweep,
                 table.table_command, *import_export.COMMANDS, ui.ui_command):
    main.add_command(_command)
