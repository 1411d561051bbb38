"""``python -m rla_scripts.start_pretty_plotter``: RLA 0.6's web plotter, now ``rla ui``.

Takes the options of ``rla ui`` (``-d DATA_ROOT``, ``--port``, ``--host``).
"""
from __future__ import annotations

from RLA.cli import main

if __name__ == "__main__":
    main(["ui", *__import__("sys").argv[1:]], prog_name="rla")
