# `make demo` and `make test` each create the virtual environment they need.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.rla-installed
DEMO_ROOT ?= $(CURDIR)/demo_data

.PHONY: demo demo-sb3 test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch is pinned to the CPU build; an unpinned torch pulls a multi-GB CUDA build
	$(PY) -m pip install -q "torch==2.13.0" -e ".[all,dev]"
	touch $(STAMP)

demo: $(STAMP)
	cd example/simplest_code && ../../$(PY) run_demo.py --data_root $(DEMO_ROOT)

# PPO on CartPole with stable-baselines3: 2 learning rates x 3 seeds, then the grouped curves
demo-sb3: $(STAMP)
	cd example/sb3_ppo && ../../$(PY) run_demo.py --data_root $(DEMO_ROOT)

test: $(STAMP)
	$(PY) -m pytest -q test

bench: $(STAMP)
	for b in bench/*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) $(DEMO_ROOT) .pytest_cache
