"""Load mode: evaluate the model of a trained run in a new database item.

    python evaluate.py --data_root ../../demo_data --record_date latest
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
    parser.add_argument("--record_date", type=str, default="latest",
                        help="YYYY/MM/DD/HH-MM-SS-ffffff of the trained run, a regex/glob, or 'latest'")
    parser.add_argument("--data_root", type=str, default=os.path.join(HERE, "..", "..", "demo_data"))
    args = parser.parse_args()

    loader = ExperimentLoader().config("resume_demo", args.record_date, args.data_root)
    trained = loader.import_hyper_parameters()
    exp_manager.set_hyper_param(evaluated=loader.item.record_date, seed=trained.seed)
    exp_manager.add_record_param(["seed"])
    exp_manager.configure(task_table_name="resume_demo_eval", rla_config=os.path.join(HERE, "rla_config.yaml"),
                          data_root=args.data_root, run_file=__file__, code_root=HERE)
    exp_manager.log_files_gen()

    model = nn.Sequential(nn.Linear(1, 64), nn.Tanh(), nn.Linear(64, 1))
    step, _, _ = loader.load_from_record_date(model_dict={"model": model})
    x = torch.linspace(-3, 3, 1000).unsqueeze(1)
    with torch.no_grad():
        mse = nn.functional.mse_loss(model(x), torch.sin(2 * x))
    exp_manager.time_step_holder.set_time(step)
    logger.record_tabular("eval/mse", mse)
    logger.dump_tabular()


if __name__ == "__main__":
    main()
