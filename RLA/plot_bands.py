"""The uncertainty bands drawn around a group's mean curve, one registry: ``plot_func``, ``rla plot
--band`` and the web page's band menu read it. A new band is one :class:`Band` line in :data:`BANDS`
(and its columns in :func:`RLA.easy_plot.aggregate.group_curves`'s table).

It sits beside :mod:`RLA.errors`, not in :mod:`RLA.easy_plot`, so that ``rla`` can name the bands
in its options without loading the plotting code (which doubles the command's start)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Sequence, Tuple, TypedDict, cast

from RLA.words import pick

__all__ = ["Band", "BANDS", "NAMES", "ShadedFlags", "get", "from_flags", "flags"]


class ShadedFlags(TypedDict):
    """plot_func's band keywords (each Band's ``flag``)."""

    shaded_std: bool
    shaded_err: bool
    shaded_range: bool
    shaded_ci: bool


@dataclass(frozen=True)
class Band:
    """A shaded band: which columns of the grouped table bound it, and how it is drawn."""

    name: str
    doc: str
    #: the grouped table's columns of its lower and upper bound
    low: str
    high: str
    #: the columns are distances from the mean (std, stderr), not bounds
    around_mean: bool
    #: plot_func's keyword that turns it on (``shaded_std=True``)
    flag: str
    alpha: float
    #: the grouped table must be computed with bootstrap confidence intervals
    needs_ci: bool = False
    #: what a figure's legend calls it when several bands are drawn
    label: str = ""

    def bounds(self, curve: Any, mean: Any) -> Tuple[Any, Any]:
        """The band's lower and upper curves for one group (``curve``: its rows of the grouped table)."""
        low, high = curve[self.low].to_numpy(), curve[self.high].to_numpy()
        return (mean - low, mean + high) if self.around_mean else (low, high)


BANDS: Tuple[Band, ...] = (
    Band("std", "mean ± the runs' standard deviation", "std", "std", True, "shaded_std", 0.2, label="± std"),
    Band("stderr", "mean ± its standard error", "stderr", "stderr", True, "shaded_err", 0.3,
         label="± standard error"),
    Band("range", "the runs' minimum to maximum", "min", "max", False, "shaded_range", 0.1, label="min to max"),
    Band("ci", "95% bootstrap confidence interval of the mean", "ci_low", "ci_high", False, "shaded_ci", 0.25,
         needs_ci=True, label="95% CI of the mean"),
)
NAMES = tuple(band.name for band in BANDS)
_BY_NAME: Dict[str, Band] = {band.name: band for band in BANDS}


def get(name: str) -> Band:
    """The band called ``name``; a UsageError naming the others when there is none."""
    return pick("band", name, _BY_NAME)


def from_flags(**shaded: bool) -> List[str]:
    """The bands plot_func's ``shaded_*`` keywords turn on, in registry order."""
    return [band.name for band in BANDS if shaded.get(band.flag)]


def flags(names: Sequence[str]) -> ShadedFlags:
    """plot_func's ``shaded_*`` keywords that draw exactly the bands ``names``."""
    wanted = {get(name).name for name in names}
    return cast(ShadedFlags, {band.flag: band.name in wanted for band in BANDS})
