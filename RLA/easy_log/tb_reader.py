"""TensorBoard event files read back: while their writer still writes them (``rla run``), and whole
(``rla import``).

An event file is a sequence of TFRecords (length, its masked CRC, the
serialized ``Event``, its masked CRC). :class:`EventFileTail` returns the
records completed since its last read and never a half-written one, copying
their bytes to an optional file as it goes (the copy is always a valid event
file). The ``*_of`` functions turn an event into scalars, images,
hyper-parameters and how the run ended (the HParams plugin) or a text table of
parameters (CleanRL's ``hyperparameters``), whichever writer made it:
torch.utils.tensorboard, tensorboardX, tf.summary (tensor summaries), SB3 or flax/clu.
"""
from __future__ import annotations

import os
import re
import struct
from pathlib import Path
from typing import Any, BinaryIO, Dict, List, Optional, Tuple

from RLA.db.layout import EVENT_FILE_PREFIX, result_name
from RLA.easy_log.tb_events import FOOTER, HEADER, masked_crc32c, tbx_module

__all__ = ["EventFileTail", "scalars_of", "images_of", "image_file_name", "hparams_of", "session_end_status_of",
           "text_params_of", "texts_of", "params_in_text", "starts_session", "is_event_file", "opened_at"]

#: a record longer than this is a damaged length field, not a record (TensorBoard's own limit is lower)
_MAX_RECORD = 1 << 30
#: tensor dtypes (tensorflow's DataType enum) a scalar summary may carry, and how to unpack tensor_content
_TENSOR_FORMATS = {1: "<f", 2: "<d", 3: "<i", 9: "<q", 19: "<e"}
#: a markdown table row ``|key|value|``
_TABLE_ROW = re.compile(r"^\s*\|([^|]*)\|(.*)\|\s*$")
#: an image's first bytes -> the suffix of its file
_IMAGE_SUFFIXES = ((b"\x89PNG", ".png"), (b"\xff\xd8", ".jpg"), (b"GIF8", ".gif"))
#: what torch's and tensorboardX's ``add_text`` append to a text's tag
_TEXT_TAG_END = re.compile(r"/text_summary$")
#: an argparse Namespace as ``str(args)`` writes it (what Tianshou's examples log as text)
_NAMESPACE = re.compile(r"^\s*Namespace\((.*)\)\s*$", re.S)


#: how the HParams plugin's session end statuses (SUCCESS, FAILURE, RUNNING) read as a run's status
_SESSION_STATUSES = {1: "finished", 2: "failed", 3: "running"}


def is_event_file(name: str) -> bool:
    return name.startswith(EVENT_FILE_PREFIX)


def opened_at(path: Path) -> Optional[float]:
    """When the writer of an event file opened it: the wall time of its first event, None if unreadable."""
    try:
        with open(path, "rb") as f:
            head = f.read(HEADER.size)
            if len(head) < HEADER.size or not EventFileTail._length_ok(head, 0):
                return None
            length, _ = HEADER.unpack_from(head, 0)
            body = f.read(min(length, _MAX_RECORD))
        event = tbx_module("proto.event_pb2").Event()
        event.ParseFromString(body)
    except Exception:  # unreadable or not an event: nothing to tell
        return None
    return float(event.wall_time) or None


