"""`rla import mlflow`: runs logged by the real mlflow client into a file store and into SQLite become items whose
values, steps, typed parameters, statuses, tags and notes read back as they were logged, without a network."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict

import pytest
from conftest import subprocess_env
from import_helpers import curves, imported, params_json, rla_offline, run_json, tree_state

from RLA.db.annotations import read_annotations
from RLA.importers import import_runs

#: the milliseconds the metrics are logged at: step s of a run at T0 + s seconds
T0 = 1_700_000_000_000
MLFLOW_ENV = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "MLFLOW_ALLOW_FILE_STORE": "true"}

LOG_RUNS = """
    import json, sys
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mlflow
    from mlflow import MlflowClient

    uri, out = sys.argv[1], sys.argv[2]
    T0 = %d
    mlflow.set_tracking_uri(uri)
    ids = {}
    mlflow.set_experiment("cartpole")
    with mlflow.start_run(run_name="ppo-seed1", tags={"team": "rl lab", "baseline": "true"},
                          description="first try") as run:
        mlflow.log_params({"lr": 0.001, "n_steps": 128, "use_gae": True, "name": "ppo", "optim.eps": 1e-5})
        for step in (0, 10, 25, 40):
            mlflow.log_metric("loss", 1 / (step + 1), step=step, timestamp=T0 + step * 1000)
        for step in (7, 33):
            mlflow.log_metric("charts/return", step * 1.5, step=step, timestamp=T0 + step * 1000)
        figure = plt.figure()
        plt.plot([0, 1], [1, 0])
        mlflow.log_figure(figure, "figures/curve.png")
        ids["ppo-seed1"] = run.info.run_id
    for name, status in (("crashed", "FAILED"), ("stopped", "KILLED")):
        run = mlflow.start_run(run_name=name)
        mlflow.log_param("lr", 0.1)
        mlflow.log_metric("loss", 3.0, step=0, timestamp=T0)
        mlflow.end_run(status=status)
        ids[name] = run.info.run_id
    client = MlflowClient(uri)
    live = client.create_run(mlflow.get_experiment_by_name("cartpole").experiment_id, run_name="live")
    for step in range(5):
        client.log_metric(live.info.run_id, "loss", 10.0 - step, step=step, timestamp=T0 + step * 1000)
    ids["live"] = live.info.run_id
    mlflow.set_experiment("pendulum")
    with mlflow.start_run(run_name="sac") as run:
        mlflow.log_metric("loss", 0.5, step=1, timestamp=T0)
        ids["sac"] = run.info.run_id
    json.dump(ids, open(out, "w"))
""" % T0

GROW = """
    import sys
    from mlflow import MlflowClient

    uri, run_id = sys.argv[1], sys.argv[2]
    client = MlflowClient(uri)
    for step in range(5, 9):
        client.log_metric(run_id, "loss", 10.0 - step, step=step, timestamp=%d + step * 1000)
    client.set_terminated(run_id, "FINISHED")
