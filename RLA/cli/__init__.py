"""The ``rla`` command: a thin face over the Python API (no logic lives here).

Every command selects items the same way: an optional PATTERN (a glob on the
record date ``YYYY/MM/DD/<name>``, as earlier releases took it) and the
filter options of :mod:`RLA.db.selection_words`; the database is
``--data-root`` or ``$RLA_DATA_ROOT``. Nothing else of RLA imports this package.
"""
from typing import Any

from RLA.cli.group import COMMANDS, command, main

__all__ = ["main", "ls_command", "show_command", "rm_command", "clean_command", "archive_command", "mv_command",
           "tb_command", "init_command"]


def __getattr__(name: str) -> Any:
    """The commands named in ``__all__``, imported on first use as ``rla`` imports them."""
    if name not in __all__ or name.removesuffix("_command") not in COMMANDS:
        raise AttributeError(f"module 'RLA.cli' has no attribute {name!r}")
    return command(name.removesuffix("_command"))