class EventFileTail:
    """The records an event file gained since the last :meth:`read`, from ``offset`` on."""

    def __init__(self, path: Path, offset: int = 0, copy_to: Optional[Path] = None):
        self.path = path
        self.offset = offset
        self.copy_to = copy_to
        #: bytes after the last complete record were not a record (a damaged file): reading stopped there
        self.damaged = False
        self._copy: Optional[BinaryIO] = None

    def read(self, limit: Optional[int] = None) -> List[Any]:
        """The ``Event`` messages completed since the last call (none if the file is unchanged); with a
        ``limit``, those in about that many bytes (at least one record), the next call going on from there."""
        event_pb2 = tbx_module("proto.event_pb2")
        if self.damaged:
            return []
        try:
            size = os.path.getsize(self.path)
        except OSError:
            return []
        if size <= self.offset:
            return []
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            data = f.read(size - self.offset if limit is None else min(size - self.offset, limit))
            if len(data) >= HEADER.size:  # a first record longer than the limit is read whole
                first = HEADER.size + HEADER.unpack_from(data, 0)[0] + FOOTER.size
                if len(data) < first <= min(size - self.offset, _MAX_RECORD):
                    data += f.read(first - len(data))
        # the loop runs once per record of files of millions: its names are bound locally
        parse, unpack, header, footer, total = event_pb2.Event.FromString, HEADER.unpack_from, HEADER.size, \
            FOOTER.size, len(data)
        events: List[Any] = []
        used = 0
        while used + header <= total:
            length, length_crc = unpack(data, used)
            end = used + header + length + footer
            if length > _MAX_RECORD or masked_crc32c(data[used:used + 8]) != length_crc:
                self.damaged = True
                break
            if end > total:
                break  # the writer is still writing this record
            try:
                events.append(parse(data[used + header:end - footer]))
            except Exception:  # a damaged record: keep what came before, read no further
                self.damaged = True
                break
            used = end
        if used:
            self._copy_bytes(data[:used])
            self.offset += used
        return events

    @staticmethod
    def _length_ok(data: bytes, at: int) -> bool:
        _, crc = HEADER.unpack_from(data, at)
        return masked_crc32c(data[at:at + 8]) == crc

    def _copy_bytes(self, chunk: bytes) -> None:
        if self.copy_to is None:
            return
        if self._copy is None:
            self.copy_to.parent.mkdir(parents=True, exist_ok=True)
            self._copy = open(self.copy_to, "ab")
        self._copy.write(chunk)
        self._copy.flush()

    def close(self) -> None:
        if self._copy is not None:
            self._copy.close()
            self._copy = None


def _plugin(value: Any) -> str:
    return str(value.metadata.plugin_data.plugin_name) if value.HasField("metadata") else ""


def _tensor_scalar(tensor: Any) -> Optional[float]:
    if len(tensor.tensor_shape.dim) > 0 and any(d.size != 1 for d in tensor.tensor_shape.dim):
        return None
    for values in (tensor.float_val, tensor.double_val, tensor.int_val, tensor.int64_val):
        if len(values) == 1:
            return float(values[0])
    fmt = _TENSOR_FORMATS.get(int(tensor.dtype))
    if fmt is not None and len(tensor.tensor_content) == struct.calcsize(fmt):
        return float(struct.unpack(fmt, tensor.tensor_content)[0])
    return None


def scalars_of(event: Any) -> List[Tuple[str, float]]:
    """``(tag, value)`` of every scalar the event holds: ``simple_value`` or a one-element tensor of the
    scalars plugin (tf.summary in TF2, clu)."""
    if not event.HasField("summary"):
        return []
    found = []
    for value in event.summary.value:
        kind = value.WhichOneof("value")
        if kind == "simple_value":
            found.append((value.tag, value.simple_value))
        elif kind == "tensor" and _plugin(value) in ("scalars", ""):
            scalar = _tensor_scalar(value.tensor)
            if scalar is not None:
                found.append((value.tag, scalar))
    return found


def images_of(event: Any) -> List[Tuple[str, bytes]]:
    """``(tag, encoded image)`` of every image the event holds: an image summary (``add_image``,
    ``add_figure``) or the images plugin's tensor (tf.summary.image: width, height, then the images)."""
    if not event.HasField("summary"):
        return []
    found = []
    for value in event.summary.value:
        kind = value.WhichOneof("value")
        if kind == "image" and value.image.encoded_image_string:
            found.append((value.tag, bytes(value.image.encoded_image_string)))
        elif kind == "tensor" and _plugin(value) == "images":
            images = value.tensor.string_val[2:]
            found += [(value.tag if len(images) == 1 else f"{value.tag}/{i}", bytes(image))
                      for i, image in enumerate(images)]
    return found


def image_file_name(tag: str, step: int, image: bytes) -> str:
    """Where an image of the events is kept in an item's ``results/``: its tag's folders, then
    ``<step>-<name>`` as the logger names figures, with the suffix its bytes say."""
    return result_name(tag, step, next((s for magic, s in _IMAGE_SUFFIXES if image.startswith(magic)), ".png"))


