"""Where the current run's files are: the path properties of the experiment manager."""
from __future__ import annotations

from typing import Optional

from RLA.db.layout import Item
from RLA.errors import RunNotStartedError

__all__ = ["RunPaths"]


class RunPaths:
    """The folders and names of the current run's item (``item`` is set when a run starts)."""

    item: Optional[Item]

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
