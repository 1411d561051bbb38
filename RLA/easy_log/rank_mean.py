"""A row averaged over the MPI ranks of a run: RLA 0.6's (and baselines') ``logger.set_comm``.

Every rank records its own values; at each dump the ranks send them, with how
many values each mean holds, to rank 0, which writes the weighted means. The
communicator is an mpi4py one (``pip install 'RLA[mpi]'``); mpi4py is imported
only when a communicator is given.
"""
from __future__ import annotations

import numbers
from typing import Any, Dict, Mapping, Optional, Tuple

from RLA.errors import UsageError

__all__ = ["MPI_EXTRA", "require_mpi4py", "comm_rank", "mpi_weighted_mean", "mean_over_ranks"]

MPI_EXTRA = "pip install 'RLA[mpi]'"


def require_mpi4py() -> None:
    """Fail with what to install when mpi4py (the communicators ``set_comm`` takes) is missing."""
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        raise UsageError("averaging logged values over MPI ranks (set_comm / comm=) needs mpi4py and an MPI "
                         f"library: {MPI_EXTRA} (Debian: apt-get install libopenmpi-dev openmpi-bin)") from None


def comm_rank(comm: Any) -> int:
    """This process's rank in ``comm``."""
    return int(comm.Get_rank())


def mpi_weighted_mean(comm: Any, local_name2valcount: Mapping[str, Tuple[Any, int]]) -> Dict[str, Any]:
    """Baselines' helper: ``{name: (value, count)}`` of every rank -> on rank 0 the mean of each name,
    each rank's value weighted by its count; ``{}`` on the other ranks. Call it on every rank.

    A value that is not a number (text, a list) is not averaged: rank 0's is kept, else the first
    rank's that logged it.
    """
    gathered = comm.gather(dict(local_name2valcount), root=0)
    if comm_rank(comm) != 0:
        return {}
    sums: Dict[str, float] = {}
    weights: Dict[str, float] = {}
    means: Dict[str, Any] = {}
    for rank_values in gathered:
        for name, (value, count) in rank_values.items():
            if isinstance(value, numbers.Real) and name not in means:
                sums[name] = sums.get(name, 0.0) + float(value) * count
                weights[name] = weights.get(name, 0.0) + count
            elif name not in sums:
                means.setdefault(name, value)
    means.update({name: sums[name] / weights[name] for name in sums})
    order = [name for rank_values in gathered for name in rank_values]
    return {name: means[name] for name in dict.fromkeys(order)}


def mean_over_ranks(comm: Any, values: Mapping[str, Any], counts: Mapping[str, int]) -> Optional[Dict[str, Any]]:
    """The pending row of every rank averaged (a value logged once weighs 1, a ``logkv_mean`` its
    count): the row rank 0 writes, or None on the other ranks, which write nothing."""
    means = mpi_weighted_mean(comm, {name: (value, counts.get(name) or 1) for name, value in values.items()})
    return means if comm_rank(comm) == 0 else None
