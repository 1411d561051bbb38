"""`rla run -- COMMAND`: real training scripts, unchanged, become items; what TensorBoard's own reader
reads from their event files is what the item holds, step by step."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Dict, List, Tuple

import pandas as pd
import pytest
from conftest import subprocess_env

from RLA.db.layout import Database, Item
from RLA.db.liveness import shown_status

RLA_RUN = [sys.executable, "-m", "RLA.cli", "run"]


def rla_run(project: Path, db: Path, *args: str, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([*RLA_RUN, "-d", str(db), *args], cwd=project, env=subprocess_env(),
                          capture_output=True, text=True, timeout=timeout)


def only_item(db: Path, task: str) -> Item:
    items = Database(db).items(task)
    assert len(items) == 1, items
    return items[0]


def run_json(item: Item) -> dict:
    return json.loads(item.run_json.read_text())


def tensorboard_scalars(folder: Path) -> Dict[str, List[Tuple[int, float]]]:
    """Every scalar of the event files under ``folder``, as TensorBoard's own reader reads them."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    found: Dict[str, List[Tuple[int, float]]] = {}
    for events in sorted(folder.rglob("events.out.tfevents.*")):
        accumulator = EventAccumulator(str(events), size_guidance={"scalars": 0})
        accumulator.Reload()
        for tag in accumulator.Tags()["scalars"]:
            found.setdefault(tag, []).extend((e.step, e.value) for e in accumulator.Scalars(tag))
    return found


def captured(item: Item) -> Dict[str, List[Tuple[int, float]]]:
    """Every key of the item's progress.csv at the steps it was logged at (not the rows' wall-clock times)."""
    table = pd.read_csv(item.progress_csv)
    return {key: [(int(s), float(v)) for s, v in table[["time-step", key]].dropna().itertuples(index=False)]
            for key in table.columns if key not in ("time-step", "wall_time")}


def write(project: Path, name: str, source: str) -> Path:
    path = project / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


ARGPARSE_SCRIPT = """
    import argparse
    import sys
    import time
    import tensorboardX
    from torch.utils.tensorboard import SummaryWriter

    parser = argparse.ArgumentParser()
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--env-id", default="CartPole-v1")
    parser.add_argument("--capture-video", action="store_true")
    args = parser.parse_args()
    writer = SummaryWriter(f"runs/{args.env_id}__{args.seed}")
    writer.add_text("hyperparameters", "|param|value|\\n|-|-|\\n" + "\\n".join(
        f"|{key}|{value}|" for key, value in vars(args).items()))
    extra = tensorboardX.SummaryWriter(f"runs/{args.env_id}__{args.seed}/eval")
    global_step = 0
    for iteration in range(40):
        for episode_end in (global_step + 7 + iteration % 5, global_step + 61):
            writer.add_scalar("charts/episodic_return", 10.0 + iteration * 0.37 + episode_end % 3, episode_end)
        global_step += 128
        writer.add_scalar("losses/value_loss", 1.0 / (iteration + 1), global_step)
        writer.add_scalar("charts/learning_rate", args.learning_rate * (1 - iteration / 40), global_step)
        if iteration % 10 == 9:
            extra.add_scalar("eval/return", 100.0 + iteration, global_step)
    extra.flush()
    time.sleep(2.0)  # tensorboardX names no pid: rla run sees the file is this run's while it is held open
    writer.close()
    extra.close()
    print("trained", global_step, "steps")
    print("a warning", file=sys.stderr)
"""


