"""TensorBoard's event records: the messages a run writes (rows of scalars, the summaries of the
Text and HParams dashboards), the TFRecord framing around each record, and the protobuf modules
that read them.

A run's messages are encoded here in protobuf's wire format, a few fixed fields: building them
from protobuf classes cost a run 15 ms of CPU before its first row (the generated modules'
import), which csv alone does not pay (``bench/first_row.py``); tests parse them with those
modules and TensorBoard's reader. The modules are tensorboardX's, loaded without running
``tensorboardX/__init__.py``: that file imports its ``SummaryWriter``, which imports torch (1.5 s
and 200 MB, for a JAX or numpy script too). If tensorboardX is already imported, its modules are
used as they are.
"""
from __future__ import annotations

import functools
import importlib
import importlib.util
import math
import struct
import sys
import threading
import types
from typing import Any, Dict, Iterable, Optional, Tuple, Union

__all__ = ["tbx_module", "frame", "masked_crc32c", "event", "scalars_summary", "text_summary",
           "hparams_start_summary", "hparams_end_summary", "HPARAMS_STATUS", "HEADER", "FOOTER"]

#: a record: the data's length and its masked CRC, the data, the data's masked CRC
HEADER = struct.Struct("<QI")
FOOTER = struct.Struct("<I")

_lock = threading.Lock()
_PACKAGE = "tensorboardX"


def tbx_module(name: str) -> Any:
    """The module ``tensorboardX.<name>``: ``proto.event_pb2``, ``proto.summary_pb2``, ``summary``, ..."""
    return _without_package_init(_PACKAGE, name)


def _without_package_init(package: str, name: str) -> Any:
    """The module ``<package>.<name>``, loaded without running ``<package>/__init__.py`` (what that file
    imports is not needed here); the package's own modules when it is imported already."""
    full = f"{package}.{name}"
    module = sys.modules.get(full)
    if module is not None:
        return module
    with _lock:
        if package in sys.modules:
            return importlib.import_module(full)
        spec = importlib.util.find_spec(package)
        if spec is None or spec.submodule_search_locations is None:
            raise ImportError(f"{package} is not installed: pip install {package}")
        placeholder = types.ModuleType(package)
        placeholder.__path__ = list(spec.submodule_search_locations)
        sys.modules[package] = placeholder
        try:
            return importlib.import_module(full)
        finally:
            # a later `import <package>` runs the real package, which finds these modules loaded
            if sys.modules.get(package) is placeholder:
                del sys.modules[package]


@functools.lru_cache(maxsize=None)
def _crc32c() -> Any:
    # crc32c's __init__ also imports its command line and importlib.metadata (for its __version__): 0.1 s
    try:
        return _without_package_init("crc32c", "_crc32c").crc32c
    except (ImportError, AttributeError):
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


# -- the messages a run writes, encoded in protobuf's wire format ---------------------------------------
# (field numbers of tensorboardX/proto/{event,summary,tensor,tensor_shape,plugin_hparams}.proto and
# google/protobuf/struct.proto; proto3: a field left at its default is not written, a oneof member is)

#: the status codes of the HParams dashboard's session end (tensorboardX/proto/api.proto)
HPARAMS_STATUS = {"STATUS_UNKNOWN": 0, "STATUS_SUCCESS": 1, "STATUS_FAILURE": 2, "STATUS_RUNNING": 3}
_DOUBLE, _FLOAT = struct.Struct("<d"), struct.Struct("<f")
_SMALL = [bytes((number,)) for number in range(0x80)]
_DT_STRING = 7  # tensorboardX/proto/types.proto
_SESSION_START = 1  # SessionLog.START


