"""A small real RL training for `rla sweep`: REINFORCE with a linear softmax policy on CartPole-v1.

    python main.py --lr=0.01 --seed=0          # one run
    sh run_sweep.sh                            # 2 learning rates x 3 seeds, then the figure

Every trial gets the same budget of environment steps (``--steps``), so the
curves of a sweep share one x range. Resumable: it checkpoints every 10 episodes, so a trial re-run by `rla sweep`
(RLA_RESUME=auto) continues its own item.
"""
import argparse
import os

import gymnasium as gym
import numpy as np

from RLA import exp_manager, logger

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, default=0.01)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--steps", type=int, default=15_000, help="environment steps to train for")
parser.add_argument("--data_root", default=None, help="the database (default: DATA_ROOT of rla_config.yaml)")
args = parser.parse_args()

here = os.path.dirname(os.path.abspath(__file__))
exp_manager.set_hyper_param(lr=args.lr, seed=args.seed, steps=args.steps)
exp_manager.add_record_param(["lr", "seed"])
exp_manager.configure("cartpole_reinforce", os.path.join(here, "rla_config.yaml"), data_root=args.data_root,
                      code_root=here)
exp_manager.log_files_gen()

env = gym.make("CartPole-v1")
rng = np.random.default_rng(args.seed)
weights = np.zeros((4, 2))
episode, steps = 0, 0
if exp_manager.has_checkpoint():
    _, state = exp_manager.load_checkpoint()
    weights, episode, steps = state["policy"]["weights"], state["policy"]["episode"] + 1, state["policy"]["steps"]
    rng.bit_generator.state = state["policy"]["rng"]

while steps < args.steps:
    observation, _ = env.reset(seed=args.seed * 10_000 + episode)
    grads, rewards, done = [], [], False
    while not done:
        logits = observation @ weights
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        action = int(rng.random() < probs[1])
        grads.append(np.outer(observation, np.eye(2)[action] - probs))
        observation, reward, terminated, truncated, _ = env.step(action)
        rewards.append(reward)
        done = terminated or truncated
    returns = np.cumsum(rewards[::-1])[::-1]
    advantages = (returns - returns.mean()) / (returns.std() + 1e-8)
    weights += args.lr * sum(g * a for g, a in zip(grads, advantages))
    steps += len(rewards)
    exp_manager.time_step_holder.set_time(steps)
    logger.record_tabular("episode", episode)
    logger.record_tabular("eval/return", float(sum(rewards)))
    logger.dump_tabular()
    if episode % 10 == 9:
        exp_manager.save_checkpoint({"policy": {"weights": weights, "episode": episode, "steps": steps,
                                                "rng": rng.bit_generator.state}})
    episode += 1
