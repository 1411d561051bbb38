"""Hyper-parameters from argparse, dataclasses, dicts and OmegaConf, tracked with dotted keys."""
from __future__ import annotations

import argparse
import json
from dataclasses import dataclass, field

import pytest

from RLA.easy_log.tester import exp_manager
from RLA.errors import NoDataError
from RLA.integrations.params import arg_parser_postprocess, flatten_params, params_to_dict, set_hyper_params_from

CONFIG = {"LOG_USED": ["csv"], "BACKUP_CONFIG": {"backup_code_dir": []}}


@dataclass
class Optim:
    lr: float = 3e-4
    betas: tuple = (0.9, 0.999)


@dataclass
class TrainConfig:
    env_id: str = "CartPole-v1"
    seed: int = 1
    optim: Optim = field(default_factory=Optim)


def start_run(data_root, tmp_path):
    exp_manager.configure(task_table_name="params", rla_config=CONFIG, data_root=data_root, code_root=str(tmp_path))
    exp_manager.log_files_gen()
    return json.loads((exp_manager.item.path("log") / "params.json").read_text())


def test_namespace_from_argparse(data_root, tmp_path):
    parser = arg_parser_postprocess(argparse.ArgumentParser())
    parser.add_argument("--lr", type=float, default=1e-3)
    args = parser.parse_args(["--lr", "0.01", "--info", "baseline"])
    set_hyper_params_from(args, record=["info", "lr"])
    params = start_run(data_root, tmp_path)
    assert params == {"info": "baseline", "loaded_task_name": "", "loaded_date": "", "lr": 0.01}
    assert exp_manager.log_name.endswith("_&info=baseline&lr=0.01")


def test_dataclass_nested_with_dotted_record(data_root, tmp_path):
    set_hyper_params_from(TrainConfig(seed=3), record=["optim.lr", "seed"])
    params = start_run(data_root, tmp_path)
    assert params["optim"] == {"lr": 3e-4, "betas": [0.9, 0.999]}
    assert exp_manager.log_name.endswith("_&optim.lr=0.0003&seed=3")


def test_dict_source(data_root, tmp_path):
    set_hyper_params_from({"algo": {"name": "ppo", "clip": 0.2}, "seed": 2}, record="algo.clip")
    params = start_run(data_root, tmp_path)
    assert params["algo"] == {"name": "ppo", "clip": 0.2}
    assert exp_manager.log_name.endswith("_&algo.clip=0.2")


def test_omegaconf_source_resolves_interpolations(data_root, tmp_path):
    omegaconf = pytest.importorskip("omegaconf")
    cfg = omegaconf.OmegaConf.create({"env": {"id": "CartPole-v1", "n_envs": 4},
                                      "batch": "${env.n_envs}", "optim": {"lr": 0.001}})
    set_hyper_params_from(cfg, record=["env.id", "optim.lr", "batch"])
    params = start_run(data_root, tmp_path)
    assert params == {"env": {"id": "CartPole-v1", "n_envs": 4}, "batch": 4, "optim": {"lr": 0.001}}
    assert exp_manager.log_name.endswith("_&env.id=CartPole-v1&optim.lr=0.001&batch=4")


def test_unknown_record_key_fails_early_with_known_keys():
    with pytest.raises(NoDataError, match="optim.lr"):
        set_hyper_params_from({"optimizer": {"lr": 1}}, record="optim.lr")


def test_unsupported_source_says_what_is_accepted():
    with pytest.raises(TypeError, match="Namespace, a dataclass"):
        params_to_dict([1, 2])


def test_flatten_params_joins_nested_keys():
    assert flatten_params(params_to_dict(TrainConfig())) == {
        "env_id": "CartPole-v1", "seed": 1, "optim.lr": 3e-4, "optim.betas": (0.9, 0.999)}


def test_arg_parser_postprocess_keeps_existing_flags():
    parser = argparse.ArgumentParser()
    parser.add_argument("--info", default="mine")
    args = arg_parser_postprocess(parser).parse_args([])
    assert (args.info, args.loaded_task_name, args.loaded_date) == ("mine", "", "")
