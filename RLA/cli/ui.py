"""``rla ui``: the experiment database in a browser (:mod:`RLA.ui`)."""
from __future__ import annotations

import click

from RLA.cli.options import CONFIG_FILE, DATA_ROOT_ENV, resolve_data_root

__all__ = ["ui_command"]


@click.command("ui")
@click.option("-d", "--data-root", "data_root", envvar=DATA_ROOT_ENV, type=click.Path(file_okay=False),
              help=f"The database folder (default: ${DATA_ROOT_ENV}, else DATA_ROOT in ./{CONFIG_FILE}).")
@click.option("--port", type=int, default=6007, show_default=True, help="The port to listen on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on (0.0.0.0: every interface). Every address, loopback "
                   "included, needs the random token of the printed URL.")
def ui_command(data_root: "str | None", port: int, host: str) -> None:
    """Serve a web page over the database: runs (with their tags and notes), grouped curves, one run,
    compare (parameters and code), results (the table of rla table, P(X > Y), sample-efficiency curves,
    parameter importance), actions."""

    try:
        from RLA.ui.server import serve
    except ImportError as error:
        raise click.ClickException(f"rla ui needs the web stack ({error.name} is missing): "
                                   "pip install 'RLA[ui]'") from None
    serve(resolve_data_root(data_root), host=host, port=port, echo=click.echo)
