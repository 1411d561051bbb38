"""The JSON records of an item (``params.json``, ``run.json``) and the values they hold.

Both are written with :func:`RLA.db.atomic.atomic_write` (durable), so a reader
never sees half a record and a crash never destroys the previous one. The
helpers here turn parameters into JSON, flatten them and look up dotted keys:
every module that needs one of those uses these, and so does every module that reads
parameters from text (a command line, a folder name, another tracker's strings).
"""
from __future__ import annotations

import json
import math
import os
import re
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from RLA.db.atomic import atomic_write
from RLA.errors import UsageError

__all__ = ["REPR_MARKER", "to_jsonable", "unwrap_scalar", "flatten_params", "nest_params", "lookup_param",
           "flat_key_clash", "typed_value", "write_json_atomic", "file_bytes", "read_record", "read_json",
           "read_legacy_params"]

#: a value JSON cannot hold is stored as ``{REPR_MARKER: repr(value)}``
REPR_MARKER = "__rla_repr__"

#: how deep :func:`to_jsonable` follows nested containers (json itself fails near 1000)
MAX_DEPTH = 100
#: what :func:`file_bytes` asks for at once (more than a record's size: one read and the end)
_READ_SIZE = 1 << 16

#: ``stopped``: a scheduler (Ray Tune's ASHA, PBT) ended the run early on purpose; not a failure
RUN_STATUSES = ("running", "finished", "failed", "killed", "stopped")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_INTEGER = re.compile(r"^[+-]?\d+$")
#: values that are never mappings, as JSON makes them
_LEAVES = frozenset([str, int, float, bool, list, type(None)])
#: values whose attributes are not parameters (``"abc".upper`` is no nested key)
_PLAIN = (str, bytes, int, float, bool, list, tuple, type(None))


def unwrap_scalar(value: Any) -> Any:
    """numpy / torch / tensorflow scalars (and one-element arrays) -> python numbers; other values unchanged."""
    if type(value) in (float, int, str, bool):
        return value
    to_numpy = getattr(value, "numpy", None)
    if to_numpy is not None and not hasattr(value, "item"):  # tf.Tensor
        try:
            value = to_numpy()
        except Exception:  # a symbolic tensor has no value: keep it as it is
            return value
    item = getattr(value, "item", None)  # numpy scalar, 1-element array or torch tensor
    if item is not None:
        try:
            return item()
        except (ValueError, RuntimeError, TypeError):
            return value
    return value


def to_jsonable(value: Any, _path: Tuple[int, ...] = ()) -> Any:
    """``value`` as plain JSON: containers recursed, numpy/torch scalars unwrapped,
    anything else kept as its repr under :data:`REPR_MARKER`.

    A container holding itself, or nested deeper than :data:`MAX_DEPTH`, raises
    :class:`UsageError`: JSON cannot hold it and its repr would be as unbounded.
    """
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {REPR_MARKER: repr(value)}
    if isinstance(value, (Mapping, list, tuple)):
        if id(value) in _path:
            raise UsageError(f"a {type(value).__name__} that holds itself cannot be stored as JSON; "
                             "pass a copy without the self-reference")
        if len(_path) >= MAX_DEPTH:
            raise UsageError(f"a value nested deeper than {MAX_DEPTH} levels cannot be stored as JSON; "
                             "flatten it")
        inner = (*_path, id(value))
        if isinstance(value, Mapping):
            out: Dict[str, Any] = {}
            for key, item in value.items():
                if str(key) in out:
                    twin = next(k for k in value if str(k) == str(key))
                    raise UsageError(f"keys {twin!r} and {key!r} both become {str(key)!r} in JSON, which would "
                                     "keep one of them; give them distinct names")
                out[str(key)] = to_jsonable(item, inner)
            return out
        return [to_jsonable(v, inner) for v in value]
    if getattr(value, "ndim", None) == 0:
        scalar = unwrap_scalar(value)
        if scalar is not value:
            return to_jsonable(scalar)
    tolist = getattr(value, "tolist", None)  # numpy arrays
    if tolist is not None and getattr(value, "ndim", 0) > 0 and getattr(value, "size", 1e9) <= 1000:
        return to_jsonable(tolist())
    try:
        return {REPR_MARKER: repr(value)}
    except Exception as exc:  # a user's class: its __repr__ may raise anything
        raise UsageError(f"a {type(value).__name__} cannot be stored: JSON cannot hold it and its repr raised "
                         f"{type(exc).__name__}: {exc}; pass what it is made of (numbers, strings) instead") from None


def flatten_params(params: Mapping[str, Any], sep: str = ".") -> Dict[str, Any]:
    """Nested dicts -> one level with joined keys (``{"optim": {"lr": 1}}`` -> ``{"optim.lr": 1}``).

    A value stored as a repr (``{REPR_MARKER: text}``) becomes that text.
    """
    out: Dict[str, Any] = {}
    for key, value in params.items():
        kind = type(value)
        if kind in _LEAVES:  # most values: spare the Mapping check (an ABC's, slow)
            out[str(key)] = value
            continue
        mapping = kind is dict or isinstance(value, Mapping)  # a dict as JSON holds it: no ABC check either
        if mapping and REPR_MARKER in value:
            out[str(key)] = value[REPR_MARKER]
        elif mapping and value:
            for sub_key, sub_value in flatten_params(value, sep).items():
                out[f"{key}{sep}{sub_key}"] = sub_value
        else:
            out[str(key)] = value
    return out