def test_argparse_script_with_torch_and_tensorboardx_writers(project: Path, tmp_path: Path):
    write(project, "ppo.py", ARGPARSE_SCRIPT)
    db = tmp_path / "db"
    done = rla_run(project, db, "--", sys.executable, "ppo.py", "--learning-rate", "3e-4", "--seed=2",
                   "--capture-video")
    assert done.returncode == 0, done.stderr
    assert "trained 5120 steps" in done.stdout  # the command's output reaches ours
    assert "a warning" in done.stderr

    item = only_item(db, "ppo")
    params = json.loads(item.params_json.read_text())
    # the command line, typed; the flags it left at their defaults come from its "hyperparameters" text
    assert params == {"learning_rate": 0.0003, "seed": 2, "capture_video": True, "env_id": "CartPole-v1"}
    assert "learning_rate=0.0003" in item.name and "seed=2" in item.name
    record = run_json(item)
    assert record["status"] == "finished" and record["captured"] is True
    assert record["command"][1:] == ["ppo.py", "--learning-rate", "3e-4", "--seed=2", "--capture-video"]
    output = item.log.output_txt.read_text()
    assert "trained 5120 steps" in output and "a warning" in output

    # the event files are kept in the item, where they were relative to the command's folder
    kept = sorted(p.relative_to(item.tb_dir).parent.as_posix() for p in item.tb_dir.rglob("events.out.tfevents.*"))
    assert kept == ["runs/CartPole-v1__2", "runs/CartPole-v1__2/eval"]
    # every scalar, at its own step, equal to what TensorBoard reads from the script's own files
    theirs = tensorboard_scalars(project / "runs")
    ours = captured(item)
    assert set(ours) == set(theirs) == {"charts/episodic_return", "losses/value_loss", "charts/learning_rate",
                                        "eval/return"}
    for tag, points in theirs.items():
        assert ours[tag] == sorted(points), tag
    assert tensorboard_scalars(item.tb_dir) == theirs  # the kept copies read as the originals


def test_sparse_keys_read_back_at_their_own_steps(project: Path, tmp_path: Path):
    from RLA.easy_plot.loader import load_runs

    write(project, "ppo.py", ARGPARSE_SCRIPT)
    db = tmp_path / "db"
    assert rla_run(project, db, "--", sys.executable, "ppo.py").returncode == 0
    expected = tensorboard_scalars(project / "runs")
    (run,) = load_runs(db, "ppo", None, ["time-step", "charts/episodic_return", "eval/return"], use_cache=False)
    for key in ("charts/episodic_return", "eval/return"):
        steps, values = run.xy("time-step", key)
        kept = ~pd.isna(values)
        assert list(zip(steps[kept].astype(int), values[kept])) == sorted(expected[key])

    listing = subprocess.run([sys.executable, "-m", "RLA.cli", "ls", "-d", str(db), "-t", "ppo", "--json"],
                             capture_output=True, text=True, env=subprocess_env(), check=True)
    (row,) = json.loads(listing.stdout)
    assert row["status"] == "finished"


TYRO_SCRIPT = """
    import dataclasses
    import tyro
    from torch.utils.tensorboard import SummaryWriter

    @dataclasses.dataclass
    class Args:
        env_id: str = "Hopper-v4"
        learning_rate: float = 2.5e-4
        cuda: bool = True
        num_envs: int = 4

    args = tyro.cli(Args)
    writer = SummaryWriter(f"runs/{args.env_id}")
    for step in (3, 17, 200, 1001):
        writer.add_scalar("charts/SPS", step * args.num_envs, step)
    writer.close()
    print(args)
"""


def test_tyro_script_flags_and_dashes(project: Path, tmp_path: Path):
    write(project, "cleanrl_style.py", TYRO_SCRIPT)
    db = tmp_path / "db"
    done = rla_run(project, db, "-t", "tyro", "--record", "env_id", "--", sys.executable, "cleanrl_style.py",
                   "--env-id", "Walker2d-v4", "--no-cuda", "--num-envs", "8")
    assert done.returncode == 0, done.stderr
    assert "cuda=False" in done.stdout and "num_envs=8" in done.stdout  # tyro read the flags as given
    item = only_item(db, "tyro")
    assert json.loads(item.params_json.read_text()) == {"env_id": "Walker2d-v4", "cuda": False, "num_envs": 8}
    assert item.name.endswith("_&env_id=Walker2d-v4")
    assert captured(item) == {"charts/SPS": [(3, 24.0), (17, 136.0), (200, 1600.0), (1001, 8008.0)]}


