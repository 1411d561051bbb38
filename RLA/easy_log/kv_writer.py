"""The interface of the logger's output formats: a writer of rows, and of free-text messages."""
from __future__ import annotations

from typing import Any, Dict, Iterable

__all__ = ["KVWriter", "SeqWriter"]


class KVWriter:
    """One output format: receives every dumped row."""

    #: the LOG_USED word for this format, used by ``exclude``
    name = ""

    def write(self, key_values: Dict[str, Any], step: int) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class SeqWriter:
    """A format that also receives free-text log messages."""

    def write_seq(self, seq: Iterable[Any]) -> None:
        raise NotImplementedError
