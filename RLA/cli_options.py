"""The path of earlier releases of :mod:`RLA.cli.options`: the same module under its old name."""
import sys

from RLA.cli import options as _module

sys.modules[__name__] = _module
