"""Checkpoints of a run: torch and tensorflow savers with rotation and atomic writes.

Inside an item's ``checkpoint/<...>/<name>/`` folder::

    checkpoints.json     the index: framework, the kept checkpoints in save order, the latest
    ckpt-<step>/         one complete checkpoint
        model.pt         torch: the states of ``model_dict``
        tf.index, tf.data-*   tensorflow (``tf.train.Checkpoint`` or a ``tf.compat.v1`` Saver)
        meta.pkl         time-step, RNG states, custom data, logger position (pickle; dill if needed)

A checkpoint is written into a hidden temporary folder, its files flushed to
disk, published into place and only then entered into the index (all through
:mod:`RLA.db.atomic`): a process killed during a save leaves the previous
checkpoint and the index intact, and a temporary folder the next save removes.
The index write's fsync of the folder makes both renames durable; should a
machine crash still lose the newest folder, loading falls back to the newest
complete one. torch and tensorflow are imported inside the functions that need them.
"""
from __future__ import annotations

import json
import math
import os
import pickle
import random
import re
import shutil
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from RLA import environment
from RLA.db.atomic import free_path, fsync_tree, is_temp_name, publish, reporting_full_disk, temp_path
from RLA.db.records import write_json_atomic
from RLA.errors import CheckpointNotFoundError, ConfigError, NoDataError, UsageError

__all__ = [
    "INDEX_FILE", "META_FILE", "Checkpoint", "CheckpointNotFoundError", "Saver", "TorchSaver",
    "TFSaver", "TF1Saver", "make_saver", "capture_rng", "restore_rng",
]

INDEX_FILE = "checkpoints.json"
META_FILE = "meta.pkl"
PAUSE_ENV = environment.TEST_PAUSE_IN_SAVE.name
_CKPT_DIR = re.compile(r"^ckpt-(?P<step>-?\d+)(?:-\d+)?$")

PathLike = Union[str, os.PathLike]


@dataclass
class Checkpoint:
    """A loaded checkpoint: its time-step, the model states and the run's meta data."""

    step: int
    state: Any
    meta: Dict[str, Any]


def _pickle_meta(meta: Dict[str, Any]) -> bytes:
    """pickle (fast) for the usual meta data; dill for custom data plain pickle cannot hold."""
    try:
        return pickle.dumps(meta, protocol=4)
    except (pickle.PicklingError, TypeError, AttributeError):
        import dill

        return dill.dumps(meta, protocol=4)


def _pause_for_tests(tmp_folder: Path) -> None:
    marker = environment.TEST_PAUSE_IN_SAVE.get()
    if marker:
        Path(marker).write_text(str(tmp_folder), encoding="utf-8")
        threading.Event().wait()


