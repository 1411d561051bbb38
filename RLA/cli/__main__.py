"""``python -m RLA.cli``: the ``rla`` command."""
from RLA.cli.group import main

main()
