"""RLA 0.6's delete script, over :mod:`RLA.console.plans` (``--delete_type small_ts`` is ``rla clean``).

    python -m rla_scripts.delete_expt [--data_root D] --task_table_name T --regex '2022/03/*' \
        [--delete_type all|small_ts] [--timestep_bound 100] [-y] [--dry_run]
"""
import sys
from typing import List, Optional

from RLA.console import plans
from rla_scripts._args import expt_data_root, expt_parser, parse, run


def main(argv: Optional[List[str]] = None) -> int:
    parser = expt_parser("Delete Log")
    parser.add_argument("--task_table_name", default="")
    parser.add_argument("--timestep_bound", type=int, default=100)
    parser.add_argument("--delete_type", choices=["all", "small_ts"], default="all")
    args = parse(parser, argv)
    if isinstance(args, int):
        return args
    selection = dict(task=args.task_table_name or None, pattern=args.regex, dry_run=args.dry_run,
                     skip_ask=args.skip_ask)
    if args.delete_type == "small_ts":
        return run(lambda: plans.clean(expt_data_root(args), timestep_bound=args.timestep_bound, **selection))
    return run(lambda: plans.delete(expt_data_root(args), **selection))


if __name__ == "__main__":
    sys.exit(main())
