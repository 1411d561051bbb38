"""The JSON records of an item: ``params.json`` and ``run.json``.

Both are written atomically (temporary file + rename), so a reader never sees
half a record and a crash never destroys the previous one.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Union

__all__ = ["REPR_MARKER", "to_jsonable", "lookup_param", "write_json_atomic", "read_json"]

#: a value JSON cannot hold is stored as ``{REPR_MARKER: repr(value)}``
REPR_MARKER = "__rla_repr__"

RUN_STATUSES = ("running", "finished", "failed", "killed")


def to_jsonable(value: Any) -> Any:
    """``value`` as plain JSON: containers recursed, numpy/torch scalars unwrapped,
    anything else kept as its repr under :data:`REPR_MARKER`."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {REPR_MARKER: repr(value)}
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "ndim", 0) == 0:
        try:
            return to_jsonable(item())
        except (ValueError, RuntimeError, TypeError):
            pass
    tolist = getattr(value, "tolist", None)  # numpy arrays
    if tolist is not None and getattr(value, "ndim", 0) > 0 and getattr(value, "size", 1e9) <= 1000:
        return to_jsonable(tolist())
    return {REPR_MARKER: repr(value)}


def lookup_param(params: Any, dotted_key: str) -> Any:
    """``params[dotted_key]``, or the nested value ``params[a][b]`` for ``"a.b"``; KeyError if absent.

    Attributes are followed too, so namespaces and dataclasses nested in dicts work.
    """
    if isinstance(params, Mapping) and dotted_key in params:
        return params[dotted_key]
    value = params
    for part in dotted_key.split("."):
        if isinstance(value, Mapping):
            if part not in value:
                raise KeyError(dotted_key)
            value = value[part]
        elif hasattr(value, part):
            value = getattr(value, part)
        else:
            raise KeyError(dotted_key)
    return value


def write_json_atomic(path: Union[str, os.PathLike], data: Any) -> None:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, sort_keys=False)
        f.write("\n")
    os.replace(tmp, path)


def read_json(path: Union[str, os.PathLike]) -> Optional[Dict[str, Any]]:
    """The record at ``path``, or ``None`` when it is missing or unreadable."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None
