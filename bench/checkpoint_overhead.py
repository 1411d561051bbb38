"""Time of exp_manager.save_checkpoint for a ~50 MB torch model against a bare torch.save.

save_checkpoint makes the checkpoint durable (fsync of the files and folders,
then an atomic rename and an index update), which a bare ``torch.save`` does
not. Both ratios are printed: against ``torch.save`` alone, and against
``torch.save`` followed by ``fsync`` (the same durability). Target: <= 1.2x.

    python bench/checkpoint_overhead.py [--repeats 11]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from RLA import exp_manager  # noqa: E402

TARGET_RATIO = 1.2


def make_model() -> torch.nn.Module:
    """Three 2048x2048 linear layers: 12.6 M float32 parameters, about 50 MB."""
    return torch.nn.Sequential(*[torch.nn.Linear(2048, 2048) for _ in range(3)])


def median_seconds(actions: Dict[str, Callable[[int], None]], repeats: int) -> Dict[str, float]:
    """Median time of each action; the actions take turns so that disk and cache noise hit all alike."""
    times: Dict[str, List[float]] = {name: [] for name in actions}
    for i in range(-1, repeats):  # round -1 warms up allocations and file-system caches
        for name, action in actions.items():
            start = time.perf_counter()
            action(i)
            if i >= 0:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def keep_two(folder: Path, prefix: str, i: int) -> None:
    """Like save_checkpoint with max_to_keep=2: remove the file two saves back."""
    old = folder / f"{prefix}-{i - 2}.pt"
    if old.exists():
        old.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11)
    args = parser.parse_args()

    model = make_model()
    size_mb = sum(p.numel() * p.element_size() for p in model.state_dict().values()) / 2**20
    with tempfile.TemporaryDirectory() as root:
        exp_manager.configure("bench_checkpoint", {"LOG_USED": ["csv"]}, root, code_root=root)
        exp_manager.log_files_gen()
        exp_manager.new_saver(max_to_keep=2)
        bare_dir = Path(root) / "bare"
        bare_dir.mkdir()

        def rla_save(i: int) -> None:
            exp_manager.time_step_holder.set_time(i + 1)
            exp_manager.save_checkpoint({"model": model})

        def bare_save(i: int) -> None:
            torch.save({"model": model.state_dict()}, bare_dir / f"bare-{i}.pt")
            keep_two(bare_dir, "bare", i)

        def bare_save_fsync(i: int) -> None:
            with open(bare_dir / f"fsync-{i}.pt", "wb") as f:
                torch.save({"model": model.state_dict()}, f)
                f.flush()
                os.fsync(f.fileno())
            keep_two(bare_dir, "fsync", i)

        medians = median_seconds({"bare": bare_save, "fsync": bare_save_fsync, "rla": rla_save}, args.repeats)
        bare, bare_fsync, rla = medians["bare"], medians["fsync"], medians["rla"]
        exp_manager.finish()

    print(f"checkpoint of a {size_mb:.0f} MB torch model, median of {args.repeats} saves")
    print(f"  torch.save                 {bare * 1000:8.1f} ms")
    print(f"  torch.save + fsync         {bare_fsync * 1000:8.1f} ms")
    print(f"  exp_manager.save_checkpoint {rla * 1000:7.1f} ms")
    print(f"ratio vs torch.save + fsync (same durability): {rla / bare_fsync:.2f}x (target <= {TARGET_RATIO}x)")
    print(f"ratio vs bare torch.save (no fsync):            {rla / bare:.2f}x")


if __name__ == "__main__":
    main()
