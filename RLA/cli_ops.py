"""The path of earlier releases of :mod:`RLA.console.plans`: the same module under its old name."""
import sys

from RLA.console import plans as _module

sys.modules[__name__] = _module