def test_hydra_app_overrides(project: Path, tmp_path: Path):
    write(project, "conf/config.yaml", """
        optim:
          lr: 0.001
        seed: 0
    """)
    write(project, "app.py", """
        import hydra
        from omegaconf import DictConfig
        from torch.utils.tensorboard import SummaryWriter

        @hydra.main(config_path="conf", config_name="config", version_base=None)
        def main(cfg: DictConfig) -> None:
            writer = SummaryWriter("tb")
            for step in range(5):
                writer.add_scalar("loss", cfg.optim.lr * step + cfg.extra, step)
            writer.close()

        main()
    """)
    db = tmp_path / "db"
    done = rla_run(project, db, "--", sys.executable, "app.py", "optim.lr=0.01", "seed=3", "+extra=2")
    assert done.returncode == 0, done.stderr
    item = only_item(db, "app")
    assert json.loads(item.params_json.read_text()) == {"optim": {"lr": 0.01}, "seed": 3, "extra": 2}
    assert "optim.lr=0.01" in item.name
    assert captured(item) == {"loss": [(s, pytest.approx(0.01 * s + 2)) for s in range(5)]}
    # Hydra's own outputs folder and the event files are not code: the snapshot holds the app and its config
    snapshot = sorted(p.relative_to(item.code_dir).as_posix() for p in item.code_dir.rglob("*") if p.is_file())
    assert "app.py" in snapshot and "conf/config.yaml" in snapshot
    assert not [p for p in snapshot if p.startswith(("outputs/", "tb/"))]


def test_a_logdir_inside_the_project_stays_out_of_the_snapshot(project: Path, tmp_path: Path):
    write(project, "train.py", "print('trained')\n")
    write(project, "logs/ppo/CartPole-v1_1/best_model.zip", "weights of an earlier run\n")
    write(project, "src/logs_util.py", "def helper(): ...\n")
    write(project, "runs[1]/events.out.tfevents.1", "events of an earlier run\n")  # no character class
    write(project, "runs1/notes.py", "# a folder the pattern runs[1] would match\n")
    db = tmp_path / "db"
    done = rla_run(project, db, "--logdir", "logs", "--logdir", "runs[1]", "--", sys.executable, "train.py",
                   "--seed", "1")
    assert done.returncode == 0, done.stderr
    item = only_item(db, "train")
    snapshot = sorted(p.relative_to(item.code_dir).as_posix() for p in item.code_dir.rglob("*") if p.is_file())
    assert snapshot == ["requirements.txt", "runs1/notes.py", "src/logs_util.py", "train.py"]


def test_sb3_ppo_tensorboard_log(project: Path, tmp_path: Path):
    write(project, "sb3_ppo.py", """
        import argparse
        from stable_baselines3 import PPO

        parser = argparse.ArgumentParser()
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--n-steps", type=int, default=256)
        args = parser.parse_args()
        model = PPO("MlpPolicy", "CartPole-v1", n_steps=args.n_steps, batch_size=64, n_epochs=2, seed=args.seed,
                    tensorboard_log="sb3_logs", verbose=0)
        model.learn(total_timesteps=1024)
    """)
    db = tmp_path / "db"
    done = rla_run(project, db, "--", sys.executable, "sb3_ppo.py", "--seed", "1")
    assert done.returncode == 0, done.stderr
    item = only_item(db, "sb3_ppo")
    theirs = tensorboard_scalars(project / "sb3_logs")
    assert {"rollout/ep_len_mean", "train/value_loss", "time/fps"} <= set(theirs)
    ours = captured(item)
    for tag, points in theirs.items():
        assert ours[tag] == sorted(points), tag
    assert max(step for step, _ in ours["train/value_loss"]) == 1024


