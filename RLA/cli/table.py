"""``rla table``: the results table of a paper (:mod:`RLA.easy_plot.results_table`), written with how
it was made and made again (``--again``), and how long runs took (``--runtime``)."""
from __future__ import annotations

import shlex
from typing import Any, Dict, List, Optional, Sequence

import click

from RLA.cli.options import PATTERN_HELP, tables_selection

__all__ = ["table_command"]

EXAMPLES = """\b
Examples:
  rla table -d data -t hopper -t walker -k algo -m eval/return
  rla table -d data -t hopper -k algo -m eval/return --versus \\
      --normalize hopper=0:3500 -o results.tex
  rla table --again results.tex    # the same table, from the runs now
  rla table -d data -t hopper -k algo --runtime
"""


def _command_line(data_root: str, spec: Any, fmt: Optional[str]) -> str:
    """The ``rla table`` command that makes ``spec``'s table (written with it)."""
    words = ["rla", "table", "-d", data_root]
    selection = dict(spec.selection)
    if selection.get("pattern"):
        words.append(selection.pop("pattern"))
    for task in spec.tasks:
        words += ["-t", task]
    for key in spec.split_keys:
        words += ["-k", key]
    words += ["-m", spec.metric, "--score", spec.score, "--last", str(spec.last), "--stat", spec.stat]
    for task, (random_score, reference) in spec.normalize.items():
        words += ["--normalize", f"{task}={random_score:g}:{reference:g}"]
    for field, value in selection.items():
        flag = "--" + field
        if value is True:
            words.append(flag)
        elif isinstance(value, (tuple, list)):
            words += [part for one in value for part in (flag, str(one))]
        else:
            words += [flag, str(value)]
    if spec.versus:
        words.append("--versus")
    words += ["--reps", str(spec.n_bootstrap), "--ci", f"{spec.ci:g}", "--seed", str(spec.seed)]
    return shlex.join(words + (["--format", fmt] if fmt else []))


def _grid(header: Sequence[str], rows: Sequence[Sequence[str]], title: Optional[str] = None,
          names: int = 1) -> Any:
    """A terminal table of rich markup whose first ``names`` columns and headers are names from the
    database (parameter values, tables, groups): shown as they read, control characters escaped, under
    ``title`` (:func:`~RLA.console.display.titled`)."""
    from rich import box
    from rich.table import Table

    from RLA.console.display import as_markup, titled

    table = Table(box=box.SIMPLE_HEAD, show_lines=False)
    for name in header:
        table.add_column(as_markup(name), overflow="fold")
    for row in rows:
        table.add_row(*(as_markup(cell) if i < names else cell for i, cell in enumerate(row)))
    return titled(title, table)


def _show(table: Any) -> None:
    """The table on the terminal: two-line cells (value, interval) that fit 80 columns."""
    from rich.text import Text

    from RLA.console.display import console, printable
    from RLA.easy_plot import table_format

    out = console(stderr=False)
    out.print(Text(printable(table_format.caption(table))))
    header = table_format.header(table)
    out.print(_grid(header, table_format.cell_rows(table, lambda t: f"[bold]{t}[/bold]", "\n"),
                    names=len(header) - len(table.columns) - 1))
    if table.versus_records is not None:
        names = table_format.versus_names(table)
        out.print(_grid(["X \\ Y", *names], table_format.versus_rows(table, "\n"),
                        title=f"P(X > Y), X by row, Y by column ({table.spec.ci:.0%} intervals)"))
    commits = ", ".join(f"{commit[:12]} ({count})" for commit, count in table.commits.items())
    out.print(Text(printable(f"code of the runs: {commits}")))


def _show_runtime(data_root: str, tasks: List[str], split_keys: Sequence[str], selection: Dict[str, Any],
                  fmt: Optional[str]) -> None:
    from RLA.console.display import console, printable
    from RLA.easy_plot.runtime import runtime_table

    if fmt not in (None, "csv", "json"):
        raise click.UsageError(f"--runtime prints a terminal table, csv or json, not {fmt!r}")
    groups = runtime_table(data_root, tasks, None, list(split_keys), selection=selection).groups
    if fmt is not None:
        text = groups.to_csv(index=False) if fmt == "csv" else groups.to_json(orient="records", indent=2)
        click.echo(printable(text, lines=True))
        return

    def duration(seconds: float) -> str:
        if seconds != seconds:  # NaN: no wall-clock time
            return "-"
        minutes, second = divmod(int(round(seconds)), 60)
        return f"{minutes // 60}:{minutes % 60:02d}:{second:02d}"

    rows = [[*(str(row[key]) for key in ["task", *split_keys]), f"{row['runs']}", duration(row["mean_seconds"]),
             duration(row["total_seconds"]), "-" if row["mean_steps_per_second"] != row["mean_steps_per_second"]
             else f"{row['mean_steps_per_second']:,.0f}"] for _, row in groups.iterrows()]
    out = console(stderr=False)
    out.print(_grid(["task", *split_keys, "runs", "wall/run", "wall total", "steps/s"], rows,
                    title="wall-clock time, first to last row (h:mm:ss)", names=1 + len(split_keys)))


