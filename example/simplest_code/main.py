"""A small real training run logged with RLA: an MLP fitting a noisy sine.

    python main.py --lr 1e-3 --seed 1 --data_root ../../demo_data
"""
import argparse
import os

import numpy as np
import torch
from torch import nn

from RLA import exp_manager, logger

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--info", type=str, default="sine regression")
    parser.add_argument("--data_root", type=str, default=os.path.join(HERE, "..", "..", "demo_data"))
    return parser.parse_args()


def make_data(rng: np.random.Generator, n: int) -> tuple:
    x = rng.uniform(-np.pi, np.pi, size=(n, 1)).astype(np.float32)
    y = np.sin(3 * x) + 0.1 * rng.standard_normal((n, 1)).astype(np.float32)
    return torch.from_numpy(x), torch.from_numpy(y)


def main() -> None:
    args = parse_args()
    exp_manager.set_hyper_param(**{k: v for k, v in vars(args).items() if k != "data_root"})
    exp_manager.add_record_param(["info", "lr", "seed"])
    exp_manager.configure(task_table_name="demo_task", rla_config=os.path.join(HERE, "rla_config.yaml"),
                          data_root=args.data_root, run_file=__file__, code_root=HERE)
    exp_manager.log_files_gen()
    exp_manager.print_args()

    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    x_train, y_train = make_data(rng, 512)
    x_eval, y_eval = make_data(rng, 256)
    model = nn.Sequential(nn.Linear(1, args.hidden), nn.Tanh(), nn.Linear(args.hidden, args.hidden),
                          nn.Tanh(), nn.Linear(args.hidden, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    for step in range(args.steps):
        exp_manager.time_step_holder.set_time(step)
        batch = torch.randint(0, len(x_train), (64,))
        loss = nn.functional.mse_loss(model(x_train[batch]), y_train[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        logger.logkv_mean("train/loss", loss)
        if step % 25 == 0:
            with torch.no_grad():
                eval_mse = nn.functional.mse_loss(model(x_eval), y_eval)
            logger.record_tabular("eval/mse", eval_mse)
            logger.record_tabular("eval/neg_log_mse", -torch.log(eval_mse))
            logger.dump_tabular()


if __name__ == "__main__":
    main()