def test_rl_zoo_train(project: Path, tmp_path: Path):
    db = tmp_path / "db"
    done = rla_run(project, db, "-t", "zoo", "--logdir", "zoo_tb", "--", sys.executable, "-m", "rl_zoo3.train",
                   "--algo", "ppo", "--env", "CartPole-v1", "-n", "2048", "--tensorboard-log", "zoo_tb",
                   "--log-folder", "zoo_logs", "--seed", "3", "--eval-freq", "-1", "--save-freq", "-1",
                   "--hyperparams", "n_envs:2", "n_steps:256")
    assert done.returncode == 0, done.stderr[-3000:]
    item = only_item(db, "zoo")
    params = json.loads(item.params_json.read_text())
    assert params["algo"] == "ppo" and params["n"] == 2048 and params["seed"] == 3
    assert params["hyperparams"] == ["n_envs:2", "n_steps:256"]
    # paths and lists stay out of the name
    assert "algo=ppo" in item.name and not any(k in item.name for k in ("tensorboard_log", "log_folder", "n_envs"))
    theirs = tensorboard_scalars(project / "zoo_tb")
    ours = captured(item)
    assert "rollout/ep_rew_mean" in theirs
    for tag, points in theirs.items():
        assert ours[tag] == sorted(points), tag


def test_failing_command_keeps_its_exit_status(project: Path, tmp_path: Path):
    write(project, "crash.py", """
        import sys
        print("about to fail")
        sys.exit(3)
    """)
    db = tmp_path / "db"
    done = rla_run(project, db, "--", sys.executable, "crash.py", "--lr", "1")
    assert done.returncode == 3
    record = run_json(only_item(db, "crash"))
    assert record["status"] == "failed" and record["error"] == "exit status 3"


def test_missing_program_is_named(project: Path, tmp_path: Path):
    done = rla_run(project, tmp_path / "db", "--", "no-such-trainer", "--lr", "1")
    assert done.returncode == 127
    assert "cannot run 'no-such-trainer'" in done.stderr
    assert run_json(only_item(tmp_path / "db", "no-such-trainer"))["status"] == "failed"


def wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


LONG_SCRIPT = """
    import signal
    import sys
    import time
    from pathlib import Path
    from torch.utils.tensorboard import SummaryWriter

    if "--ignore-term" in sys.argv:
        signal.signal(signal.SIGTERM, lambda *_: print("ignoring SIGTERM", flush=True))
    writer = SummaryWriter("runs/long")
    for step in range(10_000):
        writer.add_scalar("x", float(step), step)
        writer.flush()
        if step == 2:
            Path("started").touch()
        time.sleep(0.05)
"""