# -- RNG states -------------------------------------------------------------------
def capture_rng() -> Dict[str, Any]:
    """The global RNG states of python, numpy and (when imported) torch."""
    import numpy as np

    states: Dict[str, Any] = {"python": random.getstate(), "numpy": np.random.get_state()}
    torch = sys.modules.get("torch")
    if torch is not None:
        states["torch"] = torch.get_rng_state()
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            states["torch_cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng(states: Mapping[str, Any]) -> None:
    """Set the global RNGs back to states returned by :func:`capture_rng`."""
    import numpy as np

    if "python" in states:
        random.setstate(states["python"])
    if "numpy" in states:
        np.random.set_state(states["numpy"])
    if "torch" in states:
        import torch

        torch.set_rng_state(states["torch"])
        if "torch_cuda" in states and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(states["torch_cuda"])


# -- the savers -----------------------------------------------------------------------
class Saver:
    """Saves and loads the checkpoints of one folder; keeps the last ``max_to_keep``
    and the best ``keep_best`` by metric.

    Subclasses write and read the model states of one framework.
    """

    framework = ""

    def __init__(self, directory: PathLike, max_to_keep: Optional[int] = 10, keep_best: int = 0):
        if max_to_keep is not None and max_to_keep < 1:
            raise UsageError(f"max_to_keep must be at least 1 (or None to keep every checkpoint), got {max_to_keep}")
        if keep_best < 0:
            raise UsageError(f"keep_best must be 0 or more, got {keep_best}")
        self.directory = Path(directory)
        self.max_to_keep = max_to_keep
        self.keep_best = keep_best

    # framework-specific ------------------------------------------------------
    def _write_state(self, folder: Path, model_dict: Mapping[str, Any]) -> None:
        raise NotImplementedError

    def _read_state(self, folder: Path, model_dict: Optional[Mapping[str, Any]]) -> Any:
        raise NotImplementedError

    def _index_extra(self) -> Dict[str, Any]:
        return {}

    # the index ------------------------------------------------------------------
    def read_index(self) -> Dict[str, Any]:
        """The index; rebuilt from the complete checkpoint folders when it is missing."""
        try:
            with open(self.directory / INDEX_FILE, encoding="utf-8") as f:
                return json.load(f)
        except FileNotFoundError:
            entries = [{"step": int(m["step"]), "name": d.name, "metric": None}
                       for d in _subdirs(self.directory) if (m := _CKPT_DIR.match(d.name))]
            entries.sort(key=lambda e: int(e["step"] or 0))  # every step parsed above
            return {"framework": self.framework, "checkpoints": entries,
                    "latest": entries[-1]["name"] if entries else None, "mode": None}

    def steps(self) -> List[int]:
        """The time-steps of the kept checkpoints, in save order."""
        return [e["step"] for e in self.read_index()["checkpoints"]]

    def latest_step(self) -> Optional[int]:
        entry = self._entry(None, self.read_index())
        return None if entry is None else entry["step"]

    def _entry(self, step: Optional[int], index: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        entries = index["checkpoints"]
        if step is not None:
            return next((e for e in reversed(entries) if e["step"] == step), None)
        # the latest; should a machine crash lose its folder, the newest complete one
        latest_last = sorted(entries, key=lambda e: e["name"] == index.get("latest"))
        return next((e for e in reversed(latest_last) if (self.directory / e["name"] / META_FILE).is_file()), None)

    # save -------------------------------------------------------------------------
    def save(self, step: int, model_dict: Optional[Mapping[str, Any]], meta: Dict[str, Any],
             metric: Optional[float] = None, mode: Optional[str] = None) -> Path:
        """Write a checkpoint for ``step`` atomically, enter it in the index, then rotate."""
        if mode not in (None, "max", "min"):
            raise UsageError(f"mode must be 'max' or 'min', got {mode!r}")
        self.directory.mkdir(parents=True, exist_ok=True)
        index = self.read_index()
        if mode is not None and index.get("mode") not in (None, mode):
            raise UsageError(f"this run's checkpoints are ranked with mode={index['mode']!r}; "
                             f"save_checkpoint got mode={mode!r}: use one mode per run")
        tmp = temp_path(self.directory / f"ckpt-{step}")
        final = free_path(self.directory / f"ckpt-{step}")
        try:
            with reporting_full_disk(self.directory):
                tmp.mkdir()
                self._write_state(tmp, dict(model_dict or {}))
                (tmp / META_FILE).write_bytes(_pickle_meta({**meta, "step": step}))
                _pause_for_tests(tmp)
                fsync_tree(tmp)
                publish(tmp, final, durable=False)  # made durable with the index by the index write's folder fsync

                entries = [e for e in index["checkpoints"] if e["step"] != step]
                entries.append({"step": int(step), "name": final.name,
                                "metric": None if metric is None else float(metric)})
                mode = mode or index.get("mode")
                kept = self._rotate(entries, mode or "max")
                new_index = {"framework": self.framework, **self._index_extra(), "checkpoints": kept,
                             "latest": final.name, "mode": mode}
                write_json_atomic(self.directory / INDEX_FILE, new_index)
        except Exception:
            # a save that failed (a full disk) gives back its space and is never taken for a checkpoint
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.rmtree(final, ignore_errors=True)
            raise
        self._remove_unlisted({e["name"] for e in kept})
        return final

    def _rotate(self, entries: List[Dict[str, Any]], mode: str) -> List[Dict[str, Any]]:
        """The entries to keep: the last ``max_to_keep`` and the best ``keep_best``."""
        if self.max_to_keep is None:
            return entries
        keep = {id(e) for e in entries[-self.max_to_keep:]}
        if self.keep_best:
            ranked = [e for e in entries if e["metric"] is not None and not math.isnan(e["metric"])]
            ranked.sort(key=lambda e: e["metric"], reverse=(mode == "max"))
            keep.update(id(e) for e in ranked[: self.keep_best])
        return [e for e in entries if id(e) in keep]

    def _remove_unlisted(self, kept_names: set) -> None:
        """Delete rotated-out checkpoints and leftovers of saves that were killed midway."""
        for folder in _subdirs(self.directory):
            if folder.name in kept_names:
                continue
            if _CKPT_DIR.match(folder.name) or is_temp_name(folder.name):
                shutil.rmtree(folder, ignore_errors=True)

    def drop_after(self, step: int) -> None:
        """Forget the checkpoints saved after ``step``, which becomes the latest (a fork starts there)."""
        _, entry = self._folder(step)
        index = self.read_index()
        kept = [e for e in index["checkpoints"] if e["step"] <= step]
        write_json_atomic(self.directory / INDEX_FILE, {**index, "checkpoints": kept, "latest": entry["name"]})
        self._remove_unlisted({e["name"] for e in kept})

    # load ----------------------------------------------------------------------------
    def load(self, step: Optional[int] = None, model_dict: Optional[Mapping[str, Any]] = None) -> Checkpoint:
        """Load the checkpoint of ``step`` (the latest by default).

        With ``model_dict``, the states are loaded into those objects too.
        """
        import dill

        folder, entry = self._folder(step)
        with open(folder / META_FILE, "rb") as f:
            meta = dill.load(f)
        return Checkpoint(step=entry["step"], state=self._read_state(folder, model_dict), meta=meta)

    def load_meta(self, step: Optional[int] = None) -> Dict[str, Any]:
        """Only the meta data of a checkpoint (no model weights read)."""
        import dill

        folder, _ = self._folder(step)
        with open(folder / META_FILE, "rb") as f:
            return dill.load(f)

    def _folder(self, step: Optional[int]) -> Tuple[Path, Dict[str, Any]]:
        index = self.read_index()
        entry = self._entry(step, index)
        if entry is None:
            kept = [e["step"] for e in index["checkpoints"]]
            what = "no checkpoint" if step is None else f"no checkpoint of step {step}"
            raise CheckpointNotFoundError(
                f"{what} in {self.directory} (kept steps: {kept or 'none'}); "
                "save one with exp_manager.save_checkpoint(...) or pass one of the kept steps as ckp_index")
        return self.directory / entry["name"], entry


class TorchSaver(Saver):
    """torch: modules and optimizers are saved as their ``state_dict()``, anything else as is."""

    framework = "torch"
    STATE_FILE = "model.pt"

    def __init__(self, directory: PathLike, max_to_keep: Optional[int] = 10, keep_best: int = 0,
                 map_location: Any = None):
        super().__init__(directory, max_to_keep, keep_best)
        self.map_location = map_location

    def _write_state(self, folder: Path, model_dict: Mapping[str, Any]) -> None:
        import torch

        states = {name: obj.state_dict() if hasattr(obj, "state_dict") else obj
                  for name, obj in model_dict.items()}
        with open(folder / self.STATE_FILE, "wb") as f:
            torch.save(states, f)

    def _read_state(self, folder: Path, model_dict: Optional[Mapping[str, Any]]) -> Any:
        import torch

        # the run's own checkpoint, written by torch.save: a full unpickle is expected
        states = torch.load(folder / self.STATE_FILE, map_location=self.map_location, weights_only=False)
        for name, obj in (model_dict or {}).items():
            if name not in states:
                raise NoDataError(f"checkpoint {folder.name} has no {name!r}; it holds {sorted(states)}")
            if hasattr(obj, "load_state_dict"):
                obj.load_state_dict(states[name])
        return states


class TFSaver(Saver):
    """tensorflow 2: ``tf.train.Checkpoint`` over the trackables of ``model_dict``
    (keras models, optimizers, ``tf.Variable``, ``tf.Module``)."""

    framework = "tensorflow"
    PREFIX = "tf"

    def _write_state(self, folder: Path, model_dict: Mapping[str, Any]) -> None:
        import tensorflow as tf

        if not model_dict:
            raise UsageError("save_checkpoint needs model_dict={'model': model, ...} of tensorflow trackables")
        tf.train.Checkpoint(**model_dict).write(str(folder / self.PREFIX))

    def _read_state(self, folder: Path, model_dict: Optional[Mapping[str, Any]]) -> Any:
        """Restore into ``model_dict`` (returned); without it, the saved values as numpy arrays.

        Keras 3 optimizers restore their slots only when built: call
        ``optimizer.build(model.trainable_variables)`` before loading.
        """
        import tensorflow as tf

        prefix = str(folder / self.PREFIX)
        if model_dict:
            tf.train.Checkpoint(**model_dict).read(prefix).expect_partial()
            return dict(model_dict)
        reader = tf.train.load_checkpoint(prefix)
        suffix = "/.ATTRIBUTES/VARIABLE_VALUE"
        return {key[: -len(suffix)] if key.endswith(suffix) else key: reader.get_tensor(key)
                for key in reader.get_variable_to_shape_map() if key != "_CHECKPOINTABLE_OBJECT_GRAPH"}


class TF1Saver(Saver):
    """tensorflow 1 style: the global variables named ``var_prefix...`` of the default session."""

    framework = "tensorflow-v1"
    PREFIX = "tf"

    def __init__(self, directory: PathLike, max_to_keep: Optional[int] = 10, keep_best: int = 0,
                 var_prefix: str = ""):
        super().__init__(directory, max_to_keep, keep_best)
        self.var_prefix = var_prefix
        self._tf_saver: Any = None
        self._variables: List[Any] = []

    def _index_extra(self) -> Dict[str, Any]:
        return {"var_prefix": self.var_prefix}

    def _session_and_saver(self) -> Tuple[Any, Any]:
        import tensorflow as tf

        session = tf.compat.v1.get_default_session()
        if session is None:
            raise RuntimeError("a tf.compat.v1 checkpoint needs a default session: call it inside "
                               "`with session.as_default():` (or use tensorflow 2 objects without var_prefix)")
        if self._tf_saver is None:
            self._variables = [v for v in tf.compat.v1.global_variables() if v.name.startswith(self.var_prefix)]
            if not self._variables:
                raise UsageError(f"no global variable is named {self.var_prefix!r}...; check var_prefix")
            self._tf_saver = tf.compat.v1.train.Saver(var_list=self._variables, max_to_keep=None,
                                                      save_relative_paths=True)
        return session, self._tf_saver

    def _write_state(self, folder: Path, model_dict: Mapping[str, Any]) -> None:
        session, saver = self._session_and_saver()
        saver.save(session, str(folder / self.PREFIX), write_meta_graph=False, write_state=False)

    def _read_state(self, folder: Path, model_dict: Optional[Mapping[str, Any]]) -> Any:
        session, saver = self._session_and_saver()
        saver.restore(session, str(folder / self.PREFIX))
        return dict(zip([v.name for v in self._variables], session.run(self._variables)))


def make_saver(framework: str, directory: PathLike, max_to_keep: Optional[int] = 10, keep_best: int = 0,
               var_prefix: Optional[str] = None) -> Saver:
    """The saver for ``DL_FRAMEWORK``: torch, tensorflow 2, or tensorflow 1 with ``var_prefix``."""
    if framework == "torch":
        return TorchSaver(directory, max_to_keep, keep_best)
    if framework == "tensorflow":
        if var_prefix is not None:
            return TF1Saver(directory, max_to_keep, keep_best, var_prefix)
        return TFSaver(directory, max_to_keep, keep_best)
    raise ConfigError(f"checkpoints need DL_FRAMEWORK torch or tensorflow in rla_config.yaml, got {framework!r}")


def _subdirs(path: Path) -> List[Path]:
    try:
        return [p for p in path.iterdir() if p.is_dir()]
    except FileNotFoundError:
        return []
