"""The ``rla`` command: a thin face over the Python API (no logic lives here).

Every command selects items the same way: an optional PATTERN (a glob on the
record date ``YYYY/MM/DD/<name>``, as earlier releases took it) and the
filter options of :mod:`RLA.db.selection_words`; the database is
``--data-root`` or ``$RLA_DATA_ROOT``. Nothing else of RLA imports this package.
"""
from RLA.cli.group import main
from RLA.cli.init import init_command
from RLA.cli.items import archive_command, clean_command, ls_command, mv_command, rm_command, show_command, tb_command

__all__ = ["main", "ls_command", "show_command", "rm_command", "clean_command", "archive_command", "mv_command",
           "tb_command", "init_command"]
