"""Fork mode: a new item starts from a copy of a trained run's logs and checkpoints.

    python fork.py --data_root ../../demo_data --record_date latest --lr 1e-3 --extra_steps 100

The new item's curves begin with the old run's (up to its latest checkpoint)
and go on with the new learning rate; the old item is left untouched.
"""
import argparse
import os

import torch
from torch import nn

from RLA import exp_manager, logger
from RLA.easy_log.exp_loader import ExperimentLoader

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--record_date", type=str, default="latest")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--extra_steps", type=int, default=100)
    parser.add_argument("--data_root", type=str, default=os.path.join(HERE, "..", "..", "demo_data"))
    args = parser.parse_args()

    loader = ExperimentLoader().config("resume_demo", args.record_date, args.data_root)
    exp_manager.set_hyper_param(lr=args.lr)
    hyper_params = loader.import_hyper_parameters(hp_to_overwrite=["lr"])  # the old run's, with the new lr
    exp_manager.set_hyper_param(**vars(hyper_params))
    exp_manager.add_record_param(["lr", "seed"])
    exp_manager.configure(task_table_name="resume_demo", rla_config=os.path.join(HERE, "rla_config.yaml"),
                          data_root=args.data_root, run_file=__file__, code_root=HERE)
    exp_manager.log_files_gen()
    loader.fork_log_files()

    model = nn.Sequential(nn.Linear(1, 64), nn.Tanh(), nn.Linear(64, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    last_step, _ = exp_manager.load_checkpoint(model_dict={"model": model, "optimizer": optimizer})
    for group in optimizer.param_groups:
        group["lr"] = args.lr  # the loaded optimizer state carries the old learning rate
    x = torch.rand(512, 1) * 6 - 3
    y = torch.sin(2 * x)
    for step in range(last_step + 1, last_step + 1 + args.extra_steps):
        exp_manager.time_step_holder.set_time(step)
        batch = torch.randint(0, len(x), (64,))
        loss = nn.functional.mse_loss(model(x[batch]), y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        logger.logkv_mean("train/loss", loss)
        if step % 5 == 4:
            logger.dump_tabular()
    exp_manager.save_checkpoint({"model": model, "optimizer": optimizer})


if __name__ == "__main__":
    main()
