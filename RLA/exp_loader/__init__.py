"""RLA 0.6's ``RLA.exp_loader`` package; the loader itself is :mod:`RLA.easy_log.exp_loader`."""
