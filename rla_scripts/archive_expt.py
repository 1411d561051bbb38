"""RLA 0.6's archive script: copies the matching items into ``<data_root>/arc`` (as 0.6 did), over
:mod:`RLA.console.plans`.

    python -m rla_scripts.archive_expt [--data_root D] --task_table_name T --regex '2022/03/*' [-y]
"""
import sys
from typing import List, Optional

from RLA.console import plans
from rla_scripts._args import expt_data_root, expt_parser, parse, run


def main(argv: Optional[List[str]] = None) -> int:
    parser = expt_parser("Archive Log")
    parser.add_argument("--task_table_name", required=True)
    args = parse(parser, argv)
    if isinstance(args, int):
        return args
    return run(lambda: plans.archive(expt_data_root(args), args.task_table_name, args.regex, copy=True,
                                       dry_run=args.dry_run, skip_ask=args.skip_ask))


if __name__ == "__main__":
    sys.exit(main())
