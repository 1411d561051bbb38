"""Episode return and length of gymnasium envs, logged for custom training loops.

    env = record_episode_statistics(gym.make("CartPole-v1"))
    ...                                       # your loop: env.step(...)
    log_episode_statistics(env)               # episode/return_mean, ... for the pending row
    logger.dump_tabular()

The counting is gymnasium's own ``RecordEpisodeStatistics`` (single or vector
env); this module only finds it and records its statistics.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

import gymnasium as gym
import numpy as np
from gymnasium.wrappers import RecordEpisodeStatistics
from gymnasium.wrappers.vector import RecordEpisodeStatistics as VectorRecordEpisodeStatistics

from RLA.easy_log import logger
from RLA.errors import UsageError

__all__ = ["record_episode_statistics", "log_episode_statistics"]

_STATS_WRAPPERS = (RecordEpisodeStatistics, VectorRecordEpisodeStatistics)


def record_episode_statistics(env: Any, buffer_length: int = 100) -> Any:
    """``env`` wrapped in gymnasium's ``RecordEpisodeStatistics`` (the vector one for a vector env).

    The statistics cover the last ``buffer_length`` episodes. An env that
    already has the wrapper is returned as it is.
    """
    if _find_stats(env) is not None:
        return env
    if isinstance(env, gym.vector.VectorEnv):
        return VectorRecordEpisodeStatistics(env, buffer_length=buffer_length)
    return RecordEpisodeStatistics(env, buffer_length=buffer_length)


def _find_stats(env: Any) -> Optional[Any]:
    while env is not None:
        if isinstance(env, _STATS_WRAPPERS):
            return env
        env = getattr(env, "env", None)
    return None


def log_episode_statistics(env: Any, prefix: str = "episode/") -> Optional[Dict[str, float]]:
    """Record the mean return and length of the recent episodes of ``env`` for the next dump.

    Keys: ``<prefix>return_mean``, ``return_std``, ``length_mean`` and
    ``count`` (episodes finished so far). Returns them, or None (recording
    nothing) while no episode has finished.
    """
    stats = _find_stats(env)
    if stats is None:
        raise UsageError("env has no episode statistics: wrap it with record_episode_statistics(env) first")
    if not stats.return_queue:
        return None
    returns = np.asarray(stats.return_queue, dtype=float)
    values = {
        "return_mean": float(returns.mean()),
        "return_std": float(returns.std()),
        "length_mean": float(np.mean(stats.length_queue)),
        "count": int(stats.episode_count),
    }
    logger.logkvs(values, prefix=prefix)
    return values
