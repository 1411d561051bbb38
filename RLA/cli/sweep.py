"""``rla sweep``: run a grid / random sweep of a command (local processes, SLURM, Ray), or show its status."""
from __future__ import annotations

import json
from typing import Any, Dict, Optional, Tuple

import click

from RLA.cli.options import DATA_ROOT_ENV, resolve_data_root
from RLA.sweep.launchers import LAUNCHERS, NAMES

EPILOG = """Examples:

\b
  rla sweep --name lr_scan --grid lr=1e-3,3e-4 --grid seed=0,1,2 -j 2 \\
      -- python main.py --env Hopper-v4
  rla sweep --name big --launcher slurm \\
      --slurm partition=gpu,gpus_per_node=1,timeout_min=240 \\
      --grid lr=1e-3,3e-4 --grid seed=0..9 -- python main.py
  rla sweep --name rnd --launcher ray --address auto --samples 20 \\
      --random lr=loguniform:1e-5:1e-2 --random seed=int:0:1000 \\
      -- python main.py
  rla sweep --status lr_scan

Each trial runs the command with --key=value appended, RLA_RESUME=auto and
RLA_SWEEP=<name> in its environment; its item gets the parameter sweep=<name>
(rla ls -w 'sweep == "lr_scan"'). Running the same sweep again runs only the
trials that are not finished."""


def _key_values(specs: Tuple[str, ...]) -> Dict[str, Any]:
    from RLA.errors import UsageError
    from RLA.sweep.space import parse_value

    out: Dict[str, Any] = {}
    for spec in specs:
        for part in filter(None, spec.split(",")):
            key, sep, value = part.partition("=")
            if not sep or not key.strip():
                raise UsageError(f"--slurm {spec!r}: expected key=value[,key=value...], "
                                 "e.g. partition=gpu,timeout_min=240")
            out[key.strip()] = parse_value(value.strip())
    return out


@click.command("sweep", epilog=EPILOG, context_settings={"allow_interspersed_args": False})
@click.option("-d", "--data-root", "data_root", envvar=DATA_ROOT_ENV, type=click.Path(file_okay=False),
              help=f"The database the trials write into (default: ${DATA_ROOT_ENV}, "
                   "else DATA_ROOT in ./rla_config.yaml).")
@click.option("--name", help="The sweep's name: recorded as the parameter 'sweep' of every trial's item.")
@click.option("--grid", "grids", multiple=True, metavar="KEY=VALUES",
              help="Grid values: lr=1e-3,3e-4 or seed=0..9 (both ends included); repeatable.")
@click.option("--random", "randoms", multiple=True, metavar="KEY=KIND:ARGS",
              help="A random parameter: uniform:0:1, loguniform:1e-5:1e-2, int:0:1000, choice:a,b; repeatable.")
@click.option("--samples", default=1, show_default=True, help="Random draws per grid combination.")
@click.option("--seed", "space_seed", default=0, show_default=True,
              help="Seed of the random draws (the same seed gives the same trials).")
@click.option("-j", "--jobs", default=1, show_default=True, help="Trials running at the same time.")
@click.option("--launcher", type=click.Choice(NAMES), default="local", show_default=True,
              help="; ".join(f"{launcher.name}: {launcher.doc}" for launcher in LAUNCHERS) + ".")
@click.option("--slurm", "slurm_options", multiple=True, metavar="K=V,...",
              help="submitit executor options, e.g. partition=gpu,timeout_min=240; repeatable.")
@click.option("--address", help="Ray cluster to join ('auto': this node's); default: start a local Ray.")
@click.option("--no-wait", is_flag=True, help="slurm: return once the job array is submitted.")
@click.option("--status", "status_of", metavar="NAME", help="Show each trial of the sweep NAME and exit.")
@click.option("--json", "as_json", is_flag=True, help="With --status: print JSON on stdout.")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
def sweep(data_root: Optional[str], name: Optional[str], grids: Tuple[str, ...], randoms: Tuple[str, ...],
          samples: int, space_seed: int, jobs: int, launcher: str, slurm_options: Tuple[str, ...],
          address: Optional[str], no_wait: bool, status_of: Optional[str], as_json: bool,
          command: Tuple[str, ...]) -> None:
    """Run COMMAND once per trial of a parameter grid / random space, one RLA item per trial."""
    from RLA.sweep import parse_grid, parse_random, run_sweep

    data_root = resolve_data_root(data_root)
    if status_of:
        _show_status(data_root, status_of, as_json)
        return
    if not name:
        raise click.UsageError("give the sweep a --name (its items get the parameter sweep=<name>)")
    # only the options given: the launcher refuses those it does not take (--address with slurm)
    given = {"slurm": _key_values(slurm_options) if slurm_options else None, "address": address,
             "wait": False if no_wait else None}
    launched = run_sweep(name, list(command), data_root, grid=[parse_grid(g) for g in grids],
                         random=[parse_random(r) for r in randoms], samples=samples, seed=space_seed,
                         launcher=launcher, jobs=jobs, **{k: v for k, v in given.items() if v is not None})
    if not launched:
        click.echo(f"sweep {name}: every trial is finished; nothing to run", err=True)
    _show_status(data_root, name, False)


def _show_status(data_root: str, name: str, as_json: bool) -> None:
    """Each trial on one line of an 80-column terminal: its parameters, status, the item named by its start
    time (as rla ls names it), last step and SLURM job; --json has the item's full index."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from RLA.console.display import console, printable, start_labels
    from RLA.db.layout import Database
    from RLA.db.select import start_time
    from RLA.sweep import sweep_status

    rows = sweep_status(data_root, name)
    if as_json:
        click.echo(json.dumps([{"trial": r.trial.trial_id, "params": r.trial.params, "status": r.status,
                                "item": r.item, "last_time_step": r.last_time_step, "job_id": r.job_id}
                               for r in rows], indent=2, default=str))
        return
    database = Database(data_root)
    started = [label if r.item else "-" for r, label in
               zip(rows, start_labels([start_time(database.item_from_index(r.item)) if r.item else None
                                       for r in rows]))]
    columns = {"parameters": [r.trial.label() for r in rows], "status": [r.status for r in rows],
               "started": started, "step": ["-" if r.last_time_step is None else str(r.last_time_step) for r in rows],
               "trial": [r.trial.trial_id for r in rows]}
    if any(r.job_id for r in rows):
        columns["job"] = [r.job_id or "-" for r in rows]
    done = sum(r.status == "finished" for r in rows)
    table = Table(title=Text(printable(f"sweep {name}: {done}/{len(rows)} finished")), title_justify="left",
                  box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column, cells in columns.items():
        if column == "parameters":  # long parameter lists are cut, never the rest
            table.add_column(column, no_wrap=True, overflow="ellipsis", min_width=10)
        else:
            table.add_column(column, no_wrap=True, min_width=max(map(len, [column, *cells])),
                             justify="right" if column == "step" else "left")
    for position in range(len(rows)):
        table.add_row(*[Text(printable(cells[position])) for cells in columns.values()])
    console(stderr=False).print(table)
