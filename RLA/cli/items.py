"""The commands over items of the database: ``rla ls``, ``show``, ``rm``, ``clean``, ``archive``, ``mv``, ``tb``."""
from __future__ import annotations

import shlex
from typing import Any, Callable, Dict, Optional, Tuple

import click

from RLA.cli.options import PATTERN_HELP, print_json, selection, word_option
from RLA.console.display import printable
from RLA.db.metrics import metric_column
from RLA.db.selection_words import TIMESTEP_BELOW
from RLA.words import counted, did_you_mean

__all__ = ["ls_command", "show_command", "rm_command", "clean_command", "archive_command",
           "mv_command", "tb_command"]


#: rows of the table ``rla ls`` shows at most by default (the rest: --limit 0, or --json)
LS_LIMIT = 1000


def _destructive(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed([
        click.option("--include-running", is_flag=True,
                     help="Also act on items whose status is still running (they are skipped otherwise); "
                          "for stale runs killed without a trace, which stay 'running'."),
        click.option("--all", "allow_all", is_flag=True, help="Allow a selection holding a whole table."),
        click.option("-n", "--dry-run", is_flag=True, help="Show what would be touched; change nothing."),
        click.option("-y", "--yes", "skip_ask", is_flag=True, help="Do not ask for confirmation."),
        click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout."),
    ]):
        command = option(command)
    return command


def _report(result: Any, as_json: bool) -> None:
    from RLA.console.display import report_lines

    if as_json:
        print_json(result.to_dict())
        return
    for line in report_lines(result):
        click.echo(line, err=True)


@click.command("ls", epilog=PATTERN_HELP + " A metric column is final:<key> (the last finite value of a key of "
                                         "progress.csv; a key alone means it too), last:, best: (max:) or min:.")
@selection
@click.option("-c", "--column", "columns", multiple=True,
              help="A column to show (status, rows, size.log, params.lr, final:eval/return, ...); repeatable.")
@word_option(TIMESTEP_BELOW)
@click.option("--sort", help="Sort by this column (params.lr, final:eval/return, status, size, ...) instead of "
                             "the index; items without a value last.")
@click.option("--desc", is_flag=True, help="Sort from the largest value down.")
@click.option("--limit", type=click.IntRange(min=0), default=LS_LIMIT, show_default=True,
              help="Show the first LIMIT items of the table (0: all); --json gives every item.")
@click.option("--refresh", is_flag=True, help="Rebuild the index from the files.")
@click.option("--json", "as_json", is_flag=True, help="Print the items as JSON on stdout (every one, as they come).")
@click.option("--wide", is_flag=True,
              help="Also show each item's full index (under its row when the table is narrower than it).")
@click.option("--sizes", is_flag=True, help="The size of each data type (log, code, ckpt, ...) instead of "
                                            "the step, rows and parameters.")
def ls_command(data_root: str, filters: Dict[str, Any], columns: Tuple[str, ...], timestep_below: Optional[int],
               sort: Optional[str], desc: bool, limit: int, refresh: bool, as_json: bool, wide: bool,
               sizes: bool) -> None:
    """List the items of the database (of one table with --task)."""
    from RLA.console import display
    from RLA.db import query

    def listing(filters: Dict[str, Any]) -> "query.Listing":
        return query.Listing(data_root, query.ItemFilter(timestep_below=timestep_below, **filters), sort=sort,
                             descending=desc, refresh=refresh, metrics=[c for c in columns if metric_column(c)])

    selected = listing(filters)
    if not selected.total and not filters.get("task") and filters.get("pattern") in query.Database(data_root).tasks():
        table = filters["pattern"]
        click.echo(f"note: {table!r} is a table: listing it (next time: -t {table})", err=True)
        filters = {**filters, "task": filters["pattern"], "pattern": None}
        selected = listing(filters)
    columns = _metric_columns(selected, columns)
    selected.show_metrics([c for c in columns if metric_column(c)])  # with those named by their key alone
    if not selected.total:
        for line in selected.unknown_parameters():
            click.echo(printable(f"note: {line}"), err=True)
    if as_json:
        _print_json_records(selected)
        return
    records = selected.page(0, limit or selected.total)
    frame = query.to_frame(records)
    _say_unlogged_metrics(selected, frame, columns)
    unknown = [c for c in columns if c not in frame.columns]
    warnings = display.warning_lines(records)
    if unknown and len(frame):
        if warnings:  # said before the error that ends the command: what the listing found stays known
            click.echo("\n".join(warnings), err=True)
        raise click.UsageError(f"unknown column(s) {', '.join(unknown)}; known: {', '.join(frame.columns)}; "
                               "a metric column is final:<key> (or last:, best:, min:)")
    for column in unknown:  # nothing selected: the table keeps the columns asked for
        frame[column] = []
    if sizes:
        columns = ("status", *display.size_columns(frame), *(c for c in columns if c != "status"))
    title = f"{counted(selected.total, 'item')} in {data_root}"
    out = display.console(stderr=False)
    out.print(display.frame_table(frame, columns or None, title=title, out=out, wide=wide), crop=not wide)
    if warnings:  # below the table, where the eye ends
        click.echo("\n".join(warnings), err=True)
    if len(records) < selected.total:
        click.echo(f"note: the first {len(records):,} of {counted(selected.total, 'item')} shown; --limit 0 "
                   "shows every one, --json gives them to scripts", err=True)


def _metric_columns(selected: Any, columns: Tuple[str, ...]) -> Tuple[str, ...]:
    """``columns`` with a key of progress.csv named alone (``-c eval/return``) as its final value's column."""
    from RLA.db.listing import FIXED_COLUMNS

    if all(metric_column(c) or c in FIXED_COLUMNS or c.startswith(("params.", "size.")) for c in columns):
        return columns
    metrics = selected.metric_keys()
    return tuple(f"final:{c}" if c in metrics and not metric_column(c) else c for c in columns)


def _say_unlogged_metrics(selected: Any, frame: Any, columns: Tuple[str, ...]) -> None:
    """A metric column empty in every row shown because its key is no key the runs logged: named, with
    the closest keys they did log (else the column of ``-c final:perf/retrun`` is only dashes)."""
    empty = [metric.key for metric in map(metric_column, columns)
             if metric and metric.name in frame.columns and frame[metric.name].isna().all()]
    if not empty or not len(frame):
        return
    logged = selected.metric_keys()
    for key in empty:
        if key not in logged:
            click.echo(printable(f"note: no item shown logged {key!r}{did_you_mean(key, logged)}"), err=True)


def _print_json_records(selected: Any) -> None:
    """Every record of the listing as a JSON array on stdout, written as it is read (a page at a time),
    one record a line (JSON's own encoder: many times faster than an indented one)."""
    import json
    import sys

    sys.stdout.write("[")
    for number, record in enumerate(selected):
        sys.stdout.write(("," if number else "") + "\n" + json.dumps(record.to_dict(), default=str))
    sys.stdout.write("\n]\n" if selected.total else "]\n")
    sys.stdout.flush()


@click.command("show", epilog=PATTERN_HELP)
@selection
@click.option("--json", "as_json", is_flag=True, help="Print the items as JSON on stdout.")
def show_command(data_root: str, filters: Dict[str, Any], as_json: bool) -> None:
    """Show the metadata, parameters and backup.txt of the selected items
    (PATTERN `latest`: the item that started last)."""
    from RLA.db import ops
    from RLA.db.layout import BACKUP_TXT

    views = ops.view(data_root, **filters)
    if as_json:
        print_json(views)
        return
    if not views:
        click.echo("no item matches", err=True)
    for summary in views:
        click.secho(printable(summary["index"]), bold=True)
        for key in ("status", "damage", "start_time", "end_time", "last_time_step", "rows", "host", "ip", "git",
                    "argv", "error"):
            if summary.get(key) is not None:
                click.echo(printable(f"  {key}: {summary[key]}"))
        if summary["tags"]:
            click.echo(printable("  tags: " + ", ".join(summary["tags"])))
        if summary["note"]:
            click.echo("  note:")
            click.echo("".join(f"    {printable(line)}\n" for line in summary["note"].splitlines()), nl=False)
        click.echo(printable("  params: " + ", ".join(f"{k}={v}" for k, v in summary["params"].items())))
        for data_type, path in summary["paths"].items():
            click.echo(printable(f"  {data_type}: {path}"))
        if summary["backup"]:
            click.echo(f"  {BACKUP_TXT}:")
            click.echo("".join(f"    {printable(line, lines=True)}\n" for line in summary["backup"].splitlines()),
                       nl=False)


def _run_operation(name: str, data_root: str, filters: Dict[str, Any], options: Dict[str, Any]) -> None:
    """Run ``RLA.console.plans.<name>`` (plan, show, ask, apply) on the selection and report what it did."""
    from RLA.console import plans

    as_json = options.pop("as_json")
    _report(getattr(plans, name)(data_root, quiet=as_json, **filters, **options), as_json)


@click.command("rm", epilog=PATTERN_HELP)
@selection
@_destructive
def rm_command(data_root: str, filters: Dict[str, Any], **options: Any) -> None:
    """Delete the selected items (every data type)."""
    _run_operation("delete", data_root, filters, options)


@click.command("clean", epilog=PATTERN_HELP)
@selection
@click.option("-b", "--timestep-bound", type=int, required=True,
              help="Delete items whose last time-step is below this, or that never logged one.")
@_destructive
def clean_command(data_root: str, filters: Dict[str, Any], **options: Any) -> None:
    """Delete the selected items that stopped before a time-step bound."""
    _run_operation("clean", data_root, filters, options)


@click.command("archive", epilog=PATTERN_HELP)
@selection
@click.option("--copy", is_flag=True, help="Copy into the archive instead of moving.")
@_destructive
def archive_command(data_root: str, filters: Dict[str, Any], **options: Any) -> None:
    """Move the selected items to <data_root>/arc (or copy them with --copy)."""
    _run_operation("archive", data_root, filters, options)


@click.command("mv", epilog=PATTERN_HELP)
@selection
@click.option("--to-task", help="The destination table.")
@click.option("--to-data-root", type=click.Path(file_okay=False), help="The destination database.")
@click.option("--copy", is_flag=True, help="Copy instead of moving.")
@_destructive
def mv_command(data_root: str, filters: Dict[str, Any], **options: Any) -> None:
    """Move (or copy) the selected items to another table and/or database."""
    _run_operation("migrate", data_root, filters, options)


@click.command("tb", epilog=PATTERN_HELP)
@selection
@click.option("--link-dir", type=click.Path(file_okay=False),
              help="The folder of links to make (default: a new temporary folder, removed when TensorBoard stops).")
@click.option("--port", type=int, default=6006, show_default=True)
@click.option("--host", help="The address TensorBoard listens on.")
@click.option("--no-launch", is_flag=True, help="Make the links and print the command instead of running it.")
@click.option("--json", "as_json", is_flag=True, help="With --no-launch: print the folder and command as JSON.")
def tb_command(data_root: str, filters: Dict[str, Any], link_dir: Optional[str], port: int,
               host: Optional[str], no_launch: bool, as_json: bool) -> None:
    """Start TensorBoard on the selected items only, through a folder of links."""
    from RLA.db import ops

    folder = ops.tensorboard_links(data_root, link_dir=link_dir, **filters)
    command = ops.tensorboard_command(folder, port=port, host=host)
    if no_launch:
        if as_json:
            print_json({"link_dir": str(folder), "command": command})
        else:
            click.echo(shlex.join(command))
        return
    click.echo(f"TensorBoard on the items linked in {folder}", err=True)
    raise SystemExit(ops.launch_tensorboard(command, temporary_links=None if link_dir else folder))
