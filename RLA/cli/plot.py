"""``rla plot``: grouped learning curves of a table (:func:`RLA.easy_plot.plot_func.plot_func`)."""
from __future__ import annotations

import hashlib
import json
from typing import Sequence

import click

from RLA import plot_axes
from RLA import plot_bands as band_registry
from RLA.cli.options import CONFIG_FILE, DATA_ROOT_ENV, resolve_data_root
from RLA.words import counted

__all__ = ["plot_command"]


@click.command("plot")
@click.option("--data-root", "-d", envvar=DATA_ROOT_ENV, type=click.Path(exists=True, file_okay=False),
              help=f"The database folder (default: ${DATA_ROOT_ENV}, else DATA_ROOT in ./{CONFIG_FILE}).")
@click.option("--task", "-t", "tasks", multiple=True,
              help="The table (task_table_name); several with --aggregate (default: the table(s) the -r/-w "
                   "selection has runs in).")
@click.option("--metric", "-m", "metrics", multiple=True, required=True, help="A progress.csv column; repeatable.")
@click.option("--split-key", "-k", "split_keys", multiple=True, help="Group runs by this parameter; repeatable.")
@click.option("--reg", "-r", "regs", multiple=True,
              help="Glob on the record date YYYY/MM/DD/<name> as `rla ls` takes it ('*' stops at '/'), e.g. "
                   "'2024/05/*' or '*lr=0.01*'; repeatable (default: all runs).")
@click.option("-w", "--where", default=None,
              help='Parameter expression as `rla ls -w`, e.g. \'lr >= 1e-3 and env == "Hopper-v4"\'.')
@click.option("--legend", "regs2legends", multiple=True, help="One legend per --reg: a curve per reg.")
@click.option("--band", "bands", multiple=True, type=click.Choice(band_registry.NAMES),
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
              help="File name under <data_root>/results/easy_plot/ (default: <task>-<metrics>[-by-<keys>], and a "
                   "digest of -r/-w/--legend when given: another selection is another file).")
@click.option("--x", "x_axis", type=click.Choice(plot_axes.NAMES), default=None,
              help="The x axis: the time-step (default), or wall-clock time since each run's first row.")
@click.option("--aggregate", "aggregate_stat", default=None, metavar="iqm|mean|median",
              help="Sample-efficiency curves: this statistic over runs x tables at each x, with its 95% "
                   "stratified-bootstrap band (as rliable).")
@click.option("--normalize", multiple=True, metavar="TASK=RANDOM:REFERENCE",
              help="With --aggregate: scores of TASK as (score - RANDOM) / (REFERENCE - RANDOM); repeatable.")
@click.option("--table", "table_score", type=click.Choice(["final", "best"]), default=None,
              help="Also print a markdown summary table of each metric (final or best-k score).")
@click.option("--score-k", "table_k", type=int, default=1, show_default=True,
              help="Points averaged into each run's score (last k or best k).")
def plot_command(data_root: str, tasks: tuple, metrics: tuple, split_keys: tuple, regs: tuple, where: str,
         regs2legends: tuple, bands: tuple, resample: int, x_range: str, min_run_fraction: float,
         smooth_step: float, smoothing: str, xlim: tuple, ylim: tuple, title: str, one_axes: bool,
         legend_outside: bool, show_number: bool, save_name: str, x_axis: str, aggregate_stat: str,
         normalize: tuple, table_score: str, table_k: int) -> None:
    """Grouped learning curves of a table, saved as png and pdf (plot_func); with --aggregate,
    sample-efficiency curves over several tables."""
    from RLA.console.display import printable
    from RLA.db.query import tables_of
    from RLA.easy_plot.aggregate import format_summary
    from RLA.easy_plot.plot_func import plot_func
    from RLA.easy_plot.results_table import parse_normalize
    from RLA.easy_plot.scores import summary_table

    data_root = resolve_data_root(data_root)
    tasks = tasks or tuple(tables_of(data_root, regs, where, several=aggregate_stat is not None))
    if len(tasks) > 1 and aggregate_stat is None:
        raise click.UsageError("several tables (-t) are drawn as one sample-efficiency curve: add --aggregate iqm")
    task_table_name = tasks[0] if aggregate_stat is None else list(tasks)
    selection = [*regs, *regs2legends, where or "", *normalize, aggregate_stat or "", x_axis or ""]
    name = save_name or _figure_name("+".join(tasks), metrics, split_keys, selection)
    _, data = plot_func(data_root, task_table_name, list(regs) or None, list(split_keys), list(metrics),
                        regs2legends=list(regs2legends) or None, **band_registry.flags(bands),
                        resample=resample, x_range=x_range, smooth_step=smooth_step, smoothing=smoothing,
                        min_run_fraction=min_run_fraction, where=where, xlim=xlim, ylim=ylim, title=title,
                        split_by_metrics=not one_axes, legend_outside=legend_outside, show_number=show_number,
                        save_name=name, x=x_axis, aggregate=aggregate_stat,
                        normalize=parse_normalize(normalize) or None)
    runs = {row["index"] for row in data.attrs["runs"]}
    curves = data.groupby("metric", sort=False)["legend"].nunique()
    click.echo(f"{counted(len(runs), 'run')} in {counted(int(curves.sum()), 'curve')}: "
               + ", ".join(f"{count} of {metric}" for metric, count in curves.items()))
    for path in data.attrs["saved"]:
        click.echo(f"saved {path}")
    if table_score:
        for metric in metrics:
            table = summary_table(data_root, list(tasks), list(regs) or None, list(split_keys), metric,
                                  score=table_score, k=table_k, xlim=xlim, where=where)
            click.echo(f"\n{metric} ({table_score}, k={table_k})\n" + printable(format_summary(table), lines=True))


def _figure_name(task: str, metrics: Sequence[str], split_keys: Sequence[str], selection: Sequence[str]) -> str:
    """The default file name of a figure: its table, metrics and keys, and 6 hex digits of the selection
    when there is one, so that two different figures never replace each other."""
    name = "-".join([task, *metrics]) + ("-by-" + "-".join(split_keys) if split_keys else "")
    if any(selection):
        name += "-" + hashlib.sha1(json.dumps(list(selection)).encode()).hexdigest()[:6]
    return name.replace("/", "_")
