"""RLA 0.6's small helpers (``from RLA.utils.utils import load_yaml``), over the standard library and PyYAML."""
from __future__ import annotations

import os
from typing import Any, Dict, Optional


def load_yaml(path: str) -> Any:
    """The YAML document at ``path`` (safe loading: no Python objects are built from it)."""
    import yaml

    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def get_dir_seperator() -> str:
    return os.sep


def set_or_append(dict_obj: Dict[Any, Any], key: Any, value: Any) -> None:
    dict_obj.setdefault(key, []).append(value)


def set_or_keep(dict_obj: Dict[Any, Any], key: Any, value: Any) -> None:
    dict_obj.setdefault(key, value)


def optional_set(new_val: Optional[Any], old_val: Any) -> Any:
    return new_val if new_val is not None else old_val


__all__ = ["load_yaml", "get_dir_seperator", "set_or_append", "set_or_keep", "optional_set"]
