"""``rla importance``: which hyper-parameters explain the final score, the seeds of each configuration
aggregated (:func:`RLA.easy_plot.importance.param_importance`)."""
from __future__ import annotations

import math
from typing import Any, Dict, List, Optional

import click

from RLA.cli.options import PATTERN_HELP, print_json, tables_selection
from RLA.words import counted

__all__ = ["importance_command"]

EXAMPLES = """\b
Examples:
  rla importance -d data -t hopper -m eval/return
  rla importance -d data -t hopper -m eval/return -p lr -p batch \\
      --seed-key seed --configurations
"""


def _number(value: float) -> str:
    """A score or its spread; ``-`` for none (the std of a configuration of one seed)."""
    return f"{value:.4g}" if math.isfinite(value) else "-"


@click.command("importance", epilog=PATTERN_HELP + "\n\n" + EXAMPLES)
@tables_selection
@click.option("-m", "--metric", required=True, help="The progress.csv column scored (higher is better).")
@click.option("-p", "--param", "parameters", multiple=True,
              help="A parameter to weigh; repeatable (default: every parameter that varies).")
@click.option("--seed-key", "seed_keys", multiple=True, default=("seed",), show_default=True,
              help="A parameter that only names a run's seed: runs differing in it are one configuration.")
@click.option("--score", default="final", show_default=True, metavar="final|best|auc",
              help="A run's score: mean of its last / best --last points, or the area under its curve.")
@click.option("--last", type=int, default=1, show_default=True, help="Points averaged into a final or best score.")
@click.option("--normalize", multiple=True, metavar="TASK=RANDOM:REFERENCE",
              help="Scores of TASK normalized (needed with several tables); repeatable.")
@click.option("--reps", type=int, default=20, show_default=True, help="Forests on bootstrap resamples.")
@click.option("--configurations", "show_configurations", is_flag=True, help="Also list every configuration.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
def importance_command(data_root: Optional[str], tasks: List[str], selection: Dict[str, Any], metric: str,
                       parameters: tuple, seed_keys: tuple, score: str, last: int, normalize: tuple, reps: int,
                       show_configurations: bool, as_json: bool) -> None:
    """Which hyper-parameters explain the score: permutation importance on a random forest
    fitted to configurations (runs differing only in their seed, averaged), with 95% bootstrap
    intervals and the seeds of each configuration. Needs scikit-learn."""
    from RLA.console.display import console, printable, titled
    from RLA.easy_plot.importance import param_importance
    from RLA.easy_plot.results_table import parse_normalize

    if not tasks or data_root is None:
        raise click.UsageError("name the tables with -t TASK (repeatable)")
    result = param_importance(data_root, tasks, metric, list(parameters) or None, list(seed_keys), score, last,
                              parse_normalize(normalize), selection=selection, n_bootstrap=reps)
    if as_json:
        print_json({"parameters": result.parameters.to_dict("records"),
                    "configurations": result.configurations.to_dict("records")})
        return
    from rich import box
    from rich.table import Table
    from rich.text import Text

    seeds = result.configurations["seeds"]
    fewest, most = int(seeds.min()), int(seeds.max())
    spread = counted(fewest, "seed") if fewest == most else f"{fewest} to {most} seeds"
    out = console(stderr=False)
    title = (f"{counted(len(result.configurations), 'configuration')} of {spread} each; importance: "
             "the drop in R² when a parameter is shuffled")
    table = Table(box=box.SIMPLE_HEAD)
    for name in ("parameter", "importance", "95% interval", "values"):
        table.add_column(name, overflow="fold")
    for row in result.parameters.itertuples(index=False):
        table.add_row(Text(printable(row.parameter)), f"{row.importance:.3f}",
                      Text(f"[{row.low:.3f}, {row.high:.3f}]"), str(row.values))
    out.print(titled(title, table))
    if show_configurations:
        configurations = Table(box=box.SIMPLE_HEAD)
        for name in result.configurations.columns:
            configurations.add_column(Text(printable(name)), overflow="fold")
        for values in result.configurations.itertuples(index=False):
            configurations.add_row(*(Text(_number(v) if isinstance(v, float) else printable(v)) for v in values))
        out.print(configurations)
