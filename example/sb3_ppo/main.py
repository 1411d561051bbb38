"""PPO on gymnasium CartPole with stable-baselines3, every run an item of the RLA database.

    python main.py --learning_rate 3e-4 --seed 1 --total_timesteps 10000

SB3's own logger writes into the run (rollout/ep_rew_mean, train/loss, ... with
SB3's num_timesteps as the time-step); checkpoints are SB3 zips in the run's
checkpoint folder that ``PPO.load`` reads back.
"""
import argparse
import os

import torch
from stable_baselines3 import PPO

from RLA import exp_manager, logger
from RLA.integrations.params import arg_parser_postprocess, set_hyper_params_from
from RLA.integrations.sb3 import RLACheckpointCallback, sb3_logger

HERE = os.path.dirname(os.path.abspath(__file__))
TASK_TABLE_NAME = "sb3_ppo_cartpole"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--env_id", default="CartPole-v1")
    parser.add_argument("--learning_rate", type=float, default=3e-4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--total_timesteps", type=int, default=10_000)
    parser.add_argument("--n_steps", type=int, default=512)
    parser.add_argument("--checkpoint_every", type=int, default=5_000, help="env steps between checkpoints")
    parser.add_argument("--data_root", default=os.path.join(HERE, "..", "..", "demo_data"))
    return arg_parser_postprocess(parser).parse_args()


def main() -> None:
    args = parse_args()
    set_hyper_params_from({k: v for k, v in vars(args).items() if k != "data_root"},
                          record=["learning_rate", "seed"])
    exp_manager.configure(task_table_name=TASK_TABLE_NAME, rla_config=os.path.join(HERE, "rla_config.yaml"),
                          data_root=args.data_root, run_file=__file__, code_root=HERE)
    exp_manager.log_files_gen()
    exp_manager.print_args()

    torch.set_num_threads(1)  # the demo runs several seeds side by side
    model = PPO("MlpPolicy", args.env_id, learning_rate=args.learning_rate, n_steps=args.n_steps,
                batch_size=64, seed=args.seed, device="cpu")
    model.set_logger(sb3_logger())
    checkpoints = RLACheckpointCallback(save_freq=args.checkpoint_every)
    model.learn(args.total_timesteps, callback=checkpoints)
    logger.info(f"final checkpoint: {checkpoints.last_path}")


if __name__ == "__main__":
    main()