def _varint(number: int) -> bytes:
    if 0 <= number < 0x80:
        return _SMALL[number]
    number &= (1 << 64) - 1  # a negative int64 as its two's complement
    out = bytearray()
    while number > 0x7F:
        out.append(number & 0x7F | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


def _bytes(field: int, data: bytes) -> bytes:
    """A length-delimited field: a string, bytes or a message."""
    return _varint(field << 3 | 2) + _varint(len(data)) + data


def _text(field: int, text: str) -> bytes:
    return _bytes(field, text.encode("utf-8"))


def _number(field: int, number: int) -> bytes:
    return _varint(field << 3) + _varint(number)


def _double(field: int, number: float) -> bytes:
    return _varint(field << 3 | 1) + _DOUBLE.pack(number)


def event(wall_time: float, step: int = 0, *, summary: Optional[bytes] = None, file_version: Optional[str] = None,
          session_start: bool = False) -> bytes:
    """A serialized Event: at ``wall_time`` and ``step``, holding a serialized Summary, the file's
    version, or a session log's START (which hides the events of this step and later written before)."""
    out = (_double(1, wall_time) if wall_time else b"") + (_number(2, step) if step else b"")
    if file_version is not None:
        out += _text(3, file_version)
    if summary is not None:
        out += _bytes(5, summary)
    if session_start:
        out += _bytes(7, _number(1, _SESSION_START))
    return out


def _float32(number: float) -> bytes:
    """``number`` rounded to float32, infinite beyond its range (as protobuf stores a float)."""
    try:
        return _FLOAT.pack(number)
    except OverflowError:
        return _FLOAT.pack(math.copysign(math.inf, number))


@functools.lru_cache(maxsize=4096)
def _scalar_start(tag: str) -> bytes:
    """What comes before a scalar's value in a Summary: the Value's key and length (its tag, then
    the simple_value's key and 4 bytes), its tag, the simple_value's key. A run logs the same keys
    at every row."""
    tag_field = _text(1, tag)
    return _varint(1 << 3 | 2) + _varint(len(tag_field) + 5) + tag_field + _varint(2 << 3 | 5)


def scalars_summary(values: Iterable[Tuple[str, float]]) -> bytes:
    """A serialized Summary of scalars: ``(tag, value)``, each value stored as a float32."""
    return b"".join(_scalar_start(tag) + _float32(value) for tag, value in values)


def _plugin_value(tag: str, plugin: str, content: bytes, tensor: bytes = b"") -> bytes:
    """A serialized Summary of one value for a TensorBoard plugin (its name and data say which dashboard
    shows it), with a serialized TensorProto."""
    plugin_data = _text(1, plugin) + (_bytes(2, content) if content else b"")
    value = _text(1, tag) + (_bytes(8, tensor) if tensor else b"") + _bytes(9, _bytes(1, plugin_data))
    return _bytes(1, value)


def text_summary(tag: str, text: str) -> bytes:
    """A serialized Summary the Text dashboard shows under ``tag`` (markdown)."""
    shape = _bytes(2, _number(1, 1))  # one dimension of size 1
    tensor = _number(1, _DT_STRING) + _bytes(2, shape) + _bytes(8, text.encode("utf-8"))
    return _plugin_value(f"{tag}/text_summary", "text", b"", tensor)  # TextPluginData(version=0): no bytes


def hparams_start_summary(hparams: Dict[str, Union[str, bool, int, float, None]]) -> bytes:
    """The HParams dashboard's session start, serialized: the run's parameters (numbers as float64; None
    left out)."""
    entries = b""
    for key, value in hparams.items():
        if isinstance(value, str):
            kind = _text(3, value)
        elif isinstance(value, bool):
            kind = _number(4, int(value))
        elif isinstance(value, (int, float)):
            kind = _double(2, float(value))
        else:
            continue
        entries += _bytes(1, _text(1, key) + _bytes(2, kind))  # a map entry: key, google.protobuf.Value
    return _plugin_value("_hparams_/session_start_info", "hparams", _bytes(3, entries))


def hparams_end_summary(status: str) -> bytes:
    """The HParams dashboard's session end with the status (``STATUS_SUCCESS``, ``STATUS_FAILURE``, ...),
    serialized."""
    code = HPARAMS_STATUS[status]
    return _plugin_value("_hparams_/session_end_info", "hparams", _bytes(4, _number(1, code) if code else b""))
