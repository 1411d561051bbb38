"""stable-baselines3 into the RLA database, through SB3's own hooks.

    model = resume_model(PPO, env) or PPO("MlpPolicy", env)   # a resumed run goes on from its last zip
    model.set_logger(sb3_logger())                       # every SB3 key -> the run's logs
    model.learn(50_000 - model.num_timesteps, callback=RLACheckpointCallback(save_freq=10_000),
                reset_num_timesteps=False)

:class:`RLAOutputFormat` is an SB3 ``KVWriter``: each SB3 dump becomes one RLA
row whose time-step is SB3's ``num_timesteps``. Checkpoints are SB3 zips in the
run's checkpoint folder (``PPO.load`` reads them back); videos go to its
results folder. On a resume (``RLA_RESUME=auto``) :func:`resume_model` loads
the newest zip and rewinds the logs to its ``num_timesteps``; a resumed run that
starts a new model instead has its old rows dropped at its first dump.
"""
from __future__ import annotations

import io
import os
import re
import warnings
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Tuple, Type, TypeVar, Union, cast

import numpy as np
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import Figure, HParam, KVWriter, Logger, SeqWriter, Video

from RLA.db.atomic import atomic_writer
from RLA.easy_log import logger
from RLA.easy_log.tester import ExperimentManager, exp_manager
from RLA.errors import UsageError

__all__ = [
    "RLAOutputFormat", "sb3_logger", "RLACheckpointCallback", "latest_checkpoint", "resume_model",
    "record_policy_video", "RLAVideoCallback", "save_video",
]

#: the format word that excludes a key from RLA: ``logger.record(key, value, exclude="rla")``
FORMAT_NAME = "rla"


def _manager(manager: Optional[ExperimentManager]) -> ExperimentManager:
    return manager if manager is not None else exp_manager


class RLAOutputFormat(KVWriter, SeqWriter):
    """An SB3 output format writing every dumped row into the current RLA run.

    Numbers and strings go to the RLA logger (csv, TensorBoard, ... as set by
    ``LOG_USED``), keeping SB3's per-format ``exclude``; videos and figures are
    saved in the run's results folder; ``HParam`` values become hyper-parameters.
    """

    def __init__(self, manager: Optional[ExperimentManager] = None):
        self.manager = _manager(manager)
        self._warned: set = set()

    def write(self, key_values: Dict[str, Any], key_excluded: Dict[str, Tuple[str, ...]], step: int = 0) -> None:
        if self.manager.logs_rewind_deferred:  # resumed, but no checkpoint loaded: the run starts over
            self.manager.rewind_logs_to(None)
        self.manager.time_step_holder.set_time(int(step))
        for key, value in key_values.items():
            excluded = tuple(fmt for fmt in key_excluded.get(key, ()) if fmt)
            if FORMAT_NAME in excluded:
                continue
            if isinstance(value, Video):
                save_video(key, _video_frames(value.frames), fps=value.fps)
            elif isinstance(value, Figure):
                self._save_figure(key, value, step)
            elif isinstance(value, HParam):
                self.manager.add_run_params(**dict(value.hparam_dict))
            elif isinstance(value, (str, bool, int, float, np.generic)) or _is_scalar_tensor(value):
                logger.record_tabular(key, value, exclude=excluded or None)
            elif key not in self._warned:
                self._warned.add(key)
                warnings.warn(
                    f"RLA: SB3 value {key!r} of type {type(value).__name__} is not saved by RLA; "
                    f"log it with exclude={FORMAT_NAME!r} to silence this warning", stacklevel=2)
        logger.dump_tabular()

    def _save_figure(self, key: str, value: Figure, step: int) -> None:
        path = Path(self.manager.results_dir) / f"{key}_{step}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        value.figure.savefig(path)
        if value.close:
            import matplotlib.pyplot as plt

            plt.close(value.figure)

    def write_sequence(self, sequence: Sequence[str]) -> None:
        logger.log(*sequence)

    def close(self) -> None:
        """Nothing to close: the run's files belong to the experiment manager."""


def _is_scalar_tensor(value: Any) -> bool:
    return hasattr(value, "item") and getattr(value, "ndim", None) == 0


def sb3_logger(manager: Optional[ExperimentManager] = None) -> Logger:
    """An SB3 ``Logger`` writing into the current RLA run: pass it to ``model.set_logger``.

    Call it after ``exp_manager.log_files_gen()``.
    """
    manager = _manager(manager)
    return Logger(folder=manager.log_dir, output_formats=[RLAOutputFormat(manager)])


