"""Thin command-line shells over the functions of RLA.console.plans and the `rla` command."""
