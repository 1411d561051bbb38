"""The ``rla`` command: a thin face over the Python API (no logic lives here)."""
from __future__ import annotations

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="RLA")
def main() -> None:
    """RLA: reinforcement-learning experiments as a database."""
