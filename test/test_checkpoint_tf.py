"""tensorflow checkpoints: tensorflow 2 objects and tf.compat.v1 session variables."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from RLA.easy_log.checkpoint import INDEX_FILE
from RLA.easy_log.exp_loader import ExperimentLoader
from RLA.easy_log.tester import exp_manager

tf = pytest.importorskip("tensorflow")


def start_run(data_root: Path, task: str = "tf_ckpt") -> None:
    exp_manager.configure(task, {"LOG_USED": ["csv"], "DL_FRAMEWORK": "tensorflow"}, data_root,
                          code_root=str(data_root.parent))
    exp_manager.log_files_gen()


def kept_steps(checkpoint_dir: str) -> list:
    index = json.loads((Path(checkpoint_dir) / INDEX_FILE).read_text())
    assert sorted(p.name for p in Path(checkpoint_dir).iterdir() if p.is_dir()) == sorted(
        e["name"] for e in index["checkpoints"])
    return [e["step"] for e in index["checkpoints"]]


def make_model():
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(4), tf.keras.layers.Dense(1)])
    optimizer = tf.keras.optimizers.Adam(0.01)
    optimizer.build(model.trainable_variables)
    return model, optimizer


def train_step(model, optimizer, x, y) -> None:
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean((model(x) - y) ** 2)
    optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))


def test_tensorflow2_model_and_optimizer_round_trip_with_rotation(data_root):
    start_run(data_root)
    exp_manager.new_saver(max_to_keep=2)
    model, optimizer = make_model()
    x, y = np.random.randn(8, 3).astype("float32"), np.random.randn(8, 1).astype("float32")
    for step in range(5):
        train_step(model, optimizer, x, y)
        exp_manager.time_step_holder.set_time(step)
        exp_manager.save_checkpoint({"model": model, "optimizer": optimizer}, related_variable={"step": step})
    assert kept_steps(exp_manager.checkpoint_dir) == [3, 4]
    saved = [v.numpy().copy() for v in model.weights]

    fresh, fresh_optimizer = make_model()
    step, state = exp_manager.load_checkpoint(model_dict={"model": fresh, "optimizer": fresh_optimizer})
    assert step == 4 and state["model"] is fresh and exp_manager.get_custom_data("step") == 4
    assert all(np.array_equal(a, b.numpy()) for a, b in zip(saved, fresh.weights))
    assert int(fresh_optimizer.iterations.numpy()) == 5
    train_step(model, optimizer, x, y)
    train_step(fresh, fresh_optimizer, x, y)
    assert all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(model.weights, fresh.weights))

    _, arrays, _ = ExperimentLoader().config("tf_ckpt", "latest", str(data_root)).load_from_record_date(ckp_index=3)
    assert int(arrays["optimizer/_iterations"]) == 4  # saved after the 4th training step


def test_tf1_session_variables_selected_by_prefix(data_root):
    start_run(data_root)
    with tf.Graph().as_default(), tf.compat.v1.Session() as session, session.as_default():
        policy = tf.compat.v1.get_variable("pi/w", initializer=tf.constant([1.0, 2.0]))
        value_fn = tf.compat.v1.get_variable("vf/w", initializer=tf.constant([3.0]))
        session.run(tf.compat.v1.global_variables_initializer())
        exp_manager.new_saver(var_prefix="pi", max_to_keep=1)
        exp_manager.time_step_holder.set_time(7)
        exp_manager.save_checkpoint()
        session.run([policy.assign([0.0, 0.0]), value_fn.assign([0.0])])

        step, state = exp_manager.load_checkpoint()
        assert step == 7 and state == {"pi/w:0": pytest.approx(np.array([1.0, 2.0]))}
        assert session.run(policy).tolist() == [1.0, 2.0] and session.run(value_fn).tolist() == [0.0]
        session.run(policy.assign([5.0, 5.0]))
        loaded_step, _, _ = ExperimentLoader().config("tf_ckpt", "latest", str(data_root)).load_from_record_date()
        assert loaded_step == 7 and session.run(policy).tolist() == [1.0, 2.0]
