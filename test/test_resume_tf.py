"""Auto-resume with tensorflow: a killed keras training loop finishes as if never interrupted."""
from __future__ import annotations

import random
import signal

import numpy as np
import pytest
from conftest import logged_rows, read_scalars, run_python

from RLA.db import Database

pytest.importorskip("tensorflow")

TRAIN_SCRIPT = """
    import os, signal, sys
    import numpy as np, tensorflow as tf
    from RLA import exp_manager, logger

    data_root, out_file, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    kill_at = int(os.environ.get("KILL_AT_STEP", -1))
    exp_manager.set_hyper_param(seed=5)
    exp_manager.add_record_param(["seed"])
    exp_manager.configure("resume_tf", {"LOG_USED": ["csv", "tensorboard"], "DL_FRAMEWORK": "tensorflow"},
                          data_root, code_root=os.path.dirname(out_file), resume="auto")
    exp_manager.log_files_gen()
    tf.keras.utils.set_random_seed(5)
    tf.config.experimental.enable_op_determinism()
    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(16, activation="tanh"),
                                 tf.keras.layers.Dense(1)])
    optimizer = tf.keras.optimizers.Adam(0.05)
    optimizer.build(model.trainable_variables)  # keras 3 restores optimizer slots only once built
    x = np.random.randn(256, 4).astype("float32")
    y = np.sin(x.sum(axis=1, keepdims=True))
    start = 0
    if exp_manager.has_checkpoint():
        last_step, _ = exp_manager.load_checkpoint(model_dict={"model": model, "optimizer": optimizer})
        start = last_step + 1
    for step in range(start, steps):
        exp_manager.time_step_holder.set_time(step)
        batch = np.random.randint(0, len(x), 32)
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((model(x[batch]) - y[batch]) ** 2)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        logger.logkv_mean("train/loss", loss)
        if step % 3 == 2:
            logger.dump_tabular()
        if step % 7 == 0:
            exp_manager.save_checkpoint({"model": model, "optimizer": optimizer})
        if step == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
    np.savez(out_file, iterations=optimizer.iterations.numpy(), *[v.numpy() for v in model.weights])
"""


def test_killed_tensorflow_run_resumed_equals_an_uninterrupted_run(data_root, write_script, tmp_path):
    script = write_script(TRAIN_SCRIPT, "train_tf.py")
    steps = 30
    reference = run_python(script, str(data_root), str(tmp_path / "reference.npz"), str(steps))
    assert reference.returncode == 0, reference.stderr
    (reference_item,) = Database(data_root).items("resume_tf")

    kill_at = random.Random().randrange(3, steps - 3)
    killed = run_python(script, str(data_root), str(tmp_path / "resumed.npz"), str(steps),
                        env={"KILL_AT_STEP": str(kill_at)})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    resumed = run_python(script, str(data_root), str(tmp_path / "resumed.npz"), str(steps))
    assert resumed.returncode == 0, resumed.stderr

    (resumed_item,) = [i for i in Database(data_root).items("resume_tf") if i != reference_item]
    expected, actual = np.load(tmp_path / "reference.npz"), np.load(tmp_path / "resumed.npz")
    assert sorted(expected.files) == sorted(actual.files)
    for name in expected.files:
        assert np.array_equal(expected[name], actual[name]), (name, f"killed at step {kill_at}")
    assert int(actual["iterations"]) == steps
    assert (logged_rows(resumed_item.path("log") / "progress.csv")
            == logged_rows(reference_item.path("log") / "progress.csv")), f"killed at step {kill_at}"
    scalars = read_scalars(resumed_item.path("log") / "tb")
    assert scalars == read_scalars(reference_item.path("log") / "tb")
    assert [s for s, _ in scalars["train/loss"]] == list(range(2, steps, 3))
