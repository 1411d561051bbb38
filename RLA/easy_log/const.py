"""RLA 0.6's names of the data types and log formats, over :mod:`RLA.db.layout` (``from RLA.easy_log.const import *``)."""
from RLA.db.layout import ARCHIVE_DIR as ARCHIVED_TABLE
from RLA.db.layout import DATA_TYPES, LEGACY_PARAMS_FILES

LOG, CODE, CHECKPOINT, ARCHIVE_TESTER, OTHER_RESULTS, HYPARAMETER, TMP_DATA = DATA_TYPES
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