def _hparams_data(event: Any) -> List[Any]:
    """The HParams plugin messages the event holds."""
    if not event.HasField("summary"):
        return []
    found = []
    for value in event.summary.value:
        if _plugin(value) != "hparams":
            continue
        data = tbx_module("proto.plugin_hparams_pb2").HParamsPluginData()
        try:
            data.ParseFromString(value.metadata.plugin_data.content)
        except Exception:  # a damaged message says nothing
            continue
        found.append(data)
    return found


def hparams_of(event: Any) -> Optional[Dict[str, Any]]:
    """The hyper-parameters of an HParams ``session_start_info`` event (``add_hparams``), else None."""
    for data in _hparams_data(event):
        if not data.HasField("session_start_info"):
            continue
        params: Dict[str, Any] = {}
        for name, param in data.session_start_info.hparams.items():
            kind = param.WhichOneof("kind")
            if kind == "number_value":
                number = param.number_value
                params[name] = int(number) if float(number).is_integer() else number
            elif kind == "string_value":
                params[name] = param.string_value
            elif kind == "bool_value":
                params[name] = param.bool_value
        return params
    return None


def session_end_status_of(event: Any) -> Optional[str]:
    """How the run ended as an HParams ``session_end_info`` event says (``finished``, ``failed``,
    ``running``; the plugin has no word for a killed run), else None."""
    for data in _hparams_data(event):
        if data.HasField("session_end_info"):
            return _SESSION_STATUSES.get(int(data.session_end_info.status))
    return None


def starts_session(event: Any) -> bool:
    """Whether the event is a ``SessionLog.START``: the writer (re)started at its step, and TensorBoard
    drops the events of earlier sessions at that step or later (a restart after a crash, ``purge_step``)."""
    return event.HasField("session_log") and int(event.session_log.status) == 1


def texts_of(event: Any) -> List[Tuple[str, str]]:
    """``(tag, text)`` of every text summary the event holds (``add_text``, ``tf.summary.text``)."""
    if not event.HasField("summary"):
        return []
    return [(_TEXT_TAG_END.sub("", value.tag), value.tensor.string_val[0].decode("utf-8", "replace"))
            for value in event.summary.value if _plugin(value) == "text" and value.tensor.string_val]


def params_in_text(text: str) -> Optional[Dict[str, Any]]:
    """The parameters a text summary carries: the ``|key|value|`` rows of a markdown table (CleanRL's
    ``hyperparameters``; cells as text), or the arguments of an argparse ``Namespace(...)`` printed
    whole (values as written); None for any other text."""
    rows: Dict[str, Any] = {}
    for line in text.splitlines():
        match = _TABLE_ROW.match(line)
        if not match:
            continue
        key, cell = match.group(1).strip(), match.group(2).strip()
        if not key or set(key) <= set("-: ") or (key, cell) == ("param", "value"):
            continue
        rows[key] = cell
    if rows:
        return rows
    namespace = _NAMESPACE.match(text)
    return _namespace_params(namespace.group(1)) if namespace else None


def _namespace_params(arguments: str) -> Optional[Dict[str, Any]]:
    """``a=1, b='x'`` as ``{"a": 1, "b": "x"}``; None unless every argument is a plain value."""
    import ast

    try:
        call = ast.parse(f"f({arguments})", mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return None
    if not isinstance(call, ast.Call) or call.args:
        return None
    params: Dict[str, Any] = {}
    for keyword in call.keywords:
        try:
            value = ast.literal_eval(keyword.value)
        except (ValueError, TypeError, SyntaxError, RecursionError):
            return None
        if keyword.arg is None:
            return None
        params[keyword.arg] = value
    return params or None


def text_params_of(event: Any, tag: str = "hyperparameters") -> Optional[Dict[str, Any]]:
    """The ``|key|value|`` rows of a text summary named ``tag`` (CleanRL logs its flags so), as strings."""
    for text_tag, text in texts_of(event):
        if text_tag.split("/")[0] == tag:
            return params_in_text(text)
    return None
