"""Several processes of one run (torch DDP over gloo on CPU): rank 0 owns the item, rank 1 writes only
log-rank1.txt into it."""
from __future__ import annotations

import socket

from conftest import popen_python
from test_sweep import steps_of

from RLA.db import Database
from RLA.db.records import read_json

DDP_SCRIPT = '''
import os, sys
import torch, torch.distributed as dist
from RLA import exp_manager, logger

exp_manager.set_hyper_param(lr=0.1)
exp_manager.add_record_param(["lr"])
exp_manager.configure("ddp", {"LOG_USED": ["csv", "log"]}, sys.argv[1], code_root=os.path.dirname(__file__))
exp_manager.log_files_gen()
dist.init_process_group("gloo")
torch.manual_seed(0)
model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(5):
    exp_manager.time_step_holder.set_time(step)
    x = torch.randn(8, 2)
    loss = ((model(x) - x.sum(1, keepdim=True)) ** 2).mean()
    optimizer.zero_grad(); loss.backward(); optimizer.step()
    logger.record_tabular("loss", loss.item())
    logger.record_tabular("rank", dist.get_rank())
    logger.dump_tabular()
dist.barrier()
dist.destroy_process_group()
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_ddp_ranks_make_one_item_with_a_rank1_log(tmp_path, write_script):
    db = tmp_path / "db"
    script = write_script(DDP_SCRIPT, "ddp.py")
    group = {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port()), "WORLD_SIZE": "2"}
    procs = [popen_python(script, str(db), env={**group, "RANK": str(rank), "LOCAL_RANK": str(rank)})
             for rank in (1, 0)]  # rank 1 first: it must wait for rank 0's item
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    items = Database(db).items("ddp")
    assert len(items) == 1
    item = items[0]
    assert read_json(item.run_json)["pid"] == procs[1].pid and read_json(item.run_json)["status"] == "finished"
    assert steps_of(item) == list(range(5))
    assert sorted(p.name for p in item.log_dir.glob("log-rank*.txt")) == ["log-rank1.txt"]
    rank1_log = item.log.rank_log(1).read_text()
    assert rank1_log.count("rank") == 5
    assert [line.split("|")[2].strip() for line in rank1_log.splitlines() if "| rank" in line] == ["1"] * 5
    assert [line.split("|")[2].strip() for line in item.log.log_txt.read_text().splitlines()
            if "| rank" in line] == ["0"] * 5
