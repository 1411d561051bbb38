"""Checkpoints RLA 0.6 wrote straight into an item's checkpoint folder, read by the same Saver API.

0.6 had no index and no per-checkpoint folder:

- torch: ``torch.save(model_dict, "<checkpoint>/checkpoint_<step>.pt")`` (also ``checkpoint-<step>.pt``);
  the state is whatever was saved, usually ``{name: state_dict}``;
- tensorflow 1: a ``tf.train.Saver`` prefix ``<checkpoint>/checkpoint-<step>`` (``.index``, ``.data-*``,
  ``.meta``); tensorflow 2: ``tf.train.Checkpoint.save`` prefixes ``checkpoint_<step>-<n>``.

:func:`legacy_saver` returns a read-only :class:`LegacySaver` for such a folder
(and ``None`` for a folder this release wrote), so ``exp_manager.load_checkpoint``
and ``ExperimentLoader.load_from_record_date`` load both.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Union

from RLA.easy_log.checkpoint import INDEX_FILE, Checkpoint, Saver, TF1Saver
from RLA.errors import NoDataError, UsageError

__all__ = ["LegacySaver", "legacy_saver"]

_TORCH_FILE = re.compile(r"^(?P<name>.+?)[-_](?P<step>-?\d+)\.pt$")
_TF_INDEX = re.compile(r"^(?P<prefix>(?P<name>.+?)[-_](?P<step>-?\d+)(?:-\d+)?)\.index$")


def _legacy_entries(directory: Path) -> List[Dict[str, Any]]:
    entries = []
    for name in os.listdir(directory):
        match = _TORCH_FILE.match(name) or _TF_INDEX.match(name)
        if match:
            kind = "torch" if name.endswith(".pt") else "tensorflow"
            target = name if kind == "torch" else match["prefix"]
            entries.append({"step": int(match["step"]), "name": target, "metric": None, "kind": kind})
    return sorted(entries, key=lambda e: e["step"])


class LegacySaver(Saver):
    """Loads (never saves) the checkpoints RLA 0.6 wrote; the meta data of this release is absent."""

    framework = "rla-0.6"

    def __init__(self, directory: Union[str, os.PathLike], var_prefix: Optional[str] = None):
        super().__init__(directory, max_to_keep=None)
        self.var_prefix = var_prefix

    def read_index(self) -> Dict[str, Any]:
        entries = _legacy_entries(self.directory)
        return {"framework": self.framework, "checkpoints": entries,
                "latest": entries[-1]["name"] if entries else None, "mode": None}

    def _entry(self, step: Optional[int], index: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        entries = index["checkpoints"]
        if step is None:
            return entries[-1] if entries else None
        return next((e for e in reversed(entries) if e["step"] == step), None)

    def save(self, *args: Any, **kwargs: Any) -> Path:
        raise UsageError(f"{self.directory} holds checkpoints of RLA 0.6; save new checkpoints in a new run "
                         "(fork it with ExperimentLoader) rather than beside them")

    def load(self, step: Optional[int] = None, model_dict: Optional[Mapping[str, Any]] = None) -> Checkpoint:
        path, entry = self._folder(step)
        if entry["kind"] == "torch":
            state = self._read_torch(path, model_dict)
        else:
            state = self._read_tensorflow(path, model_dict)
        return Checkpoint(step=entry["step"], state=state, meta={"time_step": entry["step"]})

    def load_meta(self, step: Optional[int] = None) -> Dict[str, Any]:
        """Only the time-step: 0.6 saved no logger, RNG or custom data beside the model."""
        _, entry = self._folder(step)  # a missing step still raises
        return {"time_step": entry["step"]}

    @staticmethod
    def _read_torch(path: Path, model_dict: Optional[Mapping[str, Any]]) -> Any:
        import torch

        state = torch.load(path, map_location="cpu", weights_only=False)  # the user's own 0.6 pickle
        for name, obj in (model_dict or {}).items():
            if not isinstance(state, dict) or name not in state:
                raise NoDataError(f"{path.name} has no {name!r}; it holds "
                                  f"{sorted(state) if isinstance(state, dict) else type(state).__name__}")
            saved = state[name]
            if hasattr(obj, "load_state_dict"):
                obj.load_state_dict(saved.state_dict() if hasattr(saved, "state_dict") else saved)
        return state

    def _read_tensorflow(self, prefix: Path, model_dict: Optional[Mapping[str, Any]]) -> Any:
        import tensorflow as tf

        if tf.compat.v1.get_default_session() is not None:  # a TF1 graph, as 0.6's tf.train.Saver wrote
            reader = TF1Saver(self.directory, var_prefix=self.var_prefix or "")
            session, saver = reader._session_and_saver()
            saver.restore(session, str(prefix))
            return dict(zip([v.name for v in reader._variables], session.run(reader._variables)))
        if model_dict:
            tf.train.Checkpoint(**model_dict).read(str(prefix)).expect_partial()
            return dict(model_dict)
        reader = tf.train.load_checkpoint(str(prefix))
        return {key: reader.get_tensor(key) for key in reader.get_variable_to_shape_map()}


def legacy_saver(directory: Union[str, os.PathLike], var_prefix: Optional[str] = None) -> Optional[LegacySaver]:
    """A :class:`LegacySaver` when ``directory`` holds only RLA 0.6 checkpoints, else ``None``."""
    folder = Path(directory)
    if not folder.is_dir() or (folder / INDEX_FILE).exists() or Saver(folder).steps():
        return None
    return LegacySaver(folder, var_prefix) if _legacy_entries(folder) else None
