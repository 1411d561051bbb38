"""``rla run``: any command as a database item, unchanged; the TensorBoard files it writes, captured.

``command_line`` reads parameters from the command line, ``process`` runs the command as if we were
not there, ``watcher`` tails its event files (read by :mod:`RLA.easy_log.tb_reader`), ``run`` ties them to the item.
"""
from RLA.capture.run import CaptureResult, run_command

__all__ = ["run_command", "CaptureResult"]
