"""The ``rla`` command: a thin face over the Python API (no logic lives here).

Every command selects items the same way: an optional PATTERN (a glob on the
record date ``YYYY/MM/DD/<name>``, as earlier releases took it) and the
filter options; the database is ``--data-root`` or ``$RLA_DATA_ROOT``.
An :class:`RLA.errors.RLAError` ends a command with its message and exit
code; any other exception is a bug and keeps its traceback.
"""
from __future__ import annotations

import shlex
from typing import Any, Callable, Dict, Optional, Tuple

import click

from RLA.cli_options import CONFIG_FILE, DATA_ROOT_ENV, PATTERN_HELP, print_json, resolve_data_root, selection
from RLA.cli_sweep import sweep as sweep_command
from RLA.cli_sync import sync_group
from RLA.cli_ui import ui_command
from RLA.errors import RLAError

class _ErrorMessage(click.ClickException):
    """An RLAError shown as click shows its own errors: ``Error: <message>``, with the error's exit code."""

    def __init__(self, error: RLAError):
        super().__init__(str(error))
        self.exit_code = error.exit_code


class _Commands(click.Group):
    """The ``rla`` group: turns an RLAError of any command into its message."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RLAError as error:
            raise _ErrorMessage(error) from error


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="RLA")
def main() -> None:
    """RLA: reinforcement-learning experiments as a database."""


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
    from RLA.cli_display import report_lines

    if as_json:
        print_json(result.to_dict())
        return
    for line in report_lines(result):
        click.echo(line, err=True)


# -- commands ---------------------------------------------------------------------------

@main.command("ls", epilog=PATTERN_HELP)
@selection
@click.option("-c", "--column", "columns", multiple=True,
              help="A column to show (status, rows, size.log, params.lr, ...); repeatable.")
@click.option("--timestep-below", type=int, help="Keep items whose last time-step is below this.")
@click.option("--refresh", is_flag=True, help="Rebuild the index from the files.")
@click.option("--json", "as_json", is_flag=True, help="Print the items as JSON on stdout.")
@click.option("--wide", is_flag=True, help="Name items by their full index, however wide the table gets.")
def ls_command(data_root: str, filters: Dict[str, Any], columns: Tuple[str, ...], timestep_below: Optional[int],
               refresh: bool, as_json: bool, wide: bool) -> None:
    """List the items of the database (of one table with --task)."""
    from RLA import cli_display as display
    from RLA.db import query

    records = query.select(data_root, query.ItemFilter(timestep_below=timestep_below, **filters), refresh=refresh)
    if not records and not filters.get("task") and filters.get("pattern") in query.Database(data_root).tasks():
        click.echo(f"note: {filters['pattern']!r} is a table: listing it (next time: -t {filters['pattern']})", err=True)
        filters = {**filters, "task": filters["pattern"], "pattern": None}
        records = query.select(data_root, query.ItemFilter(timestep_below=timestep_below, **filters), refresh=refresh)
    for record in (r for r in records if r.split):
        click.echo(f"warning: {record.index} may be split between two places: {record.split}", err=True)
    if as_json:
        print_json([r.to_dict() for r in records])
        return
    frame = query.to_frame(records)
    unknown = [c for c in columns if c not in frame.columns]
    if unknown and len(frame):
        raise click.UsageError(f"unknown column(s) {', '.join(unknown)}; known: {', '.join(frame.columns)}")
    title = f"{len(records)} items in {data_root}"
    out = display.console(stderr=False)
    out.print(display.frame_table(frame, columns or None, title=title, out=out, wide=wide))


@main.command("show", epilog=PATTERN_HELP)
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
        click.secho(summary["index"], bold=True)
        for key in ("status", "start_time", "end_time", "last_time_step", "rows", "host", "ip", "git", "argv",
                    "error"):
            if summary.get(key) is not None:
                click.echo(f"  {key}: {summary[key]}")
        click.echo("  params: " + ", ".join(f"{k}={v}" for k, v in summary["params"].items()))
        for data_type, path in summary["paths"].items():
            click.echo(f"  {data_type}: {path}")
        if summary["backup"]:
            click.echo(f"  {BACKUP_TXT}:")
            click.echo("".join(f"    {line}\n" for line in summary["backup"].splitlines()), nl=False)


def _run_operation(name: str, data_root: str, filters: Dict[str, Any], options: Dict[str, Any]) -> None:
    """Run ``RLA.cli_ops.<name>`` (plan, show, ask, apply) on the selection and report what it did."""
    from RLA import cli_ops

    as_json = options.pop("as_json")
    _report(getattr(cli_ops, name)(data_root, quiet=as_json, **filters, **options), as_json)


@main.command("rm", epilog=PATTERN_HELP)
@selection
@_destructive
def rm_command(data_root: str, filters: Dict[str, Any], **options: Any) -> None:
    """Delete the selected items (every data type)."""
    _run_operation("delete", data_root, filters, options)


@main.command("clean", epilog=PATTERN_HELP)
@selection
@click.option("-b", "--timestep-bound", type=int, required=True,
              help="Delete items whose last time-step is below this, or that never logged one.")
@_destructive
def clean_command(data_root: str, filters: Dict[str, Any], **options: Any) -> None:
    """Delete the selected items that stopped before a time-step bound."""
    _run_operation("clean", data_root, filters, options)


@main.command("archive", epilog=PATTERN_HELP)
@selection
@click.option("--copy", is_flag=True, help="Copy into the archive instead of moving.")
@_destructive
def archive_command(data_root: str, filters: Dict[str, Any], **options: Any) -> None:
    """Move the selected items to <data_root>/arc (or copy them with --copy)."""
    _run_operation("archive", data_root, filters, options)


@main.command("mv", epilog=PATTERN_HELP)
@selection
@click.option("--to-task", help="The destination table.")
@click.option("--to-data-root", type=click.Path(file_okay=False), help="The destination database.")
@click.option("--copy", is_flag=True, help="Copy instead of moving.")
@_destructive
def mv_command(data_root: str, filters: Dict[str, Any], **options: Any) -> None:
    """Move (or copy) the selected items to another table and/or database."""
    _run_operation("migrate", data_root, filters, options)


@main.command("tb", epilog=PATTERN_HELP)
@selection
@click.option("--link-dir", type=click.Path(file_okay=False),
              help="The folder of links to make (default: a new temporary folder).")
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
    raise SystemExit(ops.launch_tensorboard(command))


# -- rla init -------------------------------------------------------------------
@main.command("init")
@click.argument("project_dir", default=".", type=click.Path(file_okay=False, path_type=str))
@click.option("--task", "task_table_name", default=None,
              help="table (task_table_name) of the project's runs; default: the folder's name")
@click.option("--data-root", default="rla_data", show_default=True,
              help="database folder used by the starter main.py, relative to the project")
@click.option("--force", is_flag=True, help="overwrite rla_config.yaml and main.py if they exist")
def init_command(project_dir: str, task_table_name: "str | None", data_root: str, force: bool) -> None:
    """Add RLA to PROJECT_DIR: a commented rla_config.yaml and a starter main.py."""
    from RLA.integrations.init_project import init_project

    result = init_project(project_dir, task_table_name, data_root, force)
    for path in result.written:
        click.echo(f"wrote {path}")
    for path in result.kept:
        click.echo(f"kept  {path} (exists; --force overwrites it)")
    click.echo(f"next: cd {result.project_dir} && python main.py   "
               f"(runs go to table {result.task_table_name!r})")


# -- rla plot ---------------------------------------------------------------------
@main.command("plot")
@click.option("--data-root", "-d", envvar=DATA_ROOT_ENV, type=click.Path(exists=True, file_okay=False),
              help=f"The database folder (default: ${DATA_ROOT_ENV}, else DATA_ROOT in ./{CONFIG_FILE}).")
@click.option("--task", "-t", "task_table_name", required=True, help="The table (task_table_name).")
@click.option("--metric", "-m", "metrics", multiple=True, required=True, help="A progress.csv column; repeatable.")
@click.option("--split-key", "-k", "split_keys", multiple=True, help="Group runs by this parameter; repeatable.")
@click.option("--reg", "-r", "regs", multiple=True,
              help="Glob on the record date YYYY/MM/DD/<name> as `rla ls` takes it ('*' stops at '/'), e.g. "
                   "'2024/05/*' or '*lr=0.01*'; repeatable (default: all runs).")
@click.option("-w", "--where", default=None,
              help='Parameter expression as `rla ls -w`, e.g. \'lr >= 1e-3 and env == "Hopper-v4"\'.')
@click.option("--legend", "regs2legends", multiple=True, help="One legend per --reg: a curve per reg.")
@click.option("--band", "bands", multiple=True, type=click.Choice(["std", "stderr", "range", "ci"]),
              default=("std",), show_default=True, help="Shaded band around the mean; repeatable.")
@click.option("--resample", type=int, default=512, show_default=True, help="Grid points (0: logged steps).")
@click.option("--x-range", type=click.Choice(["intersection", "union"]), default="intersection", show_default=True)
@click.option("--min-run-fraction", type=float, default=None,
              help="Leave out runs that reached less than this fraction of their group's median last step.")
@click.option("--smooth-step", type=float, default=0.0, show_default=True, help="Smoothing over N grid points.")
@click.option("--smoothing", type=click.Choice(["ema", "window"]), default="ema", show_default=True)
@click.option("--xlim", type=(float, float), default=None, help="Keep logged points with LOW <= x <= HIGH.")
@click.option("--ylim", type=(float, float), default=None)
@click.option("--title", default=None)
@click.option("--one-axes", is_flag=True, help="All metrics in one axes instead of one subplot each.")
@click.option("--legend-outside", is_flag=True)
@click.option("--show-number", is_flag=True, help="Write each curve's final mean at its end.")
@click.option("--save-name", default=None,
              help="File name under <data_root>/results/easy_plot/ (default: <task>-<metrics>).")
@click.option("--table", "table_score", type=click.Choice(["final", "best"]), default=None,
              help="Also print a markdown summary table of each metric (final or best-k score).")
@click.option("--score-k", "table_k", type=int, default=1, show_default=True,
              help="Points averaged into each run's score (last k or best k).")
def plot(data_root: str, task_table_name: str, metrics: tuple, split_keys: tuple, regs: tuple, where: str,
         regs2legends: tuple, bands: tuple, resample: int, x_range: str, min_run_fraction: float,
         smooth_step: float, smoothing: str, xlim: tuple, ylim: tuple, title: str, one_axes: bool,
         legend_outside: bool, show_number: bool, save_name: str, table_score: str, table_k: int) -> None:
    """Grouped learning curves of a table, saved as png and pdf (plot_func)."""
    from RLA.easy_plot.aggregate import format_summary
    from RLA.easy_plot.plot_func import plot_func
    from RLA.easy_plot.scores import summary_table

    data_root = resolve_data_root(data_root)
    name = save_name or "-".join([task_table_name, *metrics]).replace("/", "_")
    _, data = plot_func(data_root, task_table_name, list(regs) or None, list(split_keys), list(metrics),
                        regs2legends=list(regs2legends) or None, shaded_std="std" in bands,
                        shaded_err="stderr" in bands, shaded_range="range" in bands, shaded_ci="ci" in bands,
                        resample=resample, x_range=x_range, smooth_step=smooth_step, smoothing=smoothing,
                        min_run_fraction=min_run_fraction, where=where, xlim=xlim, ylim=ylim, title=title,
                        split_by_metrics=not one_axes, legend_outside=legend_outside, show_number=show_number,
                        save_name=name)
    runs = {row["index"] for row in data.attrs["runs"]}
    curves = data.groupby("metric", sort=False)["legend"].nunique()
    click.echo(f"{len(runs)} runs in {int(curves.sum())} curves: "
               + ", ".join(f"{count} of {metric}" for metric, count in curves.items()))
    for path in data.attrs["saved"]:
        click.echo(f"saved {path}")
    if table_score:
        for metric in metrics:
            table = summary_table(data_root, task_table_name, list(regs) or None, list(split_keys), metric,
                                  score=table_score, k=table_k, xlim=xlim, where=where)
            click.echo(f"\n{metric} ({table_score}, k={table_k})\n{format_summary(table)}")


main.add_command(sync_group)
main.add_command(sweep_command)
main.add_command(ui_command)

if __name__ == "__main__":
    main()
