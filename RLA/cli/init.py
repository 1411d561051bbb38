"""``rla init``: add RLA to a project (a commented rla_config.yaml and a starter main.py)."""
from __future__ import annotations

import click

__all__ = ["init_command"]


@click.command("init")
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
