# `make demo` and `make test` each create the virtual environment they need.
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
STAMP := $(VENV)/.rla-installed
DEMO_ROOT ?= $(CURDIR)/demo_data

.PHONY: demo demo-sb3 lint test bench clean system-deps

# Debian packages the tests start for real: sshd (sync), munge + slurm (sweeps), chromium (rla ui),
# Open MPI (logger.set_comm under mpirun), pdflatex (rla table's LaTeX output is compiled).
# Installed when one is missing and we may (root with apt-get); the tests say what is missing otherwise.
SYSTEM_PACKAGES := openssh-server openssh-client rsync munge slurm-wlm chromium chromium-driver \
	openmpi-bin libopenmpi-dev texlive-latex-base
SYSTEM_COMMANDS := /usr/sbin/sshd /usr/bin/rsync /usr/sbin/munged /usr/sbin/slurmctld /usr/sbin/slurmd /usr/bin/chromium \
	/usr/bin/mpirun /usr/bin/pdflatex

system-deps:
	@missing=0; for c in $(SYSTEM_COMMANDS); do [ -x $$c ] || missing=1; done; \
	if [ $$missing = 1 ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages: $(SYSTEM_PACKAGES)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(SYSTEM_PACKAGES) >/dev/null; \
	  else \
	    echo "missing some of $(SYSTEM_COMMANDS): install the Debian packages $(SYSTEM_PACKAGES)"; \
	  fi; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch is pinned to the CPU build; an unpinned torch pulls a multi-GB CUDA build
	$(PY) -m pip install -q "torch==2.13.0" -e ".[all,dev]"
	# rliable, which the tests compare rla table with: its last release (1.2.0) caps arch below 8, whose 7.x
	# does not import with pandas 3; the dev extra brings arch 8 and rliable's other needs (the tests adapt
	# the one keyword arch 8 renamed)
	$(PY) -m pip install -q --no-deps "rliable==1.2.0"
	touch $(STAMP)

# REINFORCE on CartPole: 2 learning rates x 3 seeds as one sweep, then the grouped curves (again: runs nothing)
demo: $(STAMP)
	cd example/sweep && ../../$(PY) run_demo.py --data_root $(DEMO_ROOT)

# PPO on CartPole with stable-baselines3: 2 learning rates x 3 seeds, then the grouped curves
demo-sb3: $(STAMP)
	cd example/sb3_ppo && ../../$(PY) run_demo.py --data_root $(DEMO_ROOT)

# ruff and mypy first: a lint or type error fails the run before the suite starts
lint: $(STAMP)
	$(PY) -m ruff check RLA rla_scripts test bench example
	$(PY) -m mypy

test: $(STAMP) system-deps lint
	$(PY) -m pytest -q test

bench: $(STAMP)
	for b in bench/*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) $(DEMO_ROOT) .pytest_cache
