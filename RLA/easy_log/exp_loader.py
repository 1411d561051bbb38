"""ExperimentLoader: load a trained item's model, fork it into a new item, or read its parameters.

Three ways to reuse an item (recipes in the README):

- load: a new item evaluates the old item's model (``load_from_record_date``);
- fork: a new item starts from a copy of the old item's logs and checkpoints
  (``fork_log_files``, then ``exp_manager.load_checkpoint``);
- continue: the old item itself goes on (``exp_manager.configure(resume=...)``).
"""
from __future__ import annotations

import argparse
import copy
import shutil
from typing import Any, Dict, List, Optional, Sequence, Tuple

from RLA.db.layout import Database, Item, LogFolder
from RLA.db.records import REPR_MARKER, read_json, read_legacy_params
from RLA.db.resolve import resolve_item
from RLA.easy_log import logger
from RLA.easy_log.tester import exp_manager
from RLA.errors import ItemNotFoundError, NoDataError, RunNotStartedError, UsageError

__all__ = ["ExperimentLoader", "exp_loader", "experimental_loader", "resolve_item", "ItemNotFoundError",
           "fork_log_file_fn", "update_hyper_parameters_fn"]


def _has_repr(value: Any) -> bool:
    if isinstance(value, dict):
        return REPR_MARKER in value or any(_has_repr(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_repr(v) for v in value)
    return False


class ExperimentLoader:
    """Reuse the parameters, checkpoints and logs of one item of the database.

    A loader without a record date does nothing (its calls return the current
    run's values), so one script serves both fresh and loaded runs.
    """

    def __init__(self) -> None:
        self.task_name: Optional[str] = exp_manager.hyper_param.get("loaded_task_name")
        self.load_date: Optional[str] = exp_manager.hyper_param.get("loaded_date")
        self.data_root: Optional[str] = exp_manager.data_root
        self._item: Optional[Item] = None

    def config(self, task_name: str, record_date: str, root: str) -> "ExperimentLoader":
        """Point the loader at the item ``record_date`` of table ``task_name`` in database ``root``."""
        self.task_name, self.load_date, self.data_root = task_name, record_date, root
        self._item = None
        return self

    @property
    def is_valid_config(self) -> bool:
        """True once a record date is set; an empty one (``--loaded_date ""``) means a fresh run.

        The task and root default to the current run's.
        """
        if not self.load_date:
            return False
        self.task_name = self.task_name or exp_manager.task_table_name
        self.data_root = self.data_root or exp_manager.data_root
        if not self.task_name or not self.data_root:
            raise UsageError("ExperimentLoader needs task_name and root besides record_date: "
                             "call loader.config(task_name, record_date, root)")
        return True

    @property
    def item(self) -> Item:
        """The loaded item (resolved once)."""
        if not self.is_valid_config:
            raise UsageError("ExperimentLoader has no record date: call loader.config(task_name, record_date, root)")
        if self._item is None:
            assert self.task_name is not None and self.data_root is not None and self.load_date is not None
            self._item = resolve_item(Database(self.data_root), self.task_name, self.load_date,
                                      exclude=exp_manager.item)
        return self._item

    def hyper_parameters(self) -> Dict[str, Any]:
        """The loaded item's hyper-parameters: params.json, or its pickle for values JSON cannot hold."""
        params = read_json(self.item.params_json) or read_legacy_params(
            self.item.log.legacy_params_files() + LogFolder(self.item.hyperparameter_dir).legacy_params_files())
        if params is not None and not _has_repr(params):
            return params
        pickle_path = self.item.pickle_file
        if pickle_path.is_file():
            import dill

            try:
                with open(pickle_path, "rb") as f:
                    return dict(dill.load(f).hyper_param)
            except Exception as exc:  # an earlier release's Tester class, or a damaged file
                logger.warn(f"RLA: cannot read the pickle of {self.item.index} ({exc}); "
                            "using the parameters in params.json or in its name")
        if params is not None:
            return params
        parsed = self.item.parsed
        if parsed is None:
            raise FileNotFoundError(f"item {self.item.index} has neither params.json, a readable pickle, "
                                    "nor parameters in its name")
        return parsed.params()

    def import_hyper_parameters(self, hp_to_overwrite: Optional[Sequence[str]] = None,
                                sync_timestep: bool = False) -> argparse.Namespace:
        """The loaded item's hyper-parameters, with the keys ``hp_to_overwrite`` taken from
        the current ``exp_manager``; ``sync_timestep`` moves the time-step to its latest checkpoint."""
        if not self.is_valid_config:
            return argparse.Namespace(**exp_manager.hyper_param)
        merged = copy.deepcopy(exp_manager.hyper_param)
        merged.update(self.hyper_parameters())
        for key in hp_to_overwrite or ():
            if key not in exp_manager.hyper_param:
                raise NoDataError(f"hp_to_overwrite key {key!r} is not a hyper-parameter of the current run; "
                               f"set it with exp_manager.set_hyper_param({key}=...) first")
            merged[key] = exp_manager.hyper_param[key]
        args = argparse.Namespace(**merged)
        args.load_date = self.item.record_date
        args.load_task_name = self.item.task
        if sync_timestep:
            exp_manager.time_step_holder.set_time(self._last_step())
        return args

    def _last_step(self) -> int:
        from RLA.easy_log.open_checkpoints import open_saver

        step = open_saver(self.item.checkpoint_dir).latest_step()
        if step is None:
            step = (read_json(self.item.run_json) or {}).get("last_time_step")
        return int(step or 0)

    def load_from_record_date(self, var_prefix: Optional[str] = None, variable_list: Optional[List[str]] = None,
                              ckp_index: Optional[int] = None, model_dict: Optional[Dict[str, Any]] = None,
                              restore_rng: bool = False, verbose: bool = True) -> Tuple[int, Any, Dict[str, Any]]:
        """``(step, state, custom_data)`` of the loaded item's checkpoint (latest by default).

        ``model_dict`` objects get the states loaded into them; ``variable_list``
        picks custom-data keys (all by default); ``var_prefix`` selects the
        variables of a tf.compat.v1 checkpoint. The current run's RNGs are left
        alone unless ``restore_rng``. ``verbose`` (kept from earlier releases) logs what was loaded.
        """
        if not self.is_valid_config:
            return 0, {}, {}
        from RLA.easy_log.checkpoint import restore_rng as set_rng
        from RLA.easy_log.open_checkpoints import open_saver

        checkpoint = open_saver(self.item.checkpoint_dir, var_prefix=var_prefix).load(ckp_index, model_dict)
        custom = checkpoint.meta.get("custom_data", {})
        if variable_list is not None:
            missing = [v for v in variable_list if v not in custom]
            if missing:  # None, as 0.6's get_custom_data answered, and said
                logger.warn(f"RLA: custom data {missing} not in checkpoint {checkpoint.step} of {self.item.index} "
                            f"(it holds {sorted(custom)}): they are None")
            custom = {v: custom.get(v) for v in variable_list}
        if restore_rng:
            set_rng(checkpoint.meta.get("rng", {}))
        if verbose:
            logger.info(f"RLA: loaded checkpoint {checkpoint.step} of {self.item.index}")
        return checkpoint.step, checkpoint.state, custom

    def fork_log_files(self, ckp_index: Optional[int] = None) -> None:
        """Copy the loaded item's progress, TensorBoard events and checkpoints into the current run.

        Call it after ``exp_manager.log_files_gen()``. The copied checkpoints
        and rows after checkpoint ``ckp_index`` (the latest) are dropped, so
        ``exp_manager.load_checkpoint()`` continues the curves without duplicates;
        an item without checkpoints is copied whole.
        """
        if not self.is_valid_config:
            return
        target = exp_manager.item
        if target is None:
            raise RunNotStartedError("fork_log_files copies into the current run: "
                                     "call exp_manager.log_files_gen() first")
        source = self.item
        if source.index == target.index:
            raise UsageError("fork_log_files: the loaded item is the current run; use configure(resume=...) "
                             "to continue an item in place")
        source_log, target_log = source.log, target.log
        for source_file, target_file in ((source_log.progress_csv, target_log.progress_csv),
                                         (source_log.progress_late, target_log.progress_late),
                                         (source_log.progress_json, target_log.progress_json)):
            if source_file.is_file():
                shutil.copy2(source_file, target_file)
        target_log.tb_dir.mkdir(parents=True, exist_ok=True)
        for event_file in source_log.event_files():
            shutil.copy2(event_file, target_log.tb_dir / event_file.name)
        if source.checkpoint_dir.is_dir():
            shutil.copytree(source.checkpoint_dir, target.checkpoint_dir, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns(".*"))
        forked_from: Dict[str, Any] = {"index": source.index, "checkpoint_step": None}
        if exp_manager.has_checkpoint():
            if ckp_index is not None:  # the fork starts at ckp_index: later checkpoints are not its past
                from RLA.easy_log.open_checkpoints import open_saver

                open_saver(target.checkpoint_dir).drop_after(ckp_index)
            exp_manager.rewind_to_checkpoint()
            forked_from["checkpoint_step"] = exp_manager.latest_checkpoint_step()
        else:
            exp_manager.reopen_logger()  # keep every copied row
        exp_manager.record_run_info(forked_from=forked_from)


exp_loader = experimental_loader = ExperimentLoader()


def _loader_for(first: str, task_name: str, third: str) -> ExperimentLoader:
    """0.6's code took ``(root, task, date)`` and its README ``(task, date, root)``: accept both."""
    import os

    root, task, date = (first, task_name, third) if os.path.isdir(first) else (third, first, task_name)
    return ExperimentLoader().config(task, date, root)


def fork_log_file_fn(root: str, task_name: str, record_date: str, hp_to_overwrite: Optional[Sequence[str]] = None,
                     sync_timestep: bool = False) -> None:
    """RLA 0.6: fork the logs and checkpoints of ``record_date`` into the current run
    (:meth:`ExperimentLoader.fork_log_files`); ``sync_timestep`` moves the time-step to its checkpoint."""
    loader = _loader_for(root, task_name, record_date)
    loader.fork_log_files()
    if sync_timestep:
        exp_manager.time_step_holder.set_time(loader._last_step())


def update_hyper_parameters_fn(task_name: str, record_date: str, root: str,
                               hp_to_overwrite: Optional[Sequence[str]] = None, sync_timestep: bool = False) -> None:
    """RLA 0.6: take the hyper-parameters of ``record_date`` into the current exp_manager (but ``hp_to_overwrite``)."""
    args = _loader_for(task_name, record_date, root).import_hyper_parameters(hp_to_overwrite, sync_timestep)
    exp_manager.set_hyper_param(**{k: v for k, v in vars(args).items() if k not in ("load_date", "load_task_name")})
