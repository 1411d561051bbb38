"""The path of earlier releases of :mod:`RLA.console.display`: the same module under its old name."""
import sys

from RLA.console import display as _module

sys.modules[__name__] = _module
