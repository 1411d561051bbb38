"""Names of RLA 0.6 whose work has no sense any more here: each fails when used, saying what to use.

They keep their import paths, so a 0.6 script imports as before and stops only at the line that
needs the old tool, with the replacement in the message (the README's "Coming from RLA 0.6" lists them).
"""
from __future__ import annotations

from typing import Any, Callable, NoReturn

from RLA.errors import UsageError

__all__ = ["replaced"]


def replaced(old: str, instead: str) -> Callable[..., NoReturn]:
    """A stand-in for RLA 0.6's ``old`` that raises a UsageError naming ``instead``."""

    def stand_in(*args: Any, **kwargs: Any) -> NoReturn:
        raise UsageError(f"{old} of RLA 0.6 is gone: {instead}")

    stand_in.__name__ = stand_in.__qualname__ = old.rsplit(".", 1)[-1]
    stand_in.__doc__ = f"RLA 0.6's {old}, replaced: {instead}"
    return stand_in
