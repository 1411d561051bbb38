#!/bin/sh
# 2 learning rates x 3 seeds on this machine, 2 at a time, then the learning curves grouped by lr.
set -e
cd "$(dirname "$0")"
rla sweep --data-root ./db --name cartpole_lr --grid lr=0.002,0.02 --grid seed=0..2 -j 2 -- python main.py
python plot.py
