"""``rla import KIND SOURCE``: runs of other trackers as items; ``rla export FORMAT``: items as one tidy table."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

import click

from RLA.cli.options import DATA_ROOT_ENV, PATTERN_HELP, print_json, resolve_data_root, selection
from RLA.console.display import printable
from RLA.importers.export import FORMATS
from RLA.importers.registry import IMPORTERS, NAMES
from RLA.words import counted

if TYPE_CHECKING:
    from RLA.importers import ExportResult, ImportReport

__all__ = ["import_command", "export_command"]

_SOURCES = "\n".join(f"  {entry.name}: {entry.doc}" for entry in IMPORTERS)


@click.command("import", epilog=f"SOURCE, by KIND:\n\n\b\n{_SOURCES}")
@click.argument("kind", type=click.Choice(NAMES), metavar="KIND")
@click.argument("source")
@click.option("-d", "--data-root", "data_root", envvar=DATA_ROOT_ENV, type=click.Path(file_okay=False),
              help=f"the database (default: ${DATA_ROOT_ENV}, else DATA_ROOT of ./rla_config.yaml)")
@click.option("-t", "--task", required=True, help="the table the runs go into")
@click.option("--record", multiple=True, metavar="KEY", help="a parameter named in each item's name (repeat)")
@click.option("--name-pattern", default=None, metavar="PATTERN",
              help="tensorboard: parameters from each run folder's name, e.g. '{env_id}__{exp_name}__{seed}__{time}'")
@click.option("--experiment", "experiments", multiple=True, metavar="NAME",
              help="mlflow: only the runs of this experiment (name or id; repeat)")
@click.option("-n", "--dry-run", is_flag=True, help="read the runs and say what would be made; write nothing")
@click.option("-q", "--quiet", is_flag=True, help="no progress bar")
@click.option("--json", "as_json", is_flag=True, help="print what was done, run by run, as JSON on stdout")
def import_command(kind: str, source: str, data_root: Optional[str], task: str, record: Tuple[str, ...],
                   name_pattern: Optional[str], experiments: Tuple[str, ...], dry_run: bool, quiet: bool,
                   as_json: bool) -> None:
    """Import the runs of KIND at SOURCE as items of table TASK: one item per run, named and dated by its
    start time. Importing again adds only what the runs gained.

    \b
      rla import tensorboard -d db -t cleanrl runs \\
          --name-pattern '{env_id}__{exp_name}__{seed}__{time}'
      rla import mlflow -d db -t ppo sqlite:///mlflow.db
      rla import wandb -d db -t sac wandb
    """
    from dataclasses import asdict

    from RLA.console import display
    from RLA.importers import import_runs

    with display.progress_counter(f"import {kind}", quiet or as_json) as counter:
        report = import_runs(kind, source, resolve_data_root(data_root), task, list(record), dry_run,
                             on_found=counter.found, on_progress=counter.advance, name_pattern=name_pattern,
                             experiments=list(experiments) or None)
    if as_json:
        print_json({"dry_run": report.dry_run, "runs": [asdict(outcome) for outcome in report.outcomes]})
        return
    for line in _import_lines(report):
        click.echo(line, err=True)


@click.command("export", epilog=PATTERN_HELP)
@click.argument("fmt", type=click.Choice(list(FORMATS)), metavar="FORMAT")
@selection
@click.option("-o", "--output", required=True, metavar="FILE", help="the file to write ('-': stdout, for csv)")
@click.option("-q", "--quiet", is_flag=True, help="no progress bar")
def export_command(fmt: str, data_root: str, filters: Dict[str, Any], output: str, quiet: bool) -> None:
    """Write the selected items' logged values as one tidy table, FORMAT csv or parquet: a row per value,
    with the item, its parameters (params.<key>), the step, the key, the value and the wall time.

    \b
      rla export csv -d db -t cleanrl -o cleanrl.csv
      rla export parquet -d db -t ppo -w 'seed < 3' -s finished -o r.parquet
    """
    from RLA.console import display
    from RLA.db.query import ItemFilter
    from RLA.importers import export_table

    with display.progress_counter(f"export {fmt}", quiet or output == "-") as counter:
        result = export_table(data_root, output, fmt, ItemFilter(**filters), on_found=counter.found,
                              on_progress=counter.advance)
    for line in _export_lines(result):
        click.echo(line, err=True)


def _import_lines(report: ImportReport) -> List[str]:
    """What ``rla import`` did, in words: runs skipped and why, warnings, what a dry run would make, a summary."""
    lines = []
    for outcome in report.outcomes:
        if outcome.action == "skipped":
            lines.append(printable(f"skipped {outcome.name}: {outcome.reason}"))
        lines += [printable(f"warning: {outcome.name}: {warning}") for warning in outcome.warnings]
        if report.dry_run and outcome.action == "new":
            lines.append(printable(f"would make {outcome.index} ({outcome.name}, {counted(outcome.rows, 'row')})"))
        elif report.dry_run and outcome.action == "updated":
            lines.append(printable(f"would update {outcome.index} ({outcome.name}, +{counted(outcome.rows, 'row')})"))
    counts = [(action, len(report.with_action(action))) for action in ("new", "updated", "unchanged", "skipped")]
    said = ", ".join(f"{count} {action}" for action, count in counts if count) or "no run found"
    rows = f" (+{counted(report.rows, 'row')})" if report.rows else ""
    if report.dry_run:
        lines.append(printable(f"dry run: {said}{rows} of {report.source}; nothing was written"))
    else:
        lines.append(printable(f"imported {report.source} into table {report.task}: {said}{rows}"))
    return lines


def _export_lines(result: ExportResult) -> List[str]:
    """What ``rla export`` wrote, in words, with the items it left out and why."""
    lines = [printable(f"left out {index}: {reason}") for index, reason in result.left_out]
    where = "stdout" if result.path == "-" else result.path
    lines.append(printable(f"wrote {counted(result.rows, 'row')} of {counted(result.items, 'item')} to {where}"))
    return lines
