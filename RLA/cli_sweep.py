"""The path of earlier releases of :mod:`RLA.cli.sweep`: the same module under its old name."""
import sys

from RLA.cli import sweep as _module

sys.modules[__name__] = _module
