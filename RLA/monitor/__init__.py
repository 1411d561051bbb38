"""What a run's processes do, seen from outside: the process tree, the files it holds open, and the
system metrics sampled in the background (CPU, memory, threads, IO, GPU). Used by ``rla run`` and, with
``SYSTEM_METRICS`` in rla_config.yaml, by ``exp_manager`` runs; imports nothing of RLA above ``RLA.db``."""
