"""The command-line flags the scripts share, spelled as in earlier RLA releases."""
from __future__ import annotations

import argparse
import sys
from typing import Any, Callable, Dict


def parser(description: str, destructive: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--data_root", required=True, help="the database folder")
    parser.add_argument("--task_table_name", default=None, help="the table (default: every table)")
    parser.add_argument("--regex", default=None,
                        help="glob on the record date YYYY/MM/DD/<name>, e.g. '2022/03/01/21-13*'")
    parser.add_argument("--where", default=None, help="parameter expression, e.g. 'lr >= 1e-3 and seed == 1'")
    parser.add_argument("--archived", action="store_true", help="select among archived items")
    if destructive:
        parser.add_argument("--all", dest="allow_all", action="store_true",
                            help="allow a selection holding a whole table")
        parser.add_argument("--dry_run", action="store_true", help="show what would be touched; change nothing")
        parser.add_argument("-y", "--yes", dest="skip_ask", action="store_true", help="do not ask for confirmation")
    return parser


def selection(args: argparse.Namespace) -> Dict[str, Any]:
    """The arguments of an RLA.db.ops function that every script passes the same way."""
    out = dict(task=args.task_table_name, pattern=args.regex, where=args.where, archived=args.archived)
    for name in ("allow_all", "dry_run", "skip_ask"):
        if hasattr(args, name):
            out[name] = getattr(args, name)
    return out


def run(action: Callable[[], Any]) -> None:
    """Run an operation and report it; a refused selection or a bad argument ends with its message."""
    try:
        result = action()
    except (ValueError, FileNotFoundError, FileExistsError) as exc:
        sys.exit(f"error: {exc}")
    _report(result)


def _report(result: Any) -> None:
    if result.dry_run:
        print(f"dry run: {result.planned} entries would be touched; nothing was changed")
    elif result.planned and not result.confirmed:
        print("cancelled: nothing was changed")
    elif result.planned:
        print(f"{result.action}: {result.count} entries of {len(result.records)} items")
