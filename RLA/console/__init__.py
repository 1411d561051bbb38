"""The terminal side every face shares (the ``rla`` command, ``rla_scripts``, the RLA 0.6 tools):
rich tables and progress bars (:mod:`~RLA.console.display`) and the plan -> show -> ask -> apply
interaction of the database operations (:mod:`~RLA.console.plans`). It sits over :mod:`RLA.db`
and under every face; :mod:`RLA.db` itself never prints or asks.
"""
