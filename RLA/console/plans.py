"""The database operations as the ``rla`` command and the scripts run them: show the plan, ask, apply.

The plans are :mod:`RLA.db.ops`'s; this module only talks to the user (a
rich table, a click prompt, a progress bar). ``delete``, ``clean``,
``archive`` and ``migrate`` keep the signatures of earlier releases (which
served them from ``RLA.db.ops``; :mod:`RLA.db` no longer prints or asks).
"""
from __future__ import annotations

from typing import Any, Optional

from RLA.console import display
from RLA.db import ops
from RLA.db.ops import OpResult, PathLike, Plan
from RLA.words import counted

__all__ = ["run_plan", "delete", "clean", "archive", "migrate"]


def run_plan(plan: Plan, *, dry_run: bool = False, skip_ask: bool = False, quiet: bool = False) -> OpResult:
    """Show ``plan``, stop there on ``dry_run``, ask unless ``skip_ask``, then apply it with a progress bar.

    ``quiet`` shows neither the plan (unless there is a question to ask) nor
    the progress bar. A destination that exists raises
    :class:`RLA.errors.ConflictError` before anything is shown or changed.
    """
    ops.check_conflicts(plan)
    if not quiet or (not skip_ask and not dry_run):
        display.show_plan(plan, dry_run)
    if dry_run or not plan.entries or not (skip_ask or _confirm(plan)):
        return OpResult.of(plan, dry_run=dry_run)
    with display.progress_bar(plan.planned, plan.action, quiet) as advance:
        return ops.apply(plan, on_progress=advance, on_wait=display.show_waiting)


def _confirm(plan: Plan) -> bool:
    """Ask before acting; the end of input or Ctrl-C at the prompt is a no."""
    import click

    try:
        question = f"{plan.action} these {counted(plan.planned, 'entry')} of {counted(len(plan.records), 'item')}?"
        return click.confirm(question, default=False, err=True)
    except click.Abort:
        return False


def delete(data_root: PathLike, task: Optional[str] = None, pattern: Optional[str] = None, *,
           include_running: bool = False, allow_all: bool = False, dry_run: bool = False, skip_ask: bool = False,
           quiet: bool = False, **filters: Any) -> OpResult:
    """Delete every data type of the selected items (:func:`RLA.db.ops.plan_delete`), asking first."""
    plan = ops.plan_delete(data_root, task, pattern, include_running=include_running, allow_all=allow_all,
                           **filters)
    return run_plan(plan, dry_run=dry_run, skip_ask=skip_ask, quiet=quiet)


def clean(data_root: PathLike, task: Optional[str] = None, pattern: Optional[str] = None, *,
          timestep_bound: int, include_running: bool = False, allow_all: bool = False,
          dry_run: bool = False, skip_ask: bool = False, quiet: bool = False, **filters: Any) -> OpResult:
    """Delete the selected items that stopped below ``timestep_bound`` (:func:`RLA.db.ops.plan_clean`),
    asking first."""
    plan = ops.plan_clean(data_root, task, pattern, timestep_bound=timestep_bound,
                          include_running=include_running, allow_all=allow_all, **filters)
    return run_plan(plan, dry_run=dry_run, skip_ask=skip_ask, quiet=quiet)


def archive(data_root: PathLike, task: Optional[str] = None, pattern: Optional[str] = None, *,
            copy: bool = False, include_running: bool = False, allow_all: bool = False, dry_run: bool = False,
            skip_ask: bool = False, quiet: bool = False, **filters: Any) -> OpResult:
    """Move (or ``copy``) the selected items to ``<data_root>/arc`` (:func:`RLA.db.ops.plan_archive`),
    asking first."""
    plan = ops.plan_archive(data_root, task, pattern, copy=copy, include_running=include_running,
                            allow_all=allow_all, **filters)
    return run_plan(plan, dry_run=dry_run, skip_ask=skip_ask, quiet=quiet)


def migrate(data_root: PathLike, task: Optional[str] = None, pattern: Optional[str] = None, *,
            to_task: Optional[str] = None, to_data_root: Optional[PathLike] = None, copy: bool = False,
            include_running: bool = False, allow_all: bool = False, dry_run: bool = False, skip_ask: bool = False,
            quiet: bool = False, **filters: Any) -> OpResult:
    """Move (or ``copy``) the selected items to another table and/or database
    (:func:`RLA.db.ops.plan_migrate`), asking first."""
    plan = ops.plan_migrate(data_root, task, pattern, to_task=to_task, to_data_root=to_data_root, copy=copy,
                            include_running=include_running, allow_all=allow_all, **filters)
    return run_plan(plan, dry_run=dry_run, skip_ask=skip_ask, quiet=quiet)
