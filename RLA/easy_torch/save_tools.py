"""RLA 0.6's single-file torch checkpoint: ``<checkpoint_dir>/checkpoint.pt``, overwritten at each save.

For rotation, the best checkpoints and exact resumes use ``exp_manager.new_saver`` and
``exp_manager.save_checkpoint`` instead.
"""
from __future__ import annotations

import os
from typing import Any, Dict

from RLA.db.atomic import atomic_writer
from RLA.easy_log.tester import exp_manager

__all__ = ["save_model_dict", "load_checkpoint", "CHECKPOINT_FILE"]

CHECKPOINT_FILE = "checkpoint.pt"


def save_model_dict(model_dict: Dict[str, Any]) -> None:
    """``torch.save(model_dict)`` into the current run's checkpoint folder, atomically."""
    import torch

    os.makedirs(exp_manager.checkpoint_dir, exist_ok=True)
    with atomic_writer(os.path.join(exp_manager.checkpoint_dir, CHECKPOINT_FILE), "wb", encoding=None) as f:
        torch.save(model_dict, f)


def load_checkpoint(tester: Any = None) -> Dict[str, Any]:
    """What :func:`save_model_dict` saved for ``tester`` (default: the current run)."""
    import torch

    folder = (tester or exp_manager).checkpoint_dir
    return torch.load(os.path.join(folder, CHECKPOINT_FILE), weights_only=False)
