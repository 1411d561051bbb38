"""Move (or copy) the items matching a pattern to another table and/or database.

    python -m rla_scripts.migrate_log --data_root D --task_table_name T --regex R \
        [--target_task_table_name T2] [--target_data_root D2] [--copy] [-y]
"""
from __future__ import annotations

import sys
from typing import List, Optional

from RLA.console import plans
from rla_scripts._args import parse, parser, run, selection


def main(argv: Optional[List[str]] = None) -> int:
    """Run the script on ``argv`` (default: the command line); returns the exit code."""
    args_parser = parser("Migrate the items of an RLA database that match a pattern.")
    args_parser.add_argument("--target_task_table_name", default=None, help="the destination table")
    args_parser.add_argument("--target_data_root", default=None, help="the destination database")
    args_parser.add_argument("--copy", action="store_true", help="copy instead of moving")
    args = parse(args_parser, argv)
    if isinstance(args, int):
        return args
    return run(lambda: plans.migrate(args.data_root, to_task=args.target_task_table_name,
                                       to_data_root=args.target_data_root, copy=args.copy, **selection(args)))


if __name__ == "__main__":
    sys.exit(main())
