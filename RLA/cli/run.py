"""``rla run -- COMMAND ...``: run any training command unchanged, as a database item."""
from __future__ import annotations

import os
import signal
import sys
from typing import Optional, Tuple

import click

from RLA.cli.options import DATA_ROOT_ENV, resolve_data_root

__all__ = ["run_command"]

HIDDEN = "<hidden>"


@click.command("run", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.option("-d", "--data-root", "data_root", envvar=DATA_ROOT_ENV, type=click.Path(file_okay=False),
              help=f"the database (default: ${DATA_ROOT_ENV}, else DATA_ROOT of ./rla_config.yaml)")
@click.option("-t", "--task", default=None, help="the table of the run (default: the script's name)")
@click.option("--record", multiple=True, metavar="KEY",
              help="a parameter named in the item's name (repeat; default: every one on the command line)")
@click.option("--logdir", multiple=True, type=click.Path(file_okay=False), metavar="DIR",
              help="also capture the TensorBoard files under DIR (default: only the working directory's)")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, exists=True), default=None,
              help="the rla_config.yaml (default: ./rla_config.yaml if there is one)")
@click.option("--system-metrics", type=float, default=None, metavar="SECONDS",
              help="seconds between two samples of the run's CPU, memory, IO and GPU (0: none; default: "
                   "SYSTEM_METRICS of rla_config.yaml, else 5)")
@click.option("--notify", default=None, metavar="CMD|URL",
              help="run CMD, or POST JSON to URL, when the run fails, is killed, logs NaN/inf or stalls "
                   "(default: NOTIFY of rla_config.yaml)")
@click.option("--watch", multiple=True, metavar="KEY", help="alert on NaN/inf in KEY only (repeat; default: any key)")
@click.option("--stall-minutes", type=float, default=None, metavar="MINUTES",
              help="alert when no row comes for this long (default: NOTIFY_STALL_MINUTES, 30; 0: never)")
@click.argument("command", nargs=-1, type=click.UNPROCESSED, required=True)
def run_command(data_root: Optional[str], task: Optional[str], record: Tuple[str, ...], logdir: Tuple[str, ...],
                config_file: Optional[str], system_metrics: Optional[float], notify: Optional[str],
                watch: Tuple[str, ...], stall_minutes: Optional[float], command: Tuple[str, ...]) -> None:
    """Run COMMAND unchanged as an item of the database, capturing what it logs.

    \b
      rla run -d runs_db -- python ppo.py --env-id CartPole-v1 --seed 1
      rla run -d runs_db -t zoo --logdir logs -- \\
          python -m rl_zoo3.train --algo ppo --env CartPole-v1 --tensorboard-log logs

    Parameters come from the command line (--key value, --flag, --no-flag, Hydra's key=value); the
    TensorBoard scalars the command writes are captured at their own steps while it runs; its output
    is kept in the item (output.txt). The run ends finished, failed (the exit status) or killed
    (a signal), and rla run exits as the command did.
    """
    from RLA.capture.run import Alerting
    from RLA.capture.run import run_command as run

    if notify:  # run.json records our argv: never the alert target (a webhook's URL is its credential)
        sys.argv = [HIDDEN if word == notify else word.replace(notify, HIDDEN) for word in sys.argv]
    alerting = Alerting(notify, list(watch), stall_minutes)
    result = run(list(command), resolve_data_root(data_root), task, list(record) if record else None,
                 list(logdir), config_file, system_metrics, alerting)
    signum = result.outcome.signal
    if signum is not None:  # end as the command did, so whoever started us sees the same signal
        sys.stdout.flush()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
    sys.exit(result.outcome.returncode)
