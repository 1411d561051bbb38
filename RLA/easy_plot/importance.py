"""Which hyper-parameters explain the final score, with the seeds of each configuration aggregated.

Runs that differ only in their seed are one configuration: its score is the
mean of its runs' scores, and it counts as one sample weighted by its number of
seeds. Seed noise then cannot read as the effect of a parameter, as it does when
every run is a sample of its own. A random forest (scikit-learn) is fitted on the
configurations; a parameter's importance is the permutation importance (the drop
in R² of the forest's predictions when that parameter's values are shuffled),
averaged over forests fitted on bootstrap resamples of the configurations, whose
spread gives its percentile interval. Needs scikit-learn's forest (``pip install 'RLA[importance]'``).
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from RLA.easy_plot import aggregate
from RLA.easy_plot.grouping import natural_key
from RLA.easy_plot.loader import Reg, match_items
from RLA.easy_plot.scores import collect_scores
from RLA.errors import NoDataError, UsageError

__all__ = ["Importance", "varying_parameters", "param_importance"]

#: the parameters that name a run's seed by default: left out of configurations
SEED_KEYS = ("seed",)


class Importance(NamedTuple):
    """``parameters``: one row per parameter, most important first (``parameter``, ``importance``,
    ``low``, ``high``, ``values``: how many distinct values it takes); ``configurations``: one row per
    configuration (its parameters, ``score`` the mean over its runs, ``std`` over them, ``seeds``:
    its runs per task)."""

    parameters: Any
    configurations: Any


def varying_parameters(data_root: Union[str, os.PathLike], task_table_names: Sequence[str],
                       regs: Optional[Sequence[Reg]] = None, where: Optional[str] = None,
                       selection: Optional[Mapping[str, Any]] = None,
                       seed_keys: Sequence[str] = SEED_KEYS) -> List[str]:
    """The parameters whose values differ between the selected runs, seed keys aside (a number,
    text or a flag: nested values count through their dotted keys)."""
    values: Dict[str, set] = {}
    for task in task_table_names:
        for record, _ in match_items(data_root, task, regs, where, selection=selection):
            for key, value in record.params.items():
                if isinstance(value, (str, int, float, bool)) or value is None:
                    values.setdefault(key, set()).add(repr(value))
    return sorted(key for key, seen in values.items() if len(seen) > 1 and key not in seed_keys)


def _features(configurations: Any, parameters: Sequence[str]) -> np.ndarray:
    """The parameters as numbers: their values when all read as numbers, else the rank of each
    value in natural order (a forest splits on order, not on distances)."""
    columns = []
    for parameter in parameters:
        text = configurations[parameter].astype(str)
        try:
            columns.append(text.astype(float).to_numpy())
        except ValueError:
            order = {value: i for i, value in enumerate(sorted(set(text), key=natural_key))}
            columns.append(text.map(order).to_numpy(dtype=np.float64))
    return np.column_stack(columns)


def _weighted_r2(predicted: np.ndarray, target: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """R² of each row of ``predicted`` (… × configurations), configurations weighted by their seeds."""
    mean = np.average(target, weights=weights)
    total = np.sum(weights * (target - mean) ** 2)
    residual = np.sum(weights * (predicted - target) ** 2, axis=-1)
    return 1.0 - residual / total if total > 0 else np.zeros(residual.shape)


def _permutation_importance(features: np.ndarray, target: np.ndarray, weights: np.ndarray, fit_rows: np.ndarray,
                            n_trees: int, n_repeats: int, seed: int) -> np.ndarray:
    """Each parameter's drop in R² when its values are shuffled (the mean of ``n_repeats``
    shuffles), for a forest fitted on the rows ``fit_rows`` and scored on every configuration.
    Every shuffled copy is predicted in one call: a forest's call costs more than its rows."""
    from sklearn.ensemble import RandomForestRegressor

    forest = RandomForestRegressor(n_estimators=n_trees, random_state=seed, n_jobs=1)
    forest.fit(features[fit_rows], target[fit_rows], sample_weight=weights[fit_rows])
    rng = np.random.default_rng(seed)
    rows, parameters = features.shape
    shuffled = np.repeat(features[None, None], n_repeats, axis=1).repeat(parameters, axis=0)  # params × repeats × …
    for parameter in range(parameters):
        for repeat in range(n_repeats):
            shuffled[parameter, repeat, :, parameter] = rng.permutation(features[:, parameter])
    predicted = forest.predict(np.concatenate([features, shuffled.reshape(-1, parameters)]))
    baseline = _weighted_r2(predicted[:rows], target, weights)
    permuted = _weighted_r2(predicted[rows:].reshape(parameters, n_repeats, rows), target, weights)
    return np.asarray(baseline - permuted.mean(axis=1))


