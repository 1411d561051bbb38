"""The ``rla`` group: every command of :mod:`RLA.cli` registered under one name, its module
imported when the command runs (``rla table`` never imports what ``rla sweep`` or ``rla ui`` need).

An :class:`RLA.errors.RLAError` ends a command with its message and exit
code; any other exception is a bug and keeps its traceback. A warning is
one line, ``warning: <message>``, as a terminal user reads it. Both may quote
the database (a name, a parameter), so their control characters are escaped.
"""
from __future__ import annotations

import importlib
import warnings
from typing import Any, List, Optional

import click

from RLA.console.display import printable
from RLA.errors import RLAError

__all__ = ["main", "COMMANDS", "command"]

#: every command of ``rla``: its name -> ``<module of RLA.cli>:<the click command in it>``
COMMANDS = {
    "ls": "items:ls_command", "show": "items:show_command", "rm": "items:rm_command", "clean": "items:clean_command",
    "archive": "items:archive_command", "mv": "items:mv_command", "tb": "items:tb_command",
    "tag": "annotate:tag_command", "note": "annotate:note_command", "importance": "importance:importance_command",
    "init": "init:init_command", "plot": "plot:plot_command", "run": "run:run_command", "sync": "sync:sync_group",
    "sweep": "sweep:sweep", "table": "table:table_command", "import": "import_export:import_command",
    "export": "import_export:export_command", "ui": "ui:ui_command",
}


class _ErrorMessage(click.ClickException):
    """An RLAError shown as click shows its own errors: ``Error: <message>``, with the error's exit code."""

    def __init__(self, error: RLAError):
        super().__init__(printable(error, lines=True))
        self.exit_code = error.exit_code  # type: ignore[misc]  # click's class default, set per error


def _warning_line(message: Any, category: type, filename: str, lineno: int, line: Any = None) -> str:
    """A warning as one line, ``warning: <message>``: a terminal user acts on what it says, not on
    the line of code that said it."""
    return f"warning: {printable(str(message).removeprefix('RLA: '), lines=True)}\n"


def command(name: str) -> click.Command:
    """The command ``rla <name>`` (one of :data:`COMMANDS`), its module imported."""
    module, _, attribute = COMMANDS[name].partition(":")
    found: click.Command = getattr(importlib.import_module(f"RLA.cli.{module}"), attribute)
    return found


class _Commands(click.Group):
    """The ``rla`` group: turns an RLAError of any command into its message; a command is imported
    from :data:`COMMANDS` when asked for."""

    def list_commands(self, ctx: click.Context) -> List[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> Optional[click.Command]:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.add_command(command(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

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
