"""rliable's library, importable with the arch that runs on this pandas.

rliable's last release (1.2.0) passes ``random_state=`` to arch's bootstrap classes, a keyword arch 8
renamed ``seed`` (arch 7, which still took it, no longer imports with pandas 3). Wrapping the two
constructors rliable subclasses to accept the old name is the only change: rliable's resampling
(``np.random.choice`` from numpy's global RandomState) and arch's percentile intervals run as written.
"""
from __future__ import annotations

from typing import Any


def _accepting_random_state(cls: Any) -> None:
    original = cls.__init__
    if getattr(original, "_takes_random_state", False):
        return

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if "random_state" in kwargs:
            kwargs["seed"] = kwargs.pop("random_state")
        original(self, *args, **kwargs)

    __init__._takes_random_state = True  # type: ignore[attr-defined]
    cls.__init__ = __init__


def rliable() -> Any:
    """``(rliable.library, rliable.metrics)``; an ImportError saying what to install when missing."""
    try:
        import arch.bootstrap as arch_bootstrap
        from rliable import library, metrics
    except ImportError as error:
        raise ImportError(f"the rla table tests compare with rliable: {error}; install the dev extra and "
                          "`pip install --no-deps rliable==1.2.0` (as the Makefile does)") from error
    for cls in (arch_bootstrap.IIDBootstrap, arch_bootstrap.IndependentSamplesBootstrap):
        _accepting_random_state(cls)
    return library, metrics
