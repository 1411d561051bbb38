"""The path of earlier releases of :mod:`RLA.cli.ui`: the same module under its old name."""
import sys

from RLA.cli import ui as _module

sys.modules[__name__] = _module
