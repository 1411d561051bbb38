"""The records of a W&B run file (``run-<id>.wandb``), read from the file alone: no W&B service, no network.

The file is W&B's header (``:W&B``, the magic number 0xBEE1, version 0) then a
LevelDB-style log: blocks of 32 KiB holding chunks, each a 7-byte header (the
CRC-32 of its type byte and data, the data's length, its type: full, first,
middle or last) and its data; a block's last bytes, too few for a header, are
zeros. A record is one full chunk, or a first chunk, middles and a last, and its
data is a ``Record`` of W&B's own protobuf schema (``wandb.proto``). Current
releases of the wandb package read these files in their Go service only, so the
framing is read here and the messages with the package's classes.
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any, List, Optional, Tuple

__all__ = ["read_records", "history_value"]

_FILE_HEADER = struct.Struct("<4sHB")
_IDENT, _MAGIC, _VERSION = b":W&B", 0xBEE1, 0
_CHUNK = struct.Struct("<IHB")
_BLOCK = 32768
_FULL, _FIRST, _MIDDLE, _LAST = 1, 2, 3, 4
#: the CRC of each chunk type's byte: a chunk's CRC starts from it
_TYPE_CRC = {kind: zlib.crc32(bytes([kind])) for kind in (_FULL, _FIRST, _MIDDLE, _LAST)}


def read_records(path: Path) -> Tuple[List[Any], Optional[str]]:
    """Every whole record of the file, in order, as ``wandb_internal_pb2.Record`` messages, and where the file
    is damaged (None when it is not; a record still being written at its end is no damage)."""
    from wandb.proto import wandb_internal_pb2

    data = path.read_bytes()
    if len(data) < _FILE_HEADER.size or _FILE_HEADER.unpack_from(data) != (_IDENT, _MAGIC, _VERSION):
        return [], "it does not start as a W&B run file (:W&B, version 0)"
    records: List[Any] = []
    pending: List[bytes] = []
    at = _FILE_HEADER.size
    while True:
        room = _BLOCK - at % _BLOCK
        if room < _CHUNK.size:
            at += room  # the block's tail: too small for a chunk
            continue
        if at + _CHUNK.size > len(data):
            return records, None
        crc, length, kind = _CHUNK.unpack_from(data, at)
        if kind == 0 and length == 0 and crc == 0:
            return records, None  # zeros written ahead of the data (a file still being written)
        end = at + _CHUNK.size + length
        if end > len(data):
            return records, None  # the writer is still writing this chunk
        chunk = data[at + _CHUNK.size:end]
        if kind not in _TYPE_CRC or zlib.crc32(chunk, _TYPE_CRC[kind]) != crc or length > room - _CHUNK.size:
            return records, f"it is damaged at byte {at}"
        if kind in (_FULL, _FIRST):
            pending = [chunk]
        elif pending:
            pending.append(chunk)
        else:
            return records, f"it is damaged at byte {at} (a record's middle without its start)"
        if kind in (_FULL, _LAST):
            record = wandb_internal_pb2.Record()  # type: ignore[attr-defined]  # re-exported per protobuf version
            try:
                record.ParseFromString(b"".join(pending))
            except Exception:  # protobuf's DecodeError: the bytes are no record
                return records, f"it is damaged at byte {at} (not a W&B record)"
            records.append(record)
            pending = []
        at = end


def history_value(item: Any) -> Any:
    """The value of a history, summary or config item: its typed field, else its JSON."""
    import json

    kind = item.WhichOneof("value") if any(f.name == "value" for f in item.DESCRIPTOR.oneofs) else None
    if kind == "none":
        return None
    if kind == "json":
        return json.loads(item.json)
    if kind is not None:
        return getattr(item, kind)
    return json.loads(item.value_json) if item.value_json else None
