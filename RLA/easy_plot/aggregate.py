"""The statistics behind the figures and tables: pure numpy/pandas, no plotting.

- learning curves: a common x-grid, resampling, smoothing, and per-grid-point
  mean / std / standard error / min-max / bootstrap confidence interval;
- run scores (final or best-k average) and a summary table per group;
- rliable-style aggregate metrics over runs × tasks (mean, median, IQM,
  optimality gap) with stratified bootstrap confidence intervals, the
  probability of improvement, and performance profiles (Agarwal et al., 2021,
  "Deep RL at the edge of the statistical precipice").

Standard deviations are sample standard deviations (``ddof=1``); the standard
error is ``std / sqrt(n)``. Confidence intervals are percentile bootstrap
intervals. The stratified bootstrap draws its resamples as rliable does
(:func:`bootstrap_rng`), so that an interval equals rliable's for the same seed
and number of resamples.
"""
from __future__ import annotations

import re
import warnings
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from RLA.errors import UsageError

__all__ = [
    "RegularSteps", "x_span",
    "filter_x", "finite_xy", "common_grid", "resample_curve", "resample_points", "smooth_curve", "curve_stats",
    "bootstrap_mean_ci",
    "SCORES", "run_score", "summarize_scores", "format_summary",
    "aggregate_mean", "aggregate_median", "aggregate_iqm", "aggregate_optimality_gap",
    "bootstrap_rng", "stratified_bootstrap", "stratified_draws", "ragged_metric", "aggregate_metrics", "interval",
    "probability_of_improvement", "improvement_interval", "probability_of_improvement_matrix",
    "performance_profile", "performance_profiles",
]

X_RANGES = ("intersection", "union")
SMOOTHERS = ("ema", "window")


# -- learning curves ---------------------------------------------------------
class RegularSteps(NamedTuple):
    """x values that are exactly ``first + step * i`` for ``i < rows`` (``step > 0``, ``rows >= 2``):
    a regular time-step, known without its values, which makes resampling an index computation."""

    first: float
    step: float
    rows: int

    def values(self) -> np.ndarray:
        return self.first + self.step * np.arange(self.rows, dtype=np.float64)

    @property
    def last(self) -> float:
        """The last value, computed as :meth:`values` computes it."""
        return self.first + self.step * float(self.rows - 1)


#: a curve's x: its sorted values, or a regular time-step
XValues = Union[np.ndarray, RegularSteps]


def x_span(x: XValues) -> Tuple[float, float]:
    """The first and last x of a curve's sorted finite points."""
    if isinstance(x, RegularSteps):
        return x.first, x.last
    return float(x[0]), float(x[-1])


