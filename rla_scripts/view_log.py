"""Print the metadata, parameters and backup.txt of the items matching a pattern.

    python -m rla_scripts.view_log --data_root D --task_table_name T --regex '2022/03/01/*'
"""
from __future__ import annotations

from typing import List, Optional

from RLA.cli import main as rla_main
from rla_scripts._args import parser


def main(argv: Optional[List[str]] = None) -> None:
    args = parser("Show the items of an RLA database that match a pattern.", destructive=False).parse_args(argv)
    command = ["show", "--data-root", args.data_root]
    for flag, value in (("--task", args.task_table_name), ("--where", args.where)):
        if value is not None:
            command += [flag, value]
    if args.archived:
        command.append("--archived")
    if args.regex is not None:
        command.append(args.regex)
    rla_main(command)


if __name__ == "__main__":
    main()
