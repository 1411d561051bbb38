"""RLA 0.6's ``RLA.utils`` package (see :mod:`RLA.utils.utils`)."""
