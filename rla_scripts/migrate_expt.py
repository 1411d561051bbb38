"""RLA 0.6's migrate script: copies the matching items to another table (as 0.6 did), over :mod:`RLA.console.plans`.

    python -m rla_scripts.migrate_expt [--data_root D] --task_table T --target_task_table T2 --regex '2022/*' [-y]
"""
import sys
from typing import List, Optional

from RLA.console import plans
from rla_scripts._args import expt_data_root, expt_parser, parse, run


def main(argv: Optional[List[str]] = None) -> int:
    parser = expt_parser("Migrate Log")
    parser.add_argument("--task_table", required=True)
    parser.add_argument("--target_task_table", required=True)
    args = parse(parser, argv)
    if isinstance(args, int):
        return args
    return run(lambda: plans.migrate(expt_data_root(args), args.task_table, args.regex,
                                       to_task=args.target_task_table, copy=True, dry_run=args.dry_run,
                                       skip_ask=args.skip_ask))


if __name__ == "__main__":
    sys.exit(main())