def typed_value(text: str) -> Any:
    """A parameter written as text as the value it means: ``2`` an int, ``3e-4`` a float, ``true`` a bool,
    ``none`` None; any other text stays text (a command-line word, an MLflow parameter, a table cell)."""
    word = text.strip()
    lowered = word.lower()
    if lowered in ("true", "yes"):
        return True
    if lowered in ("false", "no"):
        return False
    if lowered in ("none", "null", "~"):
        return None
    if _NUMBER.match(word):
        return int(word) if _INTEGER.match(word) else float(word)
    if lowered in ("nan", "inf", "-inf", "+inf"):
        return float(lowered)
    return text


def nest_params(params: Mapping[str, Any], sep: str = ".") -> Dict[str, Any]:
    """Dotted keys as nested dicts, as configs hold them (``{"optim.lr": 1}`` -> ``{"optim": {"lr": 1}}``):
    the inverse of :func:`flatten_params`. A dotted key whose prefix is a parameter of its own
    (``a.b`` beside ``a``) stays flat, so that no value is lost."""
    keys = {str(key) for key in params}
    nested: Dict[str, Any] = {}
    for key, value in params.items():
        parts = str(key).split(sep)
        if any(sep.join(parts[:depth]) in keys for depth in range(1, len(parts))):
            parts = [str(key)]
        target = nested
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    return nested

def flat_key_clash(params: Mapping[str, Any], sep: str = ".") -> Optional[str]:
    """A key that two parameters would share once flattened (``net.lr`` beside ``net={"lr": ...}``:
    listings, ``-w`` and plots could tell them apart no more), or None."""
    seen: set = set()
    for key in _flat_keys(params, sep):
        if key in seen:
            return key
        seen.add(key)
    return None


def _flat_keys(params: Mapping[str, Any], sep: str) -> Iterator[str]:
    for key, value in params.items():
        if isinstance(value, Mapping) and value and REPR_MARKER not in value:
            yield from (f"{key}{sep}{sub}" for sub in _flat_keys(value, sep))
        else:
            yield str(key)


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
        elif not isinstance(value, _PLAIN) and hasattr(value, part):
            value = getattr(value, part)
        else:
            raise KeyError(dotted_key)
    return value


def write_json_atomic(path: Union[str, os.PathLike], data: Any) -> None:
    """Replace the record at ``path`` with ``data``, durably (see :mod:`RLA.db.atomic`)."""
    atomic_write(path, json.dumps(data, indent=2) + "\n")


def read_record(path: Union[str, os.PathLike]) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
    """``(record, None)`` for the JSON record at ``path``; ``(None, None)`` when it is missing;
    ``(None, what is wrong)`` when it is damaged: a folder in its place, a loop of symbolic links,
    bytes that are not UTF-8 or not JSON, nesting deeper than :data:`MAX_DEPTH`, or no object."""
    data, wrong = _read_record(path)
    return data, None if wrong is None else f"{os.path.basename(path)} {wrong}"


def _read_record(path: Union[str, os.PathLike]) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
    """:func:`read_record`, what is wrong said without the file's name (named only then)."""
    try:
        raw = file_bytes(path)
    except (FileNotFoundError, NotADirectoryError):
        return None, None
    except IsADirectoryError:
        return None, "is a folder, not a file"
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror or exc})"
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return None, f"is not UTF-8 text (byte {exc.start})"
    except json.JSONDecodeError as exc:
        return None, f"is not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
    except RecursionError:
        return None, f"nests deeper than {MAX_DEPTH} levels"
    if not isinstance(data, dict):
        return None, f"holds a {type(data).__name__}, not a JSON object"
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and _deeper_than(data, MAX_DEPTH):  # too few to nest deeper
        return None, f"nests deeper than {MAX_DEPTH} levels"
    return data, None


def file_bytes(path: Union[str, os.PathLike]) -> bytes:
    """The bytes of the file at ``path``: for a small file, three system calls (Python's ``open``
    makes nine), which counts when a new index reads three files for each of a million items.
    A short read of a file is its end. A folder at ``path`` raises IsADirectoryError, as ``open``
    does."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks: List[bytes] = []
        while True:
            chunk = os.read(fd, _READ_SIZE)
            chunks.append(chunk)
            if len(chunk) < _READ_SIZE:
                return b"".join(chunks)
    finally:
        os.close(fd)


def read_json(path: Union[str, os.PathLike]) -> Optional[Dict[str, Any]]:
    """The record at ``path``, or ``None`` when it is missing or damaged (:func:`read_record` says how)."""
    return read_record(path)[0]


def _deeper_than(data: Any, depth: int) -> bool:
    """Whether JSON ``data`` nests deeper than ``depth`` containers (walked without recursion)."""
    level: list = [data]
    for _ in range(depth):
        level = [v for c in level for v in (c.values() if isinstance(c, dict) else c) if isinstance(v, (dict, list))]
        if not level:
            return False
    return True


def read_legacy_params(paths: Sequence[Union[str, os.PathLike]]) -> Optional[Dict[str, Any]]:
    """The parameters of the first readable ``parameter.json`` / ``parameter.yaml`` RLA 0.6 wrote
    (:meth:`RLA.db.layout.LogFolder.legacy_params_files`), or ``None``."""
    for path in paths:
        if str(path).endswith(".json"):
            data = read_json(path)
        else:
            import yaml

            try:
                with open(path, encoding="utf-8") as f:
                    data = yaml.safe_load(f)
            except (OSError, yaml.YAMLError):
                data = None
        if isinstance(data, dict):
            return data
    return None
