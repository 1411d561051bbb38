"""A sweep's parameter space: grid values and random distributions, expanded into trial parameters.

    grid:    lr=1e-3,3e-4     seed=0..9     env=Hopper-v4,Walker2d-v4
    random:  lr=uniform:0:1   lr=loguniform:1e-5:1e-2   seed=int:0:1000   act=choice:relu,tanh

The trials are every combination of the grid values, each with ``samples``
draws of the random parameters; draws come from a generator seeded by
``seed``, so the same command always gives the same trials (which is what lets
a re-run skip the finished ones).
"""
from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from typing import Any, Dict, List, Sequence, Tuple

from RLA.errors import UsageError

__all__ = ["parse_value", "parse_grid", "Distribution", "parse_random", "expand"]

_RANGE = ".."
_KINDS = ("uniform", "loguniform", "int", "choice")


def parse_value(text: str) -> Any:
    """``"3"`` -> 3, ``"1e-3"`` -> 0.001, ``"true"`` -> True, anything else stays a string."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def _split_key(spec: str, option: str) -> Tuple[str, str]:
    key, sep, values = spec.partition("=")
    if not sep or not key.strip() or not values.strip():
        raise UsageError(f"{option} {spec!r}: expected KEY=VALUES, e.g. {option} lr=1e-3,3e-4")
    return key.strip(), values.strip()


def parse_grid(spec: str) -> Tuple[str, List[Any]]:
    """``"seed=0..3"`` -> ``("seed", [0, 1, 2, 3])``; ``"lr=1e-3,3e-4"`` -> ``("lr", [0.001, 0.0003])``."""
    key, text = _split_key(spec, "--grid")
    if _RANGE in text and "," not in text:
        low, _, high = text.partition(_RANGE)
        start, stop = parse_value(low), parse_value(high)
        if not isinstance(start, int) or not isinstance(stop, int) or stop < start:
            raise UsageError(f"--grid {spec!r}: a range is two integers, low..high (both included), e.g. seed=0..9")
        return key, list(range(start, stop + 1))
    return key, [parse_value(v) for v in text.split(",") if v.strip()]


@dataclass(frozen=True)
class Distribution:
    """One random parameter: ``kind`` is uniform, loguniform, int (low..high included) or choice."""

    kind: str
    args: Tuple[Any, ...]

    def sample(self, rng: random.Random) -> Any:
        if self.kind == "uniform":
            return rng.uniform(*self.args)
        if self.kind == "loguniform":
            low, high = self.args
            return math.exp(rng.uniform(math.log(low), math.log(high)))
        if self.kind == "int":
            return rng.randint(*self.args)
        return rng.choice(self.args)


def parse_random(spec: str) -> Tuple[str, Distribution]:
    """``"lr=loguniform:1e-5:1e-2"`` -> ``("lr", Distribution("loguniform", (1e-5, 1e-2)))``."""
    key, text = _split_key(spec, "--random")
    kind, _, rest = text.partition(":")
    if kind not in _KINDS or not rest:
        raise UsageError(f"--random {spec!r}: expected KEY=KIND:ARGS with KIND one of {', '.join(_KINDS)} "
                         "(uniform:0:1, loguniform:1e-5:1e-2, int:0:1000, choice:a,b,c)")
    if kind == "choice":
        return key, Distribution(kind, tuple(parse_value(v) for v in rest.split(",") if v.strip()))
    bounds = tuple(parse_value(v) for v in rest.split(":"))
    numeric = len(bounds) == 2 and all(isinstance(b, (int, float)) and not isinstance(b, bool) for b in bounds)
    if not numeric or bounds[1] < bounds[0] or (kind == "loguniform" and bounds[0] <= 0) \
            or (kind == "int" and not all(isinstance(b, int) for b in bounds)):
        raise UsageError(f"--random {spec!r}: {kind} takes LOW:HIGH with LOW <= HIGH"
                         + (" and LOW > 0" if kind == "loguniform" else "")
                         + (" (integers)" if kind == "int" else ""))
    return key, Distribution(kind, bounds)


def expand(grid: Sequence[Tuple[str, Sequence[Any]]], random_params: Sequence[Tuple[str, Distribution]] = (),
           samples: int = 1, seed: int = 0) -> List[Dict[str, Any]]:
    """The parameters of every trial: each grid combination with ``samples`` draws of the random ones."""
    if samples < 1:
        raise UsageError(f"--samples must be at least 1, got {samples}")
    keys = [k for k, _ in grid] + [k for k, _ in random_params]
    duplicated = sorted({k for k in keys if keys.count(k) > 1})
    if duplicated:
        raise UsageError(f"parameter(s) {', '.join(duplicated)} given twice; give each key once")
    rng = random.Random(seed)
    draws = samples if random_params else 1
    trials = []
    for combination in itertools.product(*[values for _, values in grid]):
        for _ in range(draws):
            params = dict(zip([k for k, _ in grid], combination))
            params.update({key: dist.sample(rng) for key, dist in random_params})
            trials.append(params)
    return trials
