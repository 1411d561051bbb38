"""TensorBoard's event records: the protobuf messages, and the TFRecord framing around each one.

The messages are tensorboardX's generated modules, loaded without running
``tensorboardX/__init__.py``: that file imports its ``SummaryWriter``, which
imports torch (1.5 s and 200 MB before a run's first row, for a JAX or numpy
script too). If tensorboardX is already imported, its modules are used as they are.
"""
from __future__ import annotations

import functools
import importlib
import importlib.util
import struct
import sys
import threading
import types
from typing import Any

__all__ = ["tbx_module", "frame", "masked_crc32c", "HEADER", "FOOTER"]

#: a record: the data's length and its masked CRC, the data, the data's masked CRC
HEADER = struct.Struct("<QI")
FOOTER = struct.Struct("<I")

_lock = threading.Lock()
_PACKAGE = "tensorboardX"


def tbx_module(name: str) -> Any:
    """The module ``tensorboardX.<name>``: ``proto.event_pb2``, ``proto.summary_pb2``, ``summary``, ..."""
    full = f"{_PACKAGE}.{name}"
    module = sys.modules.get(full)
    if module is not None:
        return module
    with _lock:
        if _PACKAGE in sys.modules:
            return importlib.import_module(full)
        spec = importlib.util.find_spec(_PACKAGE)
        if spec is None or spec.submodule_search_locations is None:
            raise ImportError("tensorboardX is not installed: pip install tensorboardX")
        placeholder = types.ModuleType(_PACKAGE)
        placeholder.__path__ = list(spec.submodule_search_locations)
        sys.modules[_PACKAGE] = placeholder
        try:
            return importlib.import_module(full)
        finally:
            # a later `import tensorboardX` runs the real package, which finds these modules loaded
            if sys.modules.get(_PACKAGE) is placeholder:
                del sys.modules[_PACKAGE]


@functools.lru_cache(maxsize=None)
def _crc32c() -> Any:
    from crc32c import crc32c

    return crc32c


def masked_crc32c(data: bytes) -> int:
    """The CRC-32C of ``data``, masked as TFRecords store it."""
    crc = _crc32c()(data) & 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def frame(data: bytes) -> bytes:
    """``data`` (a serialized Event) as one record of an event file."""
    length = struct.pack("<Q", len(data))
    return length + FOOTER.pack(masked_crc32c(length)) + data + FOOTER.pack(masked_crc32c(data))
