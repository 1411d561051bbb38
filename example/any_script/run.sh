#!/bin/sh
# An unchanged TensorBoard script as RLA items: 2 learning rates x 2 seeds through `rla run`, then the curves.
set -e
cd "$(dirname "$0")"
rla sweep -d ./db --name any_script --grid learning_rate=0.002,0.02 --grid seed=0,1 -j 2 \
    -- rla run -d ./db -t cartpole -- python reinforce_tb.py
rla plot -d ./db -t cartpole -k learning_rate -m charts/episodic_return --smooth-step 8 --band stderr \
    --save-name captured_cartpole
