"""TensorBoard's event records: the protobuf messages, the summaries of the Text and HParams
dashboards, and the TFRecord framing around each record.

The messages are tensorboardX's generated modules, loaded without running
``tensorboardX/__init__.py``: that file imports its ``SummaryWriter``, which
imports torch (1.5 s and 200 MB before a run's first row, for a JAX or numpy
script too). If tensorboardX is already imported, its modules are used as they are.
The dashboards' summaries are built here from those messages alone: tensorboardX's
``summary`` module imports numpy and more, which a run with only scalars would pay
before its first row (``bench/first_row.py``).
"""
from __future__ import annotations

import functools
import importlib
import importlib.util
import struct
import sys
import threading
import types
from typing import Any, Dict, Union

__all__ = ["tbx_module", "frame", "masked_crc32c", "text_summary", "hparams_start_summary", "hparams_end_summary",
           "HEADER", "FOOTER"]

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


def _plugin_value(tag: str, plugin: str, content: bytes, **fields: Any) -> Any:
    """A summary value for a TensorBoard plugin (its name and data say which dashboard shows it)."""
    summary_pb2 = tbx_module("proto.summary_pb2")
    metadata = summary_pb2.SummaryMetadata(plugin_data=summary_pb2.SummaryMetadata.PluginData(
        plugin_name=plugin, content=content))
    return summary_pb2.Summary.Value(tag=tag, metadata=metadata, **fields)


def text_summary(tag: str, text: str) -> Any:
    """A Summary the Text dashboard shows under ``tag`` (markdown)."""
    tensor_pb2, shape_pb2 = tbx_module("proto.tensor_pb2"), tbx_module("proto.tensor_shape_pb2")
    tensor = tensor_pb2.TensorProto(dtype="DT_STRING", string_val=[text.encode("utf-8")],
                                    tensor_shape=shape_pb2.TensorShapeProto(dim=[shape_pb2.TensorShapeProto.Dim(size=1)]))
    content = tbx_module("proto.plugin_text_pb2").TextPluginData(version=0).SerializeToString()
    return tbx_module("proto.summary_pb2").Summary(value=[_plugin_value(f"{tag}/text_summary", "text", content,
                                                                        tensor=tensor)])


def _hparams_summary(tag: str, **data: Any) -> Any:
    content = tbx_module("proto.plugin_hparams_pb2").HParamsPluginData(version=0, **data).SerializeToString()
    return tbx_module("proto.summary_pb2").Summary(value=[_plugin_value(tag, "hparams", content)])


def hparams_start_summary(hparams: Dict[str, Union[str, bool, int, float, None]]) -> Any:
    """The HParams dashboard's session start: the run's parameters (numbers as float64; None left out)."""
    start = tbx_module("proto.plugin_hparams_pb2").SessionStartInfo()
    for key, value in hparams.items():
        if isinstance(value, str):
            start.hparams[key].string_value = value
        elif isinstance(value, bool):
            start.hparams[key].bool_value = value
        elif isinstance(value, (int, float)):
            start.hparams[key].number_value = float(value)
    return _hparams_summary("_hparams_/session_start_info", session_start_info=start)


def hparams_end_summary(status: str) -> Any:
    """The HParams dashboard's session end with the status (``STATUS_SUCCESS``, ``STATUS_FAILURE``, ...)."""
    end = tbx_module("proto.plugin_hparams_pb2").SessionEndInfo(status=tbx_module("proto.api_pb2").Status.Value(status))
    return _hparams_summary("_hparams_/session_end_info", session_end_info=end)
