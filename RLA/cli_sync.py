"""The path of earlier releases of :mod:`RLA.cli.sync`: the same module under its old name."""
import sys

from RLA.cli import sync as _module

sys.modules[__name__] = _module
