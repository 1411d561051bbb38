"""Print the metadata, parameters and backup.txt of the items matching a pattern.

    python -m rla_scripts.view_log --data_root D --task_table_name T --regex '2022/03/01/*'
"""
from __future__ import annotations

import sys
from typing import List, Optional

import click

from RLA.cli import main as rla_main
from rla_scripts._args import parse, parser


def main(argv: Optional[List[str]] = None) -> int:
    """Run the script on ``argv`` (default: the command line); returns the exit code."""
    args = parse(parser("Show the items of an RLA database that match a pattern.", destructive=False), argv)
    if isinstance(args, int):
        return args
    command = ["show", "--data-root", args.data_root]
    for flag, value in (("--task", args.task_table_name), ("--where", args.where)):
        if value is not None:
            command += [flag, value]
    if args.archived:
        command.append("--archived")
    if args.regex is not None:
        command.append(args.regex)
    try:  # not standalone: click returns here instead of ending the interpreter
        code = rla_main.main(command, prog_name="view_log", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        return 1
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
