"""Move the items matching a pattern to <data_root>/arc (or copy them with --copy).

    python -m rla_scripts.archive_log --data_root D --task_table_name T --regex '2022/03/*' [--copy] [-y]
"""
from __future__ import annotations

from typing import List, Optional

from RLA.db import ops
from rla_scripts._args import parser, run, selection


def main(argv: Optional[List[str]] = None) -> None:
    args_parser = parser("Archive the items of an RLA database that match a pattern.")
    args_parser.add_argument("--copy", action="store_true", help="copy into the archive instead of moving")
    args = args_parser.parse_args(argv)
    run(lambda: ops.archive(args.data_root, copy=args.copy, **selection(args)))


if __name__ == "__main__":
    main()
