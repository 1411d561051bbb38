"""Move the items matching a pattern to <data_root>/arc (or copy them with --copy).

    python -m rla_scripts.archive_log --data_root D --task_table_name T --regex '2022/03/*' [--copy] [-y]
"""
from __future__ import annotations

import sys
from typing import List, Optional

from RLA.console import plans
from rla_scripts._args import parse, parser, run, selection


def main(argv: Optional[List[str]] = None) -> int:
    """Run the script on ``argv`` (default: the command line); returns the exit code."""
    args_parser = parser("Archive the items of an RLA database that match a pattern.")
    args_parser.add_argument("--copy", action="store_true", help="copy into the archive instead of moving")
    args = parse(args_parser, argv)
    if isinstance(args, int):
        return args
    return run(lambda: plans.archive(args.data_root, copy=args.copy, **selection(args)))


if __name__ == "__main__":
    sys.exit(main())
