"""The ``ray`` launcher: the trials as a Ray Tune experiment whose function trainable runs the command.

``ray.init(address=...)`` joins a cluster (``auto``: the one this node belongs
to); without an address a local Ray is started with ``jobs`` CPUs. Tune keeps
its own results under ``<sweep dir>/ray``; the items are RLA's as for any
launcher, and a trial run again continues its item (RLA_RESUME=auto).
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

from RLA.errors import UsageError
from RLA.sweep.state import SweepState
from RLA.sweep.trial import Trial, run_command

__all__ = ["run_ray", "ensure_ray"]


def ensure_ray(address: Optional[str] = None, num_cpus: Optional[int] = None) -> Any:
    """The ``ray`` module with a running Ray: the one already initialised, the cluster at ``address``, or a local one."""
    try:
        import ray
    except ImportError:
        raise UsageError("the ray launcher needs Ray Tune: pip install 'RLA[sweep]'") from None
    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=num_cpus, log_to_driver=False, include_dashboard=False)
    return ray


def run_ray(trials: Sequence[Trial], state: SweepState, cwd: str, jobs: int = 1,
            address: Optional[str] = None, cpus_per_trial: float = 1.0) -> None:
    """Run the trials through Tune, ``jobs`` at a time, and note each one's outcome."""
    ensure_ray(address, num_cpus=None if address else jobs)
    from ray import tune

    by_id: Dict[str, Trial] = {trial.trial_id: trial for trial in trials}
    sweep, log_paths = state.name, {trial.trial_id: state.log_path(trial) for trial in trials}

    def trainable(config: Dict[str, Any]) -> None:
        trial = by_id[config["trial"]]
        returncode = run_command(trial, sweep, cwd, log_paths[trial.trial_id])
        tune.report({"returncode": returncode})
        if returncode != 0:
            raise RuntimeError(f"trial {trial.label()} exited with status {returncode}")

    for trial in trials:
        state.note(trial, status="submitted", launcher="ray")
    tuner = tune.Tuner(
        tune.with_resources(trainable, {"cpu": cpus_per_trial}),
        param_space={"trial": tune.grid_search(list(by_id))},
        # one worker process runs trial after trial: no actor start-up per trial
        tune_config=tune.TuneConfig(max_concurrent_trials=max(1, jobs), reuse_actors=True),
        run_config=tune.RunConfig(name=sweep, storage_path=str(state.database.sweep_dir(sweep) / "ray"),
                                  verbose=0),
    )
    for result in tuner.fit():
        trial = by_id[result.config["trial"]]
        failed = result.error is not None
        state.note(trial, status="failed" if failed else "finished", returncode=1 if failed else 0)