def param_importance(data_root: Union[str, os.PathLike], task_table_names: Union[str, Sequence[str]],
                     metric: str, parameters: Optional[Sequence[str]] = None, seed_keys: Sequence[str] = SEED_KEYS,
                     score: str = "final", k: int = 1, normalize: Optional[Mapping[str, Tuple[float, float]]] = None,
                     regs: Optional[Sequence[Reg]] = None, where: Optional[str] = None,
                     selection: Optional[Mapping[str, Any]] = None, n_bootstrap: int = 20, n_repeats: int = 5,
                     n_trees: int = 50, ci: float = 0.95, seed: int = 0, use_buf: bool = True) -> Importance:
    """How much each of ``parameters`` (default: every parameter that varies, :func:`varying_parameters`)
    explains the score of ``metric`` (:func:`RLA.easy_plot.aggregate.run_score`: ``score``, ``k``),
    on configurations with their seeds aggregated (see the module doc); ``n_bootstrap`` forests
    fitted on resampled configurations give the ``ci`` interval.

    Over several tables every table must be normalized (``normalize``: ``{task: (random,
    reference)}``): a configuration's score is then the mean over tables of its mean normalized score.
    """
    import pandas as pd

    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise UsageError("parameter importance needs scikit-learn: pip install 'RLA[importance]'") from None
    tasks = [task_table_names] if isinstance(task_table_names, str) else list(task_table_names)
    normalize = dict(normalize or {})
    if len(tasks) > 1 and set(normalize) != set(tasks):
        raise UsageError(f"importance over several tables compares their scores: normalize every table "
                         f"(missing: {sorted(set(tasks) - set(normalize))}), e.g. --normalize TASK=RANDOM:REFERENCE")
    if parameters is None:
        parameters = varying_parameters(data_root, tasks, regs, where, selection, seed_keys)
    parameters = [p for p in parameters if p not in seed_keys]
    if not parameters:
        raise NoDataError(f"the selected runs of {tasks} differ in no parameter but their seed "
                          f"({', '.join(seed_keys)})")
    scores = collect_scores(data_root, tasks, regs, parameters, metric, score, k, use_buf=use_buf, where=where,
                            selection=selection)
    for task, (random_score, reference) in normalize.items():
        on_task = scores["task"] == task
        scores.loc[on_task, "score"] = (scores.loc[on_task, "score"] - random_score) / (reference - random_score)
    per_task = scores.groupby([*parameters, "task"], sort=False)["score"].agg(["mean", "std", "size"]).reset_index()
    configurations = per_task.groupby(parameters, sort=False).agg(
        score=("mean", "mean"), std=("std", "mean"), seeds=("size", "min")).reset_index()
    configurations = configurations.sort_values(parameters, key=lambda c: c.map(natural_key), ignore_index=True)
    if len(configurations) < 3:
        raise NoDataError(f"{len(configurations)} configuration(s) of {parameters}: importance needs at least 3 "
                          "configurations that differ in these parameters")
    features = _features(configurations, parameters)
    target = configurations["score"].to_numpy(dtype=np.float64)
    weights = configurations["seeds"].to_numpy(dtype=np.float64)
    count = len(configurations)
    if n_bootstrap:
        rng = np.random.default_rng(seed)
        boot = np.array([_permutation_importance(features, target, weights, rng.integers(0, count, count),
                                                 n_trees, n_repeats, seed + b) for b in range(n_bootstrap)])
        point, (low, high) = boot.mean(axis=0), aggregate.interval(boot, ci)
    else:
        point = low = high = _permutation_importance(features, target, weights, np.arange(count), n_trees,
                                                     n_repeats, seed)
    table = pd.DataFrame({"parameter": parameters, "importance": point, "low": low, "high": high,
                          "values": [configurations[p].nunique() for p in parameters]})
    return Importance(table.sort_values("importance", ascending=False, ignore_index=True), configurations)
