"""Thin command-line shells over the functions of RLA.cli_ops and the `rla` command."""