class RLACheckpointCallback(BaseCallback):
    """Save the model every ``save_freq`` calls to ``env.step()`` and at the end of training.

    Each save is ``<name_prefix>_<num_timesteps>_steps.zip`` in the run's
    checkpoint folder, written atomically (a killed save never leaves a
    half-written zip behind), and refreshes the run's pickle with the time-step
    so the run can be resumed from it. ``save_freq <= 0``: only at the end.
    """

    def __init__(self, save_freq: int = 0, name_prefix: str = "rl_model",
                 manager: Optional[ExperimentManager] = None, verbose: int = 0):
        super().__init__(verbose)
        self.save_freq = save_freq
        self.name_prefix = name_prefix
        self.manager = _manager(manager)
        self.last_path: Optional[Path] = None
        self._last_saved_step: Optional[int] = None

    def _on_step(self) -> bool:
        if self.save_freq > 0 and self.n_calls % self.save_freq == 0:
            self.save()
        return True

    def _on_training_end(self) -> None:
        if self._last_saved_step != self.num_timesteps:
            self.save()

    def save(self) -> Path:
        """Save the model now; returns the checkpoint's path."""
        path = Path(self.manager.checkpoint_dir) / f"{self.name_prefix}_{self.num_timesteps}_steps.zip"
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_writer(path, "wb") as f:
            self.model.save(cast(io.BufferedIOBase, f))  # a binary file: what save() writes a zip into
        self.manager.time_step_holder.set_time(self.num_timesteps)
        self.manager.serialize_object_and_save()
        self.last_path = path
        self._last_saved_step = self.num_timesteps
        if self.verbose >= 1:
            logger.info(f"RLA: saved SB3 checkpoint {path}")
        return path


_STEPS = re.compile(r"_(\d+)_steps\.zip$")


def latest_checkpoint(checkpoint_dir: Union[str, os.PathLike, None] = None,
                      name_prefix: str = "rl_model") -> Optional[Path]:
    """The SB3 checkpoint with the most time-steps (default folder: the current run's), or None."""
    folder = Path(checkpoint_dir) if checkpoint_dir is not None else Path(exp_manager.checkpoint_dir)
    best: Optional[Tuple[int, Path]] = None
    for path in folder.glob(f"{name_prefix}_*_steps.zip"):
        match = _STEPS.search(path.name)
        if match and (best is None or int(match.group(1)) > best[0]):
            best = (int(match.group(1)), path)
    return best[1] if best else None


Algorithm = TypeVar("Algorithm", bound=BaseAlgorithm)


def resume_model(algorithm: Type[Algorithm], env: Any = None, name_prefix: str = "rl_model",
                 manager: Optional[ExperimentManager] = None, **load_kwargs: Any) -> Optional[Algorithm]:
    """The model of the run's newest SB3 checkpoint, with the run's logs rewound to its
    ``num_timesteps``; ``None`` when the run has no checkpoint (a new run).

    Continue it with ``model.learn(total - model.num_timesteps, reset_num_timesteps=False)``:
    every time-step is then logged once in progress.csv and TensorBoard.
    ``load_kwargs`` go to ``algorithm.load`` (e.g. ``device="cpu"``).
    """
    manager = _manager(manager)
    path = latest_checkpoint(manager.checkpoint_dir, name_prefix)
    if path is None:
        return None
    model = algorithm.load(path, env=env, **load_kwargs)
    manager.rewind_logs_to(model.num_timesteps)
    logger.info(f"RLA: resumed SB3 model from {path} at time-step {model.num_timesteps}")
    return model


def _video_frames(frames: Any) -> np.ndarray:
    """SB3/TensorBoard video (N, T, C, H, W) or (T, C, H, W) -> (T, H, W, C) uint8."""
    array = np.asarray(frames.detach().cpu() if hasattr(frames, "detach") else frames)
    if array.ndim == 5:
        array = array[0]
    array = np.transpose(array, (0, 2, 3, 1))
    if np.issubdtype(array.dtype, np.floating):  # TensorBoard's convention: floats in [0, 1]
        array = np.clip(array, 0.0, 1.0) * 255
    return array.astype(np.uint8)


def save_video(name: str, frames: Any, fps: float = 30) -> Path:
    """Save ``frames`` ((T, H, W, C) uint8) as ``results/<time-step>-<name>.mp4`` of the current run."""
    from RLA.easy_log.complex_data_recorder import record_video

    return record_video(name, frames, fps)


def record_policy_video(model: BaseAlgorithm, env: Any, name: str = "eval", max_steps: int = 1000,
                        deterministic: bool = True, fps: float = 30,
                        manager: Optional[ExperimentManager] = None) -> int:
    """Play one episode of ``model`` in ``env`` (a gymnasium env with ``render_mode="rgb_array"``) and save it.

    Returns the number of frames recorded.
    """
    observation, _ = env.reset()
    frames = [env.render()]
    if frames[0] is None:
        raise UsageError("the env rendered no frame: create it with render_mode='rgb_array'")
    for _ in range(max_steps):
        action, _ = model.predict(observation, deterministic=deterministic)
        observation, _, terminated, truncated, _ = env.step(action)
        frames.append(env.render())
        if terminated or truncated:
            break
    save_video(name, np.stack(frames), fps=fps)
    return len(frames)


class RLAVideoCallback(BaseCallback):
    """Record an evaluation episode into the run's results; wrap it to choose when.

        EveryNTimesteps(n_steps=10_000, callback=RLAVideoCallback(eval_env))
    """

    def __init__(self, eval_env: Any, name: str = "eval", max_steps: int = 1000,
                 manager: Optional[ExperimentManager] = None, verbose: int = 0):
        super().__init__(verbose)
        self.eval_env = eval_env
        self.name = name
        self.max_steps = max_steps
        self.manager = _manager(manager)

    def _on_step(self) -> bool:
        self.manager.time_step_holder.set_time(self.num_timesteps)
        record_policy_video(self.model, self.eval_env, self.name, self.max_steps, manager=self.manager)
        return True