def finite_xy(x: np.ndarray, y: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Points with finite x and y, sorted by x; of repeated x the last logged value is kept."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    keep = np.isfinite(x) & np.isfinite(y)
    if not keep.all():
        x, y = x[keep], y[keep]
    if np.all(x[1:] > x[:-1]):  # the usual case: logged in increasing steps
        return x, y
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    last = np.ones(len(x), dtype=bool)
    last[:-1] = x[1:] != x[:-1]
    return x[last], y[last]


def filter_x(x: np.ndarray, y: np.ndarray,
             xlim: Optional[Tuple[Optional[float], Optional[float]]]) -> Tuple[np.ndarray, np.ndarray]:
    """The points with ``low <= x <= high`` (either bound may be ``None``)."""
    if xlim is None:
        return x, y
    low, high = xlim
    keep = np.ones(len(x), dtype=bool)
    if low is not None:
        keep &= x >= low
    if high is not None:
        keep &= x <= high
    return x[keep], y[keep]


def _finite(x: np.ndarray) -> np.ndarray:
    finite = np.isfinite(x)
    return x if finite.all() else x[finite]


def common_grid(xs: Sequence[XValues], resample: Optional[int] = 512, x_range: str = "intersection") -> np.ndarray:
    """One x-grid for curves logged at different steps and lengths.

    ``resample`` points evenly spaced over the x-range (``None`` or 0: the union
    of the logged x values inside the range). ``x_range="intersection"`` keeps
    the steps every curve reached; ``"union"`` spans them all (points a curve
    did not reach are then missing for it).
    """
    if x_range not in X_RANGES:
        raise UsageError(f"x_range must be one of {X_RANGES}, got {x_range!r}")
    xs = [x if isinstance(x, RegularSteps) else _finite(np.asarray(x, dtype=np.float64)) for x in xs]
    xs = [x for x in xs if isinstance(x, RegularSteps) or x.size]
    if not xs:
        return np.empty(0)
    starts = [x.first if isinstance(x, RegularSteps) else x.min() for x in xs]
    ends = [x.last if isinstance(x, RegularSteps) else x.max() for x in xs]
    low, high = (max(starts), min(ends)) if x_range == "intersection" else (min(starts), max(ends))
    if low > high:
        raise UsageError(f"the curves share no x-range (they start at {min(starts):g}..{max(starts):g} and end "
                         f"at {min(ends):g}..{max(ends):g}); use x_range='union' to average where they exist")
    if resample:
        return np.linspace(low, high, int(resample))
    grid = np.unique(np.concatenate([x.values() if isinstance(x, RegularSteps) else x for x in xs]))
    return grid[(grid >= low) & (grid <= high)]


def resample_curve(x: np.ndarray, y: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """``y(x)`` linearly interpolated on ``grid``; NaN outside the logged x-range."""
    x, y = finite_xy(x, y)
    out = np.full(len(grid), np.nan)
    if x.size == 0:
        return out
    inside = (grid >= x[0]) & (grid <= x[-1])
    out[inside] = np.interp(grid[inside], x, y)
    return out


def resample_points(points: Sequence[Tuple[XValues, np.ndarray]], grid: np.ndarray) -> np.ndarray:
    """Many curves of finite points sorted by x (as :func:`finite_xy` returns them, or on a
    regular time-step), each linearly interpolated on the sorted ``grid``: a runs × grid array,
    NaN outside each curve's x-range (what :func:`resample_curve` gives each, without sorting again).

    Curves on the same regular time-step (runs logged alike) are interpolated together."""
    out = np.full((len(points), len(grid)), np.nan)
    alike: Dict[RegularSteps, List[int]] = {}
    for i, (x, y) in enumerate(points):
        if isinstance(x, RegularSteps):
            alike.setdefault(x, []).append(i)
        elif x.size:
            low, high = np.searchsorted(grid, x[0], "left"), np.searchsorted(grid, x[-1], "right")
            out[i, low:high] = np.interp(grid[low:high], x, y)
    for steps, rows in alike.items():
        low, high = np.searchsorted(grid, steps.first, "left"), np.searchsorted(grid, steps.last, "right")
        out[rows, low:high] = _interp_regular(steps, [points[i][1] for i in rows], grid[low:high])
    return out


def _interp_regular(steps: RegularSteps, ys: Sequence[np.ndarray], grid: np.ndarray) -> np.ndarray:
    """``np.interp(grid, steps.values(), y)`` for each of ``ys`` (a curves × grid array), for a
    grid inside the steps' range, by index arithmetic on the two points around each grid point."""
    position = (grid - steps.first) / steps.step
    index = np.minimum(position.astype(np.intp), steps.rows - 2)
    both = np.concatenate([index, index + 1])
    around = np.stack([y.take(both) for y in ys])  # one gather per curve
    low, high = around[:, :len(index)], around[:, len(index):]
    return low + (position - index) * (high - low)


def smooth_curve(y: np.ndarray, step: float, method: str = "ema") -> np.ndarray:
    """Smooth over ``step`` grid points: an exponential moving average with
    ``alpha = 1/step`` (``"ema"``) or a trailing mean of ``step`` points
    (``"window"``). ``step <= 1`` leaves the curve unchanged; NaN stay NaN.
    A 2-D ``y`` (runs × grid points) smooths each run's curve."""
    import pandas as pd

    if method not in SMOOTHERS:
        raise UsageError(f"smoothing must be one of {SMOOTHERS}, got {method!r}")
    y = np.asarray(y, dtype=np.float64)
    if not step or step <= 1:
        return y
    # each column (run) is smoothed on its own: curves go in as the columns of one frame
    frame = pd.DataFrame(y.T) if y.ndim == 2 else pd.Series(y)
    if method == "ema":
        smoothed = frame.ewm(alpha=1.0 / step, adjust=False, ignore_na=True).mean()
    else:
        smoothed = frame.rolling(int(round(step)), min_periods=1).mean()
    out = smoothed.to_numpy(dtype=np.float64, copy=True)
    out = out.T if y.ndim == 2 else out
    out[np.isnan(y)] = np.nan
    return out


def _bootstrap_means(values: np.ndarray, n_bootstrap: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap means over axis 0 of ``values`` (runs × points), NaN-aware: n_bootstrap × points."""
    n = values.shape[0]
    weights = rng.multinomial(n, np.full(n, 1.0 / n), size=n_bootstrap).astype(np.float64)
    present = np.isfinite(values)
    sums = weights @ np.where(present, values, 0.0)
    counts = weights @ present.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts


def bootstrap_mean_ci(values: np.ndarray, ci: float = 0.95, n_bootstrap: int = 1000,
                      seed: Optional[int] = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of the mean over axis 0 (runs), for each column."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    means = _bootstrap_means(values, n_bootstrap, np.random.default_rng(seed))
    tail = (1.0 - ci) / 2 * 100
    with np.errstate(invalid="ignore"):
        low, high = np.nanpercentile(means, [tail, 100 - tail], axis=0)
    return low, high


def curve_stats(curves: np.ndarray, ci: Optional[float] = None, n_bootstrap: int = 1000,
                seed: Optional[int] = 0) -> Dict[str, np.ndarray]:
    """Per grid point over the runs (rows) of ``curves``: mean, std, stderr, min, max, n,
    and with ``ci`` the bootstrap interval ``ci_low``/``ci_high`` of the mean."""
    curves = np.atleast_2d(np.asarray(curves, dtype=np.float64))
    n = np.isfinite(curves).sum(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an empty or single-run point is NaN on purpose
        std = np.where(n > 1, np.nanstd(curves, axis=0, ddof=1), np.nan)
        stats = {"mean": np.nanmean(curves, axis=0), "std": std, "stderr": std / np.sqrt(n),
                 "min": np.nanmin(curves, axis=0), "max": np.nanmax(curves, axis=0), "n": n}
    if ci is not None:
        stats["ci_low"], stats["ci_high"] = bootstrap_mean_ci(curves, ci, n_bootstrap, seed)
    return stats


# -- scores and the summary table ----------------------------------------------
#: how a run's curve becomes one number (:func:`run_score`)
SCORES = ("final", "best", "auc")


def run_score(y: np.ndarray, how: str = "final", k: int = 1, x: Optional[np.ndarray] = None) -> float:
    """One number for a run's curve: the mean of its last ``k`` finite values
    (``"final"``), of its ``k`` highest values (``"best"``), or the area under
    the curve over its x-span (``"auc"``: the trapezoid area divided by the span,
    the curve's average over training, which rewards learning early; ``x`` are
    the points' steps, evenly spaced when not given; ``k`` is not used).
    Higher is better: negate loss-like metrics first (e.g. ``scale_dict={"loss": lambda y: -y}``)."""
    values = np.asarray(y, dtype=np.float64)
    if k < 1:
        raise UsageError(f"k must be at least 1, got {k}")
    if how not in SCORES:
        raise UsageError(f"score must be one of {', '.join(SCORES)}; got {how!r}")
    if how == "auc":
        steps = np.arange(len(values), dtype=np.float64) if x is None else np.asarray(x, dtype=np.float64)
        steps, values = finite_xy(steps[:len(values)], values[:len(steps)])
        if values.size < 2:
            return float(values[0]) if values.size else float("nan")
        return float(np.sum((values[1:] + values[:-1]) * np.diff(steps)) / 2 / (steps[-1] - steps[0]))
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan")
    if how == "final":
        return float(values[-k:].mean())
    return float(np.sort(values)[-k:].mean())


def summarize_scores(scores: Any, by: Sequence[str], value: str = "score", ci: float = 0.95,
                     n_bootstrap: int = 1000, seed: Optional[int] = 0) -> Any:
    """Per group of ``by``: mean, std, stderr, bootstrap CI of the mean and n (the runs
    with a finite score; a group without any is left out)."""
    import pandas as pd

    rows = []
    for key, group in scores.groupby(list(by), sort=True, dropna=False):
        values = group[value].to_numpy(dtype=np.float64)
        values = values[np.isfinite(values)]
        if not values.size:
            continue
        stats = curve_stats(values[:, None], ci=ci, n_bootstrap=n_bootstrap, seed=seed) if values.size else {}
        key = key if isinstance(key, tuple) else (key,)
        rows.append({**dict(zip(by, key)), **{k: float(v[0]) for k, v in stats.items() if k not in ("min", "max")},
                     "n": int(values.size)})
    columns = [*by, "mean", "std", "stderr", "ci_low", "ci_high", "n"]
    return pd.DataFrame(rows).reindex(columns=columns)


_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                  "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def latex_escape(text: str) -> str:
    """``text`` with LaTeX's special characters escaped, to print as it reads."""
    return re.sub(r"[\\&%$#_{}~^]", lambda match: _LATEX_SPECIAL[match.group()], text)


def format_summary(summary: Any, fmt: str = "markdown", spread: str = "std", digits: int = 3) -> str:
    """A summary table as markdown or LaTeX: one row per group, the cell ``mean ± std``
    (``spread="stderr"``: ``± stderr``; ``"ci"``: ``mean [low, high]``) and the number of runs."""
    if spread not in ("std", "stderr", "ci"):
        raise UsageError(f"spread must be 'std', 'stderr' or 'ci', got {spread!r}")
    if fmt not in ("markdown", "latex"):
        raise UsageError(f"fmt must be 'markdown' or 'latex', got {fmt!r}")
    latex = fmt == "latex"
    keys = [c for c in summary.columns if c not in ("mean", "std", "stderr", "ci_low", "ci_high", "n")]
    pm = "$\\pm$" if latex else "±"

    def number(value: float) -> str:  # a return of 2550 reads 2550, not 2.55e+03
        written = f"{value:.{digits}g}"
        return f"{value:.0f}" if "e+" in written and abs(value) < 1e9 else written

    def cell(row: Any) -> str:
        if spread == "ci":
            return f"{number(row['mean'])} [{number(row['ci_low'])}, {number(row['ci_high'])}]"
        return f"{number(row['mean'])} {pm} {number(row[spread])}"

    text = latex_escape if latex else str
    header = [text(str(k)) for k in keys] + ["mean [CI]" if spread == "ci" else f"mean {pm} {spread}", "n"]
    body = [[text(str(row[k])) for k in keys] + [cell(row), str(int(row["n"]))] for _, row in summary.iterrows()]
    if latex:
        return "\n".join(["\\begin{tabular}{" + "l" * len(keys) + "rr}", "\\toprule", " & ".join(header) + " \\\\",
                          "\\midrule", *(" & ".join(r) + " \\\\" for r in body), "\\bottomrule", "\\end{tabular}"])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in body])


# -- rliable-style aggregate metrics over runs × tasks -------------------------
def aggregate_mean(scores: np.ndarray) -> np.ndarray:
    """Mean over tasks of the per-task mean score (last two axes: runs × tasks)."""
    return np.mean(np.mean(scores, axis=-2), axis=-1)


def aggregate_median(scores: np.ndarray) -> np.ndarray:
    """Median over tasks of the per-task mean score."""
    return np.median(np.mean(scores, axis=-2), axis=-1)


def aggregate_iqm(scores: np.ndarray) -> np.ndarray:
    """Interquartile mean: the mean of the middle 50% of all runs × tasks scores
    (``int(0.25 * n)`` scores cut at each end, as ``scipy.stats.trim_mean``)."""
    flat = np.sort(scores.reshape(*scores.shape[:-2], -1), axis=-1)
    n = flat.shape[-1]
    cut = int(0.25 * n)
    return np.mean(flat[..., cut:n - cut], axis=-1)


def aggregate_optimality_gap(scores: np.ndarray, gamma: float = 1.0) -> np.ndarray:
    """How far scores fall short of ``gamma`` on average (scores above it count as ``gamma``)."""
    return gamma - np.mean(np.minimum(scores, gamma), axis=(-2, -1))


METRICS: Dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mean": aggregate_mean,
    "median": aggregate_median,
    "iqm": aggregate_iqm,
    "optimality_gap": aggregate_optimality_gap,
}


def _as_runs_by_tasks(scores: Any, name: str, finite: bool = False) -> np.ndarray:
    array = np.asarray(scores, dtype=np.float64)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.shape[0] == 0:
        raise UsageError(f"scores of {name!r} must be a runs × tasks array, got shape {np.shape(scores)}")
    if finite and not np.isfinite(array).all():
        runs, tasks = np.nonzero(~np.isfinite(array))
        cells = ", ".join(f"(run {r}, task {t})" for r, t in zip(runs.tolist(), tasks.tolist()))
        raise UsageError(f"scores of {name!r} are not all finite: {cells}; a NaN would make the mean NaN and "
                         "sort to the top of the IQM. Drop those runs (collect_scores leaves out runs "
                         "without a finite score) and keep the same number of runs per task")
    return array


def _ragged(scores: Any, name: str) -> Optional[List[np.ndarray]]:
    """One array of run scores per task when ``scores`` is a list of them of different lengths (the
    tasks have different numbers of runs); ``None`` for a runs × tasks array (a list of rows of one
    length is one)."""
    if not isinstance(scores, (list, tuple)) or not all(np.ndim(column) == 1 for column in scores):
        return None
    columns = [np.asarray(column, dtype=np.float64) for column in scores]
    if len({len(column) for column in columns}) == 1:
        return None
    for task, column in enumerate(columns):
        if column.size == 0 or not np.isfinite(column).all():
            raise UsageError(f"scores of {name!r} on task {task} are empty or not all finite: every task "
                             "needs runs with finite scores")
    return columns


def ragged_metric(metric: str, columns: Sequence[np.ndarray], gamma: float = 1.0) -> np.ndarray:
    """An aggregate metric of per-task run scores (``[...,] runs`` each): task means for the mean and
    the median, every run of every task pooled for the IQM and the optimality gap (with as many runs
    on every task these are the metrics of the runs × tasks array)."""
    if metric in ("mean", "median"):
        means = np.stack([column.mean(axis=-1) for column in columns], axis=-1)
        return means.mean(axis=-1) if metric == "mean" else np.median(means, axis=-1)
    pooled = np.concatenate(columns, axis=-1)
    if metric == "iqm":
        return aggregate_iqm(pooled[..., None])
    return gamma - np.mean(np.minimum(pooled, gamma), axis=-1)


def stratified_draws(runs_per_task: Sequence[int], n_bootstrap: int, rng: "BootstrapRNG") -> List[np.ndarray]:
    """Which runs ``n_bootstrap`` resamples take, drawn with replacement task by task (tasks with
    different numbers of runs): one n_bootstrap × runs array of run numbers per task."""
    return [_draw(rng, runs, (n_bootstrap, runs)) for runs in runs_per_task]


def _resample_columns(columns: Sequence[np.ndarray], n_bootstrap: int, rng: "BootstrapRNG") -> List[np.ndarray]:
    """Each task's runs drawn with replacement, task by task: n_bootstrap × runs each."""
    return [column[index] for column, index in
            zip(columns, stratified_draws([len(column) for column in columns], n_bootstrap, rng))]


#: a random source of the bootstrap: numpy's legacy RandomState (as rliable draws) or a Generator
BootstrapRNG = Union[np.random.RandomState, np.random.Generator]


def bootstrap_rng(seed: Optional[int]) -> np.random.RandomState:
    """The random source of every stratified bootstrap here: numpy's legacy ``RandomState(seed)``.

    rliable (1.2) draws each resample's run indices with ``np.random.choice`` from numpy's
    global RandomState, one ``runs × tasks [× points]`` array per resample; drawing the same
    integers from ``RandomState(seed)`` gives, for ``np.random.seed(seed)`` before rliable's
    ``get_interval_estimates``, the same resamples and so the same intervals."""
    return np.random.RandomState(seed)


def _draw(rng: BootstrapRNG, high: int, size: Tuple[int, ...]) -> np.ndarray:
    """Integers in ``[0, high)``: those ``np.random.choice(high, size)`` draws from a RandomState."""
    if isinstance(rng, np.random.RandomState):
        return rng.randint(0, high, size=size)
    return rng.integers(0, high, size=size)


def stratified_bootstrap(scores: np.ndarray, n_bootstrap: int, rng: BootstrapRNG) -> np.ndarray:
    """``n_bootstrap`` resamples of a runs × tasks [× points] array, runs drawn with replacement
    within each task (the task strata are kept; with points, within each task and point, as
    rliable resamples its runs × tasks × frames arrays): n_bootstrap × runs × tasks [× points]."""
    runs = scores.shape[0]
    shape = (n_bootstrap, *scores.shape)
    index = _draw(rng, runs, shape)
    return np.take_along_axis(np.broadcast_to(scores, shape), index, axis=1)


def interval(boot: np.ndarray, ci: float) -> Tuple[np.ndarray, np.ndarray]:
    """The percentile interval of bootstrap values (axis 0), as rliable's (arch's ``percentile``)."""
    tail = (1.0 - ci) / 2 * 100
    low, high = np.percentile(boot, [tail, 100 - tail], axis=0)
    return low, high


def aggregate_metrics(score_dict: Mapping[str, Any],
                      metrics: Sequence[str] = ("mean", "median", "iqm", "optimality_gap"),
                      ci: float = 0.95, n_bootstrap: int = 2000, seed: Optional[int] = 0,
                      gamma: float = 1.0) -> Any:
    """For each algorithm (a runs × tasks array of normalized scores): each metric
    with its stratified-bootstrap percentile interval, as a DataFrame indexed by
    algorithm with columns ``<metric>``, ``<metric>_low``, ``<metric>_high``.

    An algorithm whose tasks have different numbers of runs gives a list of one array
    of run scores per task (of different lengths: a list of equal rows is runs × tasks):
    each task's runs are resampled on their own, the mean and median are over its task
    means and the IQM and optimality gap over its pooled runs (rliable has no such case:
    it needs a runs × tasks array).

    Every score must be finite (``UsageError`` names the NaN/inf cells otherwise):
    :func:`RLA.easy_plot.scores.collect_scores` already leaves out runs without one.
    Each algorithm's resamples come from :func:`bootstrap_rng` ``(seed)``: its intervals equal
    rliable's ``get_interval_estimates`` run on that algorithm alone after ``np.random.seed(seed)``,
    and do not change with the other algorithms of the table."""
    import pandas as pd

    return pd.DataFrame.from_dict(aggregate_metric_records(score_dict, metrics, ci, n_bootstrap, seed, gamma),
                                  orient="index")


def aggregate_metric_records(score_dict: Mapping[str, Any],
                             metrics: Sequence[str] = ("mean", "median", "iqm", "optimality_gap"),
                             ci: float = 0.95, n_bootstrap: int = 2000, seed: Optional[int] = 0,
                             gamma: float = 1.0) -> Dict[str, Dict[str, float]]:
    """The rows of :func:`aggregate_metrics` without pandas: ``{algorithm: {metric: value,
    <metric>_low: ..., <metric>_high: ...}}``."""
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise UsageError(f"unknown metrics {unknown}; choose from {list(METRICS)}")
    rows: Dict[str, Dict[str, float]] = {}
    for algorithm, scores in score_dict.items():
        columns = _ragged(scores, algorithm)
        if columns is not None:
            resampled_columns = _resample_columns(columns, n_bootstrap, bootstrap_rng(seed))
            row = {}
            for metric in metrics:
                low, high = interval(ragged_metric(metric, resampled_columns, gamma), ci)
                row.update({metric: float(ragged_metric(metric, columns, gamma)), f"{metric}_low": float(low),
                            f"{metric}_high": float(high)})
            rows[algorithm] = row
            continue
        array = _as_runs_by_tasks(scores, algorithm, finite=True)
        resampled = stratified_bootstrap(array, n_bootstrap, bootstrap_rng(seed))
        row = {}
        for metric in metrics:
            fn = (lambda s: aggregate_optimality_gap(s, gamma)) if metric == "optimality_gap" else METRICS[metric]
            point, boot = fn(array), fn(resampled)
            low, high = interval(boot, ci)
            row.update({metric: float(point), f"{metric}_low": float(low), f"{metric}_high": float(high)})
        rows[algorithm] = row
    return rows


#: bootstrap resamples drawn at a time by the probability of improvement (rliable's draws, chunked)
_POI_CHUNK = 256
#: numbers held at a time by one step of :func:`_improvement_boot` (bounds its memory)
_POI_BLOCK = 2_000_000


def probability_of_improvement(scores_x: Any, scores_y: Any) -> np.ndarray:
    """P(X > Y): on each task, the probability that a run of X scores above a run of Y (the
    Mann-Whitney U statistic over ``runs_x * runs_y``, a tie counting one half), averaged over
    tasks, as rliable defines it. Arrays are [... ×] runs × tasks (leading axes: resamples)."""
    x = np.asarray(scores_x, dtype=np.float64)
    y = np.asarray(scores_y, dtype=np.float64)
    pairs = x[..., :, None, :] - y[..., None, :, :]  # ... × runs_x × runs_y × tasks
    wins = (pairs > 0).sum(axis=(-3, -2)) + 0.5 * (pairs == 0).sum(axis=(-3, -2))
    return np.mean(wins / (x.shape[-2] * y.shape[-2]), axis=-1)


def _draw_counts(runs: int, tasks: int, n_bootstrap: int, seed: Optional[int]) -> np.ndarray:
    """How often each run is drawn into each resample of X and of Y, drawn as :func:`improvement_interval`
    draws two runs × tasks arrays of ``runs`` runs: (x, y) × tasks × n_bootstrap × runs."""
    rng = bootstrap_rng(seed)
    counts = np.empty((2, tasks, n_bootstrap, runs), dtype=np.int64)
    for start in range(0, n_bootstrap, _POI_CHUNK):
        reps = min(_POI_CHUNK, n_bootstrap - start)
        index = np.moveaxis(_draw(rng, runs, (reps, 2, runs, tasks)), 3, 2)  # reps × (x, y) × tasks × draws
        rows = np.arange(reps * 2 * tasks).reshape(reps, 2, tasks, 1) * runs
        found = np.bincount((index + rows).ravel(), minlength=reps * 2 * tasks * runs)
        counts[:, :, start:start + reps] = np.moveaxis(found.reshape(reps, 2, tasks, runs), 0, 2)
    return counts


def _improvement_boot(arrays: Sequence[np.ndarray], n_bootstrap: int, seed: Optional[int]) -> np.ndarray:
    """The bootstrap P(X > Y) of every ordered pair of equally shaped runs × tasks arrays: a
    groups × groups × n_bootstrap array, each pair resampled as :func:`improvement_interval` resamples
    it (rliable's draws from ``bootstrap_rng(seed)``).

    Reseeded per pair, every pair of one shape draws the same run indices, so a resample's sum of
    the signs of X's drawn runs minus Y's is ``counts_x @ signs @ counts_y`` on each task (how often
    each run is drawn; the sign of the difference of every two runs): integer matrix products for
    all pairs, exact, where comparing drawn runs costs runs² per resample and pair. Integers also keep
    the products out of BLAS, whose threads wait on each other for such small matrices on a busy machine."""
    stack = np.stack([np.asarray(array, dtype=np.float64) for array in arrays])  # groups × runs × tasks
    groups, runs, tasks = stack.shape
    by_task = np.moveaxis(stack, 2, 1)  # groups × tasks × runs
    counts_x, counts_y = _draw_counts(runs, tasks, n_bootstrap, seed)  # tasks × n_bootstrap × runs each
    boot = np.empty((groups, groups, n_bootstrap))
    block = max(1, _POI_BLOCK // (tasks * runs * runs))
    reps = max(1, _POI_BLOCK // (tasks * runs * min(block, groups)))
    for x in range(groups):
        for first in range(0, groups, block):
            ys = slice(first, first + block)
            # signs[t, q, y, p]: the sign of (run p of X) - (run q of Y) on task t
            signs = np.sign(by_task[x][:, None, None, :] - np.moveaxis(by_task[ys], 0, 2)[..., None])
            signs = signs.astype(np.int64).reshape(tasks, runs, -1)
            for start in range(0, n_bootstrap, reps):
                draws = slice(start, start + reps)
                weighted = (counts_y[:, draws] @ signs).reshape(tasks, -1, signs.shape[-1] // runs, runs)
                sums = np.einsum("trp,trgp->grt", counts_x[:, draws], weighted)  # Y × resamples × tasks
                wins = (runs * runs + sums) / 2  # a run above counts 1, a tie one half
                boot[x, ys, draws] = np.mean(wins / (runs * runs), axis=-1)
    return boot


def improvement_interval(scores_x: Any, scores_y: Any, ci: float = 0.95, n_bootstrap: int = 2000,
                         seed: Optional[int] = 0) -> Tuple[float, float, float]:
    """P(X > Y) with its stratified-bootstrap percentile interval, the runs of X and of Y each
    resampled within every task, as rliable's ``StratifiedIndependentBootstrap`` does them
    (the same draws after ``np.random.seed(seed)``): ``(probability, low, high)``. X or Y may
    be a list of one array of run scores per task (tasks with different numbers of runs)."""
    ragged_x, ragged_y = _ragged(scores_x, "X"), _ragged(scores_y, "Y")
    if ragged_x is not None or ragged_y is not None:
        return _ragged_improvement(ragged_x or list(_as_runs_by_tasks(scores_x, "X", finite=True).T),
                                   ragged_y or list(_as_runs_by_tasks(scores_y, "Y", finite=True).T),
                                   ci, n_bootstrap, seed)
    x = _as_runs_by_tasks(scores_x, "X", finite=True)
    y = _as_runs_by_tasks(scores_y, "Y", finite=True)
    if x.shape[1] != y.shape[1]:
        raise UsageError(f"X and Y have scores on {x.shape[1]} and {y.shape[1]} tasks: compare them on the same tasks")
    if x.shape == y.shape:
        boot = _improvement_boot([x, y], n_bootstrap, seed)[0, 1]
    else:  # different numbers of runs: drawn resample by resample, in rliable's order
        rng = bootstrap_rng(seed)
        boot = np.empty(n_bootstrap)
        for start in range(0, n_bootstrap, _POI_CHUNK):
            pairs = [(_draw(rng, x.shape[0], x.shape), _draw(rng, y.shape[0], y.shape))
                     for _ in range(min(_POI_CHUNK, n_bootstrap - start))]
            index_x, index_y = np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
            resampled_x = np.take_along_axis(np.broadcast_to(x, (len(pairs), *x.shape)), index_x, axis=1)
            resampled_y = np.take_along_axis(np.broadcast_to(y, (len(pairs), *y.shape)), index_y, axis=1)
            boot[start:start + len(pairs)] = probability_of_improvement(resampled_x, resampled_y)
    low, high = interval(boot, ci)
    return float(probability_of_improvement(x, y)), float(low), float(high)


def _ragged_improvement(xs: Sequence[np.ndarray], ys: Sequence[np.ndarray], ci: float, n_bootstrap: int,
                        seed: Optional[int]) -> Tuple[float, float, float]:
    """P(X > Y) of per-task run scores, each task's runs of X then of Y resampled task by task."""
    if len(xs) != len(ys):
        raise UsageError(f"X and Y have scores on {len(xs)} and {len(ys)} tasks: compare them on the same tasks")
    rng = bootstrap_rng(seed)
    point = np.mean([probability_of_improvement(x[:, None], y[:, None]) for x, y in zip(xs, ys)])
    boot = np.zeros(n_bootstrap)
    for x, y in zip(xs, ys):
        resampled_x, resampled_y = _resample_columns([x, y], n_bootstrap, rng)
        for start in range(0, n_bootstrap, _POI_CHUNK):
            chunk = slice(start, start + _POI_CHUNK)
            boot[chunk] += probability_of_improvement(resampled_x[chunk, :, None], resampled_y[chunk, :, None])
    low, high = interval(boot / len(xs), ci)
    return float(point), float(low), float(high)


#: the columns of :func:`probability_of_improvement_matrix`
IMPROVEMENT_COLUMNS = ("x", "y", "probability", "low", "high")


def probability_of_improvement_matrix(score_dict: Mapping[str, Any], ci: float = 0.95, n_bootstrap: int = 2000,
                                      seed: Optional[int] = 0) -> Any:
    """P(X > Y) for every ordered pair of algorithms (runs × tasks arrays of scores on the
    same tasks), each with its interval (:func:`improvement_interval`, reseeded per pair): a
    DataFrame with columns ``x``, ``y``, ``probability``, ``low``, ``high``, in the order of
    ``score_dict``; P(Y > X) is ``1 - P(X > Y)``. The pairs of algorithms with as many runs are
    resampled all at once (:func:`_improvement_boot`), the same numbers as pair by pair."""
    import pandas as pd

    return pd.DataFrame(improvement_records(score_dict, ci, n_bootstrap, seed), columns=list(IMPROVEMENT_COLUMNS))


def improvement_records(score_dict: Mapping[str, Any], ci: float = 0.95, n_bootstrap: int = 2000,
                        seed: Optional[int] = 0) -> List[Dict[str, Any]]:
    """The rows of :func:`probability_of_improvement_matrix` as dicts, without pandas."""
    names = list(score_dict)
    found: Dict[Tuple[str, str], Tuple[float, float, float]] = {}
    by_shape: Dict[Tuple[int, ...], Dict[str, np.ndarray]] = {}
    for name in names:
        if _ragged(score_dict[name], name) is None:
            array = _as_runs_by_tasks(score_dict[name], name, finite=True)
            by_shape.setdefault(array.shape, {})[name] = array
    for arrays in by_shape.values():
        if len(arrays) < 2:
            continue
        boot = _improvement_boot(list(arrays.values()), n_bootstrap, seed)
        for i, (x, scores_x) in enumerate(arrays.items()):
            for j, (y, scores_y) in enumerate(arrays.items()):
                if i != j:
                    low, high = interval(boot[i, j], ci)
                    found[x, y] = (float(probability_of_improvement(scores_x, scores_y)), float(low), float(high))
    return [dict(zip(IMPROVEMENT_COLUMNS, (x, y, *(found.get((x, y)) or improvement_interval(
        score_dict[x], score_dict[y], ci, n_bootstrap, seed))))) for x in names for y in names if x != y]


def performance_profile(scores: Any, taus: Sequence[float]) -> np.ndarray:
    """The fraction of runs scoring above each ``tau``, averaged over tasks
    (the run-score distribution of rliable)."""
    array = np.asarray(scores, dtype=np.float64)
    thresholds = np.asarray(taus, dtype=np.float64)
    return np.mean(np.mean(array[..., None] > thresholds, axis=-3), axis=-2)


def performance_profiles(score_dict: Mapping[str, Any], taus: Sequence[float], ci: float = 0.95,
                         n_bootstrap: int = 2000, seed: Optional[int] = 0) -> Dict[str, Dict[str, np.ndarray]]:
    """For each algorithm: ``{"profile", "low", "high"}`` at ``taus``, with a
    stratified-bootstrap percentile band."""
    out = {}
    for algorithm, scores in score_dict.items():
        array = _as_runs_by_tasks(scores, algorithm, finite=True)
        boot = performance_profile(stratified_bootstrap(array, n_bootstrap, bootstrap_rng(seed)), taus)
        low, high = interval(boot, ci)
        out[algorithm] = {"profile": performance_profile(array, taus), "low": low, "high": high}
    return out
