"""RLA 0.6's view script: the printed arguments (backup.txt) of the matching items, over :mod:`RLA.easy_log.log_tools`.

    python -m rla_scripts.view_expt [--data_root D] --task_table_name T --regex '2022/03/01/*'
"""
import sys
from typing import List, Optional

from RLA.easy_log.log_tools import ViewLogTool
from rla_scripts._args import expt_data_root, expt_parser, parse


def main(argv: Optional[List[str]] = None) -> int:
    parser = expt_parser("View Log")
    parser.add_argument("--task_table_name", default="")
    args = parse(parser, argv)
    if isinstance(args, int):
        return args
    ViewLogTool(expt_data_root(args), args.task_table_name, args.regex).view_log(skip_ask=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
