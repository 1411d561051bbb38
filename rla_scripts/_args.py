"""The command-line flags the scripts share, spelled as in earlier RLA releases."""
from __future__ import annotations

import argparse
import sys
from typing import Any, Callable, Dict, List, Optional


def parser(description: str, destructive: bool = True) -> argparse.ArgumentParser:
    out = argparse.ArgumentParser(description=description)
    out.add_argument("--data_root", required=True, help="the database folder")
    out.add_argument("--task_table_name", default=None, help="the table (default: every table)")
    out.add_argument("--regex", default=None,
                     help="glob on the record date YYYY/MM/DD/<name>, e.g. '2022/03/01/21-13*'")
    out.add_argument("--where", default=None, help="parameter expression, e.g. 'lr >= 1e-3 and seed == 1'")
    out.add_argument("--archived", action="store_true", help="select among archived items")
    if destructive:
        out.add_argument("--include_running", "--include-running", dest="include_running", action="store_true",
                         help="also act on items still marked running (skipped otherwise), e.g. stale runs "
                              "killed without a trace")
        out.add_argument("--all", dest="allow_all", action="store_true",
                         help="allow a selection holding a whole table")
        out.add_argument("--dry_run", "--dry-run", dest="dry_run", action="store_true",
                         help="show what would be touched; change nothing")
        out.add_argument("-y", "--yes", dest="skip_ask", action="store_true", help="do not ask for confirmation")
    return out


def parse(args_parser: argparse.ArgumentParser, argv: Optional[List[str]]) -> "argparse.Namespace | int":
    """The parsed arguments, or the exit code when argparse ends (``--help``, a bad flag)."""
    try:
        return args_parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)


def selection(args: argparse.Namespace) -> Dict[str, Any]:
    """The arguments of an RLA.console.plans function that every script passes the same way."""
    out = dict(task=args.task_table_name, pattern=args.regex, where=args.where, archived=args.archived)
    for name in ("include_running", "allow_all", "dry_run", "skip_ask"):
        if hasattr(args, name):
            out[name] = getattr(args, name)
    return out


def run(action: Callable[[], Any]) -> int:
    """Run an operation and report it; an RLA error (a refused selection, a bad argument) ends with its message.

    Returns the exit code: 0, or the error's ``exit_code`` after its message on stderr.
    """
    from RLA.console.display import report_lines
    from RLA.errors import RLAError

    try:
        result = action()
    except RLAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    for line in report_lines(result):
        print(line)
    return 0


def expt_parser(description: str) -> argparse.ArgumentParser:
    """The flags of RLA 0.6's ``*_expt`` scripts; the data root defaults to ``DATA_ROOT`` of a
    ``rla_script_config.py`` in the current folder, as 0.6 read it."""
    out = argparse.ArgumentParser(description=description)
    out.add_argument("--data_root", default=None, help="the database folder (default: rla_script_config.DATA_ROOT)")
    out.add_argument("--regex", default=None, help="glob on the record date YYYY/MM/DD/<name>")
    out.add_argument("--dry_run", "--dry-run", dest="dry_run", action="store_true")
    out.add_argument("-y", "--yes", dest="skip_ask", action="store_true", help="do not ask for confirmation")
    return out


def expt_data_root(args: argparse.Namespace) -> str:
    """``--data_root``, else ``DATA_ROOT`` of ``./rla_script_config.py``."""
    if args.data_root:
        return args.data_root
    import importlib
    import os

    sys.path.insert(0, os.getcwd())
    try:
        return importlib.import_module("rla_script_config").DATA_ROOT
    except (ImportError, AttributeError):
        from RLA.errors import UsageError

        raise UsageError("give --data_root, or DATA_ROOT = '<database folder>' in ./rla_script_config.py") from None
    finally:
        sys.path.pop(0)
