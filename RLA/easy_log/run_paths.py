"""Where the current run's files are: the path properties of the experiment manager."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional, Union

from RLA.db.layout import Item
from RLA.errors import RunNotStartedError

__all__ = ["RunPaths"]


class RunPaths:
    """The folders and names of the current run's item (``item`` is set when a run starts)."""

    item: Optional[Item]
    data_root: Optional[str]

    def _item_or_raise(self) -> Item:
        if self.item is None:
            raise RunNotStartedError("no run yet: call exp_manager.configure(...) then log_files_gen()")
        return self.item

    @property
    def log_dir(self) -> str:
        return str(self._item_or_raise().log_dir)

    @property
    def code_dir(self) -> str:
        return str(self._item_or_raise().code_dir)

    @property
    def checkpoint_dir(self) -> str:
        return str(self._item_or_raise().checkpoint_dir)

    @property
    def results_dir(self) -> str:
        return str(self._item_or_raise().results_dir)

    @property
    def hyperparameter_dir(self) -> str:
        """The run's parameters as ``parameter.json`` (RLA 0.6's folder; made on first use, then kept
        up to date with params.json)."""
        item = self._item_or_raise()
        if not item.hyperparameter_dir.is_dir():
            item.hyperparameter_dir.mkdir(parents=True)
            self._write_params()
        return str(item.hyperparameter_dir)

    @property
    def tmp_data_dir(self) -> str:
        """Scratch data of the run (replay buffers, datasets), kept with its item; made on first use."""
        item = self._item_or_raise()
        item.tmp_data_dir.mkdir(parents=True, exist_ok=True)
        return str(item.tmp_data_dir)

    def _write_params(self) -> None:
        raise NotImplementedError

    def update_log_files_location(self, root: Union[str, os.PathLike]) -> None:
        """RLA 0.6's way to re-point a manager read back from a database that was copied or moved
        (its pickle still names the old place) at the same item under ``root``."""
        self.data_root = os.path.abspath(os.fspath(root))
        self.item = self._item_or_raise().moved(root=Path(self.data_root))

    @property
    def pkl_file(self) -> str:
        return str(self._item_or_raise().pickle_file)

    @property
    def log_name(self) -> str:
        return self._item_or_raise().name

    @property
    def record_date(self) -> str:
        """``YYYY/MM/DD/<log_name>``: what ExperimentLoader and the tools take."""
        return self._item_or_raise().record_date

    @property
    def item_index(self) -> str:
        return self._item_or_raise().index
