"""A run's hyper-parameters, the keys tracked in its name, and its custom data: the manager's methods for them."""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Tuple, Union

from RLA.db.records import flatten_params, lookup_param
from RLA.errors import NoDataError, UsageError
from RLA.words import did_you_mean

if TYPE_CHECKING:
    from RLA.db.layout import Item

__all__ = ["RunParams"]


class RunParams:
    """Methods of :class:`ExperimentManager` over ``hyper_param``, ``record_param`` and ``custom_data``."""

    hyper_param: Dict[str, Any]
    record_param: List[str]
    custom_data: Dict[str, Any]
    _record_since_start: List[str]

    if TYPE_CHECKING:  # from the manager: declared for the type checker only, so RunPaths' stay in use
        def _item_or_raise(self) -> Item: ...

        def _write_params(self) -> None: ...

    # -- hyper-parameters ---------------------------------------------------
    def set_hyper_param(self, **kwargs: Any) -> None:
        """Set hyper-parameters for the next ``log_files_gen`` (merged into those already set).

        They stay set for later runs of this process until changed. A run's
        ``params.json`` is written when it starts; to add parameters found
        while it runs, use :meth:`add_run_params`.
        """
        self.hyper_param.update(kwargs)

    def update_hyper_param(self, key: str, value: Any) -> None:
        """Change one hyper-parameter for the next run (a dotted key changes a nested value)."""
        target = self.hyper_param
        parts = key.split(".") if key not in self.hyper_param else [key]
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value

    def add_run_params(self, **kwargs: Any) -> None:
        """Add parameters known only once the run is going (e.g. from a library) to its params.json."""
        self._item_or_raise()
        self.hyper_param.update(kwargs)
        self._write_params()

    def add_record_param(self, keys: Union[str, Iterable[str]]) -> None:
        """Track ``keys`` in the item's name (dotted keys index nested dicts)."""
        for key in [keys] if isinstance(keys, str) else keys:
            if key not in self.record_param:
                self.record_param.append(key)
            if key not in self._record_since_start:
                self._record_since_start.append(key)

    def clear_record_param(self) -> None:
        self.record_param = []
        self._record_since_start = []

    def check_storable(self) -> None:
        """Raise :class:`UsageError`, naming the parameter, when params.json or the run's pickle
        cannot hold a hyper-parameter; called before the run's item is made, so none is left half-made."""
        import dill

        from RLA.db.records import flat_key_clash, to_jsonable

        for key, value in self.hyper_param.items():
            try:
                to_jsonable(value)
            except UsageError as error:
                raise UsageError(f"hyper-parameter {key!r}: {error}") from None
            try:
                dill.dumps(value)
            except Exception as error:  # dill raises whatever the object's reducer raises
                raise UsageError(
                    f"hyper-parameter {key!r} ({type(value).__name__}) cannot be pickled for resuming ({error}); "
                    f"pass what it is made from (a path, a host and port, a seed) instead") from None
        clash = flat_key_clash(to_jsonable(self.hyper_param))
        if clash is not None:
            raise UsageError(f"two hyper-parameters are both named {clash!r} once nested keys are joined with '.' "
                             "(as rla ls, -w and the plots name them): rename one")

    def tracked_params(self) -> List[Tuple[str, Any]]:
        """``(key, value)`` of every tracked parameter, in the order they were added."""
        out = []
        for key in self.record_param:
            try:
                out.append((key, lookup_param(self.hyper_param, key)))
            except KeyError:
                near = did_you_mean(key, flatten_params(self.hyper_param))  # optim.lrr -> optim.lr
                raise NoDataError(
                    f"add_record_param key {key!r} is not a hyper-parameter{near}; set it with "
                    f"set_hyper_param({key.split('.')[0]}=...) first (known: {sorted(self.hyper_param)})"
                ) from None
        return out

    # -- custom data --------------------------------------------------------
    def add_custom_data(self, key: str, data: Any, dtype: type = list, max_len: int = -1,
                        mode: str = "append") -> None:
        """Keep ``data`` with the run (saved with its pickle and checkpoints).

        With ``dtype=list`` (or ``collections.deque``) values accumulate, the oldest dropped beyond
        ``max_len`` when it is positive; otherwise the value is replaced. ``mode="replace"``
        (RLA 0.6) replaces the value whatever ``dtype`` is.
        """
        if mode not in ("append", "replace"):
            raise UsageError(f"add_custom_data mode must be 'append' or 'replace', got {mode!r}")
        if mode == "replace" or not issubclass(dtype, (list, deque)):
            self.custom_data[key] = data
            return
        values = self.custom_data.get(key, [])
        values = self.custom_data[key] = list(values) if isinstance(values, (list, deque)) else [values]
        values.append(data)
        if max_len > 0 and len(values) > max_len:
            del values[: len(values) - max_len]

    def get_custom_data(self, key: str, default: Any = None) -> Any:
        return self.custom_data.get(key, default)