@click.command("table", epilog=PATTERN_HELP + "\n\n" + EXAMPLES)
@tables_selection
@click.option("-k", "--split-key", "split_keys", multiple=True, help="A row per value of this parameter; repeatable.")
@click.option("-m", "--metric", default=None, help="The progress.csv column scored (higher is better).")
@click.option("--score", default="final", show_default=True, metavar="final|best|auc",
              help="A run's score: mean of its last / best --last points, or the area under its curve.")
@click.option("--last", type=int, default=1, show_default=True, help="Points averaged into a final or best score.")
@click.option("--stat", default="iqm", show_default=True, metavar="iqm|mean|median",
              help="The statistic of each cell and of the aggregate over tasks.")
@click.option("--normalize", multiple=True, metavar="TASK=RANDOM:REFERENCE",
              help="Scores of TASK as (score - RANDOM) / (REFERENCE - RANDOM); repeatable. "
                   "All tasks normalized: the optimality gap too.")
@click.option("--versus", is_flag=True, help="Add P(X > Y) of every pair of groups.")
@click.option("--format", "fmt", default=None, metavar="md|latex|csv|json",
              help="Print in this format (default: a terminal table; with -o, the file's suffix).")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write the table to this file (.md, .tex, .csv, .json) and how it was made to FILE.rla.json.")
@click.option("--again", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Make the table of FILE (written with -o) again from the runs now.")
@click.option("--runtime", is_flag=True, help="Wall-clock time and steps per second per group instead.")
@click.option("--reps", type=int, default=2000, show_default=True, help="Bootstrap resamples.")
@click.option("--ci", type=float, default=0.95, show_default=True, help="Coverage of the intervals.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the bootstrap.")
def table_command(data_root: Optional[str], tasks: List[str], selection: Dict[str, Any], split_keys: tuple,
                  metric: Optional[str], score: str, last: int, stat: str, normalize: tuple, versus: bool,
                  fmt: Optional[str], output: Optional[str], again: Optional[str], runtime: bool, reps: int,
                  ci: float, seed: int) -> None:
    """The results table of a paper: one row per group, one column per table with the
    aggregate over tables (rliable's IQM, mean or median, and the optimality gap), 95%
    stratified-bootstrap intervals, n runs per cell; --versus adds P(X > Y)."""
    from RLA.console.display import printable
    from RLA.easy_plot import table_format, table_record
    from RLA.easy_plot.results_table import TableSpec, parse_normalize, results_table

    if again is not None:
        table, path = table_record.make_again(again, data_root)
        click.echo(f"made {path} again from {table.data_root}: {len(table.scores)} runs "
                   f"(record {table_record.record_path(path)})")
        return
    if not tasks:
        raise click.UsageError("name the tables with -t TASK (repeatable), or remake a table with --again FILE")
    assert data_root is not None  # a table was named: tables_selection resolved the database
    if runtime:
        _show_runtime(data_root, tasks, split_keys, selection, fmt)
        return
    if not metric:
        raise click.UsageError("name the metric to score with -m METRIC (a progress.csv column)")
    spec = TableSpec(tasks=tasks, split_keys=list(split_keys), metric=metric, score=score, last=last, stat=stat,
                     normalize=parse_normalize(normalize), selection=selection, versus=versus, ci=ci,
                     n_bootstrap=reps, seed=seed)
    table = results_table(data_root, spec)
    if output is not None:
        record = table_record.write_table(table, output, fmt, _command_line(data_root, spec, fmt))
        click.echo(f"wrote {output} ({len(table.scores)} runs); how it was made: {record}")
    elif fmt is None:
        _show(table)
    else:
        text = table_format.render(table, fmt, _command_line(data_root, spec, fmt))
        click.echo(printable(text, lines=True), nl=False)  # a file (-o) keeps the values as they are
