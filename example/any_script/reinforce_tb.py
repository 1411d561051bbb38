"""A CleanRL-style single-file training script that knows nothing of RLA: tyro flags, a TensorBoard
writer in runs/<run name>/, episodic returns at the global step each episode ends, the update's
gradient norm every few episodes. REINFORCE with a linear softmax policy on CartPole-v1.

    python reinforce_tb.py --learning-rate 0.02 --seed 1                 # as its author runs it
    rla run -d db -- python reinforce_tb.py --learning-rate 0.02 --seed 1  # the same run, as an RLA item
"""
import dataclasses
import time

import gymnasium as gym
import numpy as np
import tyro
from torch.utils.tensorboard import SummaryWriter


@dataclasses.dataclass
class Args:
    env_id: str = "CartPole-v1"
    learning_rate: float = 0.01
    seed: int = 0
    total_timesteps: int = 15_000
    log_every: int = 5
    """episodes between two logged gradient norms"""


args = tyro.cli(Args)
run_name = f"{args.env_id}__reinforce__{args.seed}__{int(time.time())}"
writer = SummaryWriter(f"runs/{run_name}")
writer.add_text("hyperparameters", "|param|value|\n|-|-|\n" + "\n".join(
    f"|{key}|{value}|" for key, value in vars(args).items()))

env = gym.make(args.env_id)
rng = np.random.default_rng(args.seed)
weights = np.zeros((4, 2))
global_step, episode = 0, 0
while global_step < args.total_timesteps:
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
    global_step += len(rewards)
    writer.add_scalar("charts/episodic_return", sum(rewards), global_step)
    returns = np.cumsum(rewards[::-1])[::-1]
    advantages = (returns - returns.mean()) / (returns.std() + 1e-8)
    update = args.learning_rate * sum(g * a for g, a in zip(grads, advantages))
    weights += update
    if episode % args.log_every == 0:
        writer.add_scalar("losses/update_norm", float(np.linalg.norm(update)), global_step)
    episode += 1
print(f"{episode} episodes, {global_step} steps")
writer.close()
