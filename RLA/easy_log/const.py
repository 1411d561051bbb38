"""RLA 0.6's names of the data types and log formats (``from RLA.easy_log.const import *``), over
:mod:`RLA.db.data_types`."""
from RLA.db import data_types
from RLA.db.layout import ARCHIVE_DIR as ARCHIVED_TABLE
from RLA.db.layout import DATA_TYPES, LEGACY_PARAMS_FILES

LOG = data_types.LOG.name
CODE = data_types.CODE.name
CHECKPOINT = data_types.CHECKPOINT.name
ARCHIVE_TESTER = data_types.ARCHIVE_TESTER.name
OTHER_RESULTS = data_types.RESULTS.name
HYPARAMETER = data_types.HYPERPARAMETER.name
TMP_DATA = data_types.TMP_DATA.name
default_log_types = list(DATA_TYPES)
HYPARAM_FILE_NAME = LEGACY_PARAMS_FILES[0].rsplit(".", 1)[0]


class LoadTesterMode:
    FORK_TO_NEW = "fork"


class LogDataType:
    """The words of ``LOG_USED`` in rla_config.yaml."""

    TB = "tensorboard"
    CSV = "csv"
    TXT = "log"
    STDOUT = "stdout"


__all__ = ["LOG", "CODE", "CHECKPOINT", "ARCHIVE_TESTER", "OTHER_RESULTS", "HYPARAMETER", "TMP_DATA",
           "ARCHIVED_TABLE", "default_log_types", "HYPARAM_FILE_NAME", "LoadTesterMode", "LogDataType"]