def start_long_run(project: Path, db: Path, *flags: str) -> subprocess.Popen:
    write(project, "long.py", LONG_SCRIPT)
    process = subprocess.Popen([*RLA_RUN, "-d", str(db), "--", sys.executable, "long.py", *flags], cwd=project,
                               env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    wait_for(lambda: (project / "started").exists() or process.poll() is not None)
    return process


def test_sigterm_reaches_the_command_and_the_run_is_killed(project: Path, tmp_path: Path):
    db = tmp_path / "db"
    process = start_long_run(project, db)
    item = only_item(db, "long")
    wait_for(lambda: item.progress_csv.exists() and len(item.progress_csv.read_text().splitlines()) > 3)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGTERM  # rla run ends as its command did
    record = run_json(item)
    assert record["status"] == "killed" and record["error"] == "killed by SIGTERM"
    ours = captured(item)["x"]
    theirs = tensorboard_scalars(project / "runs")["x"]
    assert ours == theirs and len(ours) >= 3  # nothing the command wrote before it ended is lost


def test_command_ignoring_sigterm_then_everything_killed_is_lost(project: Path, tmp_path: Path):
    db = tmp_path / "db"
    process = start_long_run(project, db, "--ignore-term")
    item = only_item(db, "long")
    process.send_signal(signal.SIGTERM)
    time.sleep(1.0)
    assert process.poll() is None  # the command ignores it, so rla run waits for it
    os.killpg(process.pid, signal.SIGKILL)  # what a scheduler does after its grace time
    process.wait(timeout=60)
    assert "ignoring SIGTERM" in item.log.output_txt.read_text()
    record = run_json(item)
    assert record["status"] == "running"
    assert shown_status(record) == "lost"


def test_output_through_a_terminal(project: Path, tmp_path: Path):
    """On a terminal the command still sees one (progress bars, colours), of the same width."""
    import fcntl
    import struct
    import termios

    write(project, "tty.py", """
        import os, sys
        print("isatty", sys.stdout.isatty(), os.get_terminal_size().columns)
    """)
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    process = subprocess.Popen([*RLA_RUN, "-d", str(tmp_path / "db"), "--", sys.executable, "tty.py"],
                               cwd=project, env=subprocess_env(), stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert process.wait(timeout=60) == 0
    os.close(master)
    assert b"isatty True 80" in seen
    assert "isatty True 80" in only_item(tmp_path / "db", "tty").log.output_txt.read_text()


def test_captured_event_files_sync_as_tails(tmp_path: Path):
    from RLA.db.sync.plan import is_append_only

    item = Database(tmp_path).item("t", "2026/01/01/00-00-00-000000_127.0.0.1_&")
    log = item.log_dir.relative_to(item.root).as_posix()
    assert is_append_only(item, f"{log}/tb/runs/CartPole-v1__1/events.out.tfevents.1.host.1.0")
    assert is_append_only(item, f"{log}/output.txt")
    assert not is_append_only(item, f"{log}/tb/runs/CartPole-v1__1/notes.json")


def test_two_runs_in_one_folder_each_capture_their_own_files(project: Path, tmp_path: Path):
    """tensorboardX names its files without a pid: what the command's processes hold open tells them apart."""
    write(project, "tbx.py", """
        import sys, time
        import tensorboardX

        seed = int(sys.argv[sys.argv.index("--seed") + 1])
        writer = tensorboardX.SummaryWriter(f"runs/seed{seed}")
        for step in range(30):
            writer.add_scalar("value", seed * 1000 + step, step)
            writer.flush()
            time.sleep(0.05)
        writer.close()
    """)
    db = tmp_path / "db"
    runs = [subprocess.Popen([*RLA_RUN, "-d", str(db), "--", sys.executable, "tbx.py", "--seed", str(seed)],
                             cwd=project, env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for seed in (1, 2)]
    assert [r.wait(timeout=120) for r in runs] == [0, 0]
    for item in Database(db).items("tbx"):
        seed = json.loads(item.params_json.read_text())["seed"]
        assert captured(item) == {"value": [(s, float(seed * 1000 + s)) for s in range(30)]}
        event_files = list(item.tb_dir.rglob("events.out.tfevents.*"))
        assert [p.parent.name for p in event_files] == [f"seed{seed}"]
        # each row carries the wall-clock time its event was written at, not the time rla run read it
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

        events = EventAccumulator(str(event_files[0]))
        events.Reload()
        table = pd.read_csv(item.progress_csv)
        assert dict(zip(table["time-step"], table["wall_time"])) == {
            e.step: round(e.wall_time, 3) for e in events.Scalars("value")}


def test_a_tensorboardx_file_closed_between_two_scans_is_taken_at_the_end(project: Path, tmp_path: Path):
    """No process holds it by the next scan and no pid names it; no other rla run watched the folder."""
    write(project, "quick.py", """
        import tensorboardX

        with tensorboardX.SummaryWriter("runs/quick") as writer:
            for step in range(5):
                writer.add_scalar("value", step * 2.0, step)
    """)
    db = tmp_path / "db"
    done = rla_run(project, db, "--", sys.executable, "quick.py")
    assert done.returncode == 0, done.stderr
    item = only_item(db, "quick")
    assert captured(item) == tensorboard_scalars(project / "runs") == {"value": [(s, s * 2.0) for s in range(5)]}
    [record] = Database(db).capture_files()  # what the run watched, and until when
    assert json.loads(record.read_text())["end"] is not None


def test_runs_sharing_a_folder_take_their_own_short_lived_tensorboardx_files(project: Path, tmp_path: Path):
    """tensorboardX's add_hparams writes a file beside the run's own and closes it at once: it goes with the
    folder of the file the run holds. A short-lived file in a folder of no known owner, written while
    another rla run watched the same folder, is left out with a warning rather than given to the wrong run."""
    write(project, "hp.py", """
        import sys, time
        import tensorboardX

        seed = int(sys.argv[sys.argv.index("--seed") + 1])
        writer = tensorboardX.SummaryWriter(f"runs/seed{seed}")
        writer.add_scalar("value", float(seed), 0)
        writer.flush()
        time.sleep(1.5)  # held open over a scan: this run's folder
        writer.add_hparams({"lr": 0.1 * seed, "batch": 64}, {"hparam/score": 10.0 * seed}, name="hp")
        with tensorboardX.SummaryWriter(f"orphans/seed{seed}") as quick:
            quick.add_scalar("quick", float(seed), 0)
        time.sleep(1.5)  # the other run is still running
        writer.close()
    """)
    db = tmp_path / "db"
    runs = [subprocess.Popen([*RLA_RUN, "-d", str(db), "--", sys.executable, "hp.py", "--seed", str(seed)],
                             cwd=project, env=subprocess_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for seed in (1, 2)]
    errors = [r.communicate(timeout=120)[1] for r in runs]
    assert [r.returncode for r in runs] == [0, 0], errors
    for item in Database(db).items("hp"):
        params = json.loads(item.params_json.read_text())
        seed = params["seed"]
        assert params == {"seed": seed, "lr": 0.1 * seed, "batch": 64}  # from its own add_hparams file
        assert captured(item) == {"value": [(0, float(seed))], "hparam/score": [(0, 10.0 * seed)]}
        assert sorted(p.parent.relative_to(item.tb_dir).as_posix() for p in item.tb_dir.rglob("events.*")) == [
            f"runs/seed{seed}", f"runs/seed{seed}/hp"]
        warnings = item.log.warn_txt.read_text()
        assert warnings.count("is not captured") == 2 and f"orphans{os.sep}seed1" in warnings


TF_SUMMARY_SCRIPT = """
    import argparse
    import numpy as np
    import tensorflow as tf
    import tensorboardX

    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    writer = tf.summary.create_file_writer("runs/tf")
    with writer.as_default():  # TF2: scalars as tensors of the scalars plugin
        for step in range(0, 50, 10):
            tf.summary.scalar("loss", 1.0 / (step + 1), step=step)
        tf.summary.text("notes", "first try with the bigger batch", step=0)
        tf.summary.image("frame", np.full((1, 8, 6, 3), 0.5, dtype=np.float32), step=40)
    writer.flush()
    board = tensorboardX.SummaryWriter("runs/tbx")
    board.add_text("args", str(argparse.Namespace(gamma=0.99, env_id="CartPole-v1", layers=[64, 64])))
    board.add_image("policy/map", np.zeros((3, 4, 5), dtype=np.uint8), 7)
    board.close()
    writer.close()
"""


def test_tf_summary_scalars_texts_and_images_become_rows_parameters_notes_and_results(project: Path,
                                                                                    tmp_path: Path):
    import matplotlib.image
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util.tensor_util import make_ndarray

    from RLA.db.annotations import read_annotations

    write(project, "tf_train.py", TF_SUMMARY_SCRIPT)
    db = tmp_path / "db"
    done = rla_run(project, db, "--", sys.executable, "tf_train.py", "--seed", "3")
    assert done.returncode == 0, done.stderr
    item = only_item(db, "tf_train")
    (events,) = (project / "runs" / "tf").glob("events.out.tfevents.*")
    accumulator = EventAccumulator(str(events), size_guidance={"tensors": 0})
    accumulator.Reload()
    theirs = [(e.step, float(make_ndarray(e.tensor_proto))) for e in accumulator.Tensors("loss")]
    assert len(theirs) == 5 and captured(item) == {"loss": theirs}  # TensorBoard's own reader, step by step
    # an argparse Namespace printed as text: parameters the command line did not give
    params = json.loads(item.params_json.read_text())
    assert params == {"seed": 3, "gamma": 0.99, "env_id": "CartPole-v1", "layers": [64, 64]}
    # any other text: the item's note; images: its results, named by tag and step
    assert read_annotations(item)[0].note == "notes (step 0):\nfirst try with the bigger batch"
    assert matplotlib.image.imread(item.results_dir / "40-frame.png").shape[:2] == (8, 6)
    assert matplotlib.image.imread(item.results_dir / "policy" / "7-map.png").shape[:2] == (4, 5)
