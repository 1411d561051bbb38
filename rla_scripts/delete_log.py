"""Delete the items matching a pattern, or those of them that stopped early.

    python -m rla_scripts.delete_log --data_root D --task_table_name T --regex '2022/03/01/21-13*' \
        [--delete_type all|small_ts] [--timestep_bound N] [-y]
"""
from __future__ import annotations

import sys
from typing import List, Optional

from RLA.console import plans
from rla_scripts._args import parse, parser, run, selection


def main(argv: Optional[List[str]] = None) -> int:
    """Run the script on ``argv`` (default: the command line); returns the exit code."""
    args_parser = parser("Delete the items of an RLA database that match a pattern.")
    args_parser.add_argument("--delete_type", choices=["all", "small_ts"], default="all",
                             help="all: every matching item; small_ts: those below --timestep_bound")
    args_parser.add_argument("--timestep_bound", type=int, default=100,
                             help="with small_ts: delete items whose last time-step is below this")
    args = parse(args_parser, argv)
    if isinstance(args, int):
        return args
    if args.delete_type == "small_ts":
        return run(lambda: plans.clean(args.data_root, timestep_bound=args.timestep_bound, **selection(args)))
    else:
        return run(lambda: plans.delete(args.data_root, **selection(args)))


if __name__ == "__main__":
    sys.exit(main())