""" % T0


def python(tmp_path: Path, source: str, *args: str) -> None:
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(source))
    # in tmp_path: a SQLite store keeps artifacts in ./mlruns
    done = subprocess.run([sys.executable, str(script), *args], cwd=tmp_path, env=subprocess_env(MLFLOW_ENV),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(params=["file", "sqlite"])
def store(request, tmp_path: Path) -> Dict[str, str]:
    """An MLflow store written by the mlflow client: its URI and the run ids by run name."""
    uri = (tmp_path / "mlruns").as_uri() if request.param == "file" else f"sqlite:///{tmp_path / 'mlflow.db'}"
    python(tmp_path, LOG_RUNS, uri, str(tmp_path / "ids.json"))
    return {"uri": uri, **json.loads((tmp_path / "ids.json").read_text())}


def test_runs_read_back_as_logged(store: Dict[str, str], tmp_path: Path):
    db = tmp_path / "db"
    done = rla_offline("import", "mlflow", "-d", str(db), "-t", "cartpole", "--experiment", "cartpole",
                       store["uri"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "imported" in done.stderr and "4 new" in done.stderr
    items = imported(db, "cartpole")
    assert set(items) == {"cartpole/ppo-seed1", "cartpole/crashed", "cartpole/stopped", "cartpole/live"}

    ppo = items["cartpole/ppo-seed1"]
    assert curves(db, "cartpole", ppo, ["loss", "charts/return", "wall_time"]) == {
        "loss": [(s, 1 / (s + 1)) for s in (0, 10, 25, 40)],
        "charts/return": [(7, 10.5), (33, 49.5)],
        "wall_time": [(s, (T0 + s * 1000) / 1000) for s in (0, 7, 10, 25, 33, 40)],
    }
    # MLflow's strings typed back; a dotted key nested as configs hold it
    assert params_json(ppo) == {"lr": 0.001, "n_steps": 128, "use_gae": True, "name": "ppo", "optim": {"eps": 1e-5}}
    annotations, _ = read_annotations(ppo)
    assert annotations.tags == ("baseline", "team=rl-lab") and annotations.note == "first try"
    record = run_json(ppo)
    assert record["imported"]["id"] == store["ppo-seed1"] and record["imported"]["location"] == store["uri"]
    assert record["imported"]["details"]["experiment"] == "cartpole"
    assert record["status"] == "finished" and record["end_time"] >= record["start_time"]
    assert ppo.date == dt.datetime.fromisoformat(record["start_time"]).strftime("%Y/%m/%d")
    assert ppo.name.startswith(dt.datetime.fromisoformat(record["start_time"]).strftime("%H-%M-%S-%f"))
    assert (ppo.results_dir / "figures" / "curve.png").read_bytes()[:4] == b"\x89PNG"
    assert {name: run_json(item)["status"] for name, item in items.items()} == {
        "cartpole/ppo-seed1": "finished", "cartpole/crashed": "failed", "cartpole/stopped": "killed",
        "cartpole/live": "unknown"}

    # again: nothing is written; the running run grows and ends, and gets its rows and status
    before = tree_state(db)
    again = import_runs("mlflow", store["uri"], db, "cartpole", experiments=["cartpole"])
    assert {o.action for o in again.outcomes} == {"unchanged"}
    assert tree_state(db) == before
    python(tmp_path, GROW, store["uri"], store["live"])
    grown = import_runs("mlflow", store["uri"], db, "cartpole", experiments=["cartpole"])
    assert [(o.name, o.rows) for o in grown.with_action("updated")] == [("cartpole/live", 4)]
    live = imported(db, "cartpole")["cartpole/live"]
    assert curves(db, "cartpole", live, ["loss"])["loss"] == [(s, 10.0 - s) for s in range(9)]
    assert run_json(live)["status"] == "finished"

    # every experiment, into another table
    import_runs("mlflow", store["uri"], db, "all")
    assert set(imported(db, "all")) == {*items, "pendulum/sac"}


def test_a_run_that_cannot_be_read_is_skipped_and_named(tmp_path: Path):
    uri = (tmp_path / "mlruns").as_uri()
    python(tmp_path, LOG_RUNS, uri, str(tmp_path / "ids.json"))
    ids = json.loads((tmp_path / "ids.json").read_text())
    metric_file = next((tmp_path / "mlruns").glob(f"*/{ids['crashed']}/metrics/loss"))
    metric_file.write_text("not a metric line\n")
    report = import_runs("mlflow", tmp_path / "mlruns", tmp_path / "db", "t")
    skipped = report.with_action("skipped")
    assert [o.name for o in skipped] == [f"cartpole/{ids['crashed']}"]
    assert "Metric 'loss' is malformed" in skipped[0].reason
    assert len(report.with_action("new")) == 4


def test_sources_that_are_not_local_stores_are_refused(tmp_path: Path):
    server = rla_offline("import", "mlflow", "-d", "db", "-t", "t", "http://tracking.example:5000", cwd=tmp_path)
    assert server.returncode == 2 and "reads local MLflow stores only" in server.stderr
    missing = rla_offline("import", "mlflow", "-d", "db", "-t", "t", "sqlite:///nothing.db", cwd=tmp_path)
    assert missing.returncode == 2 and "no MLflow database at" in missing.stderr
    assert not (tmp_path / "nothing.db").exists()


REMOTE_ARTIFACTS = """
    import sys
    from mlflow import MlflowClient

    client = MlflowClient(sys.argv[1])
    experiment = client.create_experiment("remote", artifact_location="sftp://lab:hunter2@files.example:2222/mlflow")
    run = client.create_run(experiment, run_name="ppo")
    client.log_metric(run.info.run_id, "loss", 1.0, step=0)
    client.set_terminated(run.info.run_id, "FINISHED")
"""


def test_credentials_in_an_artifact_uri_are_never_written(tmp_path: Path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    python(tmp_path, REMOTE_ARTIFACTS, uri)
    db = tmp_path / "db"
    done = rla_offline("import", "mlflow", "-d", str(db), "-t", "t", uri, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "its artifacts at sftp://files.example:2222/mlflow" in done.stderr
    item = imported(db, "t")["remote/ppo"]
    assert run_json(item)["imported"]["details"]["artifact_uri"].startswith("sftp://files.example:2222/mlflow/")
    assert not [p for p in db.rglob("*") if p.is_file() and b"hunter2" in p.read_bytes()]
    refused = rla_offline("import", "mlflow", "-d", str(db), "-t", "t", "mysql://lab:hunter2@db.example/mlflow",
                          cwd=tmp_path)
    assert refused.returncode == 2 and "not 'mysql://db.example/mlflow'" in refused.stderr
    assert "hunter2" not in refused.stderr
