"""A preemptible training run: re-running the same command continues where it stopped.

    python train.py --data_root ../../demo_data --preempt_at 120   # killed (SIGKILL) at step 120
    python train.py --data_root ../../demo_data                    # resumes from the last checkpoint

The second command finds the unfinished run with the same task and tracked
parameters (``resume="auto"``; ``RLA_RESUME=auto`` in the environment does the
same), loads its latest checkpoint, and finishes it in the same database item:
its progress.csv and TensorBoard curves show each step once.
"""
import argparse
import os
import signal

import numpy as np
import torch
from torch import nn

from RLA import exp_manager, logger

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--checkpoint_every", type=int, default=25)
    parser.add_argument("--preempt_at", type=int, default=-1, help="simulate a preemption: SIGKILL at this step")
    parser.add_argument("--data_root", type=str, default=os.path.join(HERE, "..", "..", "demo_data"))
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    exp_manager.set_hyper_param(lr=args.lr, seed=args.seed, steps=args.steps)
    exp_manager.add_record_param(["lr", "seed"])
    exp_manager.configure(task_table_name="resume_demo", rla_config=os.path.join(HERE, "rla_config.yaml"),
                          data_root=args.data_root, run_file=__file__, code_root=HERE, resume="auto")
    exp_manager.log_files_gen()
    exp_manager.new_saver(max_to_keep=3, keep_best=1)

    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    x = torch.from_numpy(np.random.uniform(-3, 3, size=(512, 1)).astype(np.float32))
    y = torch.sin(2 * x)
    model = nn.Sequential(nn.Linear(1, 64), nn.Tanh(), nn.Linear(64, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)

    start = 0
    if exp_manager.has_checkpoint():  # a resumed run: pick up after its latest checkpoint
        last_step, _ = exp_manager.load_checkpoint(model_dict={"model": model, "optimizer": optimizer})
        start = last_step + 1
        logger.info(f"resumed after step {last_step}")

    for step in range(start, args.steps):
        exp_manager.time_step_holder.set_time(step)
        batch = torch.randint(0, len(x), (64,))
        loss = nn.functional.mse_loss(model(x[batch]), y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        logger.logkv_mean("train/loss", loss)
        if step % 5 == 4:
            with torch.no_grad():
                logger.record_tabular("eval/mse", nn.functional.mse_loss(model(x), y))
            logger.dump_tabular()
        if step % args.checkpoint_every == args.checkpoint_every - 1:
            # after dump_tabular, so a resume continues the curves exactly
            exp_manager.save_checkpoint({"model": model, "optimizer": optimizer}, metric="eval/mse", mode="min")
        if step == args.preempt_at:
            os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    main()
